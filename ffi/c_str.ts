import { signedAddress, type VirtualAddressLike } from "../arch/x86_64/tlb.ts";
import { currentCpu } from "../machine/current_cpu.ts";
import { Access } from "../machine/cpu/mmu.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { decode, firstInvalid } from "./_c_str_utf8.ts";
import {
  CStrTooLongError,
  FromBytesUntilNulError,
  FromBytesWithNulError,
  Utf8Error,
} from "./c_str_errors.ts";

const PAGE = 0x1000;

// A byte view of the RAM that the last `fromPtr` read, kept for the next.
let lastMemory: PhysicalMemory | undefined;
let lastRam: Uint8Array = new Uint8Array(0);

function ramOf(memory: PhysicalMemory): Uint8Array {
  if (memory !== lastMemory) {
    lastRam = new Uint8Array(memory.buffer, 0, memory.size);
    lastMemory = memory;
  }
  return lastRam;
}

// Short strings are copied into a shared pool, as Node's Buffer does: a
// new Uint8Array costs about 200 ns in Deno 2.9, more than the rest of a
// 64-byte fromPtr (bench/ffi_cstr_bench.ts). A pool stays alive while a
// string in it does, so only strings up to POOLED_MAX bytes go there.
const POOL_SIZE = 8192;
const POOLED_MAX = 256;
let pool = new Uint8Array(POOL_SIZE);
let poolUsed = 0;

// Makes room for POOLED_MAX bytes at pool[poolUsed].
function poolRoom(): void {
  if (poolUsed > POOL_SIZE - POOLED_MAX) {
    pool = new Uint8Array(POOL_SIZE);
    poolUsed = 0;
  }
}

/** Options of {@linkcode CStr.fromPtr}. */
export interface CStrFromPtrOptions {
  /**
   * The longest string to accept, in bytes without the nul:
   * {@linkcode CStr.DEFAULT_MAX_LENGTH} (1 MiB) by default. At most
   * `maxLength + 1` bytes are read.
   */
  readonly maxLength?: number;
}

/**
 * A C string: bytes ended by a nul byte, with no nul byte before it — the
 * seed's `CStr` (Rust's `core::ffi::CStr`). It is read from machine
 * memory with {@linkcode CStr.fromPtr}, as a kernel reads a `const char *`
 * that C code gave it, or checked out of a `Uint8Array` with
 * {@linkcode CStr.fromBytesWithNul} and {@linkcode CStr.fromBytesUntilNul}.
 *
 * Where Rust's `&CStr` borrows the memory, a `CStr` here holds its own copy
 * of the bytes, taken when it is made: it never changes, and later writes
 * to the memory it came from do not show through. Its methods are Rust's,
 * with Rust's results and errors: `length` (`count_bytes`), `toBytes`,
 * `toStr` (strict UTF-8), `toStringLossy`, and a bytewise order.
 *
 * @example From bytes, as Rust's `CStr::from_bytes_with_nul`
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const name = CStr.fromBytesWithNul(new TextEncoder().encode("Exo-Kernel\0"));
 * strictEqual(name.length, 10);
 * strictEqual(name.toStr(), "Exo-Kernel");
 * ```
 */
export class CStr {
  /**
   * The longest string that {@linkcode CStr.fromPtr} accepts unless told
   * otherwise: 1 MiB, without the nul.
   */
  static readonly DEFAULT_MAX_LENGTH: number = 1 << 20;

  // The bytes without the nul are #array[#start, #start + #length): never
  // exposed, so never changed.
  readonly #array: Uint8Array;
  readonly #start: number;
  readonly #length: number;

  private constructor(array: Uint8Array, start: number, length: number) {
    this.#array = array;
    this.#start = start;
    this.#length = length;
  }

