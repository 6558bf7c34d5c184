import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import {
  fillBytes,
  readBytes,
  readU16,
  readU64,
  readU8,
  writeU32,
  writeU64,
} from "./virtual_memory.ts";

function machine(): Machine {
  return new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
}

Deno.test("virtual memory access", async (t) => {
  await t.step(
    "addresses as numbers, bigints and objects with a signed value",
    () => {
      const report = machine().run(() => {
        writeU64(0x20_0000, 0x0102_0304_0506_0708n);
        strictEqual(readU8(0x20_0000n), 0x08);
        strictEqual(readU16({ value: 0x20_0006 }), 0x0102);
      });
      strictEqual(report.reason, "returned");
    },
  );

  await t.step(
    "a higher-half bigint that nothing maps is a #PF with that CR2",
    () => {
      const report = machine().run(() => readU64(0xffff_8000_0000_0000n));
      strictEqual(report.tripleFault?.vector, 14);
      strictEqual(report.tripleFault?.cr2, 0xffff_8000_0000_0000n);
    },
  );

  await t.step("a non-canonical bigint is a #GP(0)", () => {
    const report = machine().run(() => readU8(0x0000_8000_0000_0000n));
    strictEqual(report.tripleFault?.vector, 13);
    strictEqual(report.tripleFault?.errorCode, 0);
  });

  await t.step("byte copies cross pages", () => {
    const report = machine().run(() => {
      fillBytes(0x20_0ffe, 4, 0x11);
      writeU32(0x20_1000, 0x4433_2211);
      deepStrictEqual([...readBytes(0x20_0ffe, 4)], [0x11, 0x11, 0x11, 0x22]);
    });
    strictEqual(report.reason, "returned");
  });

  await t.step("bad input is a RangeError", () => {
    const report = machine().run(() => {
      throws(() => readU8(1.5), RangeError);
      throws(() => readU8(2n ** 64n), RangeError);
      throws(() => readBytes(0x20_0000, -1), RangeError);
      throws(() => fillBytes(0x20_0000, 1, 256), RangeError);
      throws(() => writeU64(0x20_0000, 2 ** 60), RangeError);
    });
    strictEqual(report.reason, "returned");
  });
});
