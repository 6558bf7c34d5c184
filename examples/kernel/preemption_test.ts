import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { InterruptManager } from "@exo-kernel/core/arch/x86_64";
import { currentCpu, Machine, MemorySink } from "@exo-kernel/core/machine";
import { writeU32 } from "@exo-kernel/core/memory";
import { codeDispatch, Scheduler, threadId } from "./scheduler.ts";

// The local APIC's registers (SDM 3A table 11-1) and a periodic timer.
const APIC = 0xfee0_0000;
const EOI = APIC + 0xb0, SVR = APIC + 0xf0, LVT_TIMER = APIC + 0x320;
const INITIAL_COUNT = APIC + 0x380, DIVIDE = APIC + 0x3e0;
const TIMER = 0x30, PERIODIC = 1 << 17;
const SPIN = 0x20_0000, SHORT = 0x20_0010;

Deno.test("the timer preempts a thread in the middle of its step: it sees shouldYield, and the next thread runs before it again", () => {
  const machine = new Machine({ ramSize: 8 << 20, sink: new MemorySink() });
  const order: string[] = [];
  let spins = 0;
  const report = machine.run(() => {
    const cpu = currentCpu();
    const s = new Scheduler(machine.memory, {
      base: 0x40_0000,
      size: Scheduler.requiredSize(1, 16),
      cpus: 1,
      maxThreads: 16,
    });
    // A step that would spin for ever, but for the timer.
    cpu.code.register(SPIN, (cpu) => {
      order.push(`spin ${threadId(cpu)}`);
      while (!s.shouldYield(0)) {
        if (++spins > 10_000_000) throw new Error("never preempted");
        cpu.pause(); // where the interrupt is taken
      }
    });
    cpu.code.register(SHORT, (cpu) => {
      order.push(`short ${threadId(cpu)}`);
      s.exit(threadId(cpu));
    });
    const interrupts = new InterruptManager();
    interrupts.registerHandler(TIMER, () => {
      s.preempt(0); // what the kernel's timer tick does
      writeU32(EOI, 0);
    });
    interrupts.load();
    writeU32(SVR, 0x1ff);
    writeU32(DIVIDE, 0b1011); // divide by 1
    writeU32(LVT_TIMER, PERIODIC | TIMER);
    writeU32(INITIAL_COUNT, 100_000);
    cpu.sti();

    const spinner = s.spawn(SPIN, 0);
    const other = s.spawn(SHORT, 0);
    const dispatch = codeDispatch(cpu);
    for (let i = 0; i < 3; i++) s.runOnce(0, dispatch);
    deepStrictEqual(order, [
      `spin ${spinner}`,
      `short ${other}`, // ran while the spinner waited its turn
      `spin ${spinner}`,
    ]);
  });
  strictEqual(report.reason, "returned", report.toString());
  ok(spins > 0);
});
