import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { PhysicalMemory } from "../machine/physical_memory.ts";
import { type MemoryType, MemoryTypes } from "./memory_type.ts";

const ram = new PhysicalMemory(1 << 16);

function bytesAfter<T>(type: MemoryType<T>, value: T): number[] {
  ram.fill(0x100, 16, 0xaa);
  type.write(ram, 0x100, value);
  return [...ram.readBytes(0x100, type.size)];
}

Deno.test("MemoryTypes", async (t) => {
  await t.step("sizes and alignments are Rust's", () => {
    const sizes = Object.fromEntries(
      Object.entries(MemoryTypes).map(([name, type]) => {
        strictEqual(type.name, name);
        strictEqual(type.align, type.size);
        return [name, type.size];
      }),
    );
    deepStrictEqual(sizes, {
      u8: 1,
      u16: 2,
      u32: 4,
      u64: 8,
      i8: 1,
      i16: 2,
      i32: 4,
      i64: 8,
      f64: 8,
    });
  });

  await t.step(
    "range edges round-trip, little-endian, in two's complement",
    () => {
      const cases: [MemoryType<number>, number, number[]][] = [
        [MemoryTypes.u8, 0, [0]],
        [MemoryTypes.u8, 255, [0xff]],
        [MemoryTypes.u16, 0xffff, [0xff, 0xff]],
        [MemoryTypes.u16, 0x1234, [0x34, 0x12]],
        [MemoryTypes.u32, 0xffff_ffff, [0xff, 0xff, 0xff, 0xff]],
        [MemoryTypes.u32, 0x1122_3344, [0x44, 0x33, 0x22, 0x11]],
        [MemoryTypes.i8, -128, [0x80]],
        [MemoryTypes.i8, 127, [0x7f]],
        [MemoryTypes.i8, -1, [0xff]],
        [MemoryTypes.i16, -32768, [0x00, 0x80]],
        [MemoryTypes.i16, -2, [0xfe, 0xff]],
        [MemoryTypes.i16, 32767, [0xff, 0x7f]],
        [MemoryTypes.i32, -(2 ** 31), [0, 0, 0, 0x80]],
        [MemoryTypes.i32, 2 ** 31 - 1, [0xff, 0xff, 0xff, 0x7f]],
        [MemoryTypes.i32, -1, [0xff, 0xff, 0xff, 0xff]],
        // IEEE 754 binary64: 1.0 = 0x3FF0_0000_0000_0000, -0 = sign bit only.
        [MemoryTypes.f64, 1, [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]],
        [MemoryTypes.f64, -0, [0, 0, 0, 0, 0, 0, 0, 0x80]],
        [MemoryTypes.f64, -Infinity, [0, 0, 0, 0, 0, 0, 0xf0, 0xff]],
        [MemoryTypes.f64, Number.MIN_VALUE, [1, 0, 0, 0, 0, 0, 0, 0]],
      ];
      for (const [type, value, bytes] of cases) {
        deepStrictEqual(
          bytesAfter(type, value),
          bytes,
          `${type.name} ${value}`,
        );
        ok(Object.is(type.read(ram, 0x100), value), `${type.name} ${value}`);
      }
      MemoryTypes.f64.write(ram, 0x100, NaN);
      ok(Number.isNaN(MemoryTypes.f64.read(ram, 0x100)));
      strictEqual(ram.readU64High(0x100) & 0x7ff0_0000, 0x7ff0_0000); // exponent all ones
    },
  );

  await t.step("64-bit edges round-trip as bigints", () => {
    const cases: [MemoryType<bigint>, bigint, bigint][] = [
      [MemoryTypes.u64, 0n, 0n],
      [MemoryTypes.u64, 2n ** 64n - 1n, 0xffff_ffff_ffff_ffffn],
      [MemoryTypes.i64, -(2n ** 63n), 0x8000_0000_0000_0000n],
      [MemoryTypes.i64, 2n ** 63n - 1n, 0x7fff_ffff_ffff_ffffn],
      [MemoryTypes.i64, -1n, 0xffff_ffff_ffff_ffffn],
    ];
    for (const [type, value, bits] of cases) {
      type.write(ram, 0x100, value);
      strictEqual(ram.readU64(0x100), bits);
      strictEqual(type.read(ram, 0x100), value);
    }
  });

  await t.step("every value in range round-trips (property)", () => {
    const ints: [MemoryType<number>, number, number][] = [
      [MemoryTypes.u8, 0, 0xff],
      [MemoryTypes.u16, 0, 0xffff],
      [MemoryTypes.u32, 0, 0xffff_ffff],
      [MemoryTypes.i8, -0x80, 0x7f],
      [MemoryTypes.i16, -0x8000, 0x7fff],
      [MemoryTypes.i32, -0x8000_0000, 0x7fff_ffff],
    ];
    for (const [type, min, max] of ints) {
      fc.assert(fc.property(fc.integer({ min, max }), (value) => {
        type.write(ram, 0x200, value);
        return type.read(ram, 0x200) === value;
      }));
    }
    fc.assert(fc.property(fc.bigInt(0n, 2n ** 64n - 1n), (value) => {
      MemoryTypes.u64.write(ram, 0x200, value);
      return MemoryTypes.u64.read(ram, 0x200) === value;
    }));
    fc.assert(fc.property(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), (value) => {
      MemoryTypes.i64.write(ram, 0x200, value);
      return MemoryTypes.i64.read(ram, 0x200) === value &&
        ram.readU64(0x200) === BigInt.asUintN(64, value);
    }));
    fc.assert(fc.property(fc.double(), (value) => {
      MemoryTypes.f64.write(ram, 0x200, value);
      return Object.is(MemoryTypes.f64.read(ram, 0x200), value);
    }));
  });

  await t.step("values outside the type are rejected, not wrapped", () => {
    ram.writeU64(0x300, 0x0102_0304_0506_0708n);
    const refused: [MemoryType<number>, number, string][] = [
      [
        MemoryTypes.u8,
        256,
        "Invalid u8 value 256: expected an integer from 0 to 255",
      ],
      [
        MemoryTypes.u8,
        -1,
        "Invalid u8 value -1: expected an integer from 0 to 255",
      ],
      [
        MemoryTypes.u16,
        1.5,
        "Invalid u16 value 1.5: expected an integer from 0 to 65535",
      ],
      [
        MemoryTypes.u32,
        2 ** 32,
        "Invalid u32 value 4294967296: expected an integer from 0 to 4294967295",
      ],
      [
        MemoryTypes.i8,
        128,
        "Invalid i8 value 128: expected an integer from -128 to 127",
      ],
      [
        MemoryTypes.i16,
        -32769,
        "Invalid i16 value -32769: expected an integer from -32768 to 32767",
      ],
      [
        MemoryTypes.i32,
        NaN,
        "Invalid i32 value NaN: expected an integer from -2147483648 to 2147483647",
      ],
    ];
    for (const [type, value, message] of refused) {
      throws(() => type.write(ram, 0x300, value), {
        name: "RangeError",
        message,
      });
    }
    throws(
      () => MemoryTypes.u64.write(ram, 0x300, 2n ** 64n),
      {
        name: "RangeError",
        message:
          "Invalid u64 value 18446744073709551616: expected an integer from 0 to 18446744073709551615",
      },
    );
    throws(() => MemoryTypes.u64.write(ram, 0x300, -1n), RangeError);
    throws(() => MemoryTypes.i64.write(ram, 0x300, 2n ** 63n), RangeError);
    throws(
      () => MemoryTypes.u64.write(ram, 0x300, 1 as unknown as bigint),
      {
        name: "TypeError",
        message: "Invalid u64 value 1: expected a bigint, not a number",
      },
    );
    throws(
      () => MemoryTypes.f64.write(ram, 0x300, 1n as unknown as number),
      TypeError,
    );
    throws(
      () => MemoryTypes.u8.write(ram, 0x300, "1" as unknown as number),
      TypeError,
    );
    strictEqual(ram.readU64(0x300), 0x0102_0304_0506_0708n); // nothing written
  });
});
