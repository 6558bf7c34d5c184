/**
 * An asynchronous channel between CPUs for the tiny kernel: a lock-free
 * single-producer single-consumer ring of fixed 64-byte slots in machine
 * memory. One CPU sends, another receives; each makes its own
 * {@linkcode Channel} object over the same physical address (JS objects
 * cannot cross Workers, the RAM is shared).
 *
 * ## Layout (at a 64-byte-aligned physical address)
 *
 * | offset | size | contents |
 * |---|---|---|
 * | 0 | 4 | magic 0x4E41_4843 |
 * | 4 | 4 | capacity: slots, a power of two from 2 to 2^20 |
 * | 8 | 4 | the wake vector (0: the receiver never halts) |
 * | 12 | 4 | the sleeping receiver: its APIC ID + 1, 0 while it runs |
 * | 64 | 4 | head: messages received so far (a free-running u32), written by the receiver only |
 * | 128 | 4 | tail: messages sent so far (a free-running u32), written by the sender only |
 * | 192 | 64 × capacity | the slots: message `i` in slot `i mod capacity`, as a u32 length then up to 60 bytes |
 *
 * Head and tail each own a 64-byte line, so the two CPUs write different
 * lines; the ring is empty when head = tail and full when tail − head =
 * capacity (mod 2^32).
 *
 * ## Memory ordering
 *
 * The indexes are read and written with `Atomics` (sequentially
 * consistent, which includes the release and acquire that the ring
 * needs); the slots with plain accesses.
 *
 * - The sender writes a slot, then `Atomics.store`s tail + 1 (release):
 *   every write to the slot happens before the new tail is visible.
 * - The receiver `Atomics.load`s tail (acquire) and only then reads the
 *   slots below it; it reads a slot, then `Atomics.store`s head + 1
 *   (release), and the sender reuses the slot only after it has
 *   `Atomics.load`ed that head (acquire). So a slot is never written while
 *   it is read, and no read sees a half-written message.
 * - Each side keeps the other's index as it last loaded it and loads it
 *   again only when the ring looks full (sender) or empty (receiver): the
 *   indexes only grow, so a stale copy is merely pessimistic, and a stream
 *   of messages touches the other side's line once per batch.
 * - Halting receiver: it stores "sleeping" then loads tail; the sender
 *   stores tail then loads "sleeping". Sequential consistency guarantees
 *   that one of them sees the other's store, so either the receiver finds
 *   the message or the sender sends the wake IPI — no lost wake-up; and
 *   `sti; hlt` takes the IPI only once `hlt` waits (the `sti` shadow).
 *
 * On x86_64 the same protocol needs no fence: TSO keeps stores in order
 * and loads in order, so the kernel's plain `mov`s are release and
 * acquire; only the halting handshake needs the full fence of `xchg`.
 *
 * @example One CPU, a round trip through the ring
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * import { Machine } from "@exo-kernel/core/machine";
 * import { Channel } from "./channel.ts";
 *
 * const machine = new Machine({ ramSize: 4 << 20 });
 * const channel = Channel.create(machine.memory, 0x20_0000, { capacity: 4 });
 * strictEqual(channel.trySend(new Uint8Array([1, 2, 3])), true);
 * deepStrictEqual(channel.tryReceive(), new Uint8Array([1, 2, 3]));
 * strictEqual(channel.tryReceive(), undefined);
 * ```
 *
 * @module
 */
import { boundCpu, type Cpu, currentCpu } from "@exo-kernel/core/machine";
import type { PhysicalMemory } from "@exo-kernel/core/memory";

/** The bytes of a slot. */
export const SLOT_SIZE = 64;
/** The longest message: a slot less its length word. */
export const MAX_PAYLOAD = SLOT_SIZE - 4;
/** The bytes of the header, before the slots. */
export const CHANNEL_HEADER_SIZE = 192;
/** The most slots a channel can have. */
export const MAX_CAPACITY = 1 << 20;

const MAGIC = 0x4e41_4843; // "CHAN"
const CAPACITY = 1; // word indexes in the header
const WAKE_VECTOR = 2;
const SLEEPER = 3;
const HEAD = 64 / 4;
const TAIL = 128 / 4;
const ICR_LOW = 0xfee0_0300;
const ICR_HIGH = 0xfee0_0310;
const IF = 1 << 9;

/** The settings of {@linkcode Channel.create}. */
export interface ChannelOptions {
  /** The slots: a power of two from 2 to {@linkcode MAX_CAPACITY}. */
  readonly capacity: number;
  /**
   * The vector of the fixed IPI that wakes a receiver halted in
   * {@linkcode Channel.waitHalted}, 16 to 255; 0 (the default) for a
   * channel whose receiver only polls.
   */
  readonly wakeVector?: number;
}

/**
 * One side's view of a channel in machine memory: the sender uses
 * {@linkcode Channel.send} and {@linkcode Channel.trySend}, the receiver
 * {@linkcode Channel.receive}, {@linkcode Channel.tryReceive} and their
 * `Into` forms. One sender and one receiver at a time (they may be the
 * same CPU).
 */
