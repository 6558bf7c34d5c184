import { deadlock, lockLabel, ownerTag, runningCpu } from "./_owner.ts";
import type { LockOptions } from "./mutex.ts";
import { MutexGuard } from "./mutex_guard.ts";

const NEXT = 0;
const SERVING = 1;
const OWNER = 2;

/**
 * A FIFO-fair spinlock around a JS value (a ticket lock, as `spin`'s
 * `TicketMutex`): `lock()` takes the next ticket with `Atomics.add` and
 * spins (with `pause`) until the now-serving word reaches it, so CPUs get
 * the lock in the order they asked for it and none starves. Unlocking
 * advances now-serving by one.
 *
 * The three words — next ticket, now serving, owner (CPU id + 1, or -1
 * outside `Machine.run`) — are `Int32`s of a small `SharedArrayBuffer`.
 * As with {@linkcode Mutex}, the data is a JS value, so this form is for
 * one CPU (one Worker). The guard is a {@linkcode MutexGuard}, and locking
 * a ticket mutex the calling CPU holds throws a {@linkcode DeadlockError}
 * (before taking a ticket, so the lock stays usable).
 *
 * @typeParam T The type of the data.
 *
 * @example Tickets are served in order
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const queue = new TicketMutex<number[]>([]);
 * for (let i = 0; i < 3; i++) {
 *   using list = queue.lock();
 *   list.value.push(i);
 * }
 * strictEqual(queue.lock().value.join(), "0,1,2");
 * ```
 */
export class TicketMutex<T> {
  #words: Int32Array;
  #cell: { value: T };
  #label: string;
  #release: () => void;

  /**
   * Creates an unlocked ticket mutex around `value`.
   *
   * @param value The data.
   * @param options The name used in error messages.
   */
  constructor(value: T, options: LockOptions = {}) {
    const words = new Int32Array(new SharedArrayBuffer(12));
    this.#words = words;
    this.#cell = { value };
    this.#label = lockLabel("TicketMutex", options.name);
    this.#release = () => {
      Atomics.store(words, OWNER, 0);
      Atomics.add(words, SERVING, 1);
    };
  }

  /**
   * Takes a ticket and spins until it is served.
   *
   * @returns The guard; dispose of it (`using`) to unlock.
   * @throws {DeadlockError} If the calling CPU already holds the mutex.
   *
   * @example Scoped locking
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const counter = new TicketMutex(0);
   * {
   *   using n = counter.lock();
   *   n.value += 5;
   * }
   * strictEqual(counter.isLocked(), false);
   * strictEqual(counter.lock().value, 5);
   * ```
   */
  lock(): MutexGuard<T> {
    const words = this.#words;
    const cpu = runningCpu();
    const tag = ownerTag(cpu);
    if (Atomics.load(words, OWNER) === tag) {
      throw deadlock(this.#label, cpu, "holds", TicketMutex.prototype.lock);
    }
    const ticket = Atomics.add(words, NEXT, 1);
    while (Atomics.load(words, SERVING) !== ticket) cpu?.pause();
    Atomics.store(words, OWNER, tag);
    return new MutexGuard(this.#cell, this.#release, this.#label);
  }

  /**
   * Locks the mutex if nobody holds it or waits for it, without spinning.
   *
   * @returns The guard, or `undefined` if the mutex is held or has waiters.
   *
   * @example One holder at a time
   * ```ts
   * import { ok, strictEqual } from "node:assert/strict";
   *
   * const mutex = new TicketMutex("x");
   * const guard = mutex.tryLock();
   * ok(guard !== undefined);
   * strictEqual(mutex.tryLock(), undefined);
   * ```
   */
  tryLock(): MutexGuard<T> | undefined {
    const words = this.#words;
    const serving = Atomics.load(words, SERVING);
    if (
      Atomics.compareExchange(words, NEXT, serving, (serving + 1) | 0) !==
        serving
    ) {
      return undefined;
    }
    Atomics.store(words, OWNER, ownerTag(runningCpu()));
    return new MutexGuard(this.#cell, this.#release, this.#label);
  }

  /**
   * Whether some CPU holds the mutex (a snapshot).
   *
   * @returns `true` while locked.
   *
   * @example Before and after
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const mutex = new TicketMutex(0);
   * const guard = mutex.lock();
   * strictEqual(mutex.isLocked(), true);
   * guard[Symbol.dispose]();
   * strictEqual(mutex.isLocked(), false);
   * ```
   */
  isLocked(): boolean {
    return Atomics.load(this.#words, NEXT) !==
      Atomics.load(this.#words, SERVING);
  }

  /**
   * The number of tickets taken and not yet released: the holder plus the
   * CPUs waiting behind it (a snapshot).
   *
   * @returns 0 when free.
   *
   * @example One holder
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const mutex = new TicketMutex(0);
   * using _guard = mutex.lock();
   * strictEqual(mutex.queueLength(), 1);
   * ```
   */
  queueLength(): number {
    return (Atomics.load(this.#words, NEXT) -
      Atomics.load(this.#words, SERVING)) | 0;
  }
}