  // A CStr of a copy of source[start, end).
  static #copyOf(source: Uint8Array, start: number, end: number): CStr {
    const length = end - start;
    if (length > POOLED_MAX) {
      return new CStr(source.slice(start, end), 0, length);
    }
    poolRoom();
    const offset = poolUsed;
    pool.set(source.subarray(start, end), offset);
    poolUsed += length;
    return new CStr(pool, offset, length);
  }

  /**
   * Reads the C string at a virtual address through the MMU of the current
   * CPU, as `CStr::from_ptr` does in a kernel: the bytes up to the first
   * nul, with its CPL's rights. A bad pointer faults as on hardware: a
   * byte in a page that is not mapped raises #PF (CR2 is that byte's
   * address), a non-canonical address #GP(0), and the read goes on once a
   * handler has fixed the mapping. The string is searched page by page,
   * and no byte after its nul is read, so a string that ends just before an
   * unmapped page does not fault.
   *
   * @param address The virtual address of the first byte: a signed number,
   *   a bigint or a `VirtualAddress`.
   * @param options `maxLength`, the longest string to accept (1 MiB by
   *   default).
   * @returns A copy of the string.
   * @throws {NoCpuError} Outside `Machine.run`.
   * @throws {CStrTooLongError} If no nul byte ends the string within
   *   `maxLength` bytes.
   * @throws {RangeError} If the address or `maxLength` is invalid.
   *
   * @example A string that C code left in memory
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   *
   * const machine = new Machine({ ramSize: 4 << 20 });
   * machine.memory.writeBytes(0x20_0000, new TextEncoder().encode("from C\0"));
   * machine.run(() => {
   *   const message = CStr.fromPtr(0x20_0000);
   *   strictEqual(message.toStringLossy(), "from C");
   *   strictEqual(message.length, 6);
   * });
   * ```
   */
  static fromPtr(
    address: VirtualAddressLike,
    options: CStrFromPtrOptions = {},
  ): CStr {
    const maxLength = options.maxLength ?? CStr.DEFAULT_MAX_LENGTH;
    if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
      throw new RangeError(
        `Invalid maxLength ${maxLength}: expected a non-negative integer`,
      );
    }
    const cpu = currentCpu();
    const start = signedAddress(address);
    const memory = cpu.memory;
    const ram = ramOf(memory);
    const limit = maxLength + 1; // the bytes that may be read, nul included
    // A short string in the first page: found and copied in one pass.
    const first = Math.min(limit, PAGE - (start & (PAGE - 1)), POOLED_MAX);
    const firstPa = cpu.translate(start, Access.READ);
    const quickEnd = firstPa +
      Math.max(0, Math.min(first, memory.size - firstPa));
    poolRoom();
    const target = pool;
    const offset = poolUsed;
    let w = offset;
    for (let r = firstPa; r < quickEnd; r++) {
      const byte = ram[r]!;
      if (byte === 0) {
        poolUsed = w;
        return new CStr(target, offset, w - offset);
      }
      target[w++] = byte;
    }
    // A longer one: page by page, memchr for the nul.
    // The physical address and the bytes in RAM of each page read so far.
    const pages: number[] = [];
    let holes = false; // a page that maps no RAM
    for (let read = 0; read < limit;) {
      const vaddr = start + read;
      // Up to the end of the page: the next page is translated only if
      // the string goes on into it.
      const chunk = Math.min(limit - read, PAGE - (vaddr & (PAGE - 1)));
      const pa = cpu.translate(vaddr, Access.READ);
      // A page that maps no RAM reads as 0xFF bytes (no nul).
      const inRam = Math.max(0, Math.min(chunk, memory.size - pa));
      const nul = inRam === 0 ? -1 : ram.subarray(pa, pa + inRam).indexOf(0);
      if (nul >= 0) {
        if (read === 0) return CStr.#copyOf(ram, pa, pa + nul);
        const bytes = new Uint8Array(read + nul);
        if (holes) bytes.fill(0xff);
        let at = 0;
        for (let i = 0; i < pages.length; i += 2) {
          bytes.set(ram.subarray(pages[i]!, pages[i]! + pages[i + 1]!), at);
          at += PAGE - ((start + at) & (PAGE - 1));
        }
        bytes.set(ram.subarray(pa, pa + nul), at);
        return new CStr(bytes, 0, bytes.length);
      }
      pages.push(pa, inRam);
      holes ||= inRam < chunk;
      read += chunk;
    }
    throw new CStrTooLongError(BigInt.asUintN(64, BigInt(start)), maxLength);
  }

  /**
   * Checks that `bytes` is one C string — a nul byte at the end and none
   * before it — as Rust's `CStr::from_bytes_with_nul`.
   *
   * @param bytes The bytes, the nul included.
   * @returns A copy of the string.
   * @throws {FromBytesWithNulError} `InteriorNul` (with the position of the
   *   first nul) if a nul comes before the last byte, `NotNulTerminated` if
   *   there is no nul.
   *
   * @example An interior nul, and no nul
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * strictEqual(CStr.fromBytesWithNul(Uint8Array.of(0x68, 0x69, 0)).toStr(), "hi");
   * throws(() => CStr.fromBytesWithNul(Uint8Array.of(0x68, 0, 0x69, 0)), {
   *   name: "FromBytesWithNulError",
   *   kind: "InteriorNul",
   *   position: 1,
   * });
   * throws(() => CStr.fromBytesWithNul(Uint8Array.of(0x68, 0x69)), {
   *   kind: "NotNulTerminated",
   * });
   * ```
   */
  static fromBytesWithNul(bytes: Uint8Array): CStr {
    const nul = bytes.indexOf(0);
    if (nul < 0) throw new FromBytesWithNulError("NotNulTerminated");
    if (nul !== bytes.length - 1) {
      throw new FromBytesWithNulError("InteriorNul", nul);
    }
    return CStr.#copyOf(bytes, 0, nul);
  }

  /**
   * The C string at the start of `bytes`: the bytes up to the first nul,
   * whatever follows it, as Rust's `CStr::from_bytes_until_nul`.
   *
   * @param bytes The bytes, holding a nul somewhere.
   * @returns A copy of the string.
   * @throws {FromBytesUntilNulError} If `bytes` holds no nul byte.
   *
   * @example A buffer with room to spare
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * const buffer = new Uint8Array(16);
   * buffer.set(new TextEncoder().encode("eth0"));
   * strictEqual(CStr.fromBytesUntilNul(buffer).toStr(), "eth0");
   * throws(() => CStr.fromBytesUntilNul(Uint8Array.of(0x61)), {
   *   name: "FromBytesUntilNulError",
   * });
   * ```
   */
  static fromBytesUntilNul(bytes: Uint8Array): CStr {
    const nul = bytes.indexOf(0);
    if (nul < 0) throw new FromBytesUntilNulError();
    return CStr.#copyOf(bytes, 0, nul);
  }

  /**
   * The length in bytes, without the nul (Rust's `count_bytes`, C's
   * `strlen`).
   *
   * @example Bytes, not characters
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(CStr.fromBytesWithNul(new TextEncoder().encode("Grüße\0")).length, 7);
   * ```
   */
  get length(): number {
    return this.#length;
  }

  /**
   * Whether the string is empty: its first byte is the nul.
   *
   * @returns `true` for `""`.
   *
   * @example The empty string
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(CStr.fromBytesWithNul(Uint8Array.of(0)).isEmpty(), true);
   * strictEqual(CStr.fromBytesWithNul(Uint8Array.of(0x61, 0)).isEmpty(), false);
   * ```
   */
  isEmpty(): boolean {
    return this.#length === 0;
  }

  /**
   * The bytes without the nul (Rust's `to_bytes`).
   *
   * @returns A new array.
   *
   * @example The bytes
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * deepStrictEqual([...CStr.fromBytesWithNul(Uint8Array.of(1, 2, 0)).toBytes()], [1, 2]);
   * ```
   */
  toBytes(): Uint8Array {
    return this.#array.slice(this.#start, this.#start + this.#length);
  }

  /**
   * The bytes with the nul (Rust's `to_bytes_with_nul`).
   *
   * @returns A new array.
   *
   * @example The bytes and the nul
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * deepStrictEqual([...CStr.fromBytesWithNul(Uint8Array.of(1, 2, 0)).toBytesWithNul()], [1, 2, 0]);
   * ```
   */
  toBytesWithNul(): Uint8Array {
    const bytes = new Uint8Array(this.#length + 1);
    bytes.set(this.#array.subarray(this.#start, this.#start + this.#length));
    return bytes;
  }

  /**
   * The string, if its bytes are UTF-8 (Rust's `to_str`): strict, as
   * `std::str::from_utf8` — no overlong forms, no encoded surrogates,
   * nothing above U+10FFFF. A leading byte-order mark is kept as U+FEFF.
   *
   * @returns The string.
   * @throws {Utf8Error} If the bytes are not UTF-8, with `validUpTo` and
   *   `errorLen` as Rust's `Utf8Error`.
   *
   * @example A valid string and a Latin-1 one
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * strictEqual(CStr.fromBytesWithNul(Uint8Array.of(0xc3, 0xa9, 0)).toStr(), "é");
   * throws(() => CStr.fromBytesWithNul(Uint8Array.of(0x61, 0xe9, 0x74, 0)).toStr(), {
   *   name: "Utf8Error",
   *   validUpTo: 1,
   *   errorLen: 1,
   * });
   * ```
   */
  toStr(): string {
    const start = this.#start;
    const bad = firstInvalid(this.#array, start, start + this.#length);
    if (bad >= 0) {
      const at = Math.floor(bad / 4);
      const length = bad - at * 4;
      throw new Utf8Error(at - start, length === 0 ? undefined : length);
    }
    return decode(this.#array, start, start + this.#length);
  }

  /**
   * The string, with each invalid UTF-8 sequence replaced by U+FFFD
   * exactly as Rust's `to_string_lossy` (`String::from_utf8_lossy`) does:
   * one U+FFFD for each maximal subpart of an invalid sequence (The
   * Unicode Standard §3.9, "U+FFFD Substitution of Maximal Subparts").
   *
   * @returns The string.
   *
   * @example A truncated sequence and an encoded surrogate
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * // E2 82 is the start of "€"; ED A0 80 would be U+D800.
   * const bytes = Uint8Array.of(0x61, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80, 0);
   * strictEqual(CStr.fromBytesWithNul(bytes).toStringLossy(), "a\ufffdb\ufffd\ufffd\ufffd");
   * ```
   */
  toStringLossy(): string {
    return decode(this.#array, this.#start, this.#start + this.#length);
  }

  /**
   * Whether two C strings hold the same bytes (Rust's `==`).
   *
   * @param other The other string.
   * @returns `true` if the bytes are equal.
   *
   * @example Equal bytes
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const a = CStr.fromBytesWithNul(Uint8Array.of(0x61, 0));
   * strictEqual(a.equals(CStr.fromBytesUntilNul(Uint8Array.of(0x61, 0, 0x62))), true);
   * ```
   */
  equals(other: CStr): boolean {
    return this.compareTo(other) === 0;
  }

  /**
   * Compares two C strings byte by byte, as unsigned bytes, a prefix first
   * (Rust's `Ord for CStr`, C's `strcmp` sign).
   *
   * @param other The other string.
   * @returns -1, 0 or 1 as this string sorts before, with or after `other`.
   *
   * @example Bytes above 0x7F sort after ASCII
   * ```ts
   * import { deepStrictEqual, strictEqual } from "node:assert/strict";
   *
   * const c = (...b: number[]) => CStr.fromBytesWithNul(Uint8Array.of(...b, 0));
   * strictEqual(c(0x61).compareTo(c(0x61, 0x62)), -1);
   * strictEqual(c(0xff).compareTo(c(0x7f)), 1);
   * const sorted = [c(0x62), c(0x61, 0x62), c(0x61)].sort((x, y) => x.compareTo(y));
   * deepStrictEqual(sorted.map(String), ["a", "ab", "b"]);
   * ```
   */
  compareTo(other: CStr): -1 | 0 | 1 {
    const a = this.#array;
    const b = other.#array;
    const i0 = this.#start;
    const j0 = other.#start;
    const n = Math.min(this.#length, other.#length);
    for (let k = 0; k < n; k++) {
      const x = a[i0 + k]!;
      const y = b[j0 + k]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    // A prefix sorts first.
    return this.#length === other.#length
      ? 0
      : this.#length < other.#length
      ? -1
      : 1;
  }

  /**
   * The string for display: {@linkcode CStr.toStringLossy}, so that
   * `format("{}", s)` and template literals print the text.
   *
   * @returns The lossy string.
   *
   * @example In a template
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const s = CStr.fromBytesWithNul(Uint8Array.of(0x6f, 0x6b, 0xff, 0));
   * strictEqual(`${s}`, "ok\ufffd");
   * ```
   */
  toString(): string {
    return this.toStringLossy();
  }
}
