import { deadlock, lockLabel, ownerTag, runningCpu } from "./_owner.ts";
import { MutexGuard } from "./mutex_guard.ts";

/** Options of a lock. */
export interface LockOptions {
  /** A name for error messages, as in `DeadlockError: Deadlock on Mutex "heap"`. */
  name?: string;
}

/**
 * A spinlock around a JS value: the seed's `Mutex<T>`. `lock()` spins on a
 * lock word with `Atomics.compareExchange` (calling `pause` on the current
 * CPU while it waits) and returns a {@linkcode MutexGuard}, which is
 * `Disposable`: `using g = m.lock()` releases the lock at the end of the
 * scope.
 *
 * The lock word is an `Int32` in a small `SharedArrayBuffer` of the mutex's
 * own: 0 when free, else the owner's CPU id + 1, or -1 for code that runs
 * outside `Machine.run`. The data is a JS value, and JS objects cannot cross
 * Workers, so this form protects data on one CPU (one Worker) — against
 * its own interrupt handlers and re-entrant calls. Data shared by CPUs on
 * several Workers lives in machine memory, under a `SharedMutex` whose lock
 * word is there too.
 *
 * Locking a mutex that the same CPU already holds would spin forever; it
 * throws a {@linkcode DeadlockError} naming the lock and both sites.
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
  #word: Int32Array;
  #cell: { value: T };
  #label: string;
  #release: () => void;

  /**
   * Creates an unlocked mutex around `value`.
   *
   * @param value The data.
   * @param options The name used in error messages.
   */
  constructor(value: T, options: LockOptions = {}) {
    const word = new Int32Array(new SharedArrayBuffer(4));
    this.#word = word;
    this.#cell = { value };
    this.#label = lockLabel("Mutex", options.name);
    this.#release = () => {
      Atomics.store(word, 0, 0);
    };
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
    const word = this.#word;
    const cpu = runningCpu();
    const tag = ownerTag(cpu);
    for (;;) {
      const held = Atomics.compareExchange(word, 0, 0, tag);
      if (held === 0) break;
      if (held === tag) {
        throw deadlock(this.#label, cpu, "holds", Mutex.prototype.lock);
      }
      cpu?.pause();
    }
    return new MutexGuard(this.#cell, this.#release, this.#label);
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
    const tag = ownerTag(runningCpu());
    if (Atomics.compareExchange(this.#word, 0, 0, tag) !== 0) return undefined;
    return new MutexGuard(this.#cell, this.#release, this.#label);
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
    return Atomics.load(this.#word, 0) !== 0;
  }
}
