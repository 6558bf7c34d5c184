import { boundCpu } from "../machine/current_cpu.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { deadlock, NO_CPU_OWNER, ownerTag } from "./_owner.ts";
import { type Layout, ownPlace, placeNextInMemory } from "./_place.ts";
import type { MemoryType } from "./memory_type.ts";
import type { LockOptions } from "./mutex.ts";
import { type GuardedLock, MutexGuard } from "./mutex_guard.ts";

// The words, from the lock's first. The writer and the reader counts serve
// only deadlock detection, and each is written only by the CPU whose tag
// (or count) it holds, which sees its own writes in order: they are read
// and written with plain accesses, as TicketMutex's owner word (see there).
const STATE = 0;
const WRITER = 1;
/** Per-owner reader counts start here: slot 0 is "no CPU", slot id + 1 is CPU id. */
const READERS = 2;
const WRITE_LOCKED = -1;

/** Reader counts for code outside `Machine.run` and CPUs 0 to 255. */
const RW_LOCK: Layout = { kind: "RwLock", words: READERS + 257 };
/** In memory: reader counts for code outside `Machine.run` and CPUs 0 to 15; the data at +80. */
const RW_LOCK_IN_MEMORY: Layout = { kind: "RwLock", words: READERS + 17 };

/**
 * Shared access to the data of a read-locked {@linkcode RwLock}: `value`
 * can be read, not replaced (the guard object, a `MutexGuard`, throws a
 * `TypeError` on a write). `Disposable`; after release `value` throws, and
 * disposing twice is harmless.
 *
 * @typeParam T The type of the data.
 *
 * @example Two readers at once
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { RwLock } from "./rw_lock.ts";
 *
 * const config = new RwLock({ hz: 100 });
 * const a: RwLockReadGuard<{ hz: number }> = config.read();
 * const b = config.read();
 * strictEqual(a.value.hz + b.value.hz, 200);
 * a[Symbol.dispose]();
 * b[Symbol.dispose]();
 * throws(() => a.value, /released/);
 * ```
 */
export interface RwLockReadGuard<T> extends Disposable {
  /** The protected data; reading it throws once the guard is released. */
  readonly value: T;
  /** Whether the guard has released its read lock. */
  readonly released: boolean;
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
 * All words are `Int32`s: the state, the writer (CPU id + 1, or -1
 * outside `Machine.run`), and a read count per owner, used only to
 * recognise a deadlock. A CPU may take several read locks at once, but
 * locking for writing while it holds a read or write lock, or for reading
 * while it holds the write lock, throws a {@linkcode DeadlockError}.
 *
 * As {@linkcode Mutex}, it has two forms: `new RwLock(value)` keeps its
 * words in a `SharedArrayBuffer` of its own (with read counts for CPUs 0
 * to 255) and a JS value, for one CPU (one Worker);
 * {@linkcode RwLock.inMemory} keeps words and data in machine RAM, shared
 * by every CPU that makes one at the same address:
 *
 * | offset | size | contents |
 * | --- | --- | --- |
 * | +0 | 4 | state: the number of read locks, -1 while write-locked, 0 when free |
 * | +4 | 4 | writer: CPU id + 1, -1 outside `Machine.run`, 0 when none |
 * | +8 | 4 | read locks held by code outside `Machine.run` |
 * | +12 + 4·n | 4 | read locks held by CPU n, for n = 0 to 15 |
 * | +80 | `type.size` | the data, as `type` lays it out (none without a type) |
 *
 * Zeroed memory is a free lock. A CPU with an id above 15 has no read
 * count in memory, so a write lock it takes while it holds a read lock
 * spins forever (as on hardware) instead of throwing.
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
  #index: number;
  #tracked: number;
  #write: GuardedLock<T>;
  #read: GuardedLock<T>;

