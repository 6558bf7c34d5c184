import { hex } from "../machine/_hex.ts";
import { bigOffset, checkAlignment, signedHex } from "./_checks.ts";

const TWO_52 = 2 ** 52;
const TWO_52N = 1n << 52n;
const TWO_64N = 1n << 64n;

/**
 * Thrown when a value is not a physical address of x86_64: 52 bits at
 * most, so bits 63..52 must be 0 (Intel SDM 3A §4.1.4: MAXPHYADDR is at
 * most 52). Also thrown when address arithmetic would leave 0 to
 * 2^52 − 1.
 *
 * @example Bit 52 set
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { PhysicalAddress } from "./physical_address.ts";
 *
 * throws(() => new PhysicalAddress(2n ** 52n), InvalidPhysicalAddressError);
 * strictEqual(
 *   new InvalidPhysicalAddressError(2n ** 52n).message,
 *   "0x0010_0000_0000_0000 is not a physical address: bits 63..52 must be 0 (expected 0 to 0x000f_ffff_ffff_ffff)",
 * );
 * ```
 */
export class InvalidPhysicalAddressError extends RangeError {
  /** The offending value, exactly (negative, or 2^52 and above). */
  readonly address: bigint;

  /**
   * Builds the error for `address`.
   *
   * @param address The offending value.
   *
   * @example Below zero
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new InvalidPhysicalAddressError(-1n).address, -1n);
   * ```
   */
  constructor(address: bigint) {
    super(
      `${
        address >= 0n && address < TWO_64N ? hex(address) : signedHex(address)
      } is not a physical address: bits 63..52 must be 0 (expected 0 to 0x000f_ffff_ffff_ffff)`,
    );
    this.name = "InvalidPhysicalAddressError";
    this.address = address;
  }
}

// The value of a physical address given as a number or a bigint, or NaN
// when the integer is outside 0..2^52 − 1. Non-integers throw.
function physicalValue(address: number | bigint): number {
  if (typeof address === "number") {
    if (Number.isInteger(address)) {
      return address >= 0 && address < TWO_52 ? address + 0 : Number.NaN;
    }
    throw new RangeError(
      `Invalid physical address ${address}: expected an integer`,
    );
  }
  if (typeof address === "bigint") {
    return address >= 0n && address < TWO_52N ? Number(address) : Number.NaN;
  }
  throw new TypeError(
    `Invalid physical address ${
      String(address)
    }: expected a number or a bigint`,
  );
}

/**
 * A physical address: 0 to 2^52 − 1, the most that x86_64 paging can
 * address (Intel SDM 3A §4.1.4; the machine's MAXPHYADDR may be lower, and
 * RAM smaller still). The Rust `x86_64` crate's `PhysAddr`. Inside it is
 * a non-negative `number`, exact for every such address.
 *
 * @example The seed's example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const paddr = new PhysicalAddress(0x1000);
 * strictEqual(paddr.isPageAligned(), true);
 * strictEqual(paddr.toString(), "0x0000000000001000");
 * ```
 */
export class PhysicalAddress {
  #value: number;

  /**
   * Makes a physical address, checking that bits 63..52 are 0 (the
   * crate's `PhysAddr::new`).
   *
   * @param address An integer `number` or a `bigint`, 0 to 2^52 − 1.
   * @throws {InvalidPhysicalAddressError} If it is negative or has a bit
   *   of 63..52 set.
   * @throws {RangeError} If a `number` is not an integer.
   * @throws {TypeError} If it is neither a number nor a bigint.
   *
   * @example The largest physical address
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0xf_ffff_ffff_ffffn).value, 2 ** 52 - 1);
   * ```
   */
  constructor(address: number | bigint) {
    if (
      typeof address === "number" && address >= 0 && address < TWO_52 &&
      Math.floor(address) === address
    ) {
      this.#value = address + 0; // no -0
      return;
    }
    const value = physicalValue(address);
    if (value !== value) throw new InvalidPhysicalAddressError(BigInt(address));
    this.#value = value;
  }

