import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { Machine, PhysicalMemory, Reg } from "@exo-kernel/core/machine";
import {
  CONTEXT_ALIGN,
  CONTEXT_SIZE,
  restoreContext,
  saveContext,
} from "@exo-kernel/core/arch/x86_64";
import { Heap } from "@exo-kernel/core/memory";
import {
  codeDispatch,
  DEFAULT_PRIORITY,
  Scheduler,
  type SchedulerOptions,
  TCB_SIZE,
  threadArg,
  threadId,
  ThreadState,
} from "./scheduler.ts";
import { SchedulerModel } from "./_scheduler_model.ts";
import image, {
  AP_VECTOR,
  BASE,
  COUNTERS,
  MIXED_STEPS,
  Mode,
  RAN,
  runCpu,
  setMode,
  THREAD_ENTRY,
  waitForCpu1,
} from "./_scheduler_two_cpus_image.ts";

const ENTRY = 0x20_0000;
const REGION = 0x1_0000;

function scheduler(
  cpus = 1,
  maxThreads = 64,
): { s: Scheduler; memory: PhysicalMemory } {
  const memory = new PhysicalMemory(4 << 20);
  const options: SchedulerOptions = {
    base: REGION,
    size: Scheduler.requiredSize(cpus, maxThreads),
    cpus,
    maxThreads,
  };
  return { s: new Scheduler(memory, options), memory };
}

// Picks on `cpu` until nothing is ready, each thread exiting as it runs.
function drain(s: Scheduler, cpu = 0): number[] {
  const order: number[] = [];
  for (let tid = s.pickNext(cpu); tid >= 0; tid = s.pickNext(cpu)) {
    order.push(tid);
    s.exit(tid);
  }
  return order;
}

Deno.test("TCB layout: 64 bytes a thread, the fields at their documented offsets, the queues in the CPU's area", () => {
  const { s, memory } = scheduler(2, 8);
  const tcbs = REGION + 128 + 2 * 320; // header, 2 CPU areas (a multiple of 64)
  strictEqual(TCB_SIZE, 64);
  strictEqual(Scheduler.requiredSize(2, 8), 128 + 640 + 8 * 64);
  strictEqual(memory.readU32(REGION), 0x5343_4844); // "SCHD"
  strictEqual(memory.readU32(REGION + 16), tcbs - REGION);
  const higherHalf = -(2 ** 47) + 0x1000; // 0xffff_8000_0000_1000
  const a = s.spawn(higherHalf, -2, { priority: 7, cpu: 1 });
  const b = s.spawn(ENTRY, 2 ** 40 + 5, { priority: 7, cpu: 1 });
  deepStrictEqual([a, b], [0, 1]);
  s.setContext(b, 0x7000);
  s.setResumePoint(b, 9);
  const at = (tid: number, offset: number) =>
    memory.readU32(tcbs + 64 * tid + offset);
  // tid, state (ready), priority, CPU, next, previous, request, runs
  deepStrictEqual(
    [0, 4, 8, 12, 16, 20, 24, 28].map((o) => at(a, o)),
    [a, 1, 7, 1, b, 0xffff_ffff, 0, 0],
  );
  deepStrictEqual([16, 20].map((o) => at(b, o)), [0xffff_ffff, a]);
  strictEqual(memory.readU64(tcbs + 32), 0xffff_8000_0000_1000n); // entry
  strictEqual(memory.readU64(tcbs + 40), 0xffff_ffff_ffff_fffen); // arg −2
  strictEqual(memory.readU64(tcbs + 64 + 40), 2n ** 40n + 5n);
  strictEqual(memory.readU64(tcbs + 64 + 48), 0x7000n); // context
  deepStrictEqual([at(b, 56), at(b, 60)], [1, 9]); // generation, resume
  // CPU 1's area: bitmap bit 7, ready count 2, head and tail of list 7.
  const cpu1 = REGION + 128 + 320;
  strictEqual(memory.readU32(cpu1 + 8), 1 << 7);
  strictEqual(memory.readU32(cpu1 + 12), 0xffff_ffff); // no current thread
  strictEqual(memory.readU32(cpu1 + 16), 2);
  strictEqual(memory.readU32(cpu1 + 64 + 4 * 7), a);
  strictEqual(memory.readU32(cpu1 + 192 + 4 * 7), b);
  strictEqual(s.entry(a), higherHalf);
  strictEqual(s.arg(a), -2);
  strictEqual(s.arg(b), 2 ** 40 + 5);
  // Running: the state word says so, and the CPU's current tid.
  strictEqual(s.pickNext(1), a);
  strictEqual(at(a, 4), ThreadState.Running);
  strictEqual(memory.readU32(cpu1 + 12), a);
  strictEqual(at(a, 28), 1);
});