  /**
   * Creates an unlocked reader-writer lock around a JS value (the one-CPU
   * form).
   *
   * @param value The data.
   * @param options The name used in error messages.
   */
  constructor(value: T, options: LockOptions = {}) {
    const { words, index, cell, label, layout } = ownPlace(
      RW_LOCK,
      value,
      options.name,
    );
    this.#words = words;
    this.#index = index;
    this.#tracked = layout.words - READERS;
    this.#write = {
      cell,
      label,
      writable: true,
      release: () => {
        words[index + WRITER] = 0;
        Atomics.store(words, index + STATE, 0);
      },
    };
    this.#read = {
      cell,
      label,
      writable: false,
      release: (slot: number) => {
        if (slot >= 0) words[slot]!--;
        Atomics.sub(words, index + STATE, 1);
      },
    };
  }

  /**
   * The reader-writer lock whose words are at `address` of machine memory
   * and whose data, of `type`, is at `address + 80` (see the layout in the
   * class description), shared by the CPUs of every Worker. Nothing is
   * written: zeroed memory is a free lock, and two `inMemory` ones at one
   * address are one lock.
   *
   * @typeParam T The type of the data; `undefined` without a `type`.
   * @param memory The machine's RAM (`machine.memory`).
   * @param address The physical address of the first word: a multiple of 4,
   *   and of the data's alignment less 80.
   * @param type How the data is laid out; none (`undefined` data) if absent.
   * @param options The name used in error messages.
   * @returns The lock.
   * @throws {RangeError} If `address` is not such an integer, or the words
   *   and data do not fit RAM.
   *
   * @example A tick rate that CPUs read and one writes
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/mod.ts";
   * import { MemoryTypes } from "./memory_type.ts";
   *
   * const ram = new PhysicalMemory(1 << 16);
   * const hz = RwLock.inMemory(ram, 0x200, MemoryTypes.u32, { name: "hz" });
   * {
   *   using w = hz.write();
   *   w.value = 100;
   * }
   * using r = RwLock.inMemory(ram, 0x200, MemoryTypes.u32).read();
   * strictEqual(r.value, 100);
   * strictEqual(ram.readU32(0x200), 1); // one reader
   * strictEqual(ram.readU32(0x250), 100); // the data at +80
   * ```
   */
  static inMemory<T = undefined>(
    memory: PhysicalMemory,
    address: number,
    type?: MemoryType<T>,
    options: LockOptions = {},
  ): RwLock<T> {
    placeNextInMemory(RW_LOCK_IN_MEMORY, memory, address, type, options.name);
    return new RwLock<T>(undefined as T, options);
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
    const at = this.#index + STATE;
    const cpu = boundCpu();
    const tag = ownerTag(cpu);
    // Guess the state (free), and learn it from the CAS if the guess fails.
    let expected = 0;
    for (;;) {
      const state = Atomics.compareExchange(words, at, expected, expected + 1);
      if (state === expected) break;
      if (state >= 0) {
        expected = state;
        continue;
      }
      expected = 0;
      if (words[this.#index + WRITER] === tag) {
        throw deadlock(
          this.#read.label,
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
    const at = this.#index + STATE;
    for (;;) {
      const state = Atomics.load(words, at);
      if (state < 0) return undefined;
      if (Atomics.compareExchange(words, at, state, state + 1) === state) {
        return this.#readGuard(ownerTag(boundCpu()));
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
    const index = this.#index;
    const cpu = boundCpu();
    const tag = ownerTag(cpu);
    let state = Atomics.compareExchange(words, index + STATE, 0, WRITE_LOCKED);
    while (state !== 0) {
      if (state < 0 && words[index + WRITER] === tag) {
        throw deadlock(this.#write.label, cpu, "holds", RwLock.prototype.write);
      }
      const slot = this.#slot(tag);
      if (state > 0 && slot >= 0 && words[slot]! > 0) {
        throw deadlock(
          this.#write.label,
          cpu,
          "holds for reading",
          RwLock.prototype.write,
        );
      }
      cpu?.pause();
      state = Atomics.compareExchange(words, index + STATE, 0, WRITE_LOCKED);
    }
    words[index + WRITER] = tag;
    return new MutexGuard(this.#write, 0);
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
    const index = this.#index;
    if (Atomics.compareExchange(words, index + STATE, 0, WRITE_LOCKED) !== 0) {
      return undefined;
    }
    words[index + WRITER] = ownerTag(boundCpu());
    return new MutexGuard(this.#write, 0);
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
    return Math.max(0, Atomics.load(this.#words, this.#index + STATE));
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
    return Atomics.load(this.#words, this.#index + STATE) === WRITE_LOCKED;
  }

  #readGuard(tag: number): RwLockReadGuard<T> {
    const slot = this.#slot(tag);
    if (slot >= 0) this.#words[slot]!++;
    return new MutexGuard(this.#read, slot);
  }

  /** The index of the read count of the owner `tag`, or -1 if untracked. */
  #slot(tag: number): number {
    const owner = tag === NO_CPU_OWNER ? 0 : tag;
    return owner < this.#tracked ? this.#index + READERS + owner : -1;
  }
}
