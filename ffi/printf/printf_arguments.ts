/**
 * Where printf takes its variadic arguments from, one at a time in order,
 * as C's `va_arg` does. The System V `VaList` over machine memory has
 * these accessors, so it can be passed as it is.
 *
 * Which accessor a conversion calls (x86_64, System V LP64):
 *
 * | conversion | accessor |
 * |---|---|
 * | `%d %i` (`%hhd %hd` read the promoted `int`), `*` width and precision, `%c`, `%lc` | `i32()` |
 * | `%u %o %x %X %b %B` (and `hh`, `h`) | `u32()` |
 * | `%ld %lld %jd %zd %td %Ld` | `i64()` |
 * | `%lu %llu %ju %zu %tu %lx …` | `u64()` |
 * | `%f %F %e %E %g %G %a %A` (and `l`) | `f64()` |
 * | `%s %p` | `ptr()` |
 *
 * With positional arguments (`%2$d`) glibc reads every argument first, in
 * order, by the type its conversion gives: `i32()` for an `int` (and for
 * an argument that no conversion names), `i64()` for a `long`, `ptr()`
 * for a pointer and `f64()` for a `double`.
 *
 * @example A source over a fixed list of 64-bit register values
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { formatPrintf, type PrintfArguments } from "./mod.ts";
 *
 * const registers = [42n, -1n];
 * let next = 0;
 * const args: PrintfArguments = {
 *   i32: () => Number(BigInt.asIntN(32, registers[next++]!)),
 *   u32: () => Number(BigInt.asUintN(32, registers[next++]!)),
 *   i64: () => BigInt.asIntN(64, registers[next++]!),
 *   u64: () => BigInt.asUintN(64, registers[next++]!),
 *   f64: () => 0,
 *   ptr: () => BigInt.asUintN(64, registers[next++]!),
 * };
 * strictEqual(new TextDecoder().decode(formatPrintf("%d %lx", args)), "42 ffffffffffffffff");
 * ```
 */
export interface PrintfArguments {
  /** The next argument as a C `int`. */
  i32(): number;
  /** The next argument as a C `unsigned int`. */
  u32(): number;
  /** The next argument as a C `long` (64 bits). */
  i64(): bigint;
  /** The next argument as a C `unsigned long` (64 bits). */
  u64(): bigint;
  /** The next floating-point argument, a C `double`. */
  f64(): number;
  /** The next argument as a pointer (an unsigned 64-bit address). */
  ptr(): bigint;
}

/**
 * Reads the C string at `pointer` for `%s`: its bytes up to, not including,
 * the first NUL, and at most `limit` bytes. `limit` is the precision where
 * one is given (`%.3s`: glibc then reads at most that many bytes, and the
 * string needs no NUL), otherwise `Infinity`. Never called with a null
 * pointer: glibc prints `(null)` for that itself.
 *
 * Bytes returned past a NUL or past `limit` are ignored.
 *
 * @example Strings kept in a map by address
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ArgumentList, formatPrintf, type ReadCString } from "./mod.ts";
 *
 * const memory = new Map([[0x1000n, new TextEncoder().encode("kernel")]]);
 * const readString: ReadCString = (pointer, limit) =>
 *   memory.get(pointer)!.subarray(0, limit);
 * const out = formatPrintf("[%.3s]", new ArgumentList([0x1000n]), { readString });
 * strictEqual(new TextDecoder().decode(out), "[ker]");
 * ```
 */
export type ReadCString = (pointer: bigint, limit: number) => Uint8Array;
