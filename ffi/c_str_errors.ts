// The errors of CStr and CString, with the meaning (and, sentence case
// aside, the words) of Rust's `Display` for them (rustc 1.95).
import { byteSize, hex } from "../machine/_hex.ts";

/** Why {@linkcode FromBytesWithNulError} was thrown: Rust's variant names. */
export type FromBytesWithNulErrorKind = "InteriorNul" | "NotNulTerminated";

/**
 * Thrown by `CStr.fromBytesWithNul` when the bytes are not exactly one C
 * string: a nul byte before the last byte (`InteriorNul`, with its
 * position), or no nul byte at the end (`NotNulTerminated`), as Rust's
 * `core::ffi::FromBytesWithNulError`.
 *
 * @example Both kinds
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const interior = new FromBytesWithNulError("InteriorNul", 1);
 * strictEqual(interior.message, "Data provided contains an interior nul byte at byte position 1");
 * strictEqual(interior.position, 1);
 * const unterminated = new FromBytesWithNulError("NotNulTerminated");
 * strictEqual(unterminated.message, "Data provided is not nul terminated");
 * strictEqual(unterminated.position, undefined);
 * ```
 */
export class FromBytesWithNulError extends Error {
  /** What was wrong: an interior nul, or no nul at the end. */
  readonly kind: FromBytesWithNulErrorKind;
  /** The offset of the first nul byte, for `InteriorNul`; else `undefined`. */
  readonly position: number | undefined;

  /**
   * Builds the error.
   *
   * @param kind `"InteriorNul"` or `"NotNulTerminated"`.
   * @param position The offset of the first nul byte, for `"InteriorNul"`.
   *
   * @example An interior nul at offset 3
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new FromBytesWithNulError("InteriorNul", 3).kind, "InteriorNul");
   * ```
   */
  constructor(kind: FromBytesWithNulErrorKind, position?: number) {
    super(
      kind === "InteriorNul"
        ? `Data provided contains an interior nul byte at byte position ${position}`
        : "Data provided is not nul terminated",
    );
    this.name = "FromBytesWithNulError";
    this.kind = kind;
    this.position = kind === "InteriorNul" ? position : undefined;
  }
}

/**
 * Thrown by `CStr.fromBytesUntilNul` when the bytes hold no nul byte at
 * all, as Rust's `core::ffi::FromBytesUntilNulError`.
 *
 * @example The message
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(new FromBytesUntilNulError().message, "Data provided does not contain a nul");
 * ```
 */
export class FromBytesUntilNulError extends Error {
  /**
   * Builds the error.
   *
   * @example Its name
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new FromBytesUntilNulError().name, "FromBytesUntilNulError");
   * ```
   */
  constructor() {
    super("Data provided does not contain a nul");
    this.name = "FromBytesUntilNulError";
  }
}

/**
 * Thrown by `CStr.toStr` when the bytes are not UTF-8, with the fields of
 * Rust's `std::str::Utf8Error`: `validUpTo`, the length of the longest valid
 * prefix, and `errorLen`, the length of the invalid sequence that starts
 * there (1 to 3), or `undefined` when the bytes end in the middle of a
 * sequence that more bytes could have completed (Rust's `None`).
 *
 * @example A lone continuation byte, and a truncated euro sign
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(new Utf8Error(2, 1).message, "Invalid utf-8 sequence of 1 bytes from index 2");
 * strictEqual(new Utf8Error(2, undefined).message, "Incomplete utf-8 byte sequence from index 2");
 * ```
 */
export class Utf8Error extends Error {
  /** The length of the longest valid UTF-8 prefix, in bytes. */
  readonly validUpTo: number;
  /**
   * The length of the invalid sequence at `validUpTo` (1 to 3), or
   * `undefined` when the input ends inside an incomplete sequence.
   */
  readonly errorLen: number | undefined;

