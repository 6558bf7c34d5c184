import { strictEqual } from "node:assert/strict";
import { expectGp0, run } from "./_testing.ts";
import {
  readCr0,
  readCr3,
  readCr4,
  readCr8,
  writeCr0,
  writeCr3,
  writeCr4,
  writeCr8,
} from "./control.ts";
import { Cr0Flags } from "./cr0_flags.ts";
import { Cr4Flags } from "./cr4_flags.ts";

// The rules checked here are those of SDM 2B "MOV—Move to/from Control
// Registers", 64-bit mode exceptions, and SDM 3A §2.5.

Deno.test("CR0", async (t) => {
  await t.step("a 64-bit boot state: PE MP ET NE WP PG", () => {
    run(() => strictEqual(readCr0(), 0x8001_0033));
  });

  await t.step("setting a bit in 63..32 raises #GP(0)", () => {
    expectGp0(() => writeCr0(BigInt(readCr0()) | 1n << 32n));
  });

  await t.step("PG = 1 with PE = 0 raises #GP(0)", () => {
    expectGp0(() => writeCr0(readCr0() & ~Cr0Flags.PE));
  });

  await t.step("NW = 1 with CD = 0 raises #GP(0)", () => {
    expectGp0(() => writeCr0(readCr0() | Cr0Flags.NW));
  });

  await t.step("clearing PG in 64-bit mode raises #GP(0)", () => {
    expectGp0(() => writeCr0(readCr0() & ~Cr0Flags.PG));
  });

  await t.step("reserved bits 31..0 are ignored and ET stays 1", () => {
    run(() => {
      writeCr0((readCr0() | 1 << 6 | 1 << 17) & ~Cr0Flags.ET);
      strictEqual(readCr0(), 0x8001_0033);
    });
  });

  await t.step("CD and NW together are allowed", () => {
    run(() => {
      writeCr0(readCr0() | Cr0Flags.CD | Cr0Flags.NW);
      strictEqual(readCr0(), 0xe001_0033);
    });
  });
});

Deno.test("CR4", async (t) => {
  for (
    const [name, bit] of [
      ["LA57 (no 5-level paging)", 12],
      ["VMXE (no VMX)", 13],
      ["SMXE (no SMX)", 14],
      ["reserved bit 15", 15],
      ["OSXSAVE (no XSAVE)", 18],
      ["reserved bit 19", 19],
      ["reserved bit 23", 23],
      ["reserved bit 31", 31],
    ] as const
  ) {
    await t.step(`${name} raises #GP(0)`, () => {
      expectGp0(() => writeCr4(readCr4() | 1 << bit));
    });
  }

  await t.step("bit 32 raises #GP(0)", () => {
    expectGp0(() => writeCr4(BigInt(readCr4()) | 1n << 32n));
  });

  await t.step("clearing PAE in IA-32e mode raises #GP(0)", () => {
    expectGp0(() => writeCr4(readCr4() & ~Cr4Flags.PAE));
  });

  await t.step(
    "setting PCIDE while CR3 bits 11..0 are not 0 raises #GP(0)",
    () => {
      expectGp0(() => {
        writeCr3(0x1008); // PWT
        writeCr4(readCr4() | Cr4Flags.PCIDE);
      });
    },
  );

  await t.step("every implemented flag can be set and read back", () => {
    const flags = Cr4Flags.PAE | Cr4Flags.PGE | Cr4Flags.OSFXSR |
      Cr4Flags.OSXMMEXCPT |
      Cr4Flags.SMEP | Cr4Flags.SMAP | Cr4Flags.PKE | Cr4Flags.FSGSBASE |
      Cr4Flags.PCIDE |
      Cr4Flags.UMIP | Cr4Flags.TSD | Cr4Flags.DE | Cr4Flags.PSE | Cr4Flags.MCE |
      Cr4Flags.PCE;
    run(() => {
      writeCr4(flags);
      strictEqual(readCr4(), flags);
    });
  });
});

Deno.test("CR3", async (t) => {
  await t.step("bit 63 without CR4.PCIDE raises #GP(0)", () => {
    expectGp0(() => writeCr3(1n << 63n | 0x1000n));
  });

  await t.step("with CR4.PCIDE, bit 63 is accepted and not stored", () => {
    run(() => {
      writeCr4(readCr4() | Cr4Flags.PCIDE);
      writeCr3(1n << 63n | 0x2005n);
      strictEqual(readCr3(), 0x2005);
    });
  });

  await t.step("bits at or above MAXPHYADDR raise #GP(0)", () => {
    run(() => writeCr3(2 ** 45)); // below MAXPHYADDR 46
    expectGp0(() => writeCr3(2 ** 46));
    expectGp0(() => writeCr3(2 ** 39), { maxPhysAddr: 39 });
    run(() => writeCr3(2 ** 38), { maxPhysAddr: 39 });
  });
});

Deno.test("CR8", async (t) => {
  await t.step("bits 3..0 hold the task priority", () => {
    run(() => {
      writeCr8(9);
      strictEqual(readCr8(), 9);
    });
  });

  await t.step("bit 4 and above raise #GP(0)", () => {
    expectGp0(() => writeCr8(0x10));
  });
});