Deno.test("FIFO within a priority", () => {
  const { s } = scheduler();
  const tids = Array.from({ length: 10 }, (_, i) => s.spawn(ENTRY, i));
  deepStrictEqual(drain(s), tids);
});

Deno.test("a higher priority runs first; lower ones keep their FIFO order", () => {
  const { s } = scheduler();
  const low1 = s.spawn(ENTRY, 0, { priority: 0 });
  const mid = s.spawn(ENTRY, 0);
  const top = s.spawn(ENTRY, 0, { priority: 31 });
  const low2 = s.spawn(ENTRY, 0, { priority: 0 });
  const next = s.spawn(ENTRY, 0, { priority: 30 });
  strictEqual(s.priority(mid), DEFAULT_PRIORITY);
  deepStrictEqual(drain(s), [top, next, mid, low1, low2]);
  // A thread made ready at a higher priority is picked before queued ones.
  const a = s.spawn(ENTRY, 0, { priority: 3 });
  strictEqual(s.pickNext(0), a);
  const b = s.spawn(ENTRY, 0, { priority: 3 });
  const c = s.spawn(ENTRY, 0, { priority: 4 });
  strictEqual(s.pickNext(0), c); // a went back behind b; c is higher
  s.exit(c);
  deepStrictEqual([s.pickNext(0), s.pickNext(0)], [b, a]);
});

Deno.test("yield: the running thread goes to the back of its priority's queue (round-robin)", () => {
  const { s } = scheduler();
  const a = s.spawn(ENTRY, 0), b = s.spawn(ENTRY, 1), c = s.spawn(ENTRY, 2);
  const order: number[] = [];
  for (let i = 0; i < 7; i++) {
    const tid = s.pickNext(0);
    strictEqual(s.current(0), tid);
    order.push(tid);
    strictEqual(s.yield(0), tid);
    strictEqual(s.current(0), -1);
    strictEqual(s.state(tid), ThreadState.Ready);
  }
  deepStrictEqual(order, [a, b, c, a, b, c, a]);
  strictEqual(s.yield(0), -1); // nothing running
  strictEqual(s.runs(a), 3);
  // pickNext alone is a schedule point: it puts the running thread back.
  deepStrictEqual([s.pickNext(0), s.pickNext(0), s.pickNext(0)], [b, c, a]);
  // A lone thread gets the CPU again and again.
  const { s: one } = scheduler();
  const only = one.spawn(ENTRY, 0);
  deepStrictEqual([one.pickNext(0), one.pickNext(0)], [only, only]);
});

Deno.test("block and unblock: out of the queue and back at its end; a running thread blocks when its turn ends; no lost wake-up", () => {
  const { s } = scheduler();
  const a = s.spawn(ENTRY, 0), b = s.spawn(ENTRY, 1), c = s.spawn(ENTRY, 2);
  strictEqual(s.block(b), true);
  strictEqual(s.block(b), false); // already blocked
  strictEqual(s.state(b), ThreadState.Blocked);
  strictEqual(s.stats().blocked, 1);
  strictEqual(s.stats().cpus[0]!.ready, 2);
  strictEqual(s.pickNext(0), a);
  strictEqual(s.unblock(b), true);
  strictEqual(s.unblock(b), false); // already ready
  deepStrictEqual([s.pickNext(0), s.pickNext(0), s.pickNext(0)], [c, b, a]);
  deepStrictEqual([s.pickNext(0), s.pickNext(0)], [c, b]);
  // b is running: blocking it takes effect at the end of its turn.
  strictEqual(s.block(b), true);
  strictEqual(s.state(b), ThreadState.Running);
  strictEqual(s.yield(0), b);
  strictEqual(s.state(b), ThreadState.Blocked);
  deepStrictEqual([s.pickNext(0), s.pickNext(0)], [a, c]);
  // A wake-up between the request and the end of the turn cancels it.
  s.unblock(b);
  deepStrictEqual([s.pickNext(0), s.pickNext(0)], [a, b]);
  s.block(b);
  strictEqual(s.unblock(b), true);
  s.yield(0);
  strictEqual(s.state(b), ThreadState.Ready);
  // With every thread blocked nothing runs.
  for (const tid of [a, b, c]) s.block(tid);
  strictEqual(s.pickNext(0), -1);
  strictEqual(s.stats().blocked, 3);
});

