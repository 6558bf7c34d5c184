import {
  deadlock,
  lockLabel,
  NO_CPU_OWNER,
  ownerTag,
  releasedError,
  runningCpu,
} from "./_owner.ts";
import type { LockOptions } from "./mutex.ts";
import { MutexGuard } from "./mutex_guard.ts";

const STATE = 0;
const WRITER = 1;
/** Per-owner reader counts start here: slot 0 is "no CPU", slot id + 1 is CPU id. */
const READERS = 2;
const TRACKED_OWNERS = 257;
const WRITE_LOCKED = -1;

/**
 * Shared access to the data of a read-locked {@linkcode RwLock}: `value`
 * can be read, not replaced. `Disposable`; disposing twice is harmless.
 *
 * @typeParam T The type of the data.
 *
 * @example Two readers at once
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { RwLock } from "./rw_lock.ts";
 *
 * const config = new RwLock({ hz: 100 });
 * const a = config.read();
 * const b = config.read();
 * strictEqual(a.value.hz + b.value.hz, 200);
 * a[Symbol.dispose]();
 * b[Symbol.dispose]();
 * throws(() => a.value, /released/);
 * ```
 */
export class RwLockReadGuard<T> implements Disposable {
  #cell: { value: T };
  #release: () => void;
  #lock: string;
  #released = false;

  /**
   * Wraps a held read lock; call `RwLock.read()` instead.
   *
   * @param cell The object holding the data.
   * @param release Releases this read lock.
   * @param lock The lock, for messages.
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
   * Whether the guard has released its read lock.
   *
   * @returns `true` after `[Symbol.dispose]()`.
   */
  get released(): boolean {
    return this.#released;
  }

  /** Releases the read lock; later calls do nothing. */
  [Symbol.dispose](): void {
    if (this.#released) return;
    this.#released = true;
    this.#release();
  }
}

/**
 * A reader-writer spinlock around a JS value (as `spin`'s `RwLock`): any
 * number of readers, or one writer. The state word is the reader count, or
 * -1 while a writer holds the lock; readers and writers spin (with `pause`)
 * with `Atomics.compareExchange`.
 *
 * **Writers can starve**: this is the simple reader-count design, with no
 * writer preference, so while readers keep overlapping the count never
 * reaches 0 and a waiting writer keeps spinning. (The `spin` crate
 * documents the same for its `RwLock`.) Use a {@linkcode Mutex} or
 * {@linkcode TicketMutex} where that matters.
 *
 * All words are `Int32`s of a small `SharedArrayBuffer`: the state, the
 * writer (CPU id + 1, or -1 outside `Machine.run`), and a read count per
 * CPU (ids 0 to 255), used only to recognise a deadlock. As with
 * {@linkcode Mutex}, the data is a JS value, so this form is for one CPU
 * (one Worker). A CPU may take several read locks at once, but locking for
 * writing while it holds a read or write lock, or for reading while it
 * holds the write lock, throws a {@linkcode DeadlockError}.
 *
 * @typeParam T The type of the data.
 *
 * @example Readers share, a writer excludes
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const table = new RwLock(new Map<string, number>());
 * {
 *   using w = table.write();
 *   w.value.set("idle", 0);
 *   strictEqual(table.tryRead(), undefined);
 * }
 * using r1 = table.read();
 * using r2 = table.read();
 * strictEqual(r1.value.get("idle"), r2.value.get("idle"));
 * strictEqual(table.tryWrite(), undefined);
 * ```
 */
export class RwLock<T> {
  #words: Int32Array;
  #cell: { value: T };
  #label: string;
  #releaseWrite: () => void;

  /**
   * Creates an unlocked reader-writer lock around `value`.
   *
   * @param value The data.
   * @param options The name used in error messages.
   */
  constructor(value: T, options: LockOptions = {}) {
    const words = new Int32Array(
      new SharedArrayBuffer(4 * (READERS + TRACKED_OWNERS)),
    );
    this.#words = words;
    this.#cell = { value };
    this.#label = lockLabel("RwLock", options.name);
    this.#releaseWrite = () => {
      Atomics.store(words, WRITER, 0);
      Atomics.store(words, STATE, 0);
    };
  }

  /**
   * Locks for reading, spinning while a writer holds the lock.
   *
   * @returns The read guard; dispose of it (`using`) to unlock.
   * @throws {DeadlockError} If the calling CPU holds the write lock.
   *
   * @example Scoped reading
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const lock = new RwLock([1, 2, 3]);
   * {
   *   using list = lock.read();
   *   strictEqual(list.value.length, 3);
   *   strictEqual(lock.readerCount(), 1);
   * }
   * strictEqual(lock.readerCount(), 0);
   * ```
   */
  read(): RwLockReadGuard<T> {
    const words = this.#words;
    const cpu = runningCpu();
    const tag = ownerTag(cpu);
    for (;;) {
      const state = Atomics.load(words, STATE);
      if (state >= 0) {
        if (Atomics.compareExchange(words, STATE, state, state + 1) === state) {
          break;
        }
        continue;
      }
      if (Atomics.load(words, WRITER) === tag) {
        throw deadlock(
          this.#label,
          cpu,
          "holds for writing",
          RwLock.prototype.read,
        );
      }
      cpu?.pause();
    }
    return this.#readGuard(tag);
  }

