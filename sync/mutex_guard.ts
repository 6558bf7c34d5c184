import { releasedError } from "./_owner.ts";

/**
 * Access to the data of a locked {@linkcode Mutex}, `TicketMutex` or
 * write-locked `RwLock`: the analog of Rust's `MutexGuard`. It is
 * `Disposable`, so `using` releases the lock at the end of the scope as
 * Rust's `Drop` does:
 *
 * ```ts ignore
 * using data = MY_DATA.lock();
 * data.value += 1;
 * ```
 *
 * After release, `value` throws; disposing twice is harmless (so an early
 * `guard[Symbol.dispose]()`, Rust's `drop(guard)`, may be followed by the
 * end of the `using` scope).
 *
 * @typeParam T The type of the data.
 *
 * @example Reading and writing through a guard
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { Mutex } from "./mutex.ts";
 *
 * const mutex = new Mutex(1);
 * const guard = mutex.lock();
 * guard.value += 1;
 * guard[Symbol.dispose]();
 * throws(() => guard.value, /released/);
 * strictEqual(mutex.lock().value, 2);
 * ```
 */
export class MutexGuard<T> implements Disposable {
  #cell: { value: T };
  #release: () => void;
  #lock: string;
  #released = false;

  /**
   * Wraps a lock that is held; the locks build their guards, so call
   * `lock()` instead.
   *
   * @param cell The object holding the data.
   * @param release Releases the lock.
   * @param lock The lock, for messages: `Mutex "name"`.
   */
  constructor(cell: { value: T }, release: () => void, lock: string) {
    this.#cell = cell;
    this.#release = release;
    this.#lock = lock;
  }

  /**
   * The protected data.
   *
   * @returns The data.
   * @throws {Error} If the guard was released.
   */
  get value(): T {
    if (this.#released) throw releasedError(this.#lock);
    return this.#cell.value;
  }

  /**
   * Replaces the protected data.
   *
   * @param value The new data.
   * @throws {Error} If the guard was released.
   */
  set value(value: T) {
    if (this.#released) throw releasedError(this.#lock);
    this.#cell.value = value;
  }

  /**
   * Whether the guard has released its lock.
   *
   * @returns `true` after `[Symbol.dispose]()`.
   */
  get released(): boolean {
    return this.#released;
  }

  /** Releases the lock; later calls do nothing. */
  [Symbol.dispose](): void {
    if (this.#released) return;
    this.#released = true;
    this.#release();
  }
}