Deno.test("exit: the TCB goes back to the free list and the next spawn reuses it (last freed, first reused)", () => {
  const { s } = scheduler(1, 4);
  const tids = [0, 1, 2, 3].map((i) => s.spawn(ENTRY, i));
  deepStrictEqual(tids, [0, 1, 2, 3]);
  strictEqual(s.spawn(ENTRY, 9), -1); // all 4 TCBs in use
  strictEqual(s.exit(1), true); // ready
  s.block(2);
  strictEqual(s.exit(2), true); // blocked
  strictEqual(s.exit(2), false); // gone
  strictEqual(s.pickNext(0), 0);
  strictEqual(s.exit(0), true); // running: at the end of its turn
  strictEqual(s.exit(0), false); // already asked
  strictEqual(s.state(0), ThreadState.Running);
  strictEqual(s.pickNext(0), 3);
  strictEqual(s.state(0), ThreadState.Exited);
  deepStrictEqual(
    { live: s.stats().live, exited: s.stats().exited, free: s.stats().free },
    { live: 1, exited: 3, free: 0 },
  );
  // Reused in LIFO order, with fresh fields and a new generation.
  strictEqual(s.spawn(ENTRY, 10, { priority: 2 }), 0);
  strictEqual(s.spawn(ENTRY, 11), 2);
  strictEqual(s.spawn(ENTRY, 12), 1);
  strictEqual(s.spawn(ENTRY, 13), -1);
  deepStrictEqual([s.arg(0), s.priority(0), s.runs(0)], [10, 2, 0]);
  strictEqual(s.state(0), ThreadState.Ready);
  // 3 was running: it goes back behind 2 and 1, and 0 has priority 2.
  deepStrictEqual(drain(s), [2, 1, 3, 0]);
  strictEqual(s.stats().live, 0);
});

Deno.test("work stealing: an idle CPU takes the highest ready thread of the CPU with the most ready threads", () => {
  const { s } = scheduler(3, 16);
  const low = s.spawn(ENTRY, 0, { cpu: 0, priority: 1 });
  const high = s.spawn(ENTRY, 0, { cpu: 0, priority: 9 });
  const other = s.spawn(ENTRY, 0, { cpu: 0, priority: 5 });
  const lone = s.spawn(ENTRY, 0, { cpu: 2 });
  // CPU 1 is empty: CPU 0 has the most ready threads; high is its highest.
  strictEqual(s.pickNext(1), high);
  strictEqual(s.cpuOf(high), 1);
  strictEqual(s.current(1), high);
  // Its turn over, high goes to CPU 1's queue: its own now, no steal.
  strictEqual(s.pickNext(1), high);
  strictEqual(s.stats().cpus[1]!.steals, 1);
  s.block(high);
  s.yield(1);
  // CPU 0 runs its own highest. Then CPU 0 and CPU 2 have one ready
  // thread each: the tie goes to the first CPU after the thief.
  strictEqual(s.pickNext(0), other);
  strictEqual(s.pickNext(1), lone);
  strictEqual(s.cpuOf(lone), 1);
  deepStrictEqual(
    s.stats().cpus.map((c) => [c.steals, c.stolen, c.dispatched]),
    [[0, 1, 1], [2, 0, 3], [0, 1, 0]],
  );
  // A woken thread joins the queue of the CPU it last ran on.
  s.unblock(high);
  strictEqual(s.cpuOf(high), 1);
  strictEqual(s.pickNext(1), lone); // back in CPU 1's queue, above high
  strictEqual(s.pickNext(2), low); // CPU 0 and 1 tie: CPU 0 is first after 2
  // Nothing ready anywhere: -1.
  for (const tid of [low, lone, high, other]) s.exit(tid);
  deepStrictEqual([0, 1, 2].map((cpu) => s.pickNext(cpu)), [-1, -1, -1]);
  strictEqual(s.stats().live, 0);
});

