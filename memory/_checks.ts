// Input checks shared by the address, page and frame types of this folder.
import { hex } from "../machine/_hex.ts";
import { type PageSize, Size1GiB, Size2MiB, Size4KiB } from "./page_size.ts";

/**
 * Checks an alignment: a power of two from 1 to 2^maxLog2, given as a
 * number or a bigint.
 *
 * @returns The alignment as a number (exact: at most 2^52).
 * @throws {RangeError} If it is not such a power of two.
 */
export function checkAlignment(
  align: number | bigint,
  maxLog2: number,
): number {
  // The common case: a number up to 2^31, tested with integer bit operations.
  if (
    typeof align === "number" && align >= 1 && align <= 0x8000_0000 &&
    (align & (align - 1)) === 0 && Math.floor(align) === align
  ) return align;
  const a = typeof align === "bigint" && align > 0n && align <= 2n ** 53n
    ? Number(align)
    : align;
  if (
    typeof a === "number" && a >= 1 && a <= 2 ** maxLog2 &&
    2 ** Math.round(Math.log2(a)) === a
  ) {
    return a;
  }
  throw new RangeError(
    `Invalid alignment ${align}: expected a power of two from 1 to 2^${maxLog2}`,
  );
}

/**
 * Converts an integer offset to a bigint.
 *
 * @throws {RangeError} If a number is not an integer.
 * @throws {TypeError} If it is neither a number nor a bigint.
 */
export function bigOffset(n: number | bigint): bigint {
  if (typeof n === "bigint") return n;
  if (typeof n !== "number") {
    throw new TypeError(
      `Invalid offset ${String(n)}: expected a number or a bigint`,
    );
  }
  if (!Number.isInteger(n)) {
    throw new RangeError(`Invalid offset ${n}: expected an integer`);
  }
  return BigInt(n);
}

/**
 * Formats a possibly negative bigint in the grouped hex of the error
 * messages: `-0x0000_0000_0000_1000` for −4096.
 */
export function signedHex(value: bigint): string {
  return value < 0n ? `-${hex(-value)}` : hex(value);
}

/** `0x` and the unsigned value in lowercase hex, like Rust's `{:#x}`. */
export function rustHex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/**
 * Checks a page size: one of the three constants, or an object equal to
 * one of them (then the constant is returned, so sizes compare with `===`).
 *
 * @throws {TypeError} If it is none of them.
 */
export function checkPageSize(size: PageSize): PageSize {
  if (size === Size4KiB || size === Size2MiB || size === Size1GiB) return size;
  for (const known of [Size4KiB, Size2MiB, Size1GiB]) {
    if (
      typeof size === "object" && size !== null &&
      size.bytes === known.bytes && size.name === known.name &&
      size.level === known.level
    ) return known;
  }
  throw new TypeError(
    `Invalid page size ${
      JSON.stringify(size)
    }: expected Size4KiB, Size2MiB or Size1GiB`,
  );
}
