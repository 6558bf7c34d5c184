import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Machine } from "../machine/machine.ts";
import { Heap } from "./heap.ts";
import image, {
  churn,
  DAMAGED,
  HEAP,
  HEAP_SIZE,
  MADE,
  ROUNDS,
  VECTOR,
  waitForCpu1,
} from "./testdata/heap_two_cpus_image.ts";

Deno.test("Heap on 2 CPUs: one heap, a view on each, a Mutex.inMemory at its lock word: no block handed out twice, all given back", () => {
  const machine = new Machine({ cpus: 2, image, ramSize: 8 << 20 });
  const fresh = Heap.create(machine.memory, { start: HEAP, size: HEAP_SIZE })
    .stats();
  const report = machine.run(() => {
    const cpu = machine.cpus[0]!;
    cpu.writeU32(0xfee0_0310, 1 << 24); // destination: APIC ID 1
    cpu.writeU32(0xfee0_0300, 0x4500); // INIT
    cpu.writeU32(0xfee0_0300, 0x4600 | VECTOR); // STARTUP
    churn(cpu);
    waitForCpu1(cpu);
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(report.cpus[1]!.reason, "returned", report.toString());
  const memory = machine.memory;
  // No CPU found a stamp of its overwritten: no block was handed out to
  // both CPUs at once.
  strictEqual(memory.readU32(DAMAGED), 0);
  strictEqual(memory.readU32(DAMAGED + 4), 0);
  for (const cpu of [0, 1]) {
    const made = memory.readU32(MADE + 4 * cpu);
    ok(made > ROUNDS / 2, `CPU ${cpu} made ${made} allocations`);
  }
  deepStrictEqual(Heap.attach(memory, HEAP).stats(), fresh);
});