Deno.test("work stealing: CPU 1 with an empty queue runs all of CPU 0's threads", () => {
  const { s } = scheduler(2, 1000);
  const tids = Array.from(
    { length: 1000 },
    (_, i) => s.spawn(ENTRY, i, { cpu: 0 }),
  );
  deepStrictEqual(drain(s, 1), tids); // in CPU 0's order
  const [cpu0, cpu1] = s.stats().cpus;
  deepStrictEqual([cpu0!.stolen, cpu1!.steals, cpu1!.dispatched], [
    1000,
    1000,
    1000,
  ]);
});

Deno.test("runOnce: dispatches the next thread, then requeues it, blocks it or frees it as it asked", () => {
  const { s } = scheduler();
  const asks = new Map<number, "yield" | "block" | "exit">();
  const log: string[] = [];
  const run = () =>
    s.runOnce(0, (tid, entry, arg) => {
      strictEqual(s.current(0), tid);
      strictEqual(s.state(tid), ThreadState.Running);
      log.push(`${tid}:${entry.toString(16)}:${arg}`);
      const ask = asks.get(tid) ?? "yield";
      if (ask === "block") s.block(tid);
      if (ask === "exit") s.exit(tid);
      strictEqual(s.yield(0), tid); // a yield from the thread waits for its return
      strictEqual(s.current(0), tid);
    });
  const a = s.spawn(0x20_0000, 1);
  const b = s.spawn(0x20_1000, 2);
  asks.set(b, "block");
  deepStrictEqual([run(), run(), run()], [a, b, a]);
  strictEqual(s.state(b), ThreadState.Blocked);
  asks.set(a, "exit");
  strictEqual(run(), a);
  strictEqual(s.state(a), ThreadState.Exited);
  strictEqual(run(), -1);
  deepStrictEqual(log, [
    "0:200000:1",
    "1:201000:2",
    "0:200000:1",
    "0:200000:1",
  ]);
  strictEqual(s.current(0), -1);
});

Deno.test("preempt: outside a step it is a yield; during a step it sets need-resched, and the thread goes back when it returns", () => {
  const { s } = scheduler();
  const a = s.spawn(ENTRY, 0), b = s.spawn(ENTRY, 1);
  strictEqual(s.preempt(0), -1);
  strictEqual(s.pickNext(0), a);
  strictEqual(s.preempt(0), a);
  strictEqual(s.state(a), ThreadState.Ready);
  let seen: boolean[] = [];
  strictEqual(
    s.runOnce(0, () => {
      seen.push(s.shouldYield(0));
      strictEqual(s.preempt(0), b); // the timer fires
      seen.push(s.shouldYield(0));
    }),
    b,
  );
  deepStrictEqual(seen, [false, true]);
  seen = [];
  strictEqual(s.runOnce(0, () => seen.push(s.shouldYield(0))), a);
  deepStrictEqual(seen, [false]); // cleared by the next pick
  strictEqual(s.stats().cpus[0]!.preemptions, 2);
  deepStrictEqual(drain(s), [b, a]);
});

