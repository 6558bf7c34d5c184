import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { run } from "./_testing.ts";
import {
  cli,
  cpuid,
  hlt,
  interruptsEnabled,
  pause,
  readTsc,
  sti,
} from "./instructions.ts";
import { readRflags, RflagsFlags } from "./rflags.ts";
import { Port } from "./port.ts";

function ascii(...words: number[]): string {
  return String.fromCharCode(
    ...words.flatMap((w) => [0, 8, 16, 24].map((s) => w >>> s & 0xff)),
  );
}

Deno.test("hlt", async (t) => {
  await t.step(
    "with interrupts disabled nothing can wake the CPU: halted",
    () => {
      const report = run(() => {
        cli();
        hlt();
      });
      strictEqual(report.reason, "halted");
      strictEqual(report.exitStatus, 0);
      strictEqual(
        report.message,
        "hlt with interrupts disabled (RFLAGS.IF = 0)",
      );
    },
  );

  await t.step(
    "with interrupts enabled but no device to raise one: halted",
    () => {
      const report = run(() => {
        sti();
        for (;;) hlt();
      });
      strictEqual(report.reason, "halted");
      strictEqual(
        report.message,
        "hlt with interrupts enabled, but no device can raise an interrupt and no other CPU runs",
      );
    },
  );

  await t.step("code after the final hlt does not run", () => {
    let after = false;
    run(() => {
      hlt();
      after = true;
    });
    strictEqual(after, false);
  });
});

Deno.test("RFLAGS", async (t) => {
  await t.step("bit 1 is always set; cli and sti move IF only", () => {
    run(() => {
      strictEqual(readRflags(), 0x2);
      sti();
      strictEqual(readRflags(), 0x2 | RflagsFlags.IF);
      strictEqual(interruptsEnabled(), true);
      cli();
      strictEqual(readRflags(), 0x2);
      strictEqual(interruptsEnabled(), false);
    });
  });
});

Deno.test("TSC", async (t) => {
  // A program that mixes port I/O, pauses and TSC reads.
  function program(): bigint[] {
    const values: bigint[] = [];
    const lsr = new Port(0x3fd);
    for (let i = 0; i < 50; i++) {
      values.push(readTsc());
      if (i % 3 === 0) pause();
      if (i % 5 === 0) lsr.read();
    }
    return values;
  }

  await t.step("the same program run twice reads identical TSC values", () => {
    let first: bigint[] = [];
    let second: bigint[] = [];
    const a = run(() => first = program());
    const b = run(() => second = program());
    deepStrictEqual(first, second);
    strictEqual(a.tsc, b.tsc);
  });

  await t.step("the TSC increases strictly with the machine's work", () => {
    run(() => {
      const values = program();
      for (let i = 1; i < values.length; i++) {
        strictEqual(values[i]! > values[i - 1]!, true);
      }
    });
  });

  await t.step("on the host clock it follows real time", () => {
    run(() => {
      const start = readTsc();
      const until = performance.now() + 5;
      while (performance.now() < until) { /* spin 5 ms */ }
      // 5 ms at the nominal 2 GHz is 10^7 cycles.
      strictEqual(readTsc() - start >= 9_000_000n, true);
    }, { clock: "host" });
  });
});

Deno.test("cpuid", async (t) => {
  await t.step("leaf 0: the vendor string in EBX, EDX, ECX", () => {
    run(() => {
      const { ebx, edx, ecx } = cpuid(0);
      strictEqual(ascii(ebx, edx, ecx), "ExoKernelCPU");
    });
  });

  await t.step(
    "leaf 0x8000_0008: MAXPHYADDR and 48 linear-address bits",
    () => {
      run(() => strictEqual(cpuid(0x8000_0008).eax, 48 << 8 | 46));
      run(() => strictEqual(cpuid(0x8000_0008).eax & 0xff, 52), {
        maxPhysAddr: 52,
      });
    },
  );

  await t.step("leaf 0x8000_0001: long mode, NX and SYSCALL", () => {
    run(() => {
      const { edx } = cpuid(0x8000_0001);
      strictEqual(
        edx & (1 << 29 | 1 << 20 | 1 << 11),
        1 << 29 | 1 << 20 | 1 << 11,
      );
    });
  });
});
