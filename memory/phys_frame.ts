import { bigOffset, checkPageSize, rustHex } from "./_checks.ts";
import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
import { type PageSize, Size4KiB } from "./page_size.ts";
import { PhysicalAddress } from "./physical_address.ts";

function toAddress(
  address: PhysicalAddress | number | bigint,
): PhysicalAddress {
  return address instanceof PhysicalAddress
    ? address
    : new PhysicalAddress(address);
}

/**
 * A physical frame: a naturally aligned 4 KiB, 2 MiB or 1 GiB block of
 * physical memory (the Rust `x86_64` crate's `PhysFrame<S>`, with the size
 * a value instead of a type parameter).
 *
 * @example The frame that holds an address
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Size2MiB } from "./page_size.ts";
 *
 * const frame = PhysFrame.containingAddress(0x12_3456);
 * strictEqual(frame.startAddress().value, 0x12_3000);
 * strictEqual(`${frame}`, "PhysFrame[4KiB](0x123000)");
 * strictEqual(PhysFrame.containingAddress(0x12_3456, Size2MiB).startAddress().value, 0);
 * ```
 */
export class PhysFrame {
  #start: PhysicalAddress;
  #size: PageSize;

  private constructor(start: PhysicalAddress, size: PageSize) {
    this.#start = start;
    this.#size = size;
  }

  /**
   * The frame of `size` that holds `address` (the crate's
   * `PhysFrame::containing_address`).
   *
   * @param address A physical address, or a value for `new PhysicalAddress`.
   * @param size The frame size, {@linkcode Size4KiB} by default.
   * @returns The frame.
   * @throws {InvalidPhysicalAddressError} If a value is not a physical
   *   address.
   * @throws {TypeError} If the size is not one of the three page sizes.
   *
   * @example The frame of the VGA text buffer
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysFrame.containingAddress(0xb8fffn).startAddress().value, 0xb8000);
   * ```
   */
  static containingAddress(
    address: PhysicalAddress | number | bigint,
    size: PageSize = Size4KiB,
  ): PhysFrame {
    const s = checkPageSize(size);
    const v = toAddress(address).value;
    return new PhysFrame(
      new PhysicalAddress(Math.floor(v / s.bytes) * s.bytes),
      s,
    );
  }

  /**
   * The frame of `size` that starts at `address` (the crate's
   * `PhysFrame::from_start_address`).
   *
   * @param address A physical address, or a value for `new PhysicalAddress`.
   * @param size The frame size, {@linkcode Size4KiB} by default.
   * @returns The frame.
   * @throws {AddressNotAlignedError} If the address is not a multiple of
   *   the size.
   * @throws {InvalidPhysicalAddressError} If a value is not a physical
   *   address.
   * @throws {TypeError} If the size is not one of the three page sizes.
   *
   * @example A 1 GiB frame must start at a multiple of 1 GiB
   * ```ts
   * import { throws } from "node:assert/strict";
   * import { Size1GiB } from "./page_size.ts";
   * import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
   *
   * PhysFrame.fromStartAddress(0x4000_0000, Size1GiB);
   * throws(() => PhysFrame.fromStartAddress(0x20_0000, Size1GiB), AddressNotAlignedError);
   * ```
   */
  static fromStartAddress(
    address: PhysicalAddress | number | bigint,
    size: PageSize = Size4KiB,
  ): PhysFrame {
    const s = checkPageSize(size);
    const start = toAddress(address);
    const v = start.value;
    if (Math.floor(v / s.bytes) * s.bytes !== v) {
      throw new AddressNotAlignedError(start.toBigInt(), s.bytes);
    }
    return new PhysFrame(start, s);
  }

  /**
   * The frames from `start` up to, not including, `end` (the crate's
   * `PhysFrame::range`).
   *
   * @param start The first frame.
   * @param end The frame after the last.
   * @returns The range.
   * @throws {TypeError} If the frames differ in size.
   *
   * @example The frames of the second MiB
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const range = PhysFrame.range(PhysFrame.containingAddress(0x10_0000), PhysFrame.containingAddress(0x20_0000));
   * strictEqual(range.length, 256);
   * ```
   */
  static range(start: PhysFrame, end: PhysFrame): PhysFrameRange {
    return new PhysFrameRange(start, end);
  }

