import type { PrintfArguments } from "./printf_arguments.ts";
import type { PrintfOptions } from "./format_printf.ts";
import { printf } from "./_engine.ts";
import { ByteSink, withScratchSink } from "./_sink.ts";

/** Options of {@linkcode vsnprintf}. */
export interface VsnprintfOptions extends PrintfOptions {
  /**
   * Where the bytes go. A buffer gets them from index 0. A function gets
   * them once, as one array: the bytes and the terminating NUL, exactly
   * what C stores at `buf`. Without it nothing is stored, as with
   * `snprintf(NULL, 0, …)`.
   */
  into?: Uint8Array | ((bytes: Uint8Array) => void);
  /**
   * C's `size`: at most `size - 1` bytes and a NUL are stored, nothing at
   * all for 0. Defaults to the buffer's length, or 0 without `into`;
   * needed with a function.
   */
  size?: number;
}

/**
 * C's `vsnprintf` (glibc 2.36): formats as {@linkcode formatPrintf}, stores
 * at most `size - 1` bytes followed by a NUL (nothing at all when `size`
 * is 0), and returns the length of the whole output, which is what would
 * have been stored with room enough. So `n >= size` means it was cut.
 *
 * Only the bytes kept are held in memory, however long the output. Where
 * the call fails, the bytes made before the failure and a NUL are stored
 * first, as glibc leaves them, and then the error is thrown.
 *
 * @param format The format: bytes, or a string that is encoded as UTF-8.
 * @param args Where the arguments come from, as `va_arg` takes them.
 * @param options Where to store (`into`), how much (`size`), and
 *   `readString` for `%s`.
 * @returns The length of the whole output, without the NUL.
 * @throws {PrintfError} As {@linkcode formatPrintf} (where C returns -1),
 *   after storing what glibc stores.
 * @throws {RangeError} For a `size` that is not a non-negative integer, is
 *   over the buffer's length, or is missing with a function.
 *
 * @example Truncation and C's return value
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * import { ArgumentList, vsnprintf } from "./mod.ts";
 *
 * const buffer = new Uint8Array(8).fill(0xaa);
 * const n = vsnprintf("cr3=%#x", new ArgumentList([0x1234_5000]), { into: buffer, size: 6 });
 * strictEqual(n, 14); // "cr3=0x12345000"
 * deepStrictEqual([...buffer], [0x63, 0x72, 0x33, 0x3d, 0x30, 0, 0xaa, 0xaa]); // "cr3=0" NUL
 * strictEqual(vsnprintf("%d", new ArgumentList([-1234])), 5); // measure only
 * ```
 */
export function vsnprintf(
  format: Uint8Array | string,
  args: PrintfArguments,
  options: VsnprintfOptions = {},
): number {
  const into = options.into;
  const size = options.size ??
    (into instanceof Uint8Array ? into.length : into === undefined ? 0 : -1);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(
      into !== undefined && options.size === undefined
        ? "vsnprintf needs options.size with a function in options.into"
        : `Invalid vsnprintf size: expected a non-negative integer, got ${size}`,
    );
  }
  if (into instanceof Uint8Array && size > into.length) {
    throw new RangeError(
      `Invalid vsnprintf size: ${size} is over the buffer's ${into.length} bytes`,
    );
  }
  const limit = size === 0 ? 0 : size - 1;
  if (into === undefined || size === 0) {
    const sink = measuring ?? new ByteSink();
    measuring = undefined;
    try {
      printf(format, args, options.readString, sink.reset(EMPTY, 0, false));
      return sink.length;
    } finally {
      measuring = sink;
    }
  }
  if (into instanceof Uint8Array) {
    // Straight into the caller's buffer, terminated also on failure.
    const sink = new ByteSink().reset(into, limit, false);
    try {
      printf(format, args, options.readString, sink);
    } finally {
      into[sink.kept] = 0;
    }
    return sink.length;
  }
  let failure: unknown;
  const length = withScratchSink(limit, (sink) => {
    try {
      printf(format, args, options.readString, sink);
    } catch (error) {
      failure = error;
    }
  }, (sink) => {
    const stored = new Uint8Array(sink.kept + 1);
    stored.set(sink.bytes.subarray(0, sink.kept));
    into(stored);
    return sink.length;
  });
  if (failure !== undefined) throw failure;
  return length;
}

const EMPTY = new Uint8Array(0);
let measuring: ByteSink | undefined;
