import { hex } from "../machine/_hex.ts";

/** The `va_list` field that {@linkcode VaListError} found wrong. */
export type VaListField = "gp_offset" | "fp_offset";

const EXPECTED: Record<VaListField, string> = {
  gp_offset: "a multiple of 8 from 0 to 48",
  fp_offset: "a multiple of 16 from 48 to 176",
};

/**
 * Thrown when the 24 bytes of a System V AMD64 `va_list` (ABI §3.5.7)
 * cannot have been made by `va_start` and `va_arg`: `gp_offset` must be
 * 0, 8, …, 48 (the next of rdi..r9 in the register save area, 48 when all
 * are used) and `fp_offset` 48, 64, …, 176 (the next of xmm0..xmm7).
 * Anything else would read the wrong slots, so a kernel handed such a
 * `va_list` (by a buggy or hostile caller) gets this error instead.
 *
 * @example A gp_offset that is not a multiple of 8
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const error = new VaListError(0x7fff_ffff_e000n, "gp_offset", 44);
 * strictEqual(error.name, "VaListError");
 * strictEqual(
 *   error.message,
 *   "Invalid va_list at 0x0000_7fff_ffff_e000: gp_offset is 44, expected a multiple of 8 from 0 to 48",
 * );
 * ```
 */
export class VaListError extends Error {
  /** The address of the `va_list` struct, as an unsigned 64-bit value. */
  readonly address: bigint;
  /** The field that is wrong. */
  readonly field: VaListField;
  /** The value the field holds. */
  readonly value: number;

  /**
   * Builds the error.
   *
   * @param address The address of the `va_list` struct, as an unsigned
   *   64-bit value.
   * @param field The field that is wrong.
   * @param value The value the field holds.
   *
   * @example An fp_offset below the XMM part of the save area
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const error = new VaListError(0x1000n, "fp_offset", 40);
   * strictEqual(error.field, "fp_offset");
   * strictEqual(error.value, 40);
   * strictEqual(
   *   error.message,
   *   "Invalid va_list at 0x0000_0000_0000_1000: fp_offset is 40, expected a multiple of 16 from 48 to 176",
   * );
   * ```
   */
  constructor(address: bigint, field: VaListField, value: number) {
    super(
      `Invalid va_list at ${hex(address)}: ${field} is ${value}, expected ${
        EXPECTED[field]
      }`,
    );
    this.name = "VaListError";
    this.address = address;
    this.field = field;
    this.value = value;
  }
}
