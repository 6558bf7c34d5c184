import { match, strictEqual, throws } from "node:assert/strict";
import { Machine } from "./machine.ts";
import { currentCpu, NoCpuError } from "./current_cpu.ts";
import { MemorySink } from "./serial_sink.ts";
import { Reg } from "./cpu/register_file.ts";

function machine(): Machine {
  return new Machine({ ramSize: 1 << 20, sink: new MemorySink() });
}

Deno.test("Machine.run", async (t) => {
  await t.step("an exception with no IDT ends in a triple-fault report", () => {
    const report = machine().run(() => {
      const cpu = currentCpu();
      cpu.registers.set(Reg.RAX, 0x1122_3344_5566_7788n);
      cpu.writeCr(2, 0xdead_b000, 0);
      cpu.writeCr(4, 0, 1); // CR4 bit 32: #GP(0)
    }, { entryAddress: 0x20_0000 });
    strictEqual(report.reason, "triple-fault");
    strictEqual(report.exitStatus, 2);
    const fault = report.tripleFault!;
    strictEqual(fault.vector, 13);
    strictEqual(fault.errorCode, 0);
    strictEqual(fault.rip, 0x20_0000n);
    strictEqual(fault.cr2, 0xdead_b000n);
    strictEqual(report.registers.rax, 0x1122_3344_5566_7788n);
    // #GP while delivering #GP is #DF; a fault while delivering #DF shuts
    // down (SDM 3A table 6-5). The IDT error codes name the gate with IDT
    // and EXT set: (13 << 3) | 3 = 0x6b, (8 << 3) | 3 = 0x43.
    strictEqual(fault.chain.length, 3);
    match(
      fault.chain[0]!,
      /^#GP\(0x0\) at RIP 0x0000_0000_0020_0000: mov cr4: bits 63\.\.32/,
    );
    match(fault.chain[1]!, /delivering #GP: .*raising #GP\(0x6b\) → #DF$/);
    match(
      fault.chain[2]!,
      /delivering #DF: .*raising #GP\(0x43\) → triple fault$/,
    );
    match(report.toString(), /RAX +0x1122_3344_5566_7788/);
  });

  await t.step("a benign exception is delivered serially before #DF", () => {
    const report = machine().run(() => currentCpu().raise(6, 0, "test"));
    const chain = report.tripleFault!.chain;
    strictEqual(chain.length, 4);
    match(chain[1]!, /delivering #UD: .*raising #GP\(0x33\)$/);
    match(chain[2]!, /delivering #GP: .*→ #DF$/);
  });

  await t.step("a #GP while delivering #PF is a double fault", () => {
    const report = machine().run(() => currentCpu().raise(14, 2, "test"));
    match(report.tripleFault!.chain[1]!, /delivering #PF: .*→ #DF$/);
  });

  await t.step("an entry that returns is reported", () => {
    const report = machine().run(() => {});
    strictEqual(report.reason, "returned");
    strictEqual(report.exitStatus, 0);
  });

  await t.step("the same machine cannot run twice", () => {
    const m = machine();
    m.run(() => {});
    throws(() => m.run(() => {}), /already run/);
  });

  await t.step(
    "a bug in the entry reaches the caller, with COM1 flushed",
    () => {
      const lines: string[] = [];
      const m = new Machine({
        ramSize: 1 << 20,
        sink: {
          write: (b) => lines.push(String.fromCharCode(b)),
          flush: () => lines.push("|"),
        },
      });
      throws(() =>
        m.run(() => {
          currentCpu().out8(0x3f8, 0x41);
          throw new TypeError("kernel bug");
        }), TypeError);
      strictEqual(lines.join(""), "A|");
    },
  );

  await t.step("code runs on CPU 0 only inside run", () => {
    throws(() => currentCpu(), NoCpuError);
    machine().run(() => strictEqual(currentCpu().id, 0));
    throws(() => currentCpu(), NoCpuError);
  });
});

Deno.test("Machine options", async (t) => {
  await t.step("bad settings are rejected with what was expected", () => {
    throws(
      () => new Machine({ ramSize: 512 * 1024 }),
      /Invalid RAM size 524288: a PC has at least 1 MiB/,
    );
    throws(
      () => new Machine({ ramSize: 2 ** 20 + 1 }),
      /expected a positive multiple of 4096/,
    );
    throws(
      () => new Machine({ maxPhysAddr: 60 }),
      /Invalid MAXPHYADDR 60: expected an integer from 36 to 52/,
    );
    throws(() => new Machine({ cpus: 9 }), /Invalid CPU count 9/);
    throws(() => new Machine({ tscHz: 0 }), /Invalid TSC frequency 0/);
    // @ts-expect-error: not a clock mode
    throws(() => new Machine({ clock: "wall" }), /Invalid clock "wall"/);
  });
});
