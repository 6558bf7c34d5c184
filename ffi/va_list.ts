import type { Cpu } from "../machine/cpu/cpu.ts";
import { currentCpu } from "../machine/current_cpu.ts";
import { VirtualAddress } from "../memory/virtual_address.ts";
import type { VirtualAddressLike } from "../memory/virtual_memory.ts";
import { VaListError } from "./va_list_error.ts";

export type { VirtualAddress, VirtualAddressLike };

/**
 * The size of a System V AMD64 `va_list` struct in bytes (ABI §3.5.7):
 * `gp_offset` (u32) at 0, `fp_offset` (u32) at 4, `overflow_arg_area`
 * (u64) at 8, `reg_save_area` (u64) at 16.
 *
 * @example What `sizeof(va_list)` is on x86_64
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(VA_LIST_SIZE, 24);
 * ```
 */
export const VA_LIST_SIZE = 24;

/**
 * The size of the register save area that `va_start` points
 * `reg_save_area` at, in bytes (ABI §3.5.7, figure 3.33): rdi, rsi, rdx,
 * rcx, r8, r9 as 8-byte slots at 0..47, then xmm0..xmm7 as 16-byte slots
 * at 48..175.
 *
 * @example Six 8-byte and eight 16-byte slots
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(REG_SAVE_AREA_SIZE, 6 * 8 + 8 * 16);
 * ```
 */
export const REG_SAVE_AREA_SIZE = 176;

const TWO_32 = 2 ** 32;
// The last offsets from which one more INTEGER (8-byte) or SSE (16-byte)
// slot still lies in the register save area.
const LAST_GP = 40;
const LAST_FP = 160;
const float = new DataView(new ArrayBuffer(8));

function virtualAddress(address: VirtualAddressLike): VirtualAddress {
  return address instanceof VirtualAddress
    ? address
    : new VirtualAddress(typeof address === "object" ? address.value : address);
}

function unsigned(high: number, low: number): bigint {
  return BigInt(high) << 32n | BigInt(low);
}

/**
 * A System V AMD64 `va_list` (ABI §3.5.7) in machine memory: the 24-byte
 * struct that `va_start` fills in a variadic C function, read and advanced
 * as C's `va_arg` does. It is the seed's `VaList`: a kernel function that
 * C calls with a `va_list` (a `vprintf`, a syscall handler) reads its
 * arguments with `args.usize()`, `args.i32()`, …
 *
 * Each read takes the next argument of its class. INTEGER (the integer
 * types and pointers): while `gp_offset` ≤ 40, the 8-byte slot at
 * `reg_save_area + gp_offset`, then `gp_offset += 8`; after that the
 * 8-byte slot at `overflow_arg_area`, which then advances by 8. SSE
 * (`double`, and `float`, which C promotes to `double`): while `fp_offset`
 * ≤ 160, `reg_save_area + fp_offset`, then `fp_offset += 16`; after that
 * the overflow area, as for INTEGER. A type narrower than 64 bits takes the
 * low bits of its slot (C promotes `char` and `short` to `int`, and leaves
 * the slot's high half unspecified: real frames hold garbage there),
 * sign- or zero-extended by its type, as `(T)va_arg(ap, int)` does.
 *
 * Every access goes through the current CPU's MMU, as the kernel's own
 * loads and stores do: an unmapped page is a #PF delivered through the
 * IDT. `VaList.at` reads the struct once and keeps it; each read then
 * loads the argument's slot and writes back the one field it advanced
 * (`gp_offset`, `fp_offset` or the low half of `overflow_arg_area`), so
 * the struct in memory always says what C's would say. Code that advances
 * the same struct behind this object's back (a C `vprintf(fmt, ap)` does,
 * as `va_list` is passed by reference on x86_64) leaves this copy stale:
 * make a new one with `VaList.at`.
 *
 * Not read: `long double` (x87, 16-byte slots, always in the overflow
 * area) and structs passed by value.
 *
 * @example The seed's `my_printf`: a size_t, then an int
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 * import { writeU32, writeU64 } from "../memory/mod.ts";
 *
 * function myPrintf(_format: bigint, args: VaList): string {
 *   const arg1 = args.usize();
 *   const arg2 = args.i32();
 *   return `${arg1} ${arg2}`;
 * }
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   // As va_start leaves it in `int printf(const char *format, ...)`
 *   // called with (fmt, 4096, -1): rdi holds the format, so gp_offset is
 *   // 8; the register save area is at 0x10_0100, the stack at 0x10_0200.
 *   writeU32(0x10_0000, 8); // gp_offset
 *   writeU32(0x10_0004, 48); // fp_offset: no double passed in xmm0..7
 *   writeU64(0x10_0008, 0x10_0200); // overflow_arg_area
 *   writeU64(0x10_0010, 0x10_0100); // reg_save_area
 *   writeU64(0x10_0108, 4096n); // rsi
 *   writeU64(0x10_0110, 0xdead_beef_ffff_ffffn); // rdx: int -1, garbage above
 *   strictEqual(myPrintf(0n, VaList.at(0x10_0000)), "4096 -1");
 *   strictEqual(VaList.at(0x10_0000).gpOffset, 24); // advanced in memory
 * });
 * ```
 */
