import { boundCpu } from "../machine/current_cpu.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { deadlock, ownerTag } from "./_owner.ts";
import { type Layout, ownPlace, placeNextInMemory } from "./_place.ts";
import type { MemoryType } from "./memory_type.ts";
import type { LockOptions } from "./mutex.ts";
import { type GuardedLock, MutexGuard } from "./mutex_guard.ts";

// The words, from the lock's first.
/**
 * The tickets, as Linux's x86 ticket spinlock kept them: now serving in
 * bits 15..0 (the `u16` at +0), the next ticket in bits 31..16 (the `u16`
 * at +2). One `Atomics.add` of {@linkcode ONE_TICKET} to the whole word
 * takes a ticket and reads whom it serves; a release adds 1 to the `u16`
 * at +0 alone, so it wraps there without carrying into the next ticket.
 */
const TICKETS = 0;
/** A ticket, in the tickets word: 1 in bits 31..16 (a carry out is dropped). */
const ONE_TICKET = 0x1_0000;
/**
 * The holder's tag, only for deadlock detection. It is read and written
 * with plain (non-atomic) accesses, which halves the cost of a lock: only
 * the CPU whose tag it holds writes that tag and clears it, and that CPU
 * sees its own writes in order, so it never takes a stale word for its own
 * (other CPUs only ever find a tag that is not theirs, or 0); the
 * `Atomics.add` on now-serving orders the clearing before the next holder.
 */
const OWNER = 1;

/** Two words; in memory, the data at +8. */
const TICKET_MUTEX: Layout = { kind: "TicketMutex", words: 2 };

/**
 * A FIFO-fair spinlock (a ticket lock, as `spin`'s `TicketMutex` and
 * Linux's x86 spinlock before queued spinlocks): `lock()` takes the next
 * ticket with one `Atomics.add` and spins (with `pause`) until the
 * now-serving count reaches it, so CPUs get the lock in the order they
 * asked for it and none starves. Unlocking advances now-serving by one.
 *
 * Both counts are 16-bit halves of one `Int32` word and wrap at 2^16 (so
 * up to 65,535 CPUs may wait); a second word holds the owner (CPU id + 1,
 * or -1 outside `Machine.run`). The guard is a {@linkcode MutexGuard}, and
 * locking a ticket mutex the calling CPU holds throws a
 * {@linkcode DeadlockError} (before taking a ticket, so the lock stays
 * usable).
 *
 * As {@linkcode Mutex}, it has two forms: `new TicketMutex(value)` keeps
 * its words in a `SharedArrayBuffer` of its own and a JS value, for one CPU
 * (one Worker); {@linkcode TicketMutex.inMemory} keeps words and data in
 * machine RAM, shared by every CPU that makes one at the same address:
 *
 * | offset | size | contents |
 * | --- | --- | --- |
 * | +0 | 2 | ticket now served (`u16`) |
 * | +2 | 2 | next ticket to hand out (`u16`; equal to now served when free) |
 * | +4 | 4 | owner: CPU id + 1, -1 outside `Machine.run`, 0 when free |
 * | +8 | `type.size` | the data, as `type` lays it out (none without a type) |
 *
 * Zeroed memory is a free ticket mutex with no tickets taken.
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
  // The same memory as u16s, for now serving (the tickets word's low half
  // on the little-endian hosts Deno runs on).
  #halves: Uint16Array;
  #index: number;
  #held: GuardedLock<T>;

  /**
   * Creates an unlocked ticket mutex around a JS value (the one-CPU form).
   *
   * @param value The data.
   * @param options The name used in error messages.
   */
  constructor(value: T, options: LockOptions = {}) {
    const place = ownPlace(TICKET_MUTEX, value, options.name);
    const { words, index } = place;
    const halves = new Uint16Array(words.buffer, words.byteOffset);
    const serving = 2 * (index + TICKETS);
    this.#words = words;
    this.#halves = halves;
    this.#index = index;
    this.#held = {
      cell: place.cell,
      label: place.label,
      writable: true,
      release: () => {
        words[index + OWNER] = 0; // a plain write: see OWNER
        Atomics.add(halves, serving, 1);
      },
    };
  }

  /**
   * The ticket mutex whose two words are at `address` of machine memory
   * and whose data, of `type`, is at `address + 8` (see the layout in the
   * class description), shared by the CPUs of every Worker. Nothing is
   * written: zeroed memory is a free ticket mutex, and two `inMemory` ones
   * at one address are one lock.
   *
   * @typeParam T The type of the data; `undefined` without a `type`.
   * @param memory The machine's RAM (`machine.memory`).
   * @param address The physical address of the first word: a multiple of 4,
   *   and of the data's alignment less 8.
   * @param type How the data is laid out; none (`undefined` data) if absent.
   * @param options The name used in error messages.
   * @returns The ticket mutex.
   * @throws {RangeError} If `address` is not such an integer, or the words
   *   and data do not fit RAM.
   *
   * @example A run queue length in machine memory
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/mod.ts";
   * import { MemoryTypes } from "./memory_type.ts";
   *
   * const ram = new PhysicalMemory(1 << 16);
   * const a = TicketMutex.inMemory(ram, 0x100, MemoryTypes.u16);
   * const b = TicketMutex.inMemory(ram, 0x100, MemoryTypes.u16); // the same
   * {
   *   using n = a.lock();
   *   n.value = 3;
   *   strictEqual(b.queueLength(), 1);
   * }
   * strictEqual(b.lock().value, 3);
   * strictEqual(ram.readU16(0x108), 3);
   * ```
   */
  static inMemory<T = undefined>(
    memory: PhysicalMemory,
    address: number,
    type?: MemoryType<T>,
    options: LockOptions = {},
  ): TicketMutex<T> {
    placeNextInMemory(TICKET_MUTEX, memory, address, type, options.name);
    return new TicketMutex<T>(undefined as T, options);
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
    const index = this.#index;
    const cpu = boundCpu();
    const tag = ownerTag(cpu);
    if (words[index + OWNER] === tag) {
      throw deadlock(
        this.#held.label,
        cpu,
        "holds",
        TicketMutex.prototype.lock,
      );
    }
    const tickets = Atomics.add(words, index + TICKETS, ONE_TICKET);
    const ticket = tickets >>> 16;
    if ((tickets & 0xffff) !== ticket) {
      const halves = this.#halves;
      const serving = 2 * (index + TICKETS);
      while (Atomics.load(halves, serving) !== ticket) cpu?.pause();
    }
    words[index + OWNER] = tag;
    return new MutexGuard(this.#held, 0);
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
    const index = this.#index;
    const at = index + TICKETS;
    const tickets = Atomics.load(words, at);
    if (
      tickets >>> 16 !== (tickets & 0xffff) ||
      Atomics.compareExchange(words, at, tickets, tickets + ONE_TICKET | 0) !==
        tickets
    ) {
      return undefined;
    }
    words[index + OWNER] = ownerTag(boundCpu());
    return new MutexGuard(this.#held, 0);
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
    return this.queueLength() !== 0;
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
    const tickets = Atomics.load(this.#words, this.#index + TICKETS);
    return ((tickets >>> 16) - (tickets & 0xffff)) & 0xffff;
  }
}
