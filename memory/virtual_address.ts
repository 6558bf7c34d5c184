import { hex } from "../machine/_hex.ts";
import { bigOffset, checkAlignment, signedHex } from "./_checks.ts";

const TWO_47 = 2 ** 47;
const TWO_48 = 2 ** 48;
const TWO_52 = 2 ** 52;
const TWO_63N = 1n << 63n;
const TWO_64N = 1n << 64n;
const CANONICAL = "bits 63..48 must copy bit 47";

/**
 * Thrown when a value is not a canonical 48-bit virtual address (Intel SDM
 * 3A §3.3.7.1, §4.5: with 4-level paging, bits 63..48 must equal bit 47),
 * or when address arithmetic would leave the canonical space.
 *
 * @example Catching a non-canonical address
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { VirtualAddress } from "./virtual_address.ts";
 *
 * throws(() => new VirtualAddress(0x0000_8000_0000_0000n), (e) => {
 *   strictEqual(e instanceof NonCanonicalAddressError, true);
 *   strictEqual((e as NonCanonicalAddressError).address, 0x0000_8000_0000_0000n);
 *   return true;
 * });
 * ```
 */
export class NonCanonicalAddressError extends RangeError {
  /**
   * The offending value: the unsigned 64-bit form of a non-canonical
   * address, or, when arithmetic left the 64-bit space, the exact result
   * (negative, or 2^64 and above).
   */
  readonly address: bigint;

  /**
   * Builds the error for `address`.
   *
   * @param address The offending value (see {@linkcode NonCanonicalAddressError.address}).
   * @param hint Extra advice appended to the message.
   *
   * @example The message names the bits
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(
   *   new NonCanonicalAddressError(0x0000_8000_0000_0000n).message,
   *   "0x0000_8000_0000_0000 is not canonical: bits 63..48 must copy bit 47",
   * );
   * ```
   */
  constructor(address: bigint, hint?: string) {
    const inside = address >= 0n && address < TWO_64N;
    super(
      (inside
        ? `${hex(address)} is not canonical: ${CANONICAL}`
        : `${
          signedHex(address)
        } is not canonical: it is outside the 64-bit address space 0..0xffff_ffff_ffff_ffff, and ${CANONICAL}`) +
        (hint === undefined ? "" : ` (${hint})`),
    );
    this.name = "NonCanonicalAddressError";
    this.address = address;
  }
}

// The signed value of a canonical address given in any accepted form, or
// NaN when the integer is not canonical. Non-integers throw.
function signedValue(address: number | bigint): number {
  if (typeof address === "number") {
    if (address >= -TWO_47 && address < TWO_47) {
      if (Math.floor(address) === address) return address + 0; // no -0
    } else if (Number.isInteger(address)) return Number.NaN;
    throw new RangeError(
      `Invalid virtual address ${address}: expected an integer (a number from -2^47 to 2^47 - 1, or a bigint)`,
    );
  }
  if (typeof address === "bigint") {
    if (address < -TWO_63N || address >= TWO_64N) return Number.NaN;
    const signed = BigInt.asIntN(64, address);
    return signed >= -(1n << 47n) && signed < 1n << 47n
      ? Number(signed)
      : Number.NaN;
  }
  throw new TypeError(
    `Invalid virtual address ${String(address)}: expected a number or a bigint`,
  );
}

// The error for an integer that `signedValue` found non-canonical.
function nonCanonical(address: number | bigint): NonCanonicalAddressError {
  const big = BigInt(address);
  const bits = big >= -TWO_63N && big < 0n ? BigInt.asUintN(64, big) : big;
  if (typeof address !== "number") return new NonCanonicalAddressError(bits);
  const signedForm = bits >= TWO_64N - (1n << 47n) && bits < TWO_64N
    ? `, here ${Number(BigInt.asIntN(64, bits))}`
    : "";
  return new NonCanonicalAddressError(
    bits,
    `a number must be the signed form, from -2^47 to 2^47 - 1${signedForm}; pass a bigint for the unsigned form of a higher-half address`,
  );
}

