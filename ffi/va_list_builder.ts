import { currentCpu } from "../machine/current_cpu.ts";
import { VirtualAddress } from "../memory/virtual_address.ts";
import type { VirtualAddressLike } from "../memory/virtual_memory.ts";
import { REG_SAVE_AREA_SIZE, VA_LIST_SIZE, VaList } from "./va_list.ts";

/**
 * The C integer types a {@linkcode VaArg} can have. `char` is signed, as
 * on x86_64; `ptr` is any pointer. All are passed in one 8-byte INTEGER
 * slot: types narrower than `int` promoted to `int`.
 */
export type VaIntegerType =
  | "char"
  | "signed char"
  | "unsigned char"
  | "short"
  | "unsigned short"
  | "int"
  | "unsigned int"
  | "long"
  | "unsigned long"
  | "long long"
  | "unsigned long long"
  | "size_t"
  | "ssize_t"
  | "ptrdiff_t"
  | "ptr";

/**
 * One argument of a variadic call, as C would pass it:
 * - an integer type ({@linkcode VaIntegerType}) with a value in its range,
 *   a `number` or a `bigint`;
 * - `double`, or `float` (rounded to a float, then promoted to `double`
 *   as C does for a variadic argument); a signalling NaN may be laid out
 *   quiet (bit 51 set), as JS engines quiet the NaNs they move;
 * - `string`: the bytes (a JS string as UTF-8) and a NUL laid out in
 *   memory by the builder, passed as a `char *` to them.
 */
export type VaArg =
  | { readonly type: VaIntegerType; readonly value: number | bigint }
  | { readonly type: "double" | "float"; readonly value: number }
  | { readonly type: "string"; readonly value: string | Uint8Array };

/** How {@linkcode VaListBuilder} sets the list up. */
export interface VaListBuilderOptions {
  /**
   * How many named INTEGER parameters (integers, pointers) the variadic
   * function has; the first six took rdi..r9, so `va_start` sets
   * `gp_offset` to 8 × min(n, 6). 0 by default.
   */
  readonly namedGp?: number;
  /**
   * How many named SSE parameters (`double`, `float`) it has; the first
   * eight took xmm0..xmm7, so `fp_offset` starts at 48 + 16 × min(n, 8).
   * 0 by default.
   */
  readonly namedFp?: number;
  /**
   * Fill what the ABI leaves unspecified with garbage, as real frames
   * have, instead of zeros: the high half of the slot of an argument of
   * 32 bits or less (0xdead_beef), the high 8 bytes of an XMM slot and
   * the save-area slots no argument uses (0xa5 bytes). False by default.
   */
  readonly dirty?: boolean;
}

/**
 * Where {@linkcode VaListBuilder.build} puts each part, for a layout like a
 * real frame's (the parts need not be next to each other).
 */
export interface VaListLayout {
  /** The 24-byte `va_list` struct. */
  readonly vaList: VirtualAddressLike;
  /** The 176-byte register save area. */
  readonly regSaveArea: VirtualAddressLike;
  /** The arguments passed on the stack, 8 bytes each. */
  readonly overflowArea: VirtualAddressLike;
  /** The bytes of the `string` arguments; needed when there are some. */
  readonly strings?: VirtualAddressLike;
}

// Offsets of the parts when build() is given one region.
const SAVE_OFFSET = 32;
const OVERFLOW_OFFSET = SAVE_OFFSET + REG_SAVE_AREA_SIZE;
const HIGH_JUNK = 0xdead_beef;
const JUNK_BYTE = 0xa5;

// [low, high] bounds of each integer type's values, and whether it is
// passed as a 32-bit int (promoted) rather than a 64-bit value.
const INTEGERS: Record<VaIntegerType, readonly [bigint, bigint, boolean]> = {
  "char": [-(2n ** 7n), 2n ** 7n - 1n, true],
  "signed char": [-(2n ** 7n), 2n ** 7n - 1n, true],
  "unsigned char": [0n, 2n ** 8n - 1n, true],
  "short": [-(2n ** 15n), 2n ** 15n - 1n, true],
  "unsigned short": [0n, 2n ** 16n - 1n, true],
  "int": [-(2n ** 31n), 2n ** 31n - 1n, true],
  "unsigned int": [0n, 2n ** 32n - 1n, true],
  "long": [-(2n ** 63n), 2n ** 63n - 1n, false],
  "unsigned long": [0n, 2n ** 64n - 1n, false],
  "long long": [-(2n ** 63n), 2n ** 63n - 1n, false],
  "unsigned long long": [0n, 2n ** 64n - 1n, false],
  "size_t": [0n, 2n ** 64n - 1n, false],
  "ssize_t": [-(2n ** 63n), 2n ** 63n - 1n, false],
  "ptrdiff_t": [-(2n ** 63n), 2n ** 63n - 1n, false],
  "ptr": [0n, 2n ** 64n - 1n, false],
};