export class Channel {
  /** The channel's physical address. */
  readonly address: number;
  /** Its slots. */
  readonly capacity: number;
  /** Its wake vector (0: none). */
  readonly wakeVector: number;
  #words: Int32Array;
  #bytes: Uint8Array;
  #head: number; // word indexes of head and tail
  #tail: number;
  #sleeper: number;
  #slots: number; // byte address of slot 0
  #mask: number;
  // The other side's index as last loaded (see the module's doc).
  #headSeen: number;
  #tailSeen: number;

  private constructor(memory: PhysicalMemory, address: number) {
    this.address = address;
    this.#words = new Int32Array(memory.buffer, 0, memory.size >> 2);
    this.#bytes = new Uint8Array(memory.buffer, 0, memory.size);
    const w = this.#words;
    const at = address >> 2;
    this.capacity = Atomics.load(w, at + CAPACITY);
    this.wakeVector = Atomics.load(w, at + WAKE_VECTOR);
    this.#head = at + HEAD;
    this.#tail = at + TAIL;
    this.#sleeper = at + SLEEPER;
    this.#slots = address + CHANNEL_HEADER_SIZE;
    this.#mask = this.capacity - 1;
    this.#headSeen = Atomics.load(w, this.#head);
    this.#tailSeen = Atomics.load(w, this.#tail);
  }

  /**
   * The bytes a channel of `capacity` slots takes.
   *
   * @param capacity The slots.
   * @returns The header and the slots.
   */
  static sizeFor(capacity: number): number {
    return CHANNEL_HEADER_SIZE + capacity * SLOT_SIZE;
  }

  /**
   * Writes an empty channel at `address`: the header, with head = tail = 0.
   * Make it before either side uses it (before the other CPU starts, or
   * tell it through memory afterwards).
   *
   * @param memory The machine's RAM.
   * @param address Where: a multiple of 64.
   * @param options The capacity and the wake vector.
   * @returns The creator's view.
   * @throws {RangeError} If the address, capacity or vector is invalid,
   *   or the channel does not fit in RAM.
   */
  static create(
    memory: PhysicalMemory,
    address: number,
    options: ChannelOptions,
  ): Channel {
    const { capacity, wakeVector = 0 } = options;
    if (
      !Number.isInteger(capacity) || capacity < 2 ||
      capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0
    ) {
      throw new RangeError(
        `Invalid channel capacity ${capacity}: expected a power of two from 2 to ${MAX_CAPACITY}`,
      );
    }
    if (
      !Number.isInteger(wakeVector) ||
      (wakeVector !== 0 && (wakeVector < 16 || wakeVector > 255))
    ) {
      throw new RangeError(
        `Invalid wake vector ${wakeVector}: expected 0 (none) or 16 to 255`,
      );
    }
    checkAddress(memory, address, Channel.sizeFor(capacity));
    memory.fill(address, CHANNEL_HEADER_SIZE, 0);
    const w = new Int32Array(memory.buffer, 0, memory.size >> 2);
    const at = address >> 2;
    w[at + CAPACITY] = capacity;
    w[at + WAKE_VECTOR] = wakeVector;
    Atomics.store(w, at, MAGIC); // last: the header is whole once it reads
    return new Channel(memory, address);
  }

  /**
   * A view of the channel at `address`, made by {@linkcode Channel.create}
   * (on this CPU or another).
   *
   * @param memory The machine's RAM.
   * @param address The channel's physical address.
   * @returns The view.
   * @throws {RangeError} If no channel is there.
   */
  static attach(memory: PhysicalMemory, address: number): Channel {
    checkAddress(memory, address, CHANNEL_HEADER_SIZE);
    const w = new Int32Array(memory.buffer, 0, memory.size >> 2);
    if (Atomics.load(w, address >> 2) !== MAGIC) {
      throw new RangeError(`No channel at 0x${address.toString(16)}`);
    }
    return new Channel(memory, address);
  }

