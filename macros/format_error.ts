/**
 * Thrown for a format string that rustc would reject — unbalanced braces,
 * an unknown trait, missing or unused arguments, a trait the value does not
 * implement, a width over 65535 — naming the position and the reason.
 *
 * @example An unknown trait
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * throws(() => format("{:y}", 1), {
 *   name: "FormatError",
 *   message: "Invalid format string \"{:y}\" at position 2: unknown format trait `y`",
 * });
 * ```
 */
export class FormatError extends Error {
  /** The format string. */
  readonly format: string;
  /** The offset in the format string where the problem is. */
  readonly position: number;
  /** What is wrong. */
  readonly reason: string;

  /**
   * Builds the error.
   *
   * @param format The format string.
   * @param position The offset where the problem is.
   * @param reason What is wrong.
   */
  constructor(format: string, position: number, reason: string) {
    super(
      `Invalid format string ${
        JSON.stringify(format)
      } at position ${position}: ${reason}`,
    );
    this.name = "FormatError";
    this.format = format;
    this.position = position;
    this.reason = reason;
  }
}
