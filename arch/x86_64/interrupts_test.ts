import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Machine, MemorySink } from "../../machine/mod.ts";
import { Reg } from "../../machine/cpu/register_file.ts";
import { currentCpu } from "../../machine/current_cpu.ts";
import { readU64, readU8 } from "../../memory/virtual_memory.ts";
import { writeCr4 } from "./control.ts";
import {
  GlobalDescriptorTable,
  KERNEL_CODE_SEGMENT,
  KERNEL_DATA_SEGMENT,
  loadTss,
  setSegments,
  TaskStateSegment,
  USER_CODE_SEGMENT,
  USER_DATA_SEGMENT,
} from "./gdt.ts";
import { cli, hlt, interruptsEnabled, sti } from "./instructions.ts";
import type { InterruptContext } from "./interrupt_context.ts";
import { InterruptManager } from "./interrupt_manager.ts";
import { int3, softwareInterrupt } from "./interrupts.ts";

// Facts of Intel SDM 3A chapter 6: the 64-bit frame (§6.14.2: RSP aligned
// to 16, then SS, RSP, RFLAGS, CS, RIP and the error code), gate types
// (§6.12.1.2: an interrupt gate clears IF, a trap gate does not), stack
// switches (§6.14.4/§6.14.5: RSPn from the TSS on a privilege change, ISTn
// when the gate names one), and the checks of §6.12.1.1.

function run(body: () => void): ReturnType<Machine["run"]> {
  return new Machine({ ramSize: 4 << 20, sink: new MemorySink() }).run(body);
}

/** A GDT with a kernel code segment and a TSS set up by `configure`, loaded. */
function loadTssWith(configure: (tss: TaskStateSegment) => void): void {
  const tss = new TaskStateSegment();
  configure(tss);
  const gdt = new GlobalDescriptorTable();
  gdt.addEntry(KERNEL_CODE_SEGMENT);
  const selector = gdt.addEntry(tss.descriptor());
  gdt.load();
  loadTss(selector);
}

function stackWords(count: number): bigint[] {
  const rsp = Number(currentCpu().registers.get(Reg.RSP));
  return Array.from({ length: count }, (_, i) => readU64(rsp + 8 * i));
}

Deno.test("exception delivery", async (t) => {
  await t.step(
    "a vector with an error code: the frame byte-exact on the stack",
    () => {
      let frame: bigint[] = [];
      let rsp = 0n;
      const report = run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(13, () => {
          rsp = currentCpu().registers.get(Reg.RSP);
          frame = stackWords(6);
        });
        idt.load();
        writeCr4(1n << 32n); // reserved: #GP(0)
      });
      strictEqual(report.reason, "returned", report.message);
      strictEqual(rsp, 0x7_0000n - 48n);
      // error code, RIP, CS, RFLAGS, RSP, SS
      deepStrictEqual(frame, [0n, 0x10_0000n, 0x08n, 0x2n, 0x7_0000n, 0x10n]);
    },
  );

  await t.step(
    "a vector without one: five words, RSP aligned down to 16 first",
    () => {
      let frame: bigint[] = [];
      let rsp = 0n;
      const report = run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(3, () => {
          rsp = currentCpu().registers.get(Reg.RSP);
          frame = stackWords(5);
        });
        idt.load();
        currentCpu().registers.set(Reg.RSP, 0x6_fff8n); // not 16-aligned
        int3();
      });
      strictEqual(report.reason, "returned", report.message);
      strictEqual(rsp, 0x6_fff0n - 40n);
      deepStrictEqual(frame, [0x10_0000n, 0x08n, 0x2n, 0x6_fff8n, 0x10n]);
    },
  );

  await t.step(
    "an interrupt gate clears IF, a trap gate keeps it; iretq restores it",
    () => {
      const seen: boolean[] = [];
      const report = run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(3, () => seen.push(interruptsEnabled()));
        idt.registerHandler(4, () => seen.push(interruptsEnabled()), {
          trap: true,
        });
        idt.load();
        sti();
        int3();
        softwareInterrupt(4);
        seen.push(interruptsEnabled());
      });
      strictEqual(report.reason, "returned", report.message);
      deepStrictEqual(seen, [false, true, true]);
    },
  );

  await t.step("a gate with an IST index switches to that stack", () => {
    let rsp = 0n;
    const report = run(() => {
      loadTssWith((tss) => {
        tss.setInterruptStack(2, 0x5_8000);
      });
      const idt = new InterruptManager();
      idt.registerHandler(3, () => rsp = currentCpu().registers.get(Reg.RSP), {
        ist: 2,
      });
      idt.load();
      int3();
    });
    strictEqual(report.reason, "returned", report.message);
    strictEqual(rsp, 0x5_8000n - 40n);
  });

  await t.step("CPL 3 → 0 switches to RSP0, and iretq returns to CPL 3", () => {
    const seen: Record<string, bigint | number> = {};
    let after = 0;
    const report = run(() => {
      const tss = new TaskStateSegment();
      tss.setPrivilegeStack(0, 0x5_c000);
      const gdt = new GlobalDescriptorTable();
      const kernelCode = gdt.addEntry(KERNEL_CODE_SEGMENT);
      gdt.addEntry(KERNEL_DATA_SEGMENT);
      const userData = gdt.addEntry(USER_DATA_SEGMENT);
      const userCode = gdt.addEntry(USER_CODE_SEGMENT);
      const tssSelector = gdt.addEntry(tss.descriptor());
      gdt.load();
      loadTss(tssSelector);
      const idt = new InterruptManager({ codeSelector: kernelCode });
      idt.registerHandler(0x80, (ctx: InterruptContext) => {
        const r = currentCpu().registers;
        Object.assign(seen, {
          cs: Number(r.get(Reg.CS)),
          ss: Number(r.get(Reg.SS)),
          rsp: r.get(Reg.RSP),
          frameCs: ctx.cs,
          frameSs: ctx.ss,
          frameRsp: ctx.rsp,
        });
      }, { dpl: 3 });
      idt.load();
      setSegments(userCode, userData);
      softwareInterrupt(0x80);
      after = currentCpu().cpl;
      setSegments(kernelCode, 0x10);
    });
    strictEqual(report.reason, "returned", report.message);
    deepStrictEqual(seen, {
      cs: 0x08,
      ss: 0,
      rsp: 0x5_c000n - 40n,
      frameCs: 0x23,
      frameSs: 0x1b,
      frameRsp: 0x7_0000n,
    });
    strictEqual(after, 3);
  });
});

