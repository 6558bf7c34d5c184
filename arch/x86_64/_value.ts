/** The two u32 halves of a 64-bit value (one shared scratch object). */
export interface Halves {
  /** Bits 31..0. */
  low: number;
  /** Bits 63..32. */
  high: number;
}

const scratch: Halves = { low: 0, high: 0 };
const TWO_32 = 2 ** 32;

/**
 * Splits a 64-bit register value into halves. A `bigint` is taken as
 * 64 bits (from −2^63 to 2^64 − 1, negative as two's complement); a
 * `number` must be a safe integer and is sign-extended when negative, so a
 * canonical higher-half address kept as a signed number works.
 *
 * @returns The shared scratch object: read it before the next call.
 * @throws {RangeError} If the value does not fit.
 */
export function splitU64(value: number | bigint, what: string): Halves {
  if (typeof value === "bigint") {
    if (value < -(2n ** 63n) || value >= 2n ** 64n) {
      throw new RangeError(`Invalid ${what} ${value}: expected a 64-bit value`);
    }
    const v = BigInt.asUintN(64, value);
    scratch.low = Number(v & 0xffff_ffffn);
    scratch.high = Number(v >> 32n);
    return scratch;
  }
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(
      `Invalid ${what} ${value}: expected a safe integer or a bigint`,
    );
  }
  const high = Math.floor(value / TWO_32);
  scratch.low = value - high * TWO_32;
  scratch.high = high >>> 0;
  return scratch;
}

/**
 * Splits the value of a register whose defined bits all lie in 31..0
 * (CR0, CR4, CR8, EFER). A `number` is taken as a 32-bit pattern, so the
 * negative result of a JS bitwise operator such as `readCr0() | Cr0Flags.WP`
 * means bit 31 set, not a negative value; a `bigint` gives all 64 bits.
 *
 * @returns The shared scratch object: read it before the next call.
 * @throws {RangeError} If the value does not fit.
 */
export function splitFlags(value: number | bigint, what: string): Halves {
  if (typeof value === "bigint") return splitU64(value, what);
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= TWO_32) {
    throw new RangeError(
      `Invalid ${what} ${value}: expected a 32-bit integer, or a bigint for bits 63..32`,
    );
  }
  scratch.low = value >>> 0;
  scratch.high = 0;
  return scratch;
}