export class VaList {
  /** The address of the 24-byte struct. */
  readonly address: VirtualAddress;
  #at: number;
  #gp: number;
  #fp: number;
  #overflowLow: number;
  #overflowHigh: number;
  #saveLow: number;
  #saveHigh: number;
  #save: number;

  private constructor(
    address: VirtualAddress,
    fields: readonly [number, number, number, number, number, number],
  ) {
    const [gp, fp, overflowLow, overflowHigh, saveLow, saveHigh] = fields;
    if (gp % 8 !== 0 || gp > 48) {
      throw new VaListError(address.toBigInt(), "gp_offset", gp);
    }
    if (fp % 16 !== 0 || fp < 48 || fp > 176) {
      throw new VaListError(address.toBigInt(), "fp_offset", fp);
    }
    this.address = address;
    this.#at = address.value;
    this.#gp = gp;
    this.#fp = fp;
    this.#overflowLow = overflowLow;
    this.#overflowHigh = overflowHigh;
    this.#saveLow = saveLow;
    this.#saveHigh = saveHigh;
    // The signed form the CPU takes; a non-canonical value stays
    // non-canonical when rounded, so it still raises #GP.
    this.#save = (saveHigh | 0) * TWO_32 + saveLow;
  }

  /**
   * The `va_list` whose 24-byte struct is at `address` (what a C caller
   * passes for a `va_list` parameter: on x86_64 it is an array of one
   * struct, so it is passed by reference). Reads the struct once, through
   * the current CPU's MMU.
   *
   * @param address The virtual address of the struct.
   * @returns The list, reading from where the struct says.
   * @throws {NoCpuError} Outside `Machine.run`.
   * @throws {NonCanonicalAddressError} If `address` is not canonical.
   * @throws {VaListError} If `gp_offset` is not a multiple of 8 up to 48,
   *   or `fp_offset` not a multiple of 16 from 48 to 176.
   *
   * @example Reading the fields of a struct
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { writeU32, writeU64 } from "../memory/mod.ts";
   * import { VaListError } from "./va_list_error.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   writeU32(0x10_0000, 16);
   *   writeU32(0x10_0004, 64);
   *   writeU64(0x10_0008, 0x7fff_ffff_e010n);
   *   writeU64(0x10_0010, 0x7fff_ffff_df00n);
   *   const args = VaList.at(0x10_0000);
   *   strictEqual(args.gpOffset, 16);
   *   strictEqual(args.fpOffset, 64);
   *   strictEqual(args.overflowArgArea, 0x7fff_ffff_e010n);
   *   strictEqual(args.regSaveArea, 0x7fff_ffff_df00n);
   *
   *   writeU32(0x10_0000, 12);
   *   throws(() => VaList.at(0x10_0000), VaListError);
   * });
   * ```
   */
  static at(address: VirtualAddressLike): VaList {
    const where = virtualAddress(address);
    const bytes = currentCpu().readBytes(where.value, VA_LIST_SIZE);
    const view = new DataView(bytes.buffer, bytes.byteOffset, VA_LIST_SIZE);
    return new VaList(where, [
      view.getUint32(0, true),
      view.getUint32(4, true),
      view.getUint32(8, true),
      view.getUint32(12, true),
      view.getUint32(16, true),
      view.getUint32(20, true),
    ]);
  }

  /**
   * `gp_offset`: the offset in the register save area of the next
   * INTEGER argument, 48 once rdi..r9 are used up.
   *
   * @example After va_start in `f(int a, ...)`
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "int", value: 5 }], {
   *     namedGp: 1,
   *   }).build(0x10_0000);
   *   strictEqual(args.gpOffset, 8);
   *   args.i32();
   *   strictEqual(args.gpOffset, 16);
   * });
   * ```
   */
  get gpOffset(): number {
    return this.#gp;
  }

