import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { PhysicalAddressError, PhysicalMemory } from "./physical_memory.ts";

const SIZE = 64 * 1024;

Deno.test("PhysicalMemory", async (t) => {
  await t.step(
    "stores little-endian: the low byte at the lowest address",
    () => {
      const ram = new PhysicalMemory(SIZE);
      ram.writeU32(0x100, 0x1234_5678);
      deepStrictEqual([...ram.readBytes(0x100, 4)], [0x78, 0x56, 0x34, 0x12]);
      strictEqual(ram.readU16(0x100), 0x5678);
      strictEqual(ram.readU16(0x102), 0x1234);
    },
  );

  await t.step("64-bit values read back as bigint and as u32 halves", () => {
    const ram = new PhysicalMemory(SIZE);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 0, max: SIZE / 8 - 1 }),
        (value, slot) => {
          const address = slot * 8;
          ram.writeU64(address, value);
          strictEqual(ram.readU64(address), value);
          strictEqual(ram.readU64Low(address), Number(value & 0xffff_ffffn));
          strictEqual(ram.readU64High(address), Number(value >> 32n));
          strictEqual(ram.readU32(address + 4), Number(value >> 32n));
        },
      ),
    );
  });

  await t.step("writeU64Halves is writeU64 of high·2^32 + low", () => {
    const ram = new PhysicalMemory(SIZE);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (low, high) => {
          ram.writeU64Halves(8, low, high);
          strictEqual(ram.readU64(8), BigInt(high) << 32n | BigInt(low));
        },
      ),
    );
  });

  await t.step("a fresh RAM is zero", () => {
    const ram = new PhysicalMemory(SIZE);
    strictEqual(ram.readU64(SIZE - 8), 0n);
  });

  await t.step("copy behaves as memmove, fill as memset", () => {
    const ram = new PhysicalMemory(SIZE);
    ram.writeBytes(0x10, Uint8Array.of(1, 2, 3, 4, 5));
    ram.copy(0x12, 0x10, 5); // overlapping, forwards
    deepStrictEqual([...ram.readBytes(0x10, 7)], [1, 2, 1, 2, 3, 4, 5]);
    ram.fill(0x11, 3, 0xaa);
    deepStrictEqual([...ram.readBytes(0x10, 5)], [1, 0xaa, 0xaa, 0xaa, 3]);
  });

  await t.step(
    "an access outside RAM names the address and the RAM size",
    () => {
      const ram = new PhysicalMemory(SIZE);
      throws(() => ram.readU8(SIZE), {
        name: "PhysicalAddressError",
        message:
          "Physical access of 1 byte at 0x0000_0000_0001_0000 is outside RAM: the machine has 64 KiB (0x1_0000 bytes)",
      });
      throws(() => ram.readU32(SIZE - 2), PhysicalAddressError);
      throws(() => ram.writeU64(SIZE - 4, 1n), PhysicalAddressError);
      throws(() => ram.copy(SIZE - 4, 0, 8), PhysicalAddressError);
      throws(() => ram.fill(0, SIZE + 1), PhysicalAddressError);
    },
  );

  await t.step("negative and non-integer addresses are rejected", () => {
    const ram = new PhysicalMemory(SIZE);
    throws(() => ram.readU8(-1), {
      name: "PhysicalAddressError",
      message:
        "Invalid physical address -1: expected an integer from 0 to 0xffff",
    });
    throws(() => ram.writeU32(1.5, 0), PhysicalAddressError);
    throws(() => ram.readU16(Number.NaN), PhysicalAddressError);
  });

  await t.step("values too wide for the access are rejected", () => {
    const ram = new PhysicalMemory(SIZE);
    throws(() => ram.writeU8(0, 0x100), RangeError);
    throws(() => ram.writeU16(0, -1), RangeError);
    throws(() => ram.writeU32(0, 2 ** 32), RangeError);
    throws(() => ram.writeU64(0, 2n ** 64n), RangeError);
    throws(() => ram.writeU64(0, -1n), RangeError);
    throws(() => ram.writeU64Halves(0, 0, 2 ** 32), RangeError);
  });

  await t.step("RAM sizes must be positive multiples of 4 KiB", () => {
    for (const size of [0, -4096, 4095, 4096.5, Number.NaN]) {
      throws(() => new PhysicalMemory(size), {
        name: "RangeError",
        message:
          `Invalid RAM size ${size}: expected a positive multiple of 4096 bytes`,
      });
    }
  });

  await t.step("a second view of the same buffer sees the same memory", () => {
    const ram = new PhysicalMemory(SIZE);
    const other = new PhysicalMemory(ram.buffer);
    ram.writeU32(0x40, 0xdead_beef);
    strictEqual(other.readU32(0x40), 0xdead_beef);
  });
});
