/**
 * Kernel mechanisms: a system call round trip (user code's `syscall` →
 * the LSTAR entry → dispatch on RAX → `sysret`), a context switch between
 * threads in two address spaces, with and without PCIDs, and the kernel
 * heap's alloc + free of 64 bytes.
 *
 * Goals (medians on a 2-core machine): a syscall round trip under 50 ns
 * (> 20M/s), a context switch under 100 ns with PCIDs, a heap alloc + free
 * under 100 ns.
 *
 * The syscall and heap figures are per 1,000 operations; the context-switch
 * figures per 1,000 switches. `bench/heap_bench.ts` has more of the heap.
 *
 * Run with `deno bench bench/kernel_bench.ts`.
 *
 * @module
 */
import {
  restoreContext,
  saveContext,
  switchContext,
} from "../arch/x86_64/context.ts";
import { syscall, SystemCalls } from "../arch/x86_64/system_calls.ts";
import { bindCpu } from "../machine/current_cpu.ts";
import { Reg } from "../machine/cpu/register_file.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";
import { Heap } from "../memory/heap.ts";

const machine = new Machine({ ramSize: 16 << 20, sink: new DiscardSink() });
const cpu = machine.cpus[0]!;
// The benches run outside Machine.run: bind the CPU for the whole file.
bindCpu(cpu);

// ------------------------------------------------------------- syscall

const calls = new SystemCalls();
let pid = 42;
calls.register(39, () => pid);
calls.load();
const handlers = [() => pid];

Deno.bench({
  name: "a JS call through a table (baseline)",
  group: "syscall",
  baseline: true,
  fn() {
    pid = handlers[0]!() | 0;
  },
});

Deno.bench({
  name: "syscall round trip at CPL 3: getpid (× 1000)",
  group: "syscall",
  fn(b) {
    // Run as user code: CS 0x23, SS 0x1B, as sysret leaves them.
    cpu.registers.setHalves(Reg.CS, 0x23, 0);
    cpu.registers.setHalves(Reg.SS, 0x1b, 0);
    b.start();
    for (let i = 0; i < 1000; i++) syscall(39);
    b.end();
    cpu.registers.setHalves(Reg.CS, 0x08, 0);
    cpu.registers.setHalves(Reg.SS, 0x10, 0);
  },
});

// ------------------------------------------------------- context switch

// Two address spaces: copies of the boot PML4 (both map the same RAM).
const ram = machine.memory;
const SPACE_A = 0x40_0000, SPACE_B = 0x40_1000;
ram.copy(SPACE_A, 0x1000, 4096);
ram.copy(SPACE_B, 0x1000, 4096);
const CONTEXT_A = 0x41_0000, CONTEXT_B = 0x41_0400;

function threads(pcid: boolean): void {
  if (pcid) cpu.writeCr(4, cpu.cr4 | 1 << 17, 0);
  else if (cpu.cr4 & 1 << 17) {
    cpu.writeCr(3, 0x1000, 0);
    cpu.writeCr(4, cpu.cr4 & ~(1 << 17), 0);
  }
  cpu.writeCr(3, SPACE_B | (pcid ? 2 : 0), 0);
  saveContext(CONTEXT_B);
  cpu.writeCr(3, SPACE_A | (pcid ? 1 : 0), 0);
  saveContext(CONTEXT_A);
}

for (const pcid of [true, false]) {
  Deno.bench({
    name: `switchContext between address spaces, ${
      pcid ? "with" : "without"
    } PCIDs (× 1000)`,
    group: "context switch",
    baseline: pcid,
    fn(b) {
      threads(pcid);
      b.start();
      for (let i = 0; i < 500; i++) {
        switchContext(CONTEXT_A, CONTEXT_B);
        switchContext(CONTEXT_B, CONTEXT_A);
      }
      b.end();
      restoreContext(CONTEXT_A);
    },
  });
}

// ----------------------------------------------------------------- heap

const heap = Heap.create(ram, { start: 0x80_0000, size: 4 << 20 });

Deno.bench({
  name: "heap alloc(64, 8) + dealloc (× 1000)",
  group: "heap",
  fn() {
    for (let i = 0; i < 1000; i++) heap.dealloc(heap.alloc(64, 8)!, 64, 8);
  },
});

if (pid < 0) console.log(pid);