  /**
   * Builds the error.
   *
   * @param validUpTo The length of the valid prefix.
   * @param errorLen The length of the invalid sequence, or `undefined` for
   *   an incomplete one at the end.
   *
   * @example The fields
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const error = new Utf8Error(4, 3);
   * strictEqual(error.validUpTo, 4);
   * strictEqual(error.errorLen, 3);
   * ```
   */
  constructor(validUpTo: number, errorLen: number | undefined) {
    // Rust's words, "of 1 bytes" included.
    super(
      errorLen === undefined
        ? `Incomplete utf-8 byte sequence from index ${validUpTo}`
        : `Invalid utf-8 sequence of ${errorLen} bytes from index ${validUpTo}`,
    );
    this.name = "Utf8Error";
    this.validUpTo = validUpTo;
    this.errorLen = errorLen;
  }
}

/**
 * Thrown by `CString.new` (and `cstr`) when the data holds a nul byte: a C
 * string cannot contain one. Like Rust's `alloc::ffi::NulError`, it keeps
 * the position of the first nul byte and the bytes given.
 *
 * @example The position and the bytes
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const error = new NulError(1, Uint8Array.of(0x61, 0, 0x62));
 * strictEqual(error.message, "Nul byte found in provided data at position: 1");
 * strictEqual(error.position, 1);
 * deepStrictEqual([...error.bytes], [0x61, 0, 0x62]);
 * ```
 */
export class NulError extends Error {
  /** The offset of the first nul byte (Rust's `nul_position()`). */
  readonly position: number;
  /** The bytes that were given (Rust's `into_vec()`). */
  readonly bytes: Uint8Array;

  /**
   * Builds the error.
   *
   * @param position The offset of the first nul byte.
   * @param bytes The bytes that were given.
   * @param message The message, when a caller says more than Rust's
   *   "Nul byte found in provided data at position: N".
   *
   * @example A message of its own
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const error = new NulError(0, Uint8Array.of(0), "Invalid literal: nul at 0");
   * strictEqual(error.message, "Invalid literal: nul at 0");
   * ```
   */
  constructor(position: number, bytes: Uint8Array, message?: string) {
    super(
      message ?? `Nul byte found in provided data at position: ${position}`,
    );
    this.name = "NulError";
    this.position = position;
    this.bytes = bytes;
  }
}

/**
 * Thrown by `CStr.fromPtr` when no nul byte ends the string within
 * `maxLength` bytes: a bound instead of a read through all of memory (in C,
 * `strlen` of an unterminated buffer). No byte past `address + maxLength`
 * is read.
 *
 * @example The message names the address and the bound
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   new CStrTooLongError(0x20_0000n, 4096).message,
 *   "C string at 0x0000_0000_0020_0000 is longer than 4 KiB: no nul byte in its first 4097 bytes (raise options.maxLength to read a longer one)",
 * );
 * ```
 */
export class CStrTooLongError extends RangeError {
  /** The address of the string, as an unsigned 64-bit value. */
  readonly address: bigint;
  /** The longest string that was allowed, in bytes without the nul. */
  readonly maxLength: number;

  /**
   * Builds the error.
   *
   * @param address The address of the string, as an unsigned 64-bit value.
   * @param maxLength The longest string allowed, in bytes without the nul.
   *
   * @example The fields
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const error = new CStrTooLongError(0x1000n, 16);
   * strictEqual(error.address, 0x1000n);
   * strictEqual(error.maxLength, 16);
   * ```
   */
  constructor(address: bigint, maxLength: number) {
    super(
      `C string at ${hex(address)} is longer than ${
        maxLength === 1 ? "1 byte" : byteSize(maxLength)
      }: no nul byte in its first ${
        maxLength === 0 ? "byte" : `${maxLength + 1} bytes`
      } (raise options.maxLength to read a longer one)`,
    );
    this.name = "CStrTooLongError";
    this.address = address;
    this.maxLength = maxLength;
  }
}
