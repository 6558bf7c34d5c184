import type { PrintfArguments, ReadCString } from "./printf_arguments.ts";
import { printf } from "./_engine.ts";
import { copyOut, withScratchSink } from "./_sink.ts";

/** Options of {@linkcode formatPrintf} and {@linkcode vsnprintf}. */
export interface PrintfOptions {
  /**
   * Reads the C string of a `%s` argument. Needed only where a `%s` gets
   * a pointer that is not null.
   */
  readString?: ReadCString;
}

/**
 * Formats like C's `sprintf` in glibc 2.36 on x86_64, byte for byte, and
 * returns the bytes (no NUL after them; they need not be UTF-8).
 *
 * The format is a C string: it ends at its first NUL byte, if it has one.
 * Conversions: `d i u o x X b B c s p % f F e E g G a A`, `C` and `S`;
 * flags `- + space # 0` and glibc's `'` and `I` (no effect in the C
 * locale); width and precision, also as `*` (a negative `*` width means
 * `-`, a negative `*` precision none); length modifiers `hh h l ll j z Z t
 * q L` (`L` and `q` as `ll` for integers); positional arguments (`%2$d`,
 * `%1$*2$d`) with glibc's rules. As glibc does, `%p` prints `(nil)` for a
 * null pointer, `%s` prints `(null)` for one (nothing when the precision
 * is below 6), a conversion glibc does not know prints itself back (`%y`,
 * and the rest of the format is then read as glibc's positional mode
 * reads it), and doubles print exactly (`%.60f`, `%f` of 1e308), rounded
 * half to even on the exact value, `%a` too.
 *
 * @param format The format: bytes, or a string that is encoded as UTF-8.
 * @param args Where the arguments come from, as `va_arg` takes them.
 * @param options `readString` for `%s`.
 * @returns The formatted bytes. Short results are views into a shared
 *   pool buffer, as Node.js gives small `Buffer`s: use the view, not its
 *   `.buffer`.
 * @throws {PrintfError} Where glibc fails the call (`code` is its errno:
 *   `EINVAL` for a format ending inside a conversion, `EOVERFLOW` for a
 *   width, precision or output over INT_MAX, `EILSEQ` for a `%lc` over
 *   0x7f), and `ENOTSUP` for `%n`, `%m`, `long double` (`%Lf`), a wide
 *   string (`%ls`) that is not null, and positional arguments read as two
 *   types.
 *
 * @example glibc's output
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ArgumentList, formatPrintf } from "./mod.ts";
 *
 * const text = (format: string, ...values: (number | bigint)[]) =>
 *   new TextDecoder().decode(formatPrintf(format, new ArgumentList(values)));
 * strictEqual(text("%08.3f|%-6d|%+.2e", -3.14159, 42, 12345.678), "-003.142|42    |+1.23e+04");
 * strictEqual(text("%#x %#o %p %p", 255, 8, 0, 0xb8000), "0xff 010 (nil) 0xb8000");
 * strictEqual(text("%.0f %.0f %a %.1a", 0.5, 1.5, 1.0, 1.09375), "0 2 0x1p+0 0x1.2p+0");
 * strictEqual(text("%g %g %#g", 1e-5, 123456789, 1.5), "1e-05 1.23457e+08 1.50000");
 * strictEqual(text("%2$s %1$d", 7, 0), "(null) 7");
 * ```
 */
export function formatPrintf(
  format: Uint8Array | string,
  args: PrintfArguments,
  options: PrintfOptions = {},
): Uint8Array {
  return withScratchSink(
    Infinity,
    (sink) => printf(format, args, options.readString, sink),
    (sink) => copyOut(sink.bytes, sink.kept),
  );
}