  /**
   * The frames from `start` to `end`, both included (the crate's
   * `PhysFrame::range_inclusive`).
   *
   * @param start The first frame.
   * @param end The last frame.
   * @returns The range.
   * @throws {TypeError} If the frames differ in size.
   *
   * @example The very last frame of the physical address space
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const last = PhysFrame.containingAddress(2 ** 52 - 1);
   * strictEqual(PhysFrame.rangeInclusive(last, last).length, 1);
   * ```
   */
  static rangeInclusive(
    start: PhysFrame,
    end: PhysFrame,
  ): PhysFrameRangeInclusive {
    return new PhysFrameRangeInclusive(start, end);
  }

  /**
   * The size of the frame.
   *
   * @returns One of {@linkcode Size4KiB}, {@linkcode Size2MiB},
   *   {@linkcode Size1GiB}.
   *
   * @example The default size is 4 KiB
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysFrame.containingAddress(0).size.bytes, 4096);
   * ```
   */
  get size(): PageSize {
    return this.#size;
  }

  /**
   * The first address of the frame.
   *
   * @returns The start address.
   *
   * @example The start of a frame
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysFrame.containingAddress(0x1fff).startAddress().value, 0x1000);
   * ```
   */
  startAddress(): PhysicalAddress {
    return this.#start;
  }

  /**
   * The frame `n` frames above this one.
   *
   * @param n The number of frames, an integer; negative goes down.
   * @returns The frame.
   * @throws {InvalidPhysicalAddressError} If it would start outside 0 to
   *   2^52 − 1.
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example One frame up
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysFrame.containingAddress(0x1000).add(1).startAddress().value, 0x2000);
   * ```
   */
  add(n: number | bigint): PhysFrame {
    const bytes = typeof n === "number" && Number.isInteger(n)
      ? n * this.#size.bytes
      : Number.NaN;
    return new PhysFrame(
      this.#start.add(
        Number.isSafeInteger(bytes)
          ? bytes
          : bigOffset(n) * BigInt(this.#size.bytes),
      ),
      this.#size,
    );
  }

  /**
   * The frame `n` frames below this one.
   *
   * @param n The number of frames, an integer; negative goes up.
   * @returns The frame.
   * @throws {InvalidPhysicalAddressError} If it would start below 0 or at
   *   2^52 and above.
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example Below address 0
   * ```ts
   * import { throws } from "node:assert/strict";
   * import { InvalidPhysicalAddressError } from "./physical_address.ts";
   *
   * throws(() => PhysFrame.containingAddress(0).sub(1), InvalidPhysicalAddressError);
   * ```
   */
  sub(n: number | bigint): PhysFrame {
    return this.add(
      typeof n === "bigint" ? -n : typeof n === "number" ? -n : bigOffset(n),
    );
  }

  /**
   * Whether two frames are the same: same start and same size.
   *
   * @param other The other frame.
   * @returns Whether they are equal.
   *
   * @example Same frame from two addresses
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysFrame.containingAddress(0x1234).equals(PhysFrame.containingAddress(0x1000)), true);
   * ```
   */
  equals(other: PhysFrame): boolean {
    return this.#size === other.#size && this.#start.equals(other.#start);
  }

  /**
   * Compares the start addresses.
   *
   * @param other The other frame.
   * @returns −1, 0 or 1.
   *
   * @example Higher frames sort later
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysFrame.containingAddress(0x2000).compare(PhysFrame.containingAddress(0x1000)), 1);
   * ```
   */
  compare(other: PhysFrame): -1 | 0 | 1 {
    return this.#start.compare(other.#start);
  }

  /**
   * The frame as the crate's `Debug` prints it: `PhysFrame[4KiB](0x1000)`.
   *
   * @returns The text.
   *
   * @example The crate's Debug form
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(`${PhysFrame.containingAddress(0xb8000)}`, "PhysFrame[4KiB](0xb8000)");
   * ```
   */
  toString(): string {
    return `PhysFrame[${this.#size.name}](${rustHex(this.#start.toBigInt())})`;
  }
}

function checkSameSize(start: PhysFrame, end: PhysFrame): void {
  if (start.size !== end.size) {
    throw new TypeError(
      `Invalid frame range from a ${start.size.name} frame to a ${end.size.name} frame: expected frames of one size`,
    );
  }
}

function* framesFrom(
  first: number,
  count: number,
  size: PageSize,
): Generator<PhysFrame, void, undefined> {
  for (let i = 0; i < count; i++) {
    yield PhysFrame.fromStartAddress(first + i * size.bytes, size);
  }
}