// An argument ready to lay out: its class, its 64 bits, whether only the
// low 32 count, and the bytes of a string (whose address is its bits).
interface Slot {
  readonly sse: boolean;
  readonly bits: bigint;
  readonly narrow: boolean;
  readonly string?: Uint8Array;
}

/**
 * The value a {@linkcode VaArg} of type `T` takes: a `number` for
 * `double` and `float`, a `string` or bytes for `string`, a `number` or a
 * `bigint` for the integer types.
 */
export type VaArgValue<T extends VaArg["type"]> = T extends "double" | "float"
  ? number
  : T extends "string" ? string | Uint8Array
  : number | bigint;

function checkCount(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Invalid ${name} ${value}: expected a non-negative integer`,
    );
  }
  return value;
}

function virtualAddress(address: VirtualAddressLike): VirtualAddress {
  return address instanceof VirtualAddress
    ? address
    : new VirtualAddress(typeof address === "object" ? address.value : address);
}

const f64 = new DataView(new ArrayBuffer(8));

function slotOf(arg: VaArg): Slot {
  switch (arg.type) {
    case "double":
    case "float": {
      if (typeof arg.value !== "number") {
        throw new TypeError(
          `Invalid ${arg.type} argument ${
            String(arg.value)
          }: expected a number`,
        );
      }
      f64.setFloat64(
        0,
        arg.type === "float" ? Math.fround(arg.value) : arg.value,
        true,
      );
      return { sse: true, bits: f64.getBigUint64(0, true), narrow: false };
    }
    case "string": {
      if (typeof arg.value !== "string" && !(arg.value instanceof Uint8Array)) {
        throw new TypeError(
          `Invalid string argument ${
            String(arg.value)
          }: expected a string or a Uint8Array`,
        );
      }
      const bytes = typeof arg.value === "string"
        ? new TextEncoder().encode(arg.value)
        : arg.value;
      if (bytes.includes(0)) {
        throw new RangeError(
          "Invalid string argument: a C string cannot hold a NUL byte before its end",
        );
      }
      const string = new Uint8Array(bytes.length + 1);
      string.set(bytes);
      return { sse: false, bits: 0n, narrow: false, string };
    }
  }
  const range = INTEGERS[arg.type];
  if (range === undefined) {
    throw new TypeError(
      `Unknown argument type ${
        JSON.stringify(arg.type)
      }: expected a C integer type, "ptr", "double", "float" or "string"`,
    );
  }
  const [low, high, narrow] = range;
  const value = arg.value;
  if (
    (typeof value === "number" && !Number.isSafeInteger(value)) ||
    (typeof value !== "number" && typeof value !== "bigint") ||
    BigInt(value) < low || BigInt(value) > high
  ) {
    throw new RangeError(
      `Invalid ${arg.type} argument ${
        String(value)
      }: expected an integer from ${low} to ${high}`,
    );
  }
  return {
    sse: false,
    bits: BigInt.asUintN(narrow ? 32 : 64, BigInt(value)),
    narrow,
  };
}

/**
 * Lays out in machine memory what a variadic call leaves for `va_start`
 * (System V AMD64 ABI §3.5.7) and returns the {@linkcode VaList} over it:
 * the 24-byte `va_list` struct, the 176-byte register save area, the
 * arguments passed on the stack (the overflow area) and the bytes of
 * string arguments. A test stands in for a C caller with it: what a call
 * `f(named…, args…)` would pass in registers goes into the save area, the
 * rest onto the stack, in order.
 *
 * The arguments are assigned as the caller assigns them: the INTEGER ones
 * to the rdi..r9 slots left after the named parameters, the SSE ones
 * (`double`, `float`) to the xmm0..xmm7 slots left, and each argument past
 * its registers to the next 8-byte stack slot. An argument of 32 bits or
 * less takes the low half of its slot, sign-extended to 32 bits by its
 * promotion to `int`; the high half is zero (or garbage, with `dirty`).
 *
 * @example A printf-like call: `f(fmt, 42, 2.5, "kernel", -1L)`
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 * import { readBytes } from "../memory/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   const builder = new VaListBuilder([
 *     { type: "int", value: 42 },
 *     { type: "double", value: 2.5 },
 *     { type: "string", value: "kernel" },
 *     { type: "long", value: -1n },
 *   ], { namedGp: 1 }); // the format took rdi
 *   const args = builder.build(0x10_0000);
 *   strictEqual(args.i32(), 42);
 *   strictEqual(args.f64(), 2.5);
 *   const text = readBytes(args.ptr(), 6);
 *   strictEqual(new TextDecoder().decode(text), "kernel");
 *   strictEqual(args.i64(), -1n);
 * });
 * ```
 */
export class VaListBuilder {
  #slots: Slot[] = [];
  #gp: number;
  #fp: number;
  #dirty: boolean;

  /**
   * A builder with the given arguments.
   *
   * @param args The variadic arguments, in order.
   * @param options The named parameters and the fill.
   * @throws {RangeError} If a value is out of its type's range, a named
   *   count is not a non-negative integer, or a string holds a NUL.
   * @throws {TypeError} If a type is unknown, or a double is not a number.
   *
   * @example The named parameters set where va_start begins
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   // void f(int a, double b, int c, ...): two INTEGER, one SSE named.
   *   const args = new VaListBuilder([], { namedGp: 2, namedFp: 1 }).build(0x10_0000);
   *   strictEqual(args.gpOffset, 16);
   *   strictEqual(args.fpOffset, 64);
   * });
   * ```
   */
  constructor(args: readonly VaArg[] = [], options: VaListBuilderOptions = {}) {
    this.#gp = 8 * Math.min(checkCount("namedGp", options.namedGp ?? 0), 6);
    this.#fp = 48 +
      16 * Math.min(checkCount("namedFp", options.namedFp ?? 0), 8);
    this.#dirty = options.dirty ?? false;
    for (const arg of args) this.#slots.push(slotOf(arg));
  }

  /**
   * Appends an argument.
   *
   * @param type Its C type.
   * @param value Its value.
   * @returns This builder.
   * @throws {RangeError} If the value is out of the type's range, or a
   *   string holds a NUL.
   * @throws {TypeError} If the type is unknown, or the value is not of the
   *   kind the type takes.
   *
   * @example Building the list one argument at a time
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder()
   *     .arg("unsigned int", 0xffff_fff0)
   *     .arg("double", -0.5)
   *     .build(0x10_0000);
   *   strictEqual(args.u32(), 0xffff_fff0);
   *   strictEqual(args.f64(), -0.5);
   * });
   * ```
   */
  arg<T extends VaArg["type"]>(type: T, value: VaArgValue<T>): this {
    this.#slots.push(slotOf({ type, value } as VaArg));
    return this;
  }

  /**
   * How many bytes {@linkcode VaListBuilder.build} uses when given one
   * region: the struct at offset 0, the register save area at 32, the
   * overflow area at 208 (8 bytes a stack argument), then the strings.
   *
   * @returns The size in bytes.
   *
   * @example Seven ints: one goes on the stack
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const builder = new VaListBuilder(
   *   Array.from({ length: 7 }, (_, i) => ({ type: "int" as const, value: i })),
   * );
   * strictEqual(builder.byteLength, 32 + 176 + 8);
   * ```
   */
  get byteLength(): number {
    const { overflow, strings } = this.#plan();
    return OVERFLOW_OFFSET + 8 * overflow.length + strings;
  }

  /**
   * Writes the struct, the save area, the stack arguments and the strings
   * through the current CPU's MMU and returns the list, as `va_start`
   * leaves it.
   *
   * @param at The start of a region of {@linkcode VaListBuilder.byteLength}
   *   writable bytes (16-aligned, as a frame is, for a real layout), or
   *   where each part goes.
   * @returns The list.
   * @throws {NoCpuError} Outside `Machine.run`.
   * @throws {NonCanonicalAddressError} If an address is not canonical.
   * @throws {TypeError} If there are string arguments and a layout gives
   *   no place for them.
   *
   * @example Parts where a frame has them
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/mod.ts";
   *
   * new Machine({ ramSize: 2 << 20 }).run(() => {
   *   const args = new VaListBuilder(
   *     Array.from({ length: 7 }, (_, i) => ({ type: "long" as const, value: i })),
   *   ).build({
   *     vaList: 0x10_0e00,
   *     regSaveArea: 0x10_0e20,
   *     overflowArea: 0x10_0f00,
   *   });
   *   for (let i = 0n; i < 6n; i++) strictEqual(args.i64(), i);
   *   strictEqual(args.overflowArgArea, 0x10_0f00n);
   *   strictEqual(args.i64(), 6n); // from the stack
   * });
   * ```
   */
  build(at: VirtualAddressLike | VaListLayout): VaList {
    const { save, overflow, strings } = this.#plan();
    let layout: VaListLayout;
    if (typeof at === "object" && "vaList" in at) {
      layout = at;
    } else {
      const start = virtualAddress(at);
      layout = {
        vaList: start,
        regSaveArea: start.add(SAVE_OFFSET),
        overflowArea: start.add(OVERFLOW_OFFSET),
        strings: start.add(OVERFLOW_OFFSET + 8 * overflow.length),
      };
    }
    const vaList = virtualAddress(layout.vaList);
    const saveArea = virtualAddress(layout.regSaveArea);
    const overflowArea = virtualAddress(layout.overflowArea);
    const cpu = currentCpu();

    // The strings first: their addresses go into the slots.
    const pointers = new Map<Slot, bigint>();
    if (strings > 0) {
      if (layout.strings === undefined) {
        throw new TypeError(
          "No place for the string arguments: give the layout a strings address",
        );
      }
      let next = virtualAddress(layout.strings);
      for (const slot of this.#slots) {
        if (slot.string === undefined) continue;
        cpu.writeBytes(next.value, slot.string);
        pointers.set(slot, next.toBigInt());
        next = next.add(slot.string.length);
      }
    }
    const write = (view: DataView, offset: number, slot: Slot) => {
      if (slot.narrow) {
        view.setUint32(offset, Number(slot.bits), true);
        view.setUint32(offset + 4, this.#dirty ? HIGH_JUNK : 0, true);
      } else {
        view.setBigUint64(offset, pointers.get(slot) ?? slot.bits, true);
      }
    };

    // Unused slots and the high halves of XMM slots keep the fill.
    const saveBytes = new Uint8Array(REG_SAVE_AREA_SIZE);
    if (this.#dirty) saveBytes.fill(JUNK_BYTE);
    const saveView = new DataView(saveBytes.buffer);
    for (const [offset, slot] of save) write(saveView, offset, slot);
    const stackBytes = new Uint8Array(8 * overflow.length);
    const stackView = new DataView(stackBytes.buffer);
    overflow.forEach((slot, i) => write(stackView, 8 * i, slot));

    const struct = new DataView(new ArrayBuffer(VA_LIST_SIZE));
    struct.setUint32(0, this.#gp, true);
    struct.setUint32(4, this.#fp, true);
    struct.setBigUint64(8, overflowArea.toBigInt(), true);
    struct.setBigUint64(16, saveArea.toBigInt(), true);

    cpu.writeBytes(saveArea.value, saveBytes);
    cpu.writeBytes(overflowArea.value, stackBytes);
    cpu.writeBytes(vaList.value, new Uint8Array(struct.buffer));
    return VaList.at(vaList);
  }

  // Where each argument goes, by the ABI's rules: [offset in the save
  // area, slot] pairs, the stack slots in order, and the strings' size.
  #plan(): {
    save: [number, Slot][];
    overflow: Slot[];
    strings: number;
  } {
    let gp = this.#gp;
    let fp = this.#fp;
    const save: [number, Slot][] = [];
    const overflow: Slot[] = [];
    let strings = 0;
    for (const slot of this.#slots) {
      strings += slot.string?.length ?? 0;
      if (slot.sse ? fp <= 160 : gp <= 40) {
        save.push([slot.sse ? fp : gp, slot]);
        if (slot.sse) fp += 16;
        else gp += 8;
      } else {
        overflow.push(slot);
      }
    }
    return { save, overflow, strings };
  }
}