Deno.test("threads(), ps and stats list the live threads and count them per state and per CPU queue", () => {
  const { s } = scheduler(2, 8);
  const a = s.spawn(ENTRY, 0, { cpu: 0, priority: 31 });
  const b = s.spawn(0x20_1000, 0, { cpu: 1 });
  const c = s.spawn(ENTRY, 0, { cpu: 1 });
  const d = s.spawn(-(2 ** 47), 0, { cpu: 0, priority: 0 });
  const e = s.spawn(ENTRY, 0, { cpu: 1 });
  s.pickNext(0);
  s.block(c);
  s.exit(e);
  deepStrictEqual(
    [...s.threads()].map((t) => [t.tid, t.state, t.priority, t.cpu, t.runs]),
    [
      [a, "running", 31, 0, 1],
      [b, "ready", 16, 1, 0],
      [c, "blocked", 16, 1, 0],
      [d, "ready", 0, 0, 0],
    ],
  );
  strictEqual(s.info(e), undefined);
  strictEqual(s.info(7), undefined); // never used
  strictEqual(s.info(b)!.entry, 0x20_1000);
  strictEqual(
    s.ps(),
    [
      "  TID STATE    PRI CPU       RUNS ENTRY",
      "    0 running   31   0          1 0x200000",
      "    1 ready     16   1          0 0x201000",
      "    2 blocked   16   1          0 0x200000",
      "    3 ready      0   0          0 0xffff800000000000",
      "",
    ].join("\n"),
  );
  strictEqual(s.ps(1).split("\n").at(-2), "(3 more)");
  const stats = s.stats();
  deepStrictEqual(
    { ...stats, cpus: undefined },
    {
      maxThreads: 8,
      live: 4,
      ready: 2,
      running: 1,
      blocked: 1,
      exited: 1,
      free: 3,
      spawned: 5,
      cpus: undefined,
    },
  );
  deepStrictEqual(stats.cpus.map((q) => [q.ready, q.current]), [[1, a], [
    1,
    -1,
  ]]);
});

Deno.test("attach: a second view shares the threads; an unformatted region or bad arguments are RangeErrors that say what was expected", () => {
  const { s, memory } = scheduler(2, 8);
  const tid = s.spawn(ENTRY, 5, { cpu: 1 });
  const view = Scheduler.attach(memory, REGION);
  deepStrictEqual([view.cpus, view.maxThreads], [2, 8]);
  strictEqual(view.pickNext(0), tid); // stolen through the other view
  strictEqual(s.current(0), tid);
  throws(() => Scheduler.attach(memory, 0x20_0000), /No scheduler at 0x200000/);
  throws(() => Scheduler.attach(memory, 0x1_0001), /multiple of 4096/);
  const options = { base: REGION, size: 1 << 20, cpus: 1, maxThreads: 8 };
  throws(
    () => new Scheduler(memory, { ...options, base: 0x1_0800 }),
    /Invalid scheduler base 67584: expected a physical address that is a multiple of 4096/,
  );
  throws(
    () => new Scheduler(memory, { ...options, size: 600 }),
    /Invalid scheduler size 600: 1 CPUs and 8 threads need 960 bytes/,
  );
  throws(
    () => new Scheduler(memory, { ...options, cpus: 0 }),
    /Invalid CPU count 0/,
  );
  throws(
    () => new Scheduler(memory, { ...options, base: 4 << 20 }),
    /ends past the end of RAM/,
  );
  throws(() => s.spawn(ENTRY, 0, { priority: 32 }), /Invalid priority 32/);
  throws(
    () => s.spawn(ENTRY, 0, { cpu: 2 }),
    /Invalid CPU 2: expected an integer from 0 to 1/,
  );
  throws(() => s.spawn(0.5, 0), /Invalid entry 0.5/);
  throws(() => s.spawn(ENTRY, 2 ** 53), /Invalid argument/);
  throws(() => s.pickNext(-1), RangeError);
  throws(() => s.block(8), /Invalid tid 8: expected an integer from 0 to 7/);
  throws(() => s.setContext(5, 0x7000), /Thread 5 is not alive: it is free/);
  strictEqual(s.exit(5), false); // never used: nothing to do
  strictEqual(s.state(5), ThreadState.Free);
});

Deno.test("codeDispatch: thread code registered at its entry gets its argument in RDI and its tid in RSI", () => {
  const machine = new Machine({ ramSize: 4 << 20 });
  const s = new Scheduler(machine.memory, {
    base: 0x10_0000,
    size: 0x1_0000,
    cpus: 1,
    maxThreads: 8,
  });
  const seen: number[][] = [];
  machine.code.register(ENTRY, (cpu) => {
    seen.push([threadId(cpu), threadArg(cpu), cpu.registers.low(Reg.RDI)]);
    s.exit(threadId(cpu));
  });
  s.spawn(ENTRY, 0x1234);
  s.spawn(ENTRY, -(2 ** 47)); // a higher-half pointer
  s.spawn(0x20_1000, 0); // no code there
  machine.run(() => {
    const dispatch = codeDispatch(machine.cpus[0]!);
    s.runOnce(0, dispatch);
    s.runOnce(0, dispatch);
    throws(
      () => s.runOnce(0, dispatch),
      /No code at 0x201000, the entry of thread 2/,
    );
  });
  deepStrictEqual(seen, [[0, 0x1234, 0x1234], [1, -(2 ** 47), 0]]);
});