/**
 * The frames from `start` up to, not including, `end` (the crate's
 * `PhysFrameRange`), in ascending order; empty when `end` is not above
 * `start`.
 *
 * @example Two frames
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { PhysFrame } from "./phys_frame.ts";
 *
 * const range = PhysFrame.range(PhysFrame.containingAddress(0x1000), PhysFrame.containingAddress(0x3000));
 * deepStrictEqual([...range].map(String), ["PhysFrame[4KiB](0x1000)", "PhysFrame[4KiB](0x2000)"]);
 * ```
 */
export class PhysFrameRange implements Iterable<PhysFrame> {
  #start: PhysFrame;
  #end: PhysFrame;

  /**
   * Builds the range; {@linkcode PhysFrame.range} is the usual way.
   *
   * @param start The first frame.
   * @param end The frame after the last.
   * @throws {TypeError} If the frames differ in size.
   */
  constructor(start: PhysFrame, end: PhysFrame) {
    checkSameSize(start, end);
    this.#start = start;
    this.#end = end;
  }

  /**
   * The first frame.
   *
   * @returns The frame.
   */
  get start(): PhysFrame {
    return this.#start;
  }

  /**
   * The frame after the last.
   *
   * @returns The frame.
   */
  get end(): PhysFrame {
    return this.#end;
  }

  /**
   * The number of frames.
   *
   * @returns The count, 0 when empty.
   */
  get length(): number {
    const n = this.#end.startAddress().offsetFrom(this.#start.startAddress()) /
      this.#start.size.bytes;
    return n > 0 ? n : 0;
  }

  /**
   * Whether the range holds no frame.
   *
   * @returns Whether `end` is not above `start`.
   */
  isEmpty(): boolean {
    return this.length === 0;
  }

  /**
   * The frames in ascending order.
   *
   * @returns An iterator.
   */
  [Symbol.iterator](): Iterator<PhysFrame> {
    return framesFrom(
      this.#start.startAddress().value,
      this.length,
      this.#start.size,
    );
  }

  /**
   * The range as the crate's `Debug` prints it.
   *
   * @returns `PhysFrameRange { start: …, end: … }`.
   */
  toString(): string {
    return `PhysFrameRange { start: ${this.#start}, end: ${this.#end} }`;
  }
}

/**
 * The frames from `start` to `end`, both included (the crate's
 * `PhysFrameRangeInclusive`); empty when `end` is below `start`.
 *
 * @example Four 2 MiB frames, and an empty range
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PhysFrame } from "./phys_frame.ts";
 * import { Size2MiB } from "./page_size.ts";
 *
 * const first = PhysFrame.containingAddress(0, Size2MiB);
 * strictEqual(PhysFrame.rangeInclusive(first, first.add(3)).length, 4);
 * strictEqual(PhysFrame.rangeInclusive(first.add(1), first).isEmpty(), true);
 * ```
 */
export class PhysFrameRangeInclusive implements Iterable<PhysFrame> {
  #start: PhysFrame;
  #end: PhysFrame;

  /**
   * Builds the range; {@linkcode PhysFrame.rangeInclusive} is the usual
   * way.
   *
   * @param start The first frame.
   * @param end The last frame.
   * @throws {TypeError} If the frames differ in size.
   */
  constructor(start: PhysFrame, end: PhysFrame) {
    checkSameSize(start, end);
    this.#start = start;
    this.#end = end;
  }

  /**
   * The first frame.
   *
   * @returns The frame.
   */
  get start(): PhysFrame {
    return this.#start;
  }

  /**
   * The last frame.
   *
   * @returns The frame.
   */
  get end(): PhysFrame {
    return this.#end;
  }

  /**
   * The number of frames.
   *
   * @returns The count, 0 when empty.
   */
  get length(): number {
    const n = this.#end.startAddress().offsetFrom(this.#start.startAddress()) /
      this.#start.size.bytes;
    return n >= 0 ? n + 1 : 0;
  }

  /**
   * Whether the range holds no frame.
   *
   * @returns Whether `end` is below `start`.
   */
  isEmpty(): boolean {
    return this.length === 0;
  }

  /**
   * The frames in ascending order.
   *
   * @returns An iterator.
   */
  [Symbol.iterator](): Iterator<PhysFrame> {
    return framesFrom(
      this.#start.startAddress().value,
      this.length,
      this.#start.size,
    );
  }

  /**
   * The range as the crate's `Debug` prints it.
   *
   * @returns `PhysFrameRangeInclusive { start: …, end: … }`.
   */
  toString(): string {
    return `PhysFrameRangeInclusive { start: ${this.#start}, end: ${this.#end} }`;
  }
}
