/**
 * Interrupts: `int3` to an empty handler and back — the gate read, the
 * frame push, the handler fetch through the MMU, the call and `iretq` — and
 * a local-APIC timer interrupt taken by `hlt` (the clock fast-forwards to
 * the timer, the APIC is acknowledged, the handler writes EOI).
 *
 * Goal: an `int3` round trip under 200 ns.
 *
 * Run with `deno bench bench/interrupts_bench.ts`.
 *
 * @module
 */
import { InterruptManager } from "../arch/x86_64/interrupt_manager.ts";
import { int3 } from "../arch/x86_64/interrupts.ts";
import { bindCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";

const machine = new Machine({ ramSize: 16 << 20, sink: new DiscardSink() });
// The benches run after Machine.run would have returned: bind the CPU for
// the whole file, as run does for its entry function.
bindCpu(machine.cpus[0]);
const idt = new InterruptManager();
let count = 0;
idt.registerHandler(3, () => count++);
idt.load();

Deno.bench({
  name: "int3 to an empty handler and back",
  group: "interrupts",
  fn() {
    int3();
  },
});

const APIC = 0xfee0_0000;
const cpu = machine.cpus[0]!;
idt.registerHandler(0x30, () => {
  count++;
  cpu.writeU32(APIC + 0xb0, 0); // EOI
});
cpu.writeU32(APIC + 0xf0, 0x1ff);
cpu.writeU32(APIC + 0x3e0, 0b1011); // divide by 1
cpu.writeU32(APIC + 0x320, 1 << 17 | 0x30); // periodic
cpu.writeU32(APIC + 0x380, 1000);
cpu.sti();

Deno.bench({
  name: "a timer interrupt: hlt, delivery, handler with EOI, iretq",
  group: "interrupts",
  fn() {
    cpu.hlt();
  },
});

if (count < 0) console.log(count);