Deno.test("contexts: each thread's 768-byte context lives outside its TCB (from the kernel heap), saved and restored around its steps", () => {
  const machine = new Machine({ ramSize: 8 << 20 });
  const s = new Scheduler(machine.memory, {
    base: 0x10_0000,
    size: 0x1_0000,
    cpus: 1,
    maxThreads: 8,
  });
  const heap = Heap.create(machine.memory, { start: 0x20_0000, size: 1 << 20 });
  // Each step adds the thread's argument to RBX; RBX is the thread's own.
  machine.code.register(ENTRY, (cpu) => {
    const r = cpu.registers;
    r.set(Reg.RBX, r.get(Reg.RBX) + BigInt(threadArg(cpu)));
  });
  const tids = [1, 100].map((arg) => {
    const tid = s.spawn(ENTRY, arg);
    s.setContext(tid, heap.alloc(CONTEXT_SIZE, CONTEXT_ALIGN)!);
    return tid;
  });
  machine.run(() => {
    const cpu = machine.cpus[0]!;
    for (const tid of tids) saveContext(s.context(tid)); // initial state
    const run = codeDispatch(cpu);
    for (let i = 0; i < 6; i++) {
      s.runOnce(0, (tid, entry, arg) => {
        restoreContext(s.context(tid));
        run(tid, entry, arg);
        saveContext(s.context(tid));
      });
    }
  });
  const rbx = (tid: number) => machine.memory.readU64(s.context(tid) + 8 * 3);
  deepStrictEqual(tids.map(rbx), [3n, 300n]);
  ok(s.context(tids[0]!) % CONTEXT_ALIGN === 0);
});

// ------------------------------------------------------------ model check

type Command =
  | { op: "spawn"; priority: number; cpu: number | undefined }
  | { op: "pick" | "yield" | "preempt"; cpu: number }
  | { op: "block" | "unblock" | "exit"; tid: number }
  | {
    op: "run";
    cpu: number;
    ask: "none" | "block" | "exit" | "preempt" | "yield";
    other: number;
    otherOp: "none" | "block" | "unblock" | "exit";
  };

function command(cpus: number, maxThreads: number): fc.Arbitrary<Command> {
  const cpu = fc.integer({ min: 0, max: cpus - 1 });
  const tid = fc.integer({ min: 0, max: maxThreads - 1 });
  return fc.oneof(
    {
      arbitrary: fc.record({
        op: fc.constant("spawn" as const),
        priority: fc.constantFrom(0, 1, 2, 16, 31),
        cpu: fc.option(cpu, { nil: undefined }),
      }),
      weight: 3,
    },
    fc.record({ op: fc.constantFrom("pick", "yield", "preempt"), cpu }),
    fc.record({ op: fc.constantFrom("block", "unblock", "exit"), tid }),
    {
      arbitrary: fc.record({
        op: fc.constant("run" as const),
        cpu,
        ask: fc.constantFrom("none", "block", "exit", "preempt", "yield"),
        other: tid,
        otherOp: fc.constantFrom("none", "block", "unblock", "exit"),
      }),
      weight: 2,
    },
  );
}

