/**
 * Synchronisation for a kernel: the spinlock {@linkcode Mutex} and its
 * FIFO-fair sibling {@linkcode TicketMutex}, the reader-writer
 * {@linkcode RwLock}, {@linkcode SharedMutex} (a lock word in machine RAM),
 * one-time initialisation with {@linkcode Once}, and {@linkcode Lazy} /
 * {@linkcode lazyStatic} (the seed's `lazy_static!`).
 *
 * Every lock word is an `Int32` in a `SharedArrayBuffer`, changed only with
 * `Atomics`, and records its owner (CPU id + 1). A waiting CPU spins with
 * `pause`. A CPU that locks what it already holds — typically an interrupt
 * handler that locks what the code it interrupted holds — gets a
 * {@linkcode DeadlockError} naming the lock and both acquisition sites,
 * instead of spinning forever. Guards are `Disposable`: `using` unlocks at
 * the end of the scope, as Rust's `Drop` does.
 *
 * `Mutex`, `TicketMutex`, `RwLock`, `Once` and `Lazy` hold JS values, which
 * cannot cross Workers: they serve one CPU (one Worker). Data shared by the
 * CPUs of an SMP machine lives in machine memory under a `SharedMutex`.
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
 * @module
 */

export * from "./deadlock_error.ts";
export * from "./mutex.ts";
export * from "./mutex_guard.ts";
export * from "./shared_mutex.ts";
export * from "./ticket_mutex.ts";
export * from "./rw_lock.ts";
export * from "./once.ts";
export * from "./lazy.ts";
