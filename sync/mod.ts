/**
 * Synchronisation for a kernel: the spinlock {@linkcode Mutex} and its
 * FIFO-fair sibling {@linkcode TicketMutex}, the reader-writer
 * {@linkcode RwLock}, one-time initialisation with {@linkcode Once}, and
 * {@linkcode Lazy} / {@linkcode lazyStatic} (the seed's `lazy_static!`).
 *
 * Every lock word is an `Int32` in a `SharedArrayBuffer`, changed only with
 * `Atomics`, and records its owner (CPU id + 1). A waiting CPU spins with
 * `pause`. A CPU that locks what it already holds — typically an interrupt
 * handler that locks what the code it interrupted holds — gets a
 * {@linkcode DeadlockError} naming the lock and both acquisition sites,
 * instead of spinning forever. Guards ({@linkcode MutexGuard}) are
 * `Disposable`: `using` unlocks at the end of the scope, as Rust's `Drop`
 * does.
 *
 * **Which form.** Each of `Mutex`, `TicketMutex`, `RwLock`, `Once` and
 * `Lazy` comes in two forms, with one algorithm:
 *
 * - The JS form, `new Mutex(value)`: the lock words are in a small buffer
 *   of the lock's own and the data is any JS value. JS values cannot cross
 *   Workers, and each CPU of an SMP machine is a Worker, so use it for data
 *   of one CPU: against its own interrupt handlers and re-entrant calls, or
 *   on a one-CPU machine.
 * - The memory form, `Mutex.inMemory(machine.memory, address, type)`: the
 *   lock words and the data are in machine RAM at a physical address, and
 *   the data is read and written through a {@linkcode MemoryType} (see
 *   {@linkcode MemoryTypes}). Every CPU that makes one at the same address
 *   — each Worker its own object — has the same lock and the same data:
 *   use it for data shared by the CPUs of an SMP machine. Zeroed memory is
 *   a free lock or an incomplete `Once`; each class documents its layout.
 *
 * @example The seed's `Mutex` and `Once`
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Mutex, Once } from "./mod.ts";
 *
 * // static MY_DATA: Mutex<u64> = Mutex::new(0);
 * const MY_DATA = new Mutex(0);
 *
 * function incrementCounter(): void {
 *   using data = MY_DATA.lock(); // locks the mutex
 *   data.value += 1; // safe access to the data
 * } // the mutex is unlocked at the end of the scope
 *
 * incrementCounter();
 * strictEqual(MY_DATA.lock().value, 1);
 *
 * class MyComplexStruct {}
 * // static EXPENSIVE_RESOURCE: Once<MyComplexStruct> = Once::new();
 * const EXPENSIVE_RESOURCE = new Once<MyComplexStruct>();
 *
 * function getResource(): MyComplexStruct {
 *   return EXPENSIVE_RESOURCE.callOnce(() => {
 *     // this code runs only once
 *     return new MyComplexStruct();
 *   });
 * }
 *
 * strictEqual(getResource(), getResource());
 * ```
 *
 * @example A counter that every CPU shares, in machine memory
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 * import { MemoryTypes, Mutex } from "./mod.ts";
 *
 * const machine = new Machine({ ramSize: 2 << 20 });
 * // Each CPU (each Worker) makes its own object at the same address.
 * const TICKS = Mutex.inMemory(machine.memory, 0x9000, MemoryTypes.u64);
 * machine.run(() => {
 *   using ticks = TICKS.lock();
 *   ticks.value += 1n;
 * });
 * strictEqual(machine.memory.readU64(0x9008), 1n); // the data at +8
 * ```
 *
 * @module
 */

export * from "./deadlock_error.ts";
export * from "./memory_type.ts";
export * from "./mutex.ts";
export * from "./mutex_guard.ts";
export * from "./ticket_mutex.ts";
export * from "./rw_lock.ts";
export * from "./once.ts";
export * from "./lazy.ts";
// The machine's RAM type, which the memory forms and `MemoryType` take.
export type { PhysicalMemory } from "../machine/physical_memory.ts";
