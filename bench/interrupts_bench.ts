/**
 * Interrupts: `int3` to an empty handler and back — the gate read, the
 * frame push, the handler fetch through the MMU, the call and `iretq`.
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

if (count < 0) console.log(count);
