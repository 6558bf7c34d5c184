import { boundCpu } from "../machine/current_cpu.ts";
import type { Cpu } from "../machine/cpu/cpu.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { deadlock, ownerTag } from "./_owner.ts";
import { type Layout, ownPlace, placeNextInMemory } from "./_place.ts";
import type { MemoryType } from "./memory_type.ts";
import { type GuardedLock, MutexGuard } from "./mutex_guard.ts";

/** Options of a lock. */
export interface LockOptions {
  /** A name for error messages, as in `DeadlockError: Deadlock on Mutex "heap"`. */
  name?: string;
}

/** One lock word; in memory, the data at +8. */
const MUTEX: Layout = { kind: "Mutex", words: 1 };

/**
 * A spinlock: the seed's `Mutex<T>`. `lock()` spins on a lock word with
 * `Atomics.compareExchange` (calling `pause` on the current CPU while it
 * waits) and returns a {@linkcode MutexGuard}, which is `Disposable`:
 * `using g = m.lock()` releases the lock at the end of the scope.
 *
 * The lock word is an `Int32`: 0 when free, else the owner's CPU id + 1, or
 * -1 for code that runs outside `Machine.run` (all such code counts as one
 * owner). Locking a mutex that the same CPU already holds would spin
 * forever; it throws a {@linkcode DeadlockError} naming the lock and both
 * sites.
 *
 * It comes in two forms, with one algorithm:
 *
 * - `new Mutex(value)`: the lock word is in a small `SharedArrayBuffer` of
 *   the mutex's own and the data is a JS value. JS values cannot cross
 *   Workers, so this form protects data of one CPU (one Worker) — against
 *   its own interrupt handlers and re-entrant calls.
 * - {@linkcode Mutex.inMemory}: the lock word and the data are in machine
 *   RAM, so every CPU of an SMP machine (one Worker each, all sharing RAM)
 *   that makes a `Mutex.inMemory` at the same address has the same lock
 *   and the same data. Layout, from the address (a multiple of 4):
 *
 *   | offset | size | contents |
 *   | --- | --- | --- |
 *   | +0 | 4 | lock word: 0 free, else owner CPU id + 1, or -1 outside `Machine.run` |
 *   | +4 | 4 | unused |
 *   | +8 | `type.size` | the data, as `type` lays it out (none without a type) |
 *
 *   Zeroed memory is an unlocked mutex.
 *
 * @typeParam T The type of the data.
 *
 * @example The seed's counter
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const MY_DATA = new Mutex(0);
 *
 * function incrementCounter(): void {
 *   using data = MY_DATA.lock(); // locks the mutex
 *   data.value += 1; // safe access to the data
 * } // the mutex is unlocked at the end of the scope
 *
 * incrementCounter();
 * incrementCounter();
 * strictEqual(MY_DATA.isLocked(), false);
 * strictEqual(MY_DATA.lock().value, 2);
 * ```
 */
export class Mutex<T> {
  #words: Int32Array;
  #index: number;
  #held: GuardedLock<T>;