function check(s: Scheduler, model: SchedulerModel, preemptions: number[]) {
  const stats = s.stats();
  for (let tid = 0; tid < model.maxThreads; tid++) {
    const m = model.threads[tid];
    const state = s.state(tid);
    if (m === undefined) {
      strictEqual(state, ThreadState.Free);
      continue;
    }
    strictEqual(["", "ready", "running", "blocked", "exited"][state], m.state);
    if (m.state === "exited") continue;
    deepStrictEqual(
      [s.priority(tid), s.cpuOf(tid), s.runs(tid), s.arg(tid)],
      [m.priority, m.cpu, m.runs, m.arg],
    );
  }
  deepStrictEqual(
    stats.cpus.map((c) => [
      c.ready,
      c.current,
      c.steals,
      c.stolen,
      c.dispatched,
      c.preemptions,
    ]),
    model.current.map((current, cpu) => [
      model.ready(cpu),
      current,
      model.steals[cpu],
      model.stolen[cpu],
      model.dispatched[cpu],
      preemptions[cpu],
    ]),
  );
  const exited = model.count("exited");
  deepStrictEqual(
    [stats.ready, stats.running, stats.blocked, stats.exited, stats.free],
    [
      model.count("ready"),
      model.count("running"),
      model.count("blocked"),
      exited,
      model.maxThreads - model.threads.length,
    ],
  );
  strictEqual(stats.live, model.threads.length - exited);
  deepStrictEqual(
    [...s.threads()].map((t) => t.tid),
    model.threads.flatMap((t, tid) => t.state === "exited" ? [] : [tid]),
  );
}

Deno.test("property: random spawn/pick/yield/preempt/block/unblock/exit/runOnce on 1 to 3 CPUs do what a plain JS model does", () => {
  const maxThreads = 6;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }).chain((cpus) =>
        fc.tuple(
          fc.constant(cpus),
          fc.array(command(cpus, maxThreads), { maxLength: 60 }),
        )
      ),
      ([cpus, commands]) => {
        const { s } = scheduler(cpus, maxThreads);
        const model = new SchedulerModel(cpus, maxThreads);
        const preemptions: number[] = Array(cpus).fill(0);
        let arg = 0;
        for (const c of commands) {
          switch (c.op) {
            case "spawn": {
              arg++;
              const options = c.cpu === undefined
                ? { priority: c.priority }
                : { priority: c.priority, cpu: c.cpu };
              strictEqual(
                s.spawn(ENTRY, arg, options),
                model.spawn(arg, c.priority, c.cpu),
              );
              break;
            }
            case "pick":
              strictEqual(s.pickNext(c.cpu), model.pickNext(c.cpu));
              break;
            case "yield":
            case "preempt": {
              const expected = model.endTurn(c.cpu);
              if (c.op === "preempt" && expected >= 0) preemptions[c.cpu]!++;
              strictEqual(s[c.op](c.cpu), expected);
              break;
            }
            case "block":
            case "unblock":
            case "exit":
              strictEqual(s[c.op](c.tid), model[c.op](c.tid));
              break;
            case "run": {
              const expected = model.pickNext(c.cpu);
              const tid = s.runOnce(c.cpu, (tid, _entry, arg) => {
                strictEqual(tid, expected);
                strictEqual(arg, model.threads[tid]!.arg);
                if (c.ask === "block" || c.ask === "exit") {
                  strictEqual(s[c.ask](tid), model[c.ask](tid));
                } else if (c.ask !== "none") {
                  if (c.ask === "preempt") preemptions[c.cpu]!++;
                  strictEqual(s[c.ask](c.cpu), tid);
                }
                if (c.otherOp !== "none") {
                  strictEqual(
                    s[c.otherOp](c.other),
                    model[c.otherOp](c.other),
                  );
                }
              });
              strictEqual(tid, expected);
              if (tid >= 0) model.endTurn(c.cpu);
              break;
            }
          }
          check(s, model, preemptions);
        }
      },
    ),
    { numRuns: 300 },
  );
});

// ------------------------------------------------------------ scale

