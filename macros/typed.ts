/** The Rust types a {@linkcode Typed} value can have. */
export type RustType =
  | "u8"
  | "u16"
  | "u32"
  | "u64"
  | "usize"
  | "i8"
  | "i16"
  | "i32"
  | "i64"
  | "isize"
  | "f64"
  | "char";

/**
 * A value with an exact Rust type, made by {@linkcode u8}, {@linkcode i32},
 * {@linkcode f64}, {@linkcode char} and their siblings, so that `format`
 * prints it as Rust prints that type: `format("{:x}", i32(-1))` is
 * `ffffffff`, not the 64-bit `ffffffffffffffff` of a plain `-1`.
 */
export class Typed {
  /** The Rust type. */
  readonly type: RustType;
  /**
   * The value: a `number` for types up to 32 bits and `f64`, a `bigint`
   * for the 64-bit integers, a one-code-point `string` for `char`.
   */
  readonly value: number | bigint | string;

  /**
   * Wraps a value that has already been checked against its type; use the
   * helper functions, which check.
   *
   * @param type The Rust type.
   * @param value The value.
   */
  constructor(type: RustType, value: number | bigint | string) {
    this.type = type;
    this.value = value;
  }
}

function small(type: RustType, value: number, min: number, max: number): Typed {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Invalid ${type} ${value}: expected an integer from ${min} to ${max}`,
    );
  }
  return new Typed(type, value);
}

function wide(
  type: RustType,
  value: number | bigint,
  min: bigint,
  max: bigint,
): Typed {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(
      `Invalid ${type} ${value}: expected a safe integer or a bigint from ${min} to ${max}`,
    );
  }
  const big = BigInt(value);
  if (big < min || big > max) {
    throw new RangeError(
      `Invalid ${type} ${value}: expected an integer from ${min} to ${max}`,
    );
  }
  return new Typed(type, big);
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * A Rust `u8`.
 *
 * @param value An integer from 0 to 255.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:#010b}", u8(5)), "0b00000101");
 * ```
 */
export function u8(value: number): Typed {
  return small("u8", value, 0, 0xff);
}

/**
 * A Rust `u16`.
 *
 * @param value An integer from 0 to 65535.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:#x}", u16(0x3f8)), "0x3f8");
 * ```
 */
export function u16(value: number): Typed {
  return small("u16", value, 0, 0xffff);
}

/**
 * A Rust `u32`.
 *
 * @param value An integer from 0 to 2^32 − 1.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:08X}", u32(0xfee0_0900)), "FEE00900");
 * ```
 */
export function u32(value: number): Typed {
  return small("u32", value, 0, 0xffff_ffff);
}

/**
 * A Rust `u64`.
 *
 * @param value An integer from 0 to 2^64 − 1: a `bigint`, or a safe integer.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{}", u64(2n ** 64n - 1n)), "18446744073709551615");
 * ```
 */
export function u64(value: number | bigint): Typed {
  return wide("u64", value, 0n, U64_MAX);
}

/**
 * A Rust `usize` (64 bits on x86_64).
 *
 * @param value An integer from 0 to 2^64 − 1: a `bigint`, or a safe integer.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:?}", usize(4096)), "4096");
 * ```
 */
export function usize(value: number | bigint): Typed {
  return wide("usize", value, 0n, U64_MAX);
}

/**
 * A Rust `i8`.
 *
 * @param value An integer from −128 to 127.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:x}", i8(-1)), "ff");
 * ```
 */
export function i8(value: number): Typed {
  return small("i8", value, -0x80, 0x7f);
}

/**
 * A Rust `i16`.
 *
 * @param value An integer from −32768 to 32767.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:o}", i16(-1)), "177777");
 * ```
 */
export function i16(value: number): Typed {
  return small("i16", value, -0x8000, 0x7fff);
}

/**
 * A Rust `i32`.
 *
 * @param value An integer from −2^31 to 2^31 − 1.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:x}", i32(-1)), "ffffffff");
 * ```
 */
export function i32(value: number): Typed {
  return small("i32", value, -0x8000_0000, 0x7fff_ffff);
}

/**
 * A Rust `i64`.
 *
 * @param value An integer from −2^63 to 2^63 − 1: a `bigint`, or a safe
 *   integer.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{}", i64(-(2n ** 63n))), "-9223372036854775808");
 * ```
 */
export function i64(value: number | bigint): Typed {
  return wide("i64", value, I64_MIN, I64_MAX);
}

/**
 * A Rust `isize` (64 bits on x86_64).
 *
 * @param value An integer from −2^63 to 2^63 − 1: a `bigint`, or a safe
 *   integer.
 * @returns The typed value.
 * @throws {RangeError} If the value is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:+}", isize(7)), "+7");
 * ```
 */
export function isize(value: number | bigint): Typed {
  return wide("isize", value, I64_MIN, I64_MAX);
}

/**
 * A Rust `f64`: an integral value still prints as a float (`{:?}` of
 * `f64(1)` is `1.0`).
 *
 * @param value Any number.
 * @returns The typed value.
 * @throws {RangeError} If the value is not a number.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:?}", f64(1)), "1.0");
 * ```
 */
export function f64(value: number): Typed {
  if (typeof value !== "number") {
    throw new RangeError(`Invalid f64 ${value}: expected a number`);
  }
  return new Typed("f64", value);
}

/**
 * A Rust `char`: one Unicode scalar value.
 *
 * @param value A string of exactly one code point, not a lone surrogate.
 * @returns The typed value.
 * @throws {RangeError} If the string is not exactly one scalar value.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("{:?}", char("é")), "'é'");
 * ```
 */
export function char(value: string): Typed {
  const code = value.codePointAt(0);
  if (
    code === undefined || value.length !== (code > 0xffff ? 2 : 1) ||
    (code >= 0xd800 && code <= 0xdfff)
  ) {
    throw new RangeError(
      `Invalid char ${
        JSON.stringify(value)
      }: expected exactly one Unicode scalar value`,
    );
  }
  return new Typed("char", value);
}