  /**
   * Creates an unlocked mutex around a JS value (the one-CPU form).
   *
   * @param value The data.
   * @param options The name used in error messages.
   */
  constructor(value: T, options: LockOptions = {}) {
    const { words, index, cell, label } = ownPlace(MUTEX, value, options.name);
    this.#words = words;
    this.#index = index;
    this.#held = {
      cell,
      label,
      writable: true,
      release: () => {
        Atomics.store(words, index, 0);
      },
    };
  }

  /**
   * The mutex whose lock word is at `address` of machine memory and whose
   * data, of `type`, is at `address + 8` (see the layout in the class
   * description): the form CPUs on several Workers share. Nothing is
   * written: zeroed memory is an unlocked mutex, and two `inMemory` mutexes
   * at one address are one lock.
   *
   * @typeParam T The type of the data; `undefined` without a `type`.
   * @param memory The machine's RAM (`machine.memory`).
   * @param address The physical address of the lock word: a multiple of 4,
   *   and of the data's alignment less 8.
   * @param type How the data is laid out; none (`undefined` data) if absent.
   * @param options The name used in error messages.
   * @returns The mutex.
   * @throws {RangeError} If `address` is not such an integer, or the lock
   *   word and data do not fit RAM.
   *
   * @example A counter in machine memory
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { MemoryTypes } from "./memory_type.ts";
   *
   * const machine = new Machine({ ramSize: 2 << 20 });
   * const counter = Mutex.inMemory(machine.memory, 0x8000, MemoryTypes.u32);
   * machine.run(() => {
   *   using n = counter.lock();
   *   strictEqual(machine.memory.readU32(0x8000), 1); // CPU 0 + 1
   *   n.value += 1;
   * });
   * strictEqual(machine.memory.readU32(0x8000), 0); // free
   * strictEqual(machine.memory.readU32(0x8008), 1); // the data
   * ```
   */
  static inMemory<T = undefined>(
    memory: PhysicalMemory,
    address: number,
    type?: MemoryType<T>,
    options: LockOptions = {},
  ): Mutex<T> {
    placeNextInMemory(MUTEX, memory, address, type, options.name);
    return new Mutex<T>(undefined as T, options);
  }

  /**
   * Locks the mutex, spinning while another CPU holds it.
   *
   * @returns The guard; dispose of it (`using`) to unlock.
   * @throws {DeadlockError} If the calling CPU already holds the mutex.
   *
   * @example Scoped locking
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const names = new Mutex<string[]>([]);
   * {
   *   using list = names.lock();
   *   list.value.push("idle");
   *   strictEqual(names.isLocked(), true);
   * }
   * strictEqual(names.isLocked(), false);
   * ```
   */
  lock(): MutexGuard<T> {
    const cpu = boundCpu();
    const tag = ownerTag(cpu);
    const held = Atomics.compareExchange(this.#words, this.#index, 0, tag);
    if (held !== 0) this.#spin(held, cpu, tag);
    return new MutexGuard(this.#held, 0);
  }

  // The slow path of `lock`: spins until the word is free.
  #spin(held: number, cpu: Cpu | undefined, tag: number): void {
    const words = this.#words;
    const index = this.#index;
    do {
      if (held === tag) {
        throw deadlock(this.#held.label, cpu, "holds", Mutex.prototype.lock);
      }
      cpu?.pause();
      held = Atomics.compareExchange(words, index, 0, tag);
    } while (held !== 0);
  }

  /**
   * Locks the mutex if it is free, without spinning.
   *
   * @returns The guard, or `undefined` if the mutex is held (by any CPU,
   *   the caller's included).
   *
   * @example One holder at a time
   * ```ts
   * import { ok, strictEqual } from "node:assert/strict";
   *
   * const mutex = new Mutex(0);
   * const first = mutex.tryLock();
   * ok(first !== undefined);
   * strictEqual(mutex.tryLock(), undefined);
   * first[Symbol.dispose]();
   * ok(mutex.tryLock() !== undefined);
   * ```
   */
  tryLock(): MutexGuard<T> | undefined {
    const tag = ownerTag(boundCpu());
    if (Atomics.compareExchange(this.#words, this.#index, 0, tag) !== 0) {
      return undefined;
    }
    return new MutexGuard(this.#held, 0);
  }

  /**
   * Whether some CPU holds the mutex (a snapshot: it may change at once).
   *
   * @returns `true` while locked.
   *
   * @example Before and after
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const mutex = new Mutex("data");
   * const guard = mutex.lock();
   * strictEqual(mutex.isLocked(), true);
   * guard[Symbol.dispose]();
   * strictEqual(mutex.isLocked(), false);
   * ```
   */
  isLocked(): boolean {
    return Atomics.load(this.#words, this.#index) !== 0;
  }
}