  /** The messages in the ring now (a snapshot). */
  get length(): number {
    const w = this.#words;
    return (Atomics.load(w, this.#tail) - Atomics.load(w, this.#head)) >>> 0;
  }

  /**
   * Sends `message` if a slot is free; never waits.
   *
   * @param message Up to {@linkcode MAX_PAYLOAD} bytes.
   * @returns `false` if the ring was full.
   * @throws {RangeError} If the message is longer than a slot holds.
   */
  trySend(message: Uint8Array): boolean {
    const length = message.length;
    if (length > MAX_PAYLOAD) throw tooLong(length);
    const w = this.#words;
    const tail = w[this.#tail]!; // ours: only this side writes it
    if (((tail - this.#headSeen) >>> 0) >= this.capacity) {
      this.#headSeen = Atomics.load(w, this.#head);
      if (((tail - this.#headSeen) >>> 0) >= this.capacity) return false;
    }
    const slot = this.#slots + (tail & this.#mask) * SLOT_SIZE;
    w[slot >> 2] = length;
    const bytes = this.#bytes;
    for (let i = 0, at = slot + 4; i < length; i++) bytes[at + i] = message[i]!;
    Atomics.store(w, this.#tail, (tail + 1) | 0);
    if (this.wakeVector !== 0) {
      const sleeper = Atomics.load(w, this.#sleeper);
      if (sleeper !== 0) this.#wake(sleeper - 1);
    }
    return true;
  }

  /**
   * Sends `message`, polling (`pause`) while the ring is full.
   *
   * @param message Up to {@linkcode MAX_PAYLOAD} bytes.
   * @throws {RangeError} If the message is longer than a slot holds.
   */
  send(message: Uint8Array): void {
    if (this.trySend(message)) return;
    const cpu = boundCpu();
    while (!this.trySend(message)) cpu?.pause();
  }

  /**
   * Receives the next message into `buffer` if there is one; never waits.
   *
   * @param buffer Where the bytes go; {@linkcode MAX_PAYLOAD} bytes always
   *   suffice.
   * @returns The message's length, or -1 if the ring was empty.
   * @throws {RangeError} If the message does not fit in `buffer` (it
   *   stays in the ring).
   */
  tryReceiveInto(buffer: Uint8Array): number {
    const w = this.#words;
    const head = w[this.#head]!; // ours: only this side writes it
    if (head === this.#tailSeen) {
      this.#tailSeen = Atomics.load(w, this.#tail);
      if (head === this.#tailSeen) return -1;
    }
    const slot = this.#slots + (head & this.#mask) * SLOT_SIZE;
    const length = w[slot >> 2]!;
    if (length > buffer.length) {
      throw new RangeError(
        `A message of ${length} bytes does not fit a buffer of ${buffer.length}`,
      );
    }
    const bytes = this.#bytes;
    for (let i = 0, at = slot + 4; i < length; i++) buffer[i] = bytes[at + i]!;
    Atomics.store(w, this.#head, (head + 1) | 0);
    return length;
  }

  /**
   * Receives the next message into `buffer`, polling (`pause`) while the
   * ring is empty.
   *
   * @param buffer Where the bytes go.
   * @returns The message's length.
   * @throws {RangeError} If the message does not fit in `buffer`.
   */
  receiveInto(buffer: Uint8Array): number {
    let length = this.tryReceiveInto(buffer);
    if (length >= 0) return length;
    const cpu = boundCpu();
    while ((length = this.tryReceiveInto(buffer)) < 0) cpu?.pause();
    return length;
  }

  /**
   * Receives the next message if there is one; never waits.
   *
   * @returns A copy of the message, or `undefined` if the ring was empty.
   */
  tryReceive(): Uint8Array | undefined {
    const length = this.tryReceiveInto(scratch);
    return length < 0 ? undefined : scratch.slice(0, length);
  }

  /**
   * Receives the next message, polling (`pause`) while the ring is empty.
   *
   * @returns A copy of the message.
   */
  receive(): Uint8Array {
    return scratch.slice(0, this.receiveInto(scratch));
  }

  /**
   * Halts this CPU until the ring is not empty (the receiver's side):
   * with interrupts off it says that it sleeps, looks once more, then
   * `sti; hlt`; the sender's fixed IPI at the wake vector ends the `hlt`.
   * The kernel must have an IDT gate for the vector whose handler writes
   * the local APIC's EOI, and its APIC software-enabled (SVR bit 8).
   * RFLAGS.IF is as before on return.
   *
   * @throws {Error} If the channel has no wake vector.
   */
  waitHalted(): void {
    if (this.wakeVector === 0) {
      throw new Error(
        "Channel has no wake vector: create it with one to let its receiver halt",
      );
    }
    const cpu = currentCpu();
    const w = this.#words;
    const wasOn = (cpu.readRflags() & IF) !== 0;
    for (;;) {
      cpu.cli();
      Atomics.store(w, this.#sleeper, cpu.id + 1); // APIC ID = CPU number
      const empty = w[this.#head] === Atomics.load(w, this.#tail);
      if (!empty) break;
      cpu.sti();
      cpu.hlt(); // the IPI's handler runs here
    }
    Atomics.store(w, this.#sleeper, 0);
    if (wasOn) cpu.sti();
  }

  // Sends the wake IPI: fixed, physical destination, to the sleeper.
  #wake(apicId: number): void {
    const cpu: Cpu = currentCpu();
    cpu.writeU32(ICR_HIGH, apicId << 24 >>> 0);
    cpu.writeU32(ICR_LOW, 0x4000 | this.wakeVector); // level assert, fixed
  }
}

const scratch = new Uint8Array(MAX_PAYLOAD);

function tooLong(length: number): RangeError {
  return new RangeError(
    `A message of ${length} bytes does not fit a slot: expected at most ${MAX_PAYLOAD}`,
  );
}

function checkAddress(
  memory: PhysicalMemory,
  address: number,
  size: number,
): void {
  if (
    !Number.isInteger(address) || address < 0 || address % 64 !== 0 ||
    address + size > memory.size
  ) {
    throw new RangeError(
      `Invalid channel address ${address}: expected a multiple of 64 with ${size} bytes of RAM`,
    );
  }
}
