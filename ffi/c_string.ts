import type { VirtualAddressLike } from "../arch/x86_64/tlb.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { writeBytes } from "../memory/virtual_memory.ts";
import { CStr } from "./c_str.ts";
import { NulError } from "./c_str_errors.ts";
import { utf8Bytes } from "./_c_str_utf8.ts";

export type { PhysicalMemory, VirtualAddressLike };

/**
 * An owned C string: bytes without a nul, kept with the nul that ends
 * them — the seed's `CString` (Rust's `alloc::ffi::CString`). Build it
 * from a string (as UTF-8) or bytes with {@linkcode CString.new}, look at
 * it as a {@linkcode CStr}, and place it in machine memory for C code
 * with {@linkcode CString.writeTo}.
 *
 * @example A C string for a driver
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const path = CString.new("/dev/ttyS0");
 * strictEqual(path.asCStr().length, 10);
 * deepStrictEqual([...CString.new("hi").intoBytesWithNul()], [0x68, 0x69, 0]);
 * ```
 */
export class CString {
  readonly #cStr: CStr;

  /**
   * Builds a C string from a string (encoded as UTF-8) or bytes, as Rust's
   * `CString::new`; the same as {@linkcode CString.new}.
   *
   * @param value The text or the bytes, without a nul; the bytes are
   *   copied.
   * @throws {NulError} If it holds a nul byte, with the position of the
   *   first one and the bytes.
   * @throws {TypeError} If a string holds a lone surrogate.
   *
   * @example With `new`
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new CString("eth0").asCStr().toStr(), "eth0");
   * ```
   */
  constructor(value: string | Uint8Array) {
    const bytes = typeof value === "string"
      ? utf8Bytes(value, "C string")
      : value;
    const nul = bytes.indexOf(0);
    if (nul >= 0) throw new NulError(nul, bytes.slice());
    const withNul = new Uint8Array(bytes.length + 1);
    withNul.set(bytes);
    this.#cStr = CStr.fromBytesWithNul(withNul);
  }

  /**
   * Builds a C string from a string (encoded as UTF-8) or bytes: Rust's
   * `CString::new`, spelled the seed's way.
   *
   * @param value The text or the bytes, without a nul; the bytes are
   *   copied.
   * @returns The C string.
   * @throws {NulError} If it holds a nul byte, with the position of the
   *   first one and the bytes (as Rust's `NulError`).
   * @throws {TypeError} If a string holds a lone surrogate.
   *
   * @example An interior nul
   * ```ts
   * import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
   * import { NulError } from "./c_str_errors.ts";
import { utf8Bytes } from "./_c_str_utf8.ts";
   *
   * throws(() => CString.new("a\0b"), {
   *   name: "NulError",
   *   message: "Nul byte found in provided data at position: 1",
   * });
   * try {
   *   CString.new(Uint8Array.of(1, 2, 0, 3));
   * } catch (e) {
   *   strictEqual((e as NulError).position, 2);
   *   deepStrictEqual([...(e as NulError).bytes], [1, 2, 0, 3]);
   * }
   * ```
   */
  // A static factory, not a constructor signature: Rust's spelling.
  // deno-lint-ignore no-misused-new
  static new(value: string | Uint8Array): CString {
    return new CString(value);
  }

  /**
   * The length in bytes, without the nul.
   *
   * @example UTF-8 bytes
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(CString.new("€").length, 3);
   * ```
   */
  get length(): number {
    return this.#cStr.length;
  }

  /**
   * The string as a {@linkcode CStr} (Rust's `as_c_str`), without a copy.
   *
   * @returns The C string.
   *
   * @example Lossy text of bytes
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(CString.new(Uint8Array.of(0x6f, 0x6b, 0xfe)).asCStr().toStringLossy(), "ok\ufffd");
   * ```
   */
  asCStr(): CStr {
    return this.#cStr;
  }

  /**
   * The bytes without the nul (Rust's `into_bytes`).
   *
   * @returns A new array.
   *
   * @example UTF-8
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * deepStrictEqual([...CString.new("é").intoBytes()], [0xc3, 0xa9]);
   * ```
   */
  intoBytes(): Uint8Array {
    return this.#cStr.toBytes();
  }

  /**
   * The bytes with the nul (Rust's `into_bytes_with_nul`).
   *
   * @returns A new array.
   *
   * @example The nul at the end
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * deepStrictEqual([...CString.new("").intoBytesWithNul()], [0]);
   * ```
   */
  intoBytesWithNul(): Uint8Array {
    return this.#cStr.toBytesWithNul();
  }

  /**
   * Writes the string and its nul at a virtual address through the MMU of
   * the current CPU (a `memcpy` in a kernel): a page that is not mapped or
   * not writable faults as on hardware.
   *
   * @param address The virtual address of the first byte.
   * @returns The C string now at `address`.
   * @throws {NoCpuError} Outside `Machine.run`.
   * @throws {RangeError} If the address is invalid.
   *
   * @example Into memory and back
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { CStr } from "./c_str.ts";
   *
   * new Machine({ ramSize: 4 << 20 }).run(() => {
   *   CString.new("console=ttyS0").writeTo(0x20_0000);
   *   strictEqual(CStr.fromPtr(0x20_0000).toStr(), "console=ttyS0");
   * });
   * ```
   */
  writeTo(address: VirtualAddressLike): CStr {
    writeBytes(address, this.#cStr.toBytesWithNul());
    return this.#cStr;
  }

  /**
   * Writes the string and its nul into RAM at a physical address, with no
   * CPU: as a boot loader or a device leaves a string for the kernel.
   *
   * @param memory The machine's RAM.
   * @param address The physical address of the first byte.
   * @returns The C string now at `address`.
   * @throws {PhysicalAddressError} If the bytes do not fit in RAM there.
   *
   * @example A command line left by the boot loader
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { CStr } from "./c_str.ts";
   *
   * const machine = new Machine({ ramSize: 4 << 20 });
   * CString.new("quiet").writeToPhysical(machine.memory, 0x20_0000);
   * machine.run(() => strictEqual(CStr.fromPtr(0x20_0000).toStr(), "quiet"));
   * ```
   */
  writeToPhysical(memory: PhysicalMemory, address: number): CStr {
    memory.writeBytes(address, this.#cStr.toBytesWithNul());
    return this.#cStr;
  }

  /**
   * The string for display, as {@linkcode CStr.toString}.
   *
   * @returns The lossy string.
   *
   * @example In a template
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(`${CString.new("eth0")}`, "eth0");
   * ```
   */
  toString(): string {
    return this.#cStr.toStringLossy();
  }
}