Deno.test("1,000,000 threads: spawned, then each scheduled exactly once (its code increments its own counter in machine memory)", () => {
  const THREADS = 1_000_000;
  const machine = new Machine({ ramSize: 512 << 20 });
  const memory = machine.memory;
  const base = 0x100_0000;
  const counters = 0x800_0000;
  const s = new Scheduler(memory, {
    base,
    size: Scheduler.requiredSize(1, THREADS),
    cpus: 1,
    maxThreads: THREADS,
  });
  // Two entries shared by all threads; the argument is the counter.
  for (const entry of [ENTRY, ENTRY + 0x1000]) {
    machine.code.register(entry, (cpu) => {
      const counter = threadArg(cpu);
      cpu.memory.writeU32(counter, cpu.memory.readU32(counter) + 1);
      s.exit(threadId(cpu));
    });
  }
  for (let i = 0; i < THREADS; i++) {
    const tid = s.spawn(ENTRY + (i & 1) * 0x1000, counters + 4 * i, {
      priority: i % 32,
    });
    if (tid !== i) throw new Error(`spawn ${i} gave ${tid}`);
  }
  strictEqual(s.spawn(ENTRY, 0), -1); // full
  strictEqual(s.stats().ready, THREADS);
  let ran = 0;
  machine.run(() => {
    const dispatch = codeDispatch(machine.cpus[0]!);
    while (s.runOnce(0, dispatch) >= 0) ran++;
  });
  strictEqual(ran, THREADS);
  let wrong = 0;
  for (let i = 0; i < THREADS; i++) {
    if (memory.readU32(counters + 4 * i) !== 1) wrong++;
  }
  strictEqual(wrong, 0);
  const stats = s.stats();
  deepStrictEqual(
    [stats.live, stats.exited, stats.free, stats.cpus[0]!.dispatched],
    [0, THREADS, 0, THREADS],
  );
});

// ------------------------------------------------------------ two CPUs

// Formats the scheduler, spawns `threads`, and runs them on the BSP and
// CPU 1 (a Worker) until none is left; returns the machine.
function onTwoCpus(
  mode: number,
  threads: number,
  cpuOf: (i: number) => number,
) {
  const machine = new Machine({ cpus: 2, image, ramSize: 64 << 20 });
  const s = new Scheduler(machine.memory, {
    base: BASE,
    size: Scheduler.requiredSize(2, threads),
    cpus: 2,
    maxThreads: threads,
  });
  for (let i = 0; i < threads; i++) {
    s.spawn(THREAD_ENTRY, COUNTERS + 4 * i, { cpu: cpuOf(i) });
  }
  const report = machine.run(() => {
    const cpu = machine.cpus[0]!;
    setMode(cpu, mode);
    cpu.writeU32(0xfee0_0310, 1 << 24); // destination: APIC ID 1
    cpu.writeU32(0xfee0_0300, 0x4500); // INIT
    cpu.writeU32(0xfee0_0300, 0x4600 | AP_VECTOR); // STARTUP
    runCpu(cpu);
    waitForCpu1(cpu);
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(report.cpus[1]!.reason, "returned", report.toString());
  return { machine, s };
}

Deno.test("2 CPUs (Workers) pick from the shared queues: CPU 1 steals from CPU 0, and every thread runs exactly once", () => {
  const THREADS = 100_000;
  const { machine, s } = onTwoCpus(Mode.once, THREADS, () => 0);
  const memory = machine.memory;
  let wrong = 0;
  for (let i = 0; i < THREADS; i++) {
    if (memory.readU32(COUNTERS + 4 * i) !== 1) wrong++;
  }
  strictEqual(wrong, 0);
  const [ran0, ran1] = [memory.readU32(RAN), memory.readU32(RAN + 4)];
  strictEqual(ran0 + ran1, THREADS);
  ok(ran1 > 0, `CPU 1 ran ${ran1} threads`);
  const stats = s.stats();
  strictEqual(stats.cpus[1]!.steals, ran1); // its queues were always empty
  strictEqual(stats.cpus[0]!.stolen, ran1);
  deepStrictEqual([stats.live, stats.exited], [0, THREADS]);
});

Deno.test("2 CPUs: threads that yield, block and wake each other across CPUs run each of their steps exactly once", () => {
  const THREADS = 100_000;
  const { machine, s } = onTwoCpus(Mode.mixed, THREADS, (i) => i % 2);
  const memory = machine.memory;
  let wrong = 0;
  for (let i = 0; i < THREADS; i++) {
    const steps = MIXED_STEPS[i % 4]!;
    if (memory.readU32(COUNTERS + 4 * i) !== steps) wrong++;
    if (s.runs(i) !== steps) wrong++;
  }
  strictEqual(wrong, 0);
  const stats = s.stats();
  deepStrictEqual([stats.live, stats.blocked, stats.exited], [0, 0, THREADS]);
  strictEqual(
    memory.readU32(RAN) + memory.readU32(RAN + 4),
    MIXED_STEPS.reduce((a, b) => a + b) * THREADS / 4,
  );
});
