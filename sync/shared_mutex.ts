import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { deadlock, lockLabel, ownerTag, runningCpu } from "./_owner.ts";
import type { LockOptions } from "./mutex.ts";

/**
 * The guard of a locked {@linkcode SharedMutex}: it carries no data (the
 * data lives in machine memory) and releases the lock when disposed of.
 * Disposing twice is harmless.
 *
 * @example Scoped locking
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/mod.ts";
 *
 * const lock = new SharedMutex(new PhysicalMemory(1 << 16), 0x1000);
 * {
 *   using guard = lock.lock();
 *   strictEqual(guard.released, false);
 * }
 * strictEqual(lock.isLocked(), false);
 * ```
 */
export class SharedMutexGuard implements Disposable {
  #release: () => void;
  #released = false;

  /**
   * Wraps a held lock; call `SharedMutex.lock()` instead.
   *
   * @param release Releases the lock.
   */
  constructor(release: () => void) {
    this.#release = release;
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

/**
 * A spinlock whose lock word is the 4-byte-aligned `Int32` at a physical
 * address of machine RAM (`new Int32Array(memory.buffer)`), with no JS data:
 * the data it protects lives in machine memory beside it, so CPUs on other
 * Workers, which share the RAM's `SharedArrayBuffer`, can share the lock.
 * Two `SharedMutex` objects at the same address are the same lock.
 *
 * The word holds 0 when free, else the owner's CPU id + 1 (or -1 outside
 * `Machine.run`), exactly as {@linkcode Mutex}; locking it again from the
 * CPU that holds it throws a {@linkcode DeadlockError}.
 *
 * @example A counter in machine memory, next to its lock word
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * const machine = new Machine({ ramSize: 2 << 20 });
 * const lock = new SharedMutex(machine.memory, 0x8000, { name: "counter" });
 * machine.run(() => {
 *   using _guard = lock.lock();
 *   strictEqual(machine.memory.readU32(0x8000), 1); // CPU 0 + 1
 *   machine.memory.writeU32(0x8004, machine.memory.readU32(0x8004) + 1);
 * });
 * strictEqual(machine.memory.readU32(0x8000), 0);
 * strictEqual(machine.memory.readU32(0x8004), 1);
 * ```
 */
export class SharedMutex {
  /** The physical address of the lock word. */
  readonly address: number;
  #words: Int32Array;
  #index: number;
  #label: string;
  #release: () => void;

  /**
   * Uses the `Int32` at `address` of `memory` as a lock word. The word is
   * not changed: zeroed memory is an unlocked lock.
   *
   * @param memory The machine's RAM.
   * @param address The physical address of the lock word.
   * @param options The name used in error messages.
   * @throws {RangeError} If `address` is not a 4-byte-aligned address of a
   *   word inside RAM.
   */
  constructor(
    memory: PhysicalMemory,
    address: number,
    options: LockOptions = {},
  ) {
    if (
      !Number.isInteger(address) || address < 0 || address % 4 !== 0 ||
      address + 4 > memory.buffer.byteLength
    ) {
      throw new RangeError(
        `Invalid lock word address ${address}: expected a 4-byte-aligned physical address below ${memory.buffer.byteLength}`,
      );
    }
    const words = new Int32Array(memory.buffer);
    const index = address / 4;
    this.address = address;
    this.#words = words;
    this.#index = index;
    this.#label = `${lockLabel("SharedMutex", options.name)} at 0x${
      address.toString(16)
    }`;
    this.#release = () => {
      Atomics.store(words, index, 0);
    };
  }

  /**
   * Locks the mutex, spinning (with `pause`) while another CPU holds it.
   *
   * @returns The guard; dispose of it (`using`) to unlock.
   * @throws {DeadlockError} If the calling CPU already holds the lock.
   *
   * @example Locked while the guard lives
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/mod.ts";
   *
   * const lock = new SharedMutex(new PhysicalMemory(1 << 16), 0x100);
   * const guard = lock.lock();
   * strictEqual(lock.isLocked(), true);
   * guard[Symbol.dispose]();
   * strictEqual(lock.isLocked(), false);
   * ```
   */
  lock(): SharedMutexGuard {
    const words = this.#words;
    const index = this.#index;
    const cpu = runningCpu();
    const tag = ownerTag(cpu);
    for (;;) {
      const held = Atomics.compareExchange(words, index, 0, tag);
      if (held === 0) break;
      if (held === tag) {
        throw deadlock(this.#label, cpu, "holds", SharedMutex.prototype.lock);
      }
      cpu?.pause();
    }
    return new SharedMutexGuard(this.#release);
  }

  /**
   * Locks the mutex if it is free, without spinning.
   *
   * @returns The guard, or `undefined` if the lock is held.
   *
   * @example Held elsewhere
   * ```ts
   * import { ok, strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/mod.ts";
   *
   * const ram = new PhysicalMemory(1 << 16);
   * const a = new SharedMutex(ram, 0x100);
   * const b = new SharedMutex(ram, 0x100); // the same word
   * const guard = a.tryLock();
   * ok(guard !== undefined);
   * strictEqual(b.tryLock(), undefined);
   * ```
   */
  tryLock(): SharedMutexGuard | undefined {
    const tag = ownerTag(runningCpu());
    if (Atomics.compareExchange(this.#words, this.#index, 0, tag) !== 0) {
      return undefined;
    }
    return new SharedMutexGuard(this.#release);
  }

  /**
   * Whether some CPU holds the lock (a snapshot).
   *
   * @returns `true` while locked.
   *
   * @example Free at first
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/mod.ts";
   *
   * strictEqual(new SharedMutex(new PhysicalMemory(1 << 16), 0).isLocked(), false);
   * ```
   */
  isLocked(): boolean {
    return Atomics.load(this.#words, this.#index) !== 0;
  }
}