Deno.test("gate checks", async (t) => {
  await t.step(
    "int n from CPL 3 through a DPL-0 gate is #GP(vector·8 + 2)",
    () => {
      let code: number | undefined;
      const report = run(() => {
        loadTssWith((tss) => {
          tss.setPrivilegeStack(0, 0x5_c000);
        });
        const idt = new InterruptManager();
        idt.registerHandler(0x40, () => {});
        idt.registerHandler(13, (ctx) => code = ctx.errorCode);
        idt.load();
        setSegments(0x23, 0x1b);
        softwareInterrupt(0x40);
        setSegments(0x08, 0x10);
      });
      strictEqual(report.reason, "returned", report.message);
      strictEqual(code, 0x40 * 8 + 2);
    },
  );

  await t.step(
    "a gate that is not present is #NP(vector·8 + 2); a zeroed one is #GP",
    () => {
      let code: number | undefined;
      const report = run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(11, (ctx) => code = ctx.errorCode);
        idt.load();
        softwareInterrupt(0x41);
      });
      strictEqual(report.reason, "returned", report.message);
      strictEqual(code, 0x41 * 8 + 2);
    },
  );
});

Deno.test("faults while delivering", async (t) => {
  await t.step(
    "a #PF whose handler stack faults becomes #DF (SDM 3A table 6-5)",
    () => {
      let doubleFault: number | undefined;
      const report = run(() => {
        loadTssWith((tss) => {
          tss.setInterruptStack(1, 0x4000_0000_0000); // not mapped
          tss.setInterruptStack(2, 0x5_8000);
        });
        const idt = new InterruptManager();
        idt.registerHandler(14, () => {}, { ist: 1 });
        idt.registerHandler(8, (ctx) => {
          doubleFault = ctx.errorCode;
          cli();
          for (;;) hlt(); // a double fault is the end
        }, { ist: 2 });
        idt.load();
        readU8(0x5000_0000_0000);
      });
      strictEqual(report.reason, "halted");
      strictEqual(doubleFault, 0);
    },
  );

  await t.step(
    "with no #DF handler that is a triple fault, and the report tells the chain",
    () => {
      const report = run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(14, () => {}, {});
        idt.load();
        currentCpu().registers.set(Reg.RSP, 0x5000_0000_0000n); // an unmapped stack
        readU8(0x5000_0000_0000);
      });
      strictEqual(report.reason, "triple-fault");
      const chain = report.tripleFault!.chain;
      strictEqual(chain.length, 3);
      strictEqual(
        chain[1]!.startsWith("delivering #PF: write at 0x0000_4fff_ffff_fff8"),
        true,
        chain[1],
      );
      strictEqual(chain[1]!.endsWith("→ #DF"), true);
      strictEqual(
        chain[2]!.startsWith("delivering #DF: gate 8 is not present"),
        true,
        chain[2],
      );
    },
  );
});

Deno.test("handlers and the interrupted state", async (t) => {
  await t.step(
    "a handler's changes to the frame and registers survive iretq",
    () => {
      let rax = 0n;
      let flags = 0;
      const report = run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(3, (ctx) => {
          ctx.setRegister("rax", 0x1234n);
          ctx.rflags = ctx.rflags | 1 << 9; // return with IF set
        });
        idt.load();
        int3();
        rax = currentCpu().registers.get(Reg.RAX);
        flags = currentCpu().readRflags();
      });
      strictEqual(report.reason, "returned", report.message);
      strictEqual(rax, 0x1234n);
      strictEqual(flags, 0x202);
    },
  );
});

Deno.test("every exception vector pushes an error code exactly when SDM table 6-1 says", () => {
  // Vectors with an error code: 8, 10–14, 17, 21, 29, 30.
  const withCode = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
  const vectors = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    16,
    17,
    18,
    19,
    20,
    21,
    28,
    29,
    30,
  ];
  const seen: [number, number | undefined, bigint][] = [];
  const report = run(() => {
    const idt = new InterruptManager();
    for (const v of vectors) {
      idt.registerHandler(
        v,
        (ctx) =>
          seen.push([
            ctx.vector,
            ctx.errorCode,
            0x7_0000n - currentCpu().registers.get(Reg.RSP),
          ]),
      );
    }
    idt.load();
    for (const v of vectors) {
      currentCpu().raise(v, withCode.has(v) ? 0x18 : 0, "test");
    }
  });
  strictEqual(report.reason, "returned", report.message);
  deepStrictEqual(
    seen,
    vectors.map((v) => withCode.has(v) ? [v, 0x18, 48n] : [v, undefined, 40n]),
  );
});
