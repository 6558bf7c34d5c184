/**
 * A C `printf` family that prints what glibc 2.36 prints on x86_64, byte
 * for byte: {@linkcode formatPrintf} (`sprintf`, returning bytes) and
 * {@linkcode vsnprintf} (C's truncation and return value), over any
 * {@linkcode PrintfArguments} source, such as the System V `VaList` or an
 * {@linkcode ArgumentList}.
 *
 * @example `snprintf` of a page-fault line
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ArgumentList, formatPrintf, vsnprintf } from "./mod.ts";
 *
 * const args = () => new ArgumentList([0x7fff_0000_1000n, 7, 0.25]);
 * const format = "#PF at %#018lx, error %u, %.1f%%";
 * const line = formatPrintf(format, args());
 * strictEqual(new TextDecoder().decode(line), "#PF at 0x00007fff00001000, error 7, 0.2%");
 * strictEqual(vsnprintf(format, args()), line.length);
 * ```
 *
 * @module
 */
export * from "./argument_list.ts";
export * from "./format_printf.ts";
export * from "./printf_arguments.ts";
export * from "./printf_error.ts";
export * from "./vsnprintf.ts";
