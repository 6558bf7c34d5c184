/**
 * What a {@linkcode MutexGuard} needs of the lock it holds: the data, the
 * lock's name for messages, whether the hold may write, and how to release
 * it. Each lock builds one such object per kind of hold when it is made and
 * hands it to every guard, so locking allocates nothing but the guard.
 *
 * @typeParam T The type of the data.
 *
 * @example A lock of your own
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { MutexGuard } from "./mutex_guard.ts";
 *
 * let releases = 0;
 * const held: GuardedLock<number> = {
 *   cell: { value: 7 },
 *   label: 'Demo "seven"',
 *   writable: true,
 *   release: () => void releases++,
 * };
 * const guard = new MutexGuard(held, 0);
 * guard.value += 1;
 * guard[Symbol.dispose]();
 * strictEqual(held.cell.value, 8);
 * strictEqual(releases, 1);
 * ```
 */
export interface GuardedLock<T> {
  /**
   * The data: a JS `{ value }`, or an object whose `value` reads and
   * writes machine memory.
   */
  readonly cell: { value: T };
  /** The lock, for messages: `Mutex "name"`, `unnamed RwLock at 0x9000`. */
  readonly label: string;
  /** Whether a guard may replace the data (`false` for a read lock). */
  readonly writable: boolean;
  /**
   * Releases the hold that a guard stands for.
   *
   * @param slot What the lock gave the guard to pass back (for an `RwLock`
   *   read lock, the index of the caller's reader-count word).
   */
  release(slot: number): void;
}

/**
 * The guard of a held lock — of a {@linkcode Mutex}, a `TicketMutex`, and
 * both holds of an `RwLock` (a read lock's guard is typed as the read-only
 * `RwLockReadGuard`, and refuses writes): the analog of Rust's
 * `MutexGuard`. It is `Disposable`, so `using` releases the lock at the end
 * of the scope as Rust's `Drop` does:
 *
 * ```ts ignore
 * using data = MY_DATA.lock();
 * data.value += 1;
 * ```
 *
 * After release, `value` throws an `Error` naming the lock; disposing twice
 * is harmless (so an early `guard[Symbol.dispose]()`, Rust's
 * `drop(guard)`, may be followed by the end of the `using` scope) and
 * never releases a later holder's lock. For a lock in machine memory, each
 * read and write of `value` reads and writes RAM.
 *
 * @typeParam T The type of the data.
 *
 * @example Reading and writing through a guard
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { Mutex } from "./mutex.ts";
 *
 * const mutex = new Mutex(1, { name: "one" });
 * const guard = mutex.lock();
 * guard.value += 1;
 * guard[Symbol.dispose]();
 * guard[Symbol.dispose](); // harmless
 * throws(() => guard.value, /guard of Mutex "one" was released/);
 * strictEqual(mutex.lock().value, 2);
 * ```
 */
export class MutexGuard<T> implements Disposable {
  // One class for every hold, with no subclasses: constructing an instance
  // of a derived class cost 13 ns more per lock (V8, bench/sync_bench.ts).
  #lock: GuardedLock<T>;
  #slot: number;
  #released = false;

  /**
   * Wraps a lock that is held; the locks build their guards, so call
   * `lock()`, `read()` or `write()` instead.
   *
   * @param lock The held lock.
   * @param slot Passed back to `lock.release` (see {@linkcode GuardedLock}).
   */
  constructor(lock: GuardedLock<T>, slot: number) {
    this.#lock = lock;
    this.#slot = slot;
  }

  /**
   * The protected data.
   *
   * @returns The data.
   * @throws {Error} If the guard was released.
   */
  get value(): T {
    if (this.#released) throw released(this.#lock);
    return this.#lock.cell.value;
  }

  /**
   * Replaces the protected data.
   *
   * @param value The new data.
   * @throws {Error} If the guard was released.
   * @throws {TypeError} If it guards a read lock.
   * @throws {RangeError} If the data is in machine memory and `value` does
   *   not fit its type.
   */
  set value(value: T) {
    const lock = this.#lock;
    if (this.#released) throw released(lock);
    if (!lock.writable) {
      throw new TypeError(
        `This guard of ${lock.label} is a read lock: write-lock it to change its data`,
      );
    }
    lock.cell.value = value;
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
    this.#lock.release(this.#slot);
  }
}

function released(lock: GuardedLock<unknown>): Error {
  return new Error(
    `This guard of ${lock.label} was released: lock it again to use its data`,
  );
}
