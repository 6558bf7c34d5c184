/**
 * Why a format could not be printed, as the `errno` glibc sets where it
 * fails the same call (`EINVAL`, `EOVERFLOW`, `EILSEQ`), or `ENOTSUP` where
 * glibc would print but this engine refuses (see {@linkcode PrintfError}).
 */
export type PrintfErrorCode = "EINVAL" | "EOVERFLOW" | "EILSEQ" | "ENOTSUP";

/**
 * A C format string that cannot be printed.
 *
 * Where glibc's `snprintf` returns -1, this is thrown with the `errno` glibc
 * sets as {@linkcode PrintfError.code}: `EINVAL` for a format that ends
 * inside a conversion (`"50%"`), `EOVERFLOW` for a width or precision over
 * `INT_MAX` or output longer than `INT_MAX` bytes, `EILSEQ` for a `%lc`
 * character that the C locale cannot encode (anything over 0x7f).
 *
 * `ENOTSUP` marks what glibc would print but this engine refuses: `%n`
 * (it writes to memory), `%m` (it prints `strerror(errno)`), `long double`
 * conversions (`%Lf`, `%llf`, `%qf`), wide strings (`%ls`, `%S`) that are not
 * null, and positional arguments (`%1$d`) that one conversion reads with a
 * type another gives differently (glibc reads the register of the wrong
 * size or file then).
 *
 * @example A `%n` is refused
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { ArgumentList, formatPrintf, PrintfError } from "./mod.ts";
 *
 * throws(
 *   () => formatPrintf("abc%n", new ArgumentList([0x1000n])),
 *   (e) => e instanceof PrintfError && e.code === "ENOTSUP" && e.offset === 3,
 * );
 * ```
 */
export class PrintfError extends Error {
  /** The `errno` glibc sets for this, or `ENOTSUP` for a refusal. */
  readonly code: PrintfErrorCode;
  /** The byte offset in the format of the `%` that failed. */
  readonly offset: number;

  /**
   * Makes the error; the message gets the offset appended.
   *
   * @param message What was wrong and what was expected.
   * @param code The `errno` glibc sets, or `ENOTSUP`.
   * @param offset The byte offset of the `%` in the format.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const error = new PrintfError("Format ends inside a conversion", "EINVAL", 2);
   * strictEqual(error.message, "Format ends inside a conversion (at byte 2 of the format)");
   * strictEqual(error.name, "PrintfError");
   * ```
   */
  constructor(message: string, code: PrintfErrorCode, offset: number) {
    super(`${message} (at byte ${offset} of the format)`);
    this.name = "PrintfError";
    this.code = code;
    this.offset = offset;
  }
}
