import type { PhysicalMemory } from "../machine/physical_memory.ts";

/**
 * How a value of type `T` is laid out in machine memory: the descriptor of
 * the data of a memory-backed lock (`Mutex.inMemory`, `Once.inMemory`, …),
 * which reads and writes it there, little-endian, at every access.
 *
 * {@linkcode MemoryTypes} has the scalar types; write one of your own for a
 * struct, from the `PhysicalMemory` accessors.
 *
 * @typeParam T The JS type of the value.
 *
 * @example A struct of two `u32`s
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/mod.ts";
 * import type { MemoryType } from "./memory_type.ts";
 *
 * interface Range {
 *   start: number;
 *   end: number;
 * }
 * const RangeType: MemoryType<Range> = {
 *   name: "Range",
 *   size: 8,
 *   align: 4,
 *   read: (memory, address) => ({
 *     start: memory.readU32(address),
 *     end: memory.readU32(address + 4),
 *   }),
 *   write(memory, address, value) {
 *     memory.writeU32(address, value.start);
 *     memory.writeU32(address + 4, value.end);
 *   },
 * };
 *
 * const ram = new PhysicalMemory(1 << 16);
 * RangeType.write(ram, 0x100, { start: 0x1000, end: 0x2000 });
 * deepStrictEqual(RangeType.read(ram, 0x100), { start: 0x1000, end: 0x2000 });
 * ```
 */
export interface MemoryType<T> {
  /** The type's name, for messages: `u32`, `Range`. */
  readonly name: string;
  /** Its size in bytes. */
  readonly size: number;
  /** The alignment its address needs, in bytes (a power of two). */
  readonly align: number;
  /**
   * Reads a value.
   *
   * @param memory The machine's RAM.
   * @param address The physical address of the value.
   * @returns The value.
   */
  read(memory: PhysicalMemory, address: number): T;
  /**
   * Writes a value.
   *
   * @param memory The machine's RAM.
   * @param address The physical address of the value.
   * @param value The value.
   * @throws {RangeError} If the value does not fit the type.
   */
  write(memory: PhysicalMemory, address: number, value: T): void;
}

/**
 * The scalar {@linkcode MemoryType}s, named as Rust names them: `u8` `u16`
 * `u32` `i8` `i16` `i32` and `f64` are `number`s, `u64` and `i64` are
 * `bigint`s (DESIGN: 64-bit integers are `bigint` at the API edge).
 *
 * Writes **reject** what does not fit — they never wrap: an integer type
 * throws a `RangeError` naming the type and its range for a value outside
 * it or with a fraction (`Invalid u8 value 256: expected an integer from 0
 * to 255`), and a `TypeError` for a value of the wrong JS type. `f64` takes
 * every `number`, and keeps `-0` and `NaN`.
 *
 * @example A round trip of each edge
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/mod.ts";
 *
 * const ram = new PhysicalMemory(1 << 16);
 * MemoryTypes.u64.write(ram, 0x100, 2n ** 64n - 1n);
 * strictEqual(MemoryTypes.u64.read(ram, 0x100), 2n ** 64n - 1n);
 * strictEqual(MemoryTypes.i64.read(ram, 0x100), -1n); // the same bits
 * MemoryTypes.f64.write(ram, 0x108, -0);
 * strictEqual(Object.is(MemoryTypes.f64.read(ram, 0x108), -0), true);
 * throws(() => MemoryTypes.u8.write(ram, 0, 256), RangeError);
 * ```
 */