  /**
   * Makes a physical address, or returns `undefined` if bits 63..52 are
   * not 0 (the crate's `PhysAddr::try_new`).
   *
   * @param address An integer `number` or a `bigint`.
   * @returns The address, or `undefined`.
   * @throws {RangeError} If a `number` is not an integer.
   * @throws {TypeError} If it is neither a number nor a bigint.
   *
   * @example Invalid and valid values
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysicalAddress.tryNew(-1), undefined);
   * strictEqual(PhysicalAddress.tryNew(0x1000n)?.value, 0x1000);
   * ```
   */
  static tryNew(address: number | bigint): PhysicalAddress | undefined {
    const value = physicalValue(address);
    return value === value ? new PhysicalAddress(value) : undefined;
  }

  /**
   * Makes a physical address from bits 51..0 of a value, dropping the
   * others (the crate's `PhysAddr::new_truncate`). A negative value is
   * taken as two's complement.
   *
   * @param address An integer `number` or a `bigint`.
   * @returns The address.
   * @throws {RangeError} If a `number` is not an integer.
   * @throws {TypeError} If it is neither a number nor a bigint.
   *
   * @example Bits 63..52 dropped
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PhysicalAddress.newTruncate(0xfff0_0000_0000_1000n).value, 0x1000);
   * ```
   */
  static newTruncate(address: number | bigint): PhysicalAddress {
    const value = physicalValue(address);
    if (value === value) return new PhysicalAddress(value);
    return new PhysicalAddress(Number(BigInt.asUintN(52, BigInt(address))));
  }

  /**
   * The address as a `number` (exact).
   *
   * @returns 0 to 2^52 − 1.
   *
   * @example The VGA text buffer
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0xb8000n).value, 0xb8000);
   * ```
   */
  get value(): number {
    return this.#value;
  }