// The sort key of a canonical address: its unsigned value with bits 63..48
// dropped, so keys order as the unsigned addresses do and the higher half
// follows the lower half without a gap (0 to 2^48 − 1).
function key(value: number): number {
  return value < 0 ? value + TWO_48 : value;
}

/**
 * A canonical virtual address of 4-level paging: bits 63..48 copy bit 47
 * (Intel SDM 3A §3.3.7.1 and §4.5), so the addresses are 0 to
 * 0x0000_7fff_ffff_ffff (the lower half) and 0xffff_8000_0000_0000 to
 * 0xffff_ffff_ffff_ffff (the higher half). The Rust `x86_64` crate's
 * `VirtAddr`.
 *
 * Inside it is one `number`, the signed 64-bit value (−2^47 ≤ v < 2^47),
 * which is exact where the unsigned value of a higher-half address is not.
 * At the edge it accepts that number or a `bigint` in the unsigned or the
 * signed form, and {@linkcode VirtualAddress.toBigInt} gives the unsigned
 * form. Comparisons order addresses as unsigned values, as the crate does.
 * It is also accepted wherever an `arch` function takes an address (it has
 * the signed `value`).
 *
 * @example The seed's example, and a higher-half address
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const vaddr = new VirtualAddress(0xdeadbeef);
 * strictEqual(vaddr.alignDownToPage().toString(), "0x00000000deadb000");
 *
 * const kernel = new VirtualAddress(0xffff_8000_0000_1000n);
 * strictEqual(kernel.value, -(2 ** 47) + 0x1000);
 * strictEqual(kernel.toBigInt(), 0xffff_8000_0000_1000n);
 * strictEqual(kernel.p4Index(), 256);
 * ```
 */
export class VirtualAddress {
  #value: number;

  /**
   * Makes a virtual address, checking that it is canonical (the crate's
   * `VirtAddr::new`).
   *
   * @param address A `number` in the signed form (−2^47 to 2^47 − 1), or
   *   a `bigint` in the unsigned (0 to 2^64 − 1) or signed (−2^63 to
   *   2^63 − 1) form. A higher-half address as an unsigned value needs a
   *   `bigint`: `0xffff_8000_0000_1000n`.
   * @throws {NonCanonicalAddressError} If bits 63..48 do not copy bit 47,
   *   the value does not fit 64 bits, or a `number` is outside the signed
   *   range.
   * @throws {RangeError} If a `number` is not an integer.
   * @throws {TypeError} If it is neither a number nor a bigint.
   *
   * @example Numbers and bigints
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(-1).toBigInt(), 0xffff_ffff_ffff_ffffn);
   * strictEqual(new VirtualAddress(-1n).value, -1);
   * throws(() => new VirtualAddress(2 ** 47), NonCanonicalAddressError);
   * ```
   */
  constructor(address: number | bigint) {
    // The common case first: a signed number, as the library passes them.
    if (
      typeof address === "number" && address >= -TWO_47 && address < TWO_47 &&
      Math.floor(address) === address
    ) {
      this.#value = address + 0;
      return;
    }
    const value = signedValue(address);
    if (value !== value) throw nonCanonical(address);
    this.#value = value;
  }

  /**
   * Makes a virtual address, or returns `undefined` if the value is not
   * canonical (the crate's `VirtAddr::try_new`).
   *
   * @param address As for the constructor.
   * @returns The address, or `undefined`.
   * @throws {RangeError} If a `number` is not an integer.
   * @throws {TypeError} If it is neither a number nor a bigint.
   *
   * @example A non-canonical value
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(VirtualAddress.tryNew(0x0000_8000_0000_0000n), undefined);
   * strictEqual(VirtualAddress.tryNew(0x1000)?.value, 0x1000);
   * ```
   */
  static tryNew(address: number | bigint): VirtualAddress | undefined {
    const value = signedValue(address);
    return value === value ? new VirtualAddress(value) : undefined;
  }