export const MemoryTypes: {
  /** An unsigned byte, 0 to 255. */
  readonly u8: MemoryType<number>;
  /** An unsigned 16-bit integer, 0 to 65,535. */
  readonly u16: MemoryType<number>;
  /** An unsigned 32-bit integer, 0 to 2^32 − 1. */
  readonly u32: MemoryType<number>;
  /** An unsigned 64-bit integer, 0 to 2^64 − 1, as a `bigint`. */
  readonly u64: MemoryType<bigint>;
  /** A signed byte, −128 to 127. */
  readonly i8: MemoryType<number>;
  /** A signed 16-bit integer, −32,768 to 32,767. */
  readonly i16: MemoryType<number>;
  /** A signed 32-bit integer, −2^31 to 2^31 − 1. */
  readonly i32: MemoryType<number>;
  /** A signed 64-bit integer, −2^63 to 2^63 − 1, as a `bigint`. */
  readonly i64: MemoryType<bigint>;
  /** An IEEE 754 double: every `number`, `-0` and `NaN` included. */
  readonly f64: MemoryType<number>;
} = Object.freeze({
  u8: integer("u8", 1, false),
  u16: integer("u16", 2, false),
  u32: integer("u32", 4, false),
  u64: bigInteger("u64", false),
  i8: integer("i8", 1, true),
  i16: integer("i16", 2, true),
  i32: integer("i32", 4, true),
  i64: bigInteger("i64", true),
  f64: {
    name: "f64",
    size: 8,
    align: 8,
    read(memory: PhysicalMemory, address: number): number {
      HALVES[0] = memory.readU64Low(address);
      HALVES[1] = memory.readU64High(address);
      return DOUBLE[0]!;
    },
    write(memory: PhysicalMemory, address: number, value: number): void {
      if (typeof value !== "number") throw typeError("f64", value, "a number");
      DOUBLE[0] = value;
      memory.writeU64Halves(address, HALVES[0]!, HALVES[1]!);
    },
  },
});

// One double and its two u32 halves (little-endian, like the machine), to
// move an f64's bits through `readU64Low`/`readU64High` without a bigint.
const DOUBLE = new Float64Array(1);
const HALVES = new Uint32Array(DOUBLE.buffer);

/** A `number` integer type of `size` bytes (1, 2 or 4), two's complement if `signed`. */
function integer(
  name: string,
  size: 1 | 2 | 4,
  signed: boolean,
): MemoryType<number> {
  const bits = 8 * size;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  // Sign-extends a raw value from `bits` to 32 bits, or keeps it unsigned.
  const shift = 32 - bits;
  return {
    name,
    size,
    align: size,
    read(memory: PhysicalMemory, address: number): number {
      const raw = size === 1
        ? memory.readU8(address)
        : size === 2
        ? memory.readU16(address)
        : memory.readU32(address);
      return signed ? raw << shift >> shift : raw;
    },
    write(memory: PhysicalMemory, address: number, value: number): void {
      if (typeof value !== "number") throw typeError(name, value, "a number");
      if (!(value >= min && value <= max && Math.floor(value) === value)) {
        throw rangeError(name, value, min, max);
      }
      const raw = value < 0 ? value + 2 ** bits : value;
      if (size === 1) memory.writeU8(address, raw);
      else if (size === 2) memory.writeU16(address, raw);
      else memory.writeU32(address, raw);
    },
  };
}

/** A 64-bit `bigint` integer type, two's complement if `signed`. */
function bigInteger(name: string, signed: boolean): MemoryType<bigint> {
  const min = signed ? -(2n ** 63n) : 0n;
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  return {
    name,
    size: 8,
    align: 8,
    read(memory: PhysicalMemory, address: number): bigint {
      const raw = memory.readU64(address);
      return signed ? BigInt.asIntN(64, raw) : raw;
    },
    write(memory: PhysicalMemory, address: number, value: bigint): void {
      if (typeof value !== "bigint") throw typeError(name, value, "a bigint");
      if (value < min || value > max) throw rangeError(name, value, min, max);
      memory.writeU64(address, BigInt.asUintN(64, value));
    },
  };
}

function rangeError<N extends number | bigint>(
  name: string,
  value: N,
  min: N,
  max: N,
): RangeError {
  return new RangeError(
    `Invalid ${name} value ${value}: expected an integer from ${min} to ${max}`,
  );
}

function typeError(name: string, value: unknown, expected: string): TypeError {
  return new TypeError(
    `Invalid ${name} value ${
      String(value)
    }: expected ${expected}, not a ${typeof value}`,
  );
}