  /**
   * Locks for reading if no writer holds the lock, without spinning.
   *
   * @returns The read guard, or `undefined` while write-locked.
   *
   * @example Blocked by a writer
   * ```ts
   * import { ok, strictEqual } from "node:assert/strict";
   *
   * const lock = new RwLock(0);
   * const writer = lock.write();
   * strictEqual(lock.tryRead(), undefined);
   * writer[Symbol.dispose]();
   * ok(lock.tryRead() !== undefined);
   * ```
   */
  tryRead(): RwLockReadGuard<T> | undefined {
    const words = this.#words;
    for (;;) {
      const state = Atomics.load(words, STATE);
      if (state < 0) return undefined;
      if (Atomics.compareExchange(words, STATE, state, state + 1) === state) {
        return this.#readGuard(ownerTag(runningCpu()));
      }
    }
  }

  /**
   * Locks for writing, spinning while readers or a writer hold the lock.
   * Writers can starve (see the class description).
   *
   * @returns The write guard; dispose of it (`using`) to unlock.
   * @throws {DeadlockError} If the calling CPU holds a read or the write
   *   lock.
   *
   * @example Scoped writing
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const lock = new RwLock(1);
   * {
   *   using n = lock.write();
   *   n.value *= 10;
   *   strictEqual(lock.isWriteLocked(), true);
   * }
   * strictEqual(lock.read().value, 10);
   * ```
   */
  write(): MutexGuard<T> {
    const words = this.#words;
    const cpu = runningCpu();
    const tag = ownerTag(cpu);
    const slot = readerSlot(tag);
    for (;;) {
      const state = Atomics.compareExchange(words, STATE, 0, WRITE_LOCKED);
      if (state === 0) break;
      if (state < 0 && Atomics.load(words, WRITER) === tag) {
        throw deadlock(this.#label, cpu, "holds", RwLock.prototype.write);
      }
      if (state > 0 && slot >= 0 && Atomics.load(words, slot) > 0) {
        throw deadlock(
          this.#label,
          cpu,
          "holds for reading",
          RwLock.prototype.write,
        );
      }
      cpu?.pause();
    }
    Atomics.store(words, WRITER, tag);
    return new MutexGuard(this.#cell, this.#releaseWrite, this.#label);
  }

  /**
   * Locks for writing if nobody holds the lock, without spinning.
   *
   * @returns The write guard, or `undefined` while read- or write-locked.
   *
   * @example Blocked by a reader
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const lock = new RwLock(0);
   * using _reader = lock.read();
   * strictEqual(lock.tryWrite(), undefined);
   * ```
   */
  tryWrite(): MutexGuard<T> | undefined {
    const words = this.#words;
    if (Atomics.compareExchange(words, STATE, 0, WRITE_LOCKED) !== 0) {
      return undefined;
    }
    Atomics.store(words, WRITER, ownerTag(runningCpu()));
    return new MutexGuard(this.#cell, this.#releaseWrite, this.#label);
  }

  /**
   * The number of read locks held (a snapshot).
   *
   * @returns 0 when free or write-locked.
   *
   * @example Two readers
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const lock = new RwLock(0);
   * using _a = lock.read();
   * using _b = lock.read();
   * strictEqual(lock.readerCount(), 2);
   * ```
   */
  readerCount(): number {
    return Math.max(0, Atomics.load(this.#words, STATE));
  }

  /**
   * Whether a writer holds the lock (a snapshot).
   *
   * @returns `true` while write-locked.
   *
   * @example Free at first
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new RwLock(0).isWriteLocked(), false);
   * ```
   */
  isWriteLocked(): boolean {
    return Atomics.load(this.#words, STATE) === WRITE_LOCKED;
  }

  #readGuard(tag: number): RwLockReadGuard<T> {
    const words = this.#words;
    const slot = readerSlot(tag);
    if (slot >= 0) Atomics.add(words, slot, 1);
    return new RwLockReadGuard(this.#cell, () => {
      if (slot >= 0) Atomics.sub(words, slot, 1);
      Atomics.sub(words, STATE, 1);
    }, this.#label);
  }
}

/** The index of the read count of the owner `tag`, or -1 if untracked. */
function readerSlot(tag: number): number {
  const index = tag === NO_CPU_OWNER ? 0 : tag;
  return index < TRACKED_OWNERS ? READERS + index : -1;
}