  /**
   * Makes a virtual address from the low 48 bits of a value, copying bit
   * 47 into bits 63..48 (the crate's `VirtAddr::new_truncate`). Any bits
   * above 47 are dropped.
   *
   * @param address An integer `number` or a `bigint` (two's complement
   *   when negative).
   * @returns The canonical address.
   * @throws {RangeError} If a `number` is not an integer.
   * @throws {TypeError} If it is neither a number nor a bigint.
   *
   * @example Sign extension of bit 47
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(
   *   VirtualAddress.newTruncate(0x0000_8000_0000_1000n).toBigInt(),
   *   0xffff_8000_0000_1000n,
   * );
   * strictEqual(VirtualAddress.newTruncate(0x1234_0000_0000_5000n).value, 0x5000);
   * ```
   */
  static newTruncate(address: number | bigint): VirtualAddress {
    if (
      typeof address === "number" && address >= -TWO_47 && address < TWO_47
    ) return new VirtualAddress(address);
    return new VirtualAddress(
      Number(BigInt.asIntN(48, bigOffsetOf(address))),
    );
  }

  /**
   * The address as the signed 64-bit value, −2^47 to 2^47 − 1: the form
   * that fits a `number` exactly.
   *
   * @returns The signed value.
   *
   * @example The top of the address space is −1
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0xffff_ffff_ffff_ffffn).value, -1);
   * ```
   */
  get value(): number {
    return this.#value;
  }