  /**
   * `fp_offset`: the offset in the register save area of the next SSE
   * argument, from 48 (xmm0) to 176 once xmm0..xmm7 are used up.
   *
   * @example After va_start in `f(double x, ...)`
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "double", value: 0.5 }], {
   *     namedFp: 1,
   *   }).build(0x10_0000);
   *   strictEqual(args.fpOffset, 64);
   *   strictEqual(args.f64(), 0.5);
   *   strictEqual(args.fpOffset, 80);
   * });
   * ```
   */
  get fpOffset(): number {
    return this.#fp;
  }

  /**
   * `overflow_arg_area`: the address of the next argument passed on the
   * stack, as the unsigned 64-bit value the struct holds.
   *
   * @example It advances by 8 for each argument read from the stack
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "long", value: 7n }], {
   *     namedGp: 6,
   *   }).build({
   *     vaList: 0x10_0000,
   *     regSaveArea: 0x10_0100,
   *     overflowArea: 0x10_0200,
   *   });
   *   strictEqual(args.overflowArgArea, 0x10_0200n);
   *   strictEqual(args.i64(), 7n);
   *   strictEqual(args.overflowArgArea, 0x10_0208n);
   * });
   * ```
   */
  get overflowArgArea(): bigint {
    return unsigned(this.#overflowHigh, this.#overflowLow);
  }

  /**
   * `reg_save_area`: the address of the 176-byte register save area, as
   * the unsigned 64-bit value the struct holds.
   *
   * @example Where the builder put it
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder().build({
   *     vaList: 0x10_0000,
   *     regSaveArea: 0x10_0100,
   *     overflowArea: 0x10_0200,
   *   });
   *   strictEqual(args.regSaveArea, 0x10_0100n);
   * });
   * ```
   */
  get regSaveArea(): bigint {
    return unsigned(this.#saveHigh, this.#saveLow);
  }

  /**
   * Reads the next INTEGER argument as a `signed char`: the low 8 bits of
   * its slot, sign-extended (C's `(signed char)va_arg(ap, int)`).
   *
   * @returns The value, −128 to 127.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example A char -1 whose slot holds 0xffff_ffff
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "char", value: -1 }]).build(0x10_0000);
   *   strictEqual(args.i8(), -1);
   * });
   * ```
   */
  i8(): number {
    const cpu = currentCpu();
    return (cpu.readU32(this.#gpSlot(cpu)) << 24) >> 24;
  }

  /**
   * Reads the next INTEGER argument as a `short`: the low 16 bits of its
   * slot, sign-extended (C's `(short)va_arg(ap, int)`).
   *
   * @returns The value, −32768 to 32767.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example A short
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "short", value: -300 }]).build(0x10_0000);
   *   strictEqual(args.i16(), -300);
   * });
   * ```
   */
  i16(): number {
    const cpu = currentCpu();
    return (cpu.readU32(this.#gpSlot(cpu)) << 16) >> 16;
  }

  /**
   * Reads the next INTEGER argument as an `int`: the low 32 bits of its
   * slot, signed (C's `va_arg(ap, int)`).
   *
   * @returns The value, −2^31 to 2^31 − 1.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example The high half of the slot does not count
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "int", value: -2 }], {
   *     dirty: true, // garbage in the slot's high half
   *   }).build(0x10_0000);
   *   strictEqual(args.i32(), -2);
   * });
   * ```
   */
  i32(): number {
    const cpu = currentCpu();
    return cpu.readU32(this.#gpSlot(cpu)) | 0;
  }

  /**
   * Reads the next INTEGER argument as an `unsigned char`: the low 8 bits
   * of its slot (C's `(unsigned char)va_arg(ap, int)`).
   *
   * @returns The value, 0 to 255.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example An unsigned char
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "unsigned char", value: 200 }]).build(0x10_0000);
   *   strictEqual(args.u8(), 200);
   * });
   * ```
   */
  u8(): number {
    const cpu = currentCpu();
    return cpu.readU32(this.#gpSlot(cpu)) & 0xff;
  }

  /**
   * Reads the next INTEGER argument as an `unsigned short`: the low 16
   * bits of its slot (C's `(unsigned short)va_arg(ap, int)`).
   *
   * @returns The value, 0 to 65535.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example A port number
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "unsigned short", value: 0x3f8 }]).build(0x10_0000);
   *   strictEqual(args.u16(), 0x3f8);
   * });
   * ```
   */
  u16(): number {
    const cpu = currentCpu();
    return cpu.readU32(this.#gpSlot(cpu)) & 0xffff;
  }

  /**
   * Reads the next INTEGER argument as an `unsigned int`: the low 32 bits
   * of its slot (C's `va_arg(ap, unsigned int)`).
   *
   * @returns The value, 0 to 2^32 − 1.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example An int -1 read as unsigned
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "int", value: -1 }]).build(0x10_0000);
   *   strictEqual(args.u32(), 0xffff_ffff);
   * });
   * ```
   */
  u32(): number {
    const cpu = currentCpu();
    return cpu.readU32(this.#gpSlot(cpu));
  }

  /**
   * Reads the next INTEGER argument as a `long` (or `long long`, `int64_t`):
   * its whole slot, signed.
   *
   * @returns The value, −2^63 to 2^63 − 1.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example A negative long
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "long", value: -(2n ** 40n) }]).build(0x10_0000);
   *   strictEqual(args.i64(), -(2n ** 40n));
   * });
   * ```
   */
  i64(): bigint {
    const cpu = currentCpu();
    return BigInt.asIntN(64, cpu.readU64(this.#gpSlot(cpu)));
  }

  /**
   * Reads the next INTEGER argument as an `unsigned long` (or `unsigned
   * long long`, `uint64_t`): its whole slot.
   *
   * @returns The value, 0 to 2^64 − 1.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example The largest unsigned long
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([
   *     { type: "unsigned long", value: 2n ** 64n - 1n },
   *   ]).build(0x10_0000);
   *   strictEqual(args.u64(), 2n ** 64n - 1n);
   * });
   * ```
   */
  u64(): bigint {
    const cpu = currentCpu();
    return cpu.readU64(this.#gpSlot(cpu));
  }

  /**
   * Reads the next INTEGER argument as an `ssize_t` or `ptrdiff_t` (the
   * Rust `isize`): on x86_64 the same as {@linkcode VaList.i64}.
   *
   * @returns The value, −2^63 to 2^63 − 1.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example A ptrdiff_t
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "ptrdiff_t", value: -8 }]).build(0x10_0000);
   *   strictEqual(args.isize(), -8n);
   * });
   * ```
   */
  isize(): bigint {
    return this.i64();
  }

  /**
   * Reads the next INTEGER argument as a `size_t` (the Rust `usize`): on
   * x86_64 the same as {@linkcode VaList.u64}.
   *
   * @returns The value, 0 to 2^64 − 1.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example A size_t
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([{ type: "size_t", value: 4096 }]).build(0x10_0000);
   *   strictEqual(args.usize(), 4096n);
   * });
   * ```
   */
  usize(): bigint {
    return this.u64();
  }

  /**
   * Reads the next SSE argument as a `double` (a `float` argument arrives
   * as a `double`: C promotes it): while `fp_offset` ≤ 160 the low 8 bytes
   * of its 16-byte XMM slot, then 8-byte slots of the overflow area.
   *
   * @returns The value. A NaN keeps its sign and payload, but a signalling
   *   NaN may come back quiet (bit 51 set): JS engines quiet NaNs when they
   *   move them.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example Doubles and ints interleaved take separate registers
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([
   *     { type: "double", value: 2.5 },
   *     { type: "int", value: 3 },
   *     { type: "float", value: 0.25 },
   *   ]).build(0x10_0000);
   *   strictEqual(args.f64(), 2.5);
   *   strictEqual(args.i32(), 3);
   *   strictEqual(args.f64(), 0.25);
   * });
   * ```
   */
  f64(): number {
    const cpu = currentCpu();
    float.setBigUint64(0, cpu.readU64(this.#fpSlot(cpu)), true);
    return float.getFloat64(0, true);
  }

  /**
   * Reads the next INTEGER argument as a pointer (`void *`, `char *`, …):
   * its whole slot, as the unsigned 64-bit address.
   *
   * @returns The address, 0 to 2^64 − 1.
   * @throws {NoCpuError} Outside `Machine.run`.
   *
   * @example A higher-half pointer
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([
   *     { type: "ptr", value: 0xffff_8000_0000_1000n },
   *   ]).build(0x10_0000);
   *   strictEqual(args.ptr(), 0xffff_8000_0000_1000n);
   * });
   * ```
   */
  ptr(): bigint {
    return this.u64();
  }

  /**
   * `va_copy(to, this)`: writes this list's 24-byte struct, as it stands
   * now, at `to` and returns the list there. The two then advance apart:
   * reading one does not move the other (a `vprintf` that runs over the
   * arguments twice, or a logger that formats them and passes them on,
   * needs this). What they point at is shared, not copied: the register
   * save area and the stack arguments stay where they are, in the frame of
   * the variadic function that called `va_start`, so the copy is good only
   * until that function returns (and must then be dropped, as C's
   * `va_end` says). A copy in kernel memory of a user-space `va_list` still
   * reads user pages, with the rights (SMAP) of the code that reads it.
   *
   * @param to The virtual address of the new struct: 24 writable bytes
   *   that do not overlap this one.
   * @returns The list at `to`.
   * @throws {NoCpuError} Outside `Machine.run`.
   * @throws {NonCanonicalAddressError} If `to` is not canonical.
   * @throws {RangeError} If the two structs would overlap.
   *
   * @example Reading the same arguments twice
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([
   *     { type: "int", value: 1 },
   *     { type: "int", value: 2 },
   *   ]).build(0x10_0000);
   *   const again = args.copy(0x10_1000);
   *   strictEqual(args.i32() + args.i32(), 3);
   *   strictEqual(again.i32(), 1);
   * });
   * ```
   */
  copy(to: VirtualAddressLike): VaList {
    const where = virtualAddress(to);
    if (Math.abs(where.value - this.#at) < VA_LIST_SIZE) {
      throw new RangeError(
        `Cannot copy the va_list at ${this.address} to ${where}: the ${VA_LIST_SIZE}-byte structs would overlap`,
      );
    }
    const fields = [
      this.#gp,
      this.#fp,
      this.#overflowLow,
      this.#overflowHigh,
      this.#saveLow,
      this.#saveHigh,
    ] as const;
    const bytes = new Uint8Array(VA_LIST_SIZE);
    const view = new DataView(bytes.buffer);
    fields.forEach((field, i) => view.setUint32(4 * i, field, true));
    currentCpu().writeBytes(where.value, bytes);
    return new VaList(where, fields);
  }

  /**
   * The struct's address and fields, for messages.
   *
   * @returns `VaList at 0x…: gp_offset …, fp_offset …, overflow_arg_area
   *   0x…, reg_save_area 0x…`.
   *
   * @example After va_start in `f(int a, ...)`
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   * import { VaListBuilder } from "./va_list_builder.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder([], { namedGp: 1 }).build(0x10_0000);
   *   strictEqual(
   *     `${args}`,
   *     "VaList at 0x0000000000100000: gp_offset 8, fp_offset 48, overflow_arg_area 0x00000000001000d0, reg_save_area 0x0000000000100020",
   *   );
   * });
   * ```
   */
  toString(): string {
    const hex = (value: bigint) => `0x${value.toString(16).padStart(16, "0")}`;
    return `VaList at ${this.address}: gp_offset ${this.#gp}, fp_offset ${this.#fp}, overflow_arg_area ${
      hex(this.overflowArgArea)
    }, reg_save_area ${hex(this.regSaveArea)}`;
  }

  // The address of the next INTEGER argument's slot; advances the struct
  // (in memory too) past it. The write comes first, as in gcc's code.
  #gpSlot(cpu: Cpu): number {
    const gp = this.#gp;
    if (gp > LAST_GP) return this.#overflowSlot(cpu);
    this.#gp = gp + 8;
    cpu.writeU32(this.#at, gp + 8);
    return this.#save + gp;
  }

  // The same for an SSE argument.
  #fpSlot(cpu: Cpu): number {
    const fp = this.#fp;
    if (fp > LAST_FP) return this.#overflowSlot(cpu);
    this.#fp = fp + 16;
    cpu.writeU32(this.#at + 4, fp + 16);
    return this.#save + fp;
  }

  // The next 8-byte stack slot. Only the low half of overflow_arg_area is
  // written back, unless the pointer crosses a 4 GiB boundary.
  #overflowSlot(cpu: Cpu): number {
    const low = this.#overflowLow;
    const high = this.#overflowHigh;
    const next = low + 8;
    if (next < TWO_32) {
      this.#overflowLow = next;
      cpu.writeU32(this.#at + 8, next);
    } else {
      this.#overflowLow = next - TWO_32;
      this.#overflowHigh = (high + 1) >>> 0;
      cpu.writeU32(this.#at + 8, this.#overflowLow);
      cpu.writeU32(this.#at + 12, this.#overflowHigh);
    }
    return (high | 0) * TWO_32 + low;
  }
}
