import { match, ok, strictEqual } from "node:assert/strict";
import { Machine } from "../machine/machine.ts";
import type { Cpu } from "../machine/cpu/cpu.ts";
import image, {
  BODIES,
  BROKEN,
  LOCK,
  PLAIN,
  POISON_SEEN,
  RESULTS,
  ROUNDS,
  RUNS,
  TESTS,
  waitForCpu1,
} from "./testdata/two_cpus_image.ts";

// Runs a test's body on two CPUs (the BSP and CPU 1, each on its own
// thread) and returns the machine, to read its memory.
function onTwoCpus(test: keyof typeof TESTS): Machine {
  const machine = new Machine({ cpus: 2, image, ramSize: 4 << 20 });
  const report = machine.run(() => {
    const cpu: Cpu = machine.cpus[0]!;
    cpu.writeU32(0xfee0_0310, 1 << 24); // destination: APIC ID 1
    cpu.writeU32(0xfee0_0300, 0x4500); // INIT
    cpu.writeU32(0xfee0_0300, 0x4600 | TESTS[test]); // STARTUP
    BODIES[test](cpu);
    waitForCpu1(cpu);
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(report.cpus[1]!.reason, "returned", report.toString());
  return machine;
}

Deno.test("Mutex.inMemory: 2 CPUs × 1,000,000 locked increments make exactly 2,000,000", () => {
  // The data of a memory-backed Mutex sits 8 bytes after its lock word.
  strictEqual(onTwoCpus("mutex").memory.readU32(LOCK + 8), 2 * ROUNDS);
});

Deno.test("without a lock the same increments lose updates (so the locked tests can fail)", () => {
  // The two threads overlap only when the host runs them at once; on a
  // loaded host one may finish within its time slice, so try a few times.
  const totals: number[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    totals.push(onTwoCpus("unlocked").memory.readU32(PLAIN));
    if (totals.at(-1)! < 2 * ROUNDS) break;
  }
  ok(totals.at(-1)! < 2 * ROUNDS, `no update lost in ${totals.length} runs`);
});

Deno.test("TicketMutex.inMemory: 2 CPUs × 1,000,000 locked increments make exactly 2,000,000", () => {
  // Its data sits 8 bytes after the lock (the tickets word, the owner).
  strictEqual(onTwoCpus("ticket").memory.readU32(LOCK + 8), 2 * ROUNDS);
});

Deno.test("RwLock.inMemory: readers on 2 CPUs never see the writers' pair half-updated", () => {
  const memory = onTwoCpus("rwLock").memory;
  // The data sits 80 bytes after the lock (state, writer, reader counts).
  strictEqual(memory.readU32(LOCK + 80), 2 * ROUNDS / 4);
  strictEqual(memory.readU32(LOCK + 84), 2 * ROUNDS / 4);
  strictEqual(memory.readU32(BROKEN), 0);
  strictEqual(memory.readU32(BROKEN + 4), 0);
});

Deno.test("Once.inMemory: raced by 2 CPUs, the initialiser runs exactly once and both get its value", () => {
  const memory = onTwoCpus("once").memory;
  strictEqual(memory.readU32(RUNS), 1);
  strictEqual(memory.readU32(RESULTS), 42);
  strictEqual(memory.readU32(RESULTS + 4), 42);
});

Deno.test("Once.inMemory: an initialiser that throws on CPU 1 poisons the Once for CPU 0 too, which is told where", () => {
  const memory = onTwoCpus("poison").memory;
  const bytes = memory.readBytes(POISON_SEEN, 512);
  const message = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
  match(message, /poisoned/);
  match(message, /CPU 1/);
});
