import { signedAddress, type VirtualAddressLike } from "../arch/x86_64/tlb.ts";
import { currentCpu } from "../machine/current_cpu.ts";
import { kwrite } from "../macros/kprint.ts";
import { CStr } from "./c_str.ts";
import { formatPrintf } from "./printf/format_printf.ts";
import type { PrintfArguments } from "./printf/printf_arguments.ts";
import { vsnprintf } from "./printf/vsnprintf.ts";

export type { VirtualAddressLike };

/**
 * A C format string: its address in machine memory (a `const char *`, read
 * up to its NUL through the MMU), a {@linkcode CStr}, or its bytes or text.
 */
export type CFormat = VirtualAddressLike | CStr | Uint8Array | string;

/**
 * Reads the C string of a `%s` argument through the current CPU's MMU:
 * page by page up to its NUL, or `limit` bytes when a precision is given
 * (then, as glibc, no NUL is needed and no byte past the limit is read). A
 * bad pointer faults as `strnlen` would.
 *
 * @param pointer The string's address.
 * @param limit At most this many bytes.
 * @returns The bytes before the NUL.
 */
export function readCString(pointer: bigint, limit: number): Uint8Array {
  if (limit === Infinity) return CStr.fromPtr(pointer).toBytes();
  const cpu = currentCpu();
  const start = signedAddress(pointer);
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < limit) {
    const at = start + length;
    const chunk = cpu.readBytes(
      at,
      Math.min(limit - length, 0x1000 - (at & 0xfff)),
    );
    const nul = chunk.indexOf(0);
    const part = nul < 0 ? chunk : chunk.subarray(0, nul);
    parts.push(part);
    length += part.length;
    if (nul >= 0) break;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let done = 0;
  for (const part of parts) {
    out.set(part, done);
    done += part.length;
  }
  return out;
}

/**
 * C's `vsprintf` over machine memory: formats `format` (which may itself
 * be a pointer into machine memory) with `args` — typically a `VaList` —
 * reading `%s` strings through the MMU, and returns the bytes, exactly as
 * glibc 2.36 prints them.
 *
 * @param format The format.
 * @param args The arguments, as `va_arg` takes them.
 * @returns The bytes (no NUL).
 * @throws {PrintfError} Where glibc fails, and for `%n`.
 *
 * @example `%s` reads a string in machine memory
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { currentCpu, Machine } from "../machine/mod.ts";
 * import { ArgumentList } from "./printf/mod.ts";
 *
 * new Machine().run(() => {
 *   const name = new TextEncoder().encode("idle\0");
 *   const at = 0x20_0000;
 *   currentCpu().writeBytes(at, name);
 *   const out = sprintf("[%-6s|%.2s]", new ArgumentList([BigInt(at), BigInt(at)]));
 *   strictEqual(new TextDecoder().decode(out), "[idle  |id]");
 * });
 * ```
 */
export function sprintf(format: CFormat, args: PrintfArguments): Uint8Array {
  return formatPrintf(formatBytes(format), args, { readString: readCString });
}

/**
 * C's `vsnprintf(buffer, size, format, args)` into machine memory: stores
 * at most `size - 1` bytes and a NUL at `buffer` (nothing when `size` is
 * 0), through the MMU, and returns the length of the whole output (so a
 * result ≥ `size` means the output was cut), as glibc.
 *
 * @param buffer Where the output goes.
 * @param size C's `size`.
 * @param format The format.
 * @param args The arguments.
 * @returns The length of the whole output.
 * @throws {PrintfError} Where glibc returns -1; what was formatted before
 *   the failure is stored with its NUL, as glibc leaves it.
 *
 * @example Truncation
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 * import { ArgumentList } from "./printf/mod.ts";
 *
 * const machine = new Machine();
 * machine.run(() => {
 *   strictEqual(vsnprintfAt(0x20_0000, 4, "%d", new ArgumentList([12345])), 5);
 * });
 * strictEqual(machine.memory.readU32(0x20_0000), 0x0033_3231); // "123" NUL
 * ```
 */
export function vsnprintfAt(
  buffer: VirtualAddressLike,
  size: number,
  format: CFormat,
  args: PrintfArguments,
): number {
  const address = signedAddress(buffer);
  return vsnprintf(formatBytes(format), args, {
    size,
    into: (bytes) => currentCpu().writeBytes(address, bytes),
    readString: readCString,
  });
}

/**
 * C's `vprintf` to the serial port COM1, as a kernel's `printk`: the
 * output of {@linkcode sprintf}, each byte through the 16550 protocol
 * (`\n` goes out as `\r\n`, as kprintln sends it).
 *
 * @param format The format.
 * @param args The arguments.
 * @returns The number of bytes printed (before `\r` insertion).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine, MemorySink } from "../machine/mod.ts";
 * import { ArgumentList } from "./printf/mod.ts";
 *
 * const sink = new MemorySink();
 * new Machine({ sink }).run(() => {
 *   kprintf("%s: %#06x\n", new ArgumentList([0n, 0x2a]));
 * });
 * strictEqual(sink.text(), "(null): 0x002a\r\n");
 * ```
 */
export function kprintf(format: CFormat, args: PrintfArguments): number {
  const bytes = sprintf(format, args);
  kwrite(bytes);
  return bytes.length;
}

function formatBytes(format: CFormat): Uint8Array | string {
  if (typeof format === "string" || format instanceof Uint8Array) return format;
  if (format instanceof CStr) return format.toBytes();
  return CStr.fromPtr(format).toBytes();
}