  /**
   * The address as a `bigint` (the crate's `as_u64`).
   *
   * @returns 0 to 2^52 − 1.
   *
   * @example As a bigint
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x1000).toBigInt(), 0x1000n);
   * ```
   */
  toBigInt(): bigint {
    return BigInt(this.#value);
  }

  /**
   * The address as `0x` and 16 lowercase hex digits.
   *
   * @returns The text.
   *
   * @example 16 hex digits
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(`${new PhysicalAddress(0xb8000)}`, "0x00000000000b8000");
   * ```
   */
  toString(): string {
    return `0x${this.#value.toString(16).padStart(16, "0")}`;
  }

  /**
   * Rounds the address up to a multiple of `align`.
   *
   * @param align A power of two from 1 to 2^52.
   * @returns The aligned address.
   * @throws {RangeError} If `align` is not such a power of two.
   * @throws {InvalidPhysicalAddressError} If the result is 2^52 or more.
   *
   * @example Rounding up to a frame
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x1001).alignUp(0x1000).value, 0x2000);
   * ```
   */
  alignUp(align: number | bigint): PhysicalAddress {
    const a = checkAlignment(align, 52);
    const r = Math.ceil(this.#value / a) * a;
    if (r < TWO_52) return new PhysicalAddress(r);
    throw new InvalidPhysicalAddressError(BigInt(r));
  }

  /**
   * Rounds the address down to a multiple of `align`.
   *
   * @param align A power of two from 1 to 2^52.
   * @returns The aligned address.
   * @throws {RangeError} If `align` is not such a power of two.
   *
   * @example Rounding down to 2 MiB
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x20_1234).alignDown(0x20_0000).value, 0x20_0000);
   * ```
   */
  alignDown(align: number | bigint): PhysicalAddress {
    const a = checkAlignment(align, 52);
    return new PhysicalAddress(Math.floor(this.#value / a) * a);
  }

  /**
   * Whether the address is a multiple of `align`.
   *
   * @param align A power of two from 1 to 2^52.
   * @returns Whether it is aligned.
   * @throws {RangeError} If `align` is not such a power of two.
   *
   * @example 1 GiB aligned
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x4000_0000).isAligned(2 ** 30), true);
   * ```
   */
  isAligned(align: number | bigint): boolean {
    const a = checkAlignment(align, 52);
    return Math.floor(this.#value / a) * a === this.#value;
  }

  /**
   * Rounds the address down to the start of its 4 KiB frame.
   *
   * @returns The frame-aligned address.
   *
   * @example The frame start
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0xb8123).alignDownToPage().value, 0xb8000);
   * ```
   */
  alignDownToPage(): PhysicalAddress {
    return new PhysicalAddress(Math.floor(this.#value / 4096) * 4096);
  }

  /**
   * Whether the address is a multiple of 4096.
   *
   * @returns Whether it is 4 KiB aligned.
   *
   * @example Aligned and not
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x1000).isPageAligned(), true);
   * strictEqual(new PhysicalAddress(0x1008).isPageAligned(), false);
   * ```
   */
  isPageAligned(): boolean {
    return (this.#value & 0xfff) === 0;
  }

  /**
   * The offset in the 4 KiB frame: bits 11..0.
   *
   * @returns 0 to 4095.
   *
   * @example The low 12 bits
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x12_3456).pageOffset(), 0x456);
   * ```
   */
  pageOffset(): number {
    return this.#value & 0xfff;
  }

  /**
   * Adds `n` bytes; the result must stay a physical address (the crate's
   * `PhysAddr + u64`).
   *
   * @param n The number of bytes, an integer; negative subtracts.
   * @returns The new address.
   * @throws {InvalidPhysicalAddressError} If the exact sum is below 0 or
   *   2^52 and above; the error carries it.
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example Adding, and leaving 52 bits
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x1000).add(0x234).value, 0x1234);
   * throws(() => new PhysicalAddress(2 ** 52 - 1).add(1), InvalidPhysicalAddressError);
   * ```
   */
  add(n: number | bigint): PhysicalAddress {
    if (typeof n === "number" && n >= -TWO_52 && n <= TWO_52) {
      const r = this.#value + n; // exact: |r| < 2^53
      if (r >= 0 && r < TWO_52 && Math.floor(n) === n) {
        return new PhysicalAddress(r);
      }
    }
    const sum = BigInt(this.#value) + bigOffset(n);
    if (sum >= 0n && sum < TWO_52N) return new PhysicalAddress(Number(sum));
    throw new InvalidPhysicalAddressError(sum);
  }

  /**
   * Subtracts `n` bytes; the result must stay a physical address.
   *
   * @param n The number of bytes, an integer; negative adds.
   * @returns The new address.
   * @throws {InvalidPhysicalAddressError} If the exact difference is below
   *   0 or 2^52 and above.
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example Below zero
   * ```ts
   * import { throws } from "node:assert/strict";
   *
   * throws(() => new PhysicalAddress(0x1000).sub(0x1001), InvalidPhysicalAddressError);
   * ```
   */
  sub(n: number | bigint): PhysicalAddress {
    return this.add(
      typeof n === "bigint" ? -n : typeof n === "number" ? -n : bigOffset(n),
    );
  }

  /**
   * The distance from `other` to this address, in bytes.
   *
   * @param other The other address.
   * @returns `this − other` (exact), negative when this address is lower.
   *
   * @example The distance between two addresses
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x3000).offsetFrom(new PhysicalAddress(0x1000)), 0x2000);
   * ```
   */
  offsetFrom(other: PhysicalAddress): number {
    return this.#value - other.#value;
  }

  /**
   * Whether two addresses are equal.
   *
   * @param other The other address.
   * @returns Whether they are the same address.
   *
   * @example A number and a bigint
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0x1000).equals(new PhysicalAddress(0x1000n)), true);
   * ```
   */
  equals(other: PhysicalAddress): boolean {
    return this.#value === other.#value;
  }

  /**
   * Compares two addresses; usable as a sort comparator.
   *
   * @param other The other address.
   * @returns −1, 0 or 1.
   *
   * @example Ordering
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PhysicalAddress(0).compare(new PhysicalAddress(1)), -1);
   * ```
   */
  compare(other: PhysicalAddress): -1 | 0 | 1 {
    const a = this.#value;
    const b = other.#value;
    return a < b ? -1 : a > b ? 1 : 0;
  }
}