  /**
   * The address as an unsigned 64-bit value (the crate's `as_u64`).
   *
   * @returns The value, 0 to 2^64 − 1.
   *
   * @example The unsigned form of −4096
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(-4096).toBigInt(), 0xffff_ffff_ffff_f000n);
   * ```
   */
  toBigInt(): bigint {
    return BigInt.asUintN(64, BigInt(this.#value));
  }

  /**
   * The address as `0x` and 16 lowercase hex digits of the unsigned value.
   *
   * @returns The text.
   *
   * @example The bottom of the higher half
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(`${new VirtualAddress(-(2 ** 47))}`, "0xffff800000000000");
   * ```
   */
  toString(): string {
    return `0x${this.toBigInt().toString(16).padStart(16, "0")}`;
  }

  /**
   * Rounds the address up to a multiple of `align` (the crate's
   * `align_up`).
   *
   * @param align A power of two from 1 to 2^48.
   * @returns The aligned address.
   * @throws {RangeError} If `align` is not such a power of two.
   * @throws {NonCanonicalAddressError} If the result is not canonical, or
   *   would pass 2^64 − 1.
   *
   * @example Rounding up stops at the end of the lower half
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0x1001).alignUp(0x1000).value, 0x2000);
   * throws(() => new VirtualAddress(0x7fff_ffff_f001).alignUp(4096), NonCanonicalAddressError);
   * ```
   */
  alignUp(align: number | bigint): VirtualAddress {
    const a = checkAlignment(align, 48);
    const v = this.#value;
    const r = Math.ceil(v / a) * a;
    if (v < 0 ? r < 0 : r < TWO_47) return new VirtualAddress(r);
    // A higher-half address rounded up to 0 has passed 2^64 − 1.
    throw new NonCanonicalAddressError(v < 0 ? TWO_64N + BigInt(r) : BigInt(r));
  }

  /**
   * Rounds the address down to a multiple of `align` (the crate's
   * `align_down`).
   *
   * @param align A power of two from 1 to 2^48.
   * @returns The aligned address.
   * @throws {RangeError} If `align` is not such a power of two.
   * @throws {NonCanonicalAddressError} For a higher-half address and an
   *   alignment of 2^48 (the result, 0xffff_0000_0000_0000, is not
   *   canonical).
   *
   * @example Rounding down to 2 MiB
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0x20_1234).alignDown(0x20_0000n).value, 0x20_0000);
   * ```
   */
  alignDown(align: number | bigint): VirtualAddress {
    const a = checkAlignment(align, 48);
    const r = Math.floor(this.#value / a) * a;
    if (r >= -TWO_47) return new VirtualAddress(r);
    throw new NonCanonicalAddressError(BigInt.asUintN(64, BigInt(r)));
  }

  /**
   * Whether the address is a multiple of `align` (the crate's
   * `is_aligned`).
   *
   * @param align A power of two from 1 to 2^48.
   * @returns Whether it is aligned.
   * @throws {RangeError} If `align` is not such a power of two.
   *
   * @example 2 MiB aligned or not
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0x20_0000).isAligned(0x20_0000), true);
   * strictEqual(new VirtualAddress(0x20_1000).isAligned(0x20_0000), false);
   * ```
   */
  isAligned(align: number | bigint): boolean {
    const a = checkAlignment(align, 48);
    return Math.floor(this.#value / a) * a === this.#value;
  }

  /**
   * Rounds the address down to the start of its 4 KiB page.
   *
   * @returns The page-aligned address.
   *
   * @example The seed's example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0xdeadbeef).alignDownToPage().value, 0xdeadb000);
   * ```
   */
  alignDownToPage(): VirtualAddress {
    return new VirtualAddress(Math.floor(this.#value / 4096) * 4096);
  }

  /**
   * Whether the address is a multiple of 4096.
   *
   * @returns Whether it is 4 KiB aligned.
   *
   * @example A page start
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0x1000).isPageAligned(), true);
   * ```
   */
  isPageAligned(): boolean {
    return (this.#value & 0xfff) === 0;
  }

  /**
   * The offset in the 4 KiB page: bits 11..0 (the crate's `page_offset`).
   *
   * @returns 0 to 4095.
   *
   * @example The low 12 bits
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0xdeadbeef).pageOffset(), 0xeef);
   * ```
   */
  pageOffset(): number {
    return this.#value & 0xfff;
  }

  /**
   * The index into the PML4 table: bits 47..39 (Intel SDM 3A §4.5).
   *
   * @returns 0 to 511.
   *
   * @example The higher half starts at entry 256
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0xffff_8000_0000_0000n).p4Index(), 256);
   * ```
   */
  p4Index(): number {
    return Math.floor(this.#value / 2 ** 39) & 511;
  }

  /**
   * The index into the page-directory-pointer table: bits 38..30.
   *
   * @returns 0 to 511.
   *
   * @example 256 GiB is PDPT entry 256
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0x40_0000_0000).p3Index(), 256);
   * ```
   */
  p3Index(): number {
    return Math.floor(this.#value / 2 ** 30) & 511;
  }

  /**
   * The index into the page directory: bits 29..21.
   *
   * @returns 0 to 511.
   *
   * @example 2 MiB is PD entry 1
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0x20_0000).p2Index(), 1);
   * ```
   */
  p2Index(): number {
    return (this.#value >>> 21) & 511;
  }

  /**
   * The index into the page table: bits 20..12.
   *
   * @returns 0 to 511.
   *
   * @example The last PT entry
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(0x1f_f000).p1Index(), 511);
   * ```
   */
  p1Index(): number {
    return (this.#value >>> 12) & 511;
  }

  /**
   * The index into the table of a level: 4 (PML4, bits 47..39), 3 (PDPT,
   * 38..30), 2 (PD, 29..21) or 1 (PT, 20..12).
   *
   * @param level The level, 1 to 4.
   * @returns 0 to 511.
   * @throws {RangeError} If the level is not 1, 2, 3 or 4.
   *
   * @example All four indices of the top page
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const a = new VirtualAddress(0xffff_ffff_ffff_f000n);
   * strictEqual([4, 3, 2, 1].map((l) => a.pageTableIndex(l as 1 | 2 | 3 | 4)).join(), "511,511,511,511");
   * ```
   */
  pageTableIndex(level: 1 | 2 | 3 | 4): number {
    switch (level) {
      case 1:
        return this.p1Index();
      case 2:
        return this.p2Index();
      case 3:
        return this.p3Index();
      case 4:
        return this.p4Index();
    }
    throw new RangeError(
      `Invalid page-table level ${level}: expected 1, 2, 3 or 4`,
    );
  }

  /**
   * Adds `n` bytes. As in the crate's `VirtAddr + u64`, the arithmetic is
   * on the unsigned 64-bit value and the result must be canonical: it
   * throws rather than wrap around at 0 or 2^64 or land in the
   * non-canonical hole between 0x0000_7fff_ffff_ffff and
   * 0xffff_8000_0000_0000.
   *
   * @param n The number of bytes, an integer; negative subtracts.
   * @returns The new address.
   * @throws {NonCanonicalAddressError} If the exact sum is not a canonical
   *   address; the error carries that sum.
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example The end of the lower half
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * const top = new VirtualAddress(0x7fff_ffff_f000);
   * strictEqual(top.add(0xfff).toString(), "0x00007fffffffffff");
   * throws(() => top.add(0x1000), NonCanonicalAddressError);
   * ```
   */
  add(n: number | bigint): VirtualAddress {
    const v = this.#value;
    if (typeof n === "number" && n >= -TWO_52 && n <= TWO_52) {
      const r = v + n; // exact: |r| < 2^53
      if (
        (v < 0 ? r >= -TWO_47 && r < 0 : r >= 0 && r < TWO_47) &&
        Math.floor(n) === n
      ) return new VirtualAddress(r);
    }
    const sum = this.toBigInt() + bigOffset(n);
    const signed = BigInt.asIntN(64, sum);
    if (
      sum >= 0n && sum < TWO_64N && signed >= -(1n << 47n) && signed < 1n << 47n
    ) return new VirtualAddress(Number(signed));
    throw new NonCanonicalAddressError(sum);
  }

  /**
   * Subtracts `n` bytes, with the rules of {@linkcode VirtualAddress.add}.
   *
   * @param n The number of bytes, an integer; negative adds.
   * @returns The new address.
   * @throws {NonCanonicalAddressError} If the exact difference is not a
   *   canonical address (below 0 included).
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example Below the higher half
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * const base = new VirtualAddress(0xffff_8000_0000_1000n);
   * strictEqual(base.sub(0x1000).toBigInt(), 0xffff_8000_0000_0000n);
   * throws(() => base.sub(0x1001), NonCanonicalAddressError);
   * throws(() => new VirtualAddress(0).sub(1), NonCanonicalAddressError);
   * ```
   */
  sub(n: number | bigint): VirtualAddress {
    return this.add(
      typeof n === "bigint" ? -n : typeof n === "number" ? -n : bigOffset(n),
    );
  }

  /**
   * The distance from `other` to this address, in bytes, as the
   * difference of the unsigned 64-bit values (so a span across the
   * non-canonical hole counts the hole).
   *
   * @param other The other address.
   * @returns `this − other`, negative when this address is lower.
   *
   * @example Forwards and backwards
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const a = new VirtualAddress(0x3000);
   * strictEqual(a.offsetFrom(new VirtualAddress(0x1000)), 0x2000n);
   * strictEqual(new VirtualAddress(0x1000).offsetFrom(a), -0x2000n);
   * ```
   */
  offsetFrom(other: VirtualAddress): bigint {
    return this.toBigInt() - other.toBigInt();
  }

  /**
   * Whether two addresses are equal.
   *
   * @param other The other address.
   * @returns Whether they are the same address.
   *
   * @example Signed number and unsigned bigint
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new VirtualAddress(-1).equals(new VirtualAddress(0xffff_ffff_ffff_ffffn)), true);
   * ```
   */
  equals(other: VirtualAddress): boolean {
    return this.#value === other.#value;
  }

  /**
   * Compares two addresses as unsigned 64-bit values, as the crate orders
   * `VirtAddr`: every higher-half address is above every lower-half one.
   * Usable as an `Array.prototype.sort` comparator.
   *
   * @param other The other address.
   * @returns −1, 0 or 1.
   *
   * @example The higher half sorts last
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const high = new VirtualAddress(0xffff_8000_0000_0000n);
   * strictEqual(high.compare(new VirtualAddress(0x7fff_ffff_ffff)), 1);
   * ```
   */
  compare(other: VirtualAddress): -1 | 0 | 1 {
    const a = key(this.#value);
    const b = key(other.#value);
    return a < b ? -1 : a > b ? 1 : 0;
  }
}

// A bigint of an integer number, or the bigint itself (for newTruncate).
function bigOffsetOf(address: number | bigint): bigint {
  if (typeof address === "bigint") return address;
  if (typeof address !== "number") {
    throw new TypeError(
      `Invalid virtual address ${
        String(address)
      }: expected a number or a bigint`,
    );
  }
  if (!Number.isInteger(address)) {
    throw new RangeError(
      `Invalid virtual address ${address}: expected an integer`,
    );
  }
  return BigInt(address);
}
