/**
 * The tiny kernel's scheduler (`examples/kernel/scheduler.ts`): spawning
 * 1,000,000 threads; pick-next with the requeue of the thread it replaces
 * at 1,024 and at 1,000,000 threads (the queue operations are O(1), so the
 * second should stay within 1.5× of the first); `runOnce` with an empty
 * dispatch; spawn + exit (a TCB off the free list and back); block +
 * unblock; and a steal by an idle CPU.
 *
 * Goals: 1,000,000 spawns under 1 s; pick-next at 1 M threads within 1.5×
 * of pick-next at 1 K.
 *
 * The "per op" benches run {@linkcode OPS} operations per body: divide by
 * 1,024. Run with `deno bench bench/scheduler_bench.ts`; compare medians of
 * the means over several runs of `deno bench --json` (the bytes per thread
 * go to stderr).
 *
 * Medians of the means of 5 runs (2-core VM, Deno 2.9.6, one operation):
 *
 * | operation | 1,024 threads | 1,000,000 threads |
 * | --- | --- | --- |
 * | spawn of 1,000,000 threads (RAM touched before / fresh RAM) | | 84 ms / 144 ms |
 * | `pickNext` + requeue of the thread it replaces | 44.7 ns | 47.4 ns (1.06×) |
 * | `runOnce` with an empty dispatch | 74 ns | 78 ns |
 * | spawn + exit of a ready thread | 155 ns | |
 * | block + unblock of a ready thread | 100 ns | |
 * | steal by an idle CPU of 2, with the requeue | 126 ns | |
 *
 * Machine memory: 64 bytes per thread (the TCB, its queue links
 * included), plus 128 bytes of header and 320 bytes per CPU.
 *
 * @module
 */
import { PhysicalMemory } from "@exo-kernel/core/machine";
import { Scheduler, TCB_SIZE } from "../examples/kernel/scheduler.ts";

/** Operations per body of the per-operation benches. */
const OPS = 1024;
/** Threads of the large benches. */
const MILLION = 1_000_000;
/** Any code address: nothing is dispatched through it here. */
const ENTRY = 0x20_0000;

const memory = new PhysicalMemory(256 << 20);

function format(base: number, maxThreads: number, cpus = 1): Scheduler {
  return new Scheduler(memory, {
    base,
    size: Scheduler.requiredSize(cpus, maxThreads),
    cpus,
    maxThreads,
  });
}

function spawnAll(s: Scheduler, threads: number): void {
  for (let i = 0; i < threads; i++) s.spawn(ENTRY, i, { priority: i & 3 });
}

// On stderr, so that `deno bench --json` stays JSON.
console.error(
  `scheduler: ${TCB_SIZE} bytes of machine memory per thread (its TCB, queue links included); ` +
    `the region for ${MILLION.toLocaleString("en")} threads on 1 CPU: ${
      Scheduler.requiredSize(1, MILLION).toLocaleString("en")
    } bytes (${
      (Scheduler.requiredSize(1, MILLION) / MILLION).toFixed(6)
    } bytes per thread with the header and the CPU's queues)`,
);

// Every tid ends up here, so that the calls have a use.
let consumed = 0;

// ------------------------------------------------------------ spawn

Deno.bench({
  name:
    "spawn 1,000,000 threads (a freshly formatted scheduler, RAM touched before)",
  group: "spawn 1,000,000",
  baseline: true,
  n: 10,
  warmup: 2,
  fn() {
    spawnAll(format(0x100_0000, MILLION), MILLION);
  },
});

Deno.bench({
  name:
    "spawn 1,000,000 threads in a fresh machine's RAM (first touch of 64 MB)",
  group: "spawn 1,000,000",
  n: 5,
  warmup: 1,
  fn() {
    const fresh = new PhysicalMemory(72 << 20);
    const s = new Scheduler(fresh, {
      base: 0x10_0000,
      size: Scheduler.requiredSize(1, MILLION),
      cpus: 1,
      maxThreads: MILLION,
    });
    spawnAll(s, MILLION);
  },
});

// ------------------------------------------------------------ pick-next

const small = format(0x10_0000, OPS);
spawnAll(small, OPS);
const large = format(0x800_0000, MILLION);
spawnAll(large, MILLION);

Deno.bench({
  name: "pickNext + requeue, 1,024 threads (per op: ÷ 1,024)",
  group: "pickNext + requeue",
  baseline: true,
  fn() {
    for (let i = 0; i < OPS; i++) consumed ^= small.pickNext(0);
  },
});

Deno.bench({
  name: "pickNext + requeue, 1,000,000 threads (per op: ÷ 1,024)",
  group: "pickNext + requeue",
  fn() {
    for (let i = 0; i < OPS; i++) consumed ^= large.pickNext(0);
  },
});

const dispatch = (tid: number) => {
  consumed ^= tid;
};

Deno.bench({
  name: "runOnce, empty dispatch, 1,024 threads (per op: ÷ 1,024)",
  group: "runOnce",
  baseline: true,
  fn() {
    for (let i = 0; i < OPS; i++) small.runOnce(0, dispatch);
  },
});

Deno.bench({
  name: "runOnce, empty dispatch, 1,000,000 threads (per op: ÷ 1,024)",
  group: "runOnce",
  fn() {
    for (let i = 0; i < OPS; i++) large.runOnce(0, dispatch);
  },
});

// ------------------------------------------------------------ other ops

const churn = format(0x30_0000, 2 * OPS);
spawnAll(churn, OPS);

Deno.bench({
  name: "spawn + exit of a ready thread (per op: ÷ 1,024)",
  group: "thread operations",
  baseline: true,
  fn() {
    for (let i = 0; i < OPS; i++) churn.exit(churn.spawn(ENTRY, i));
  },
});

Deno.bench({
  name: "block + unblock of a ready thread (per op: ÷ 1,024)",
  group: "thread operations",
  fn() {
    for (let i = 0; i < OPS; i++) {
      churn.block(i);
      churn.unblock(i);
    }
  },
});

// One thread on two CPUs: each pick on the idle CPU steals it from the
// other, whose pick put it back in its own queue.
const pair = format(0x40_0000, 1, 2);
pair.spawn(ENTRY, 0, { cpu: 0 });
pair.pickNext(0);

Deno.bench({
  name:
    "steal: pickNext on an idle CPU of 2, with the requeue (per op: ÷ 1,024)",
  group: "thread operations",
  fn() {
    for (let i = 0; i < OPS; i += 2) {
      pair.yield(0);
      consumed ^= pair.pickNext(1);
      pair.yield(1);
      consumed ^= pair.pickNext(0);
    }
  },
});

addEventListener("unload", () => {
  if (consumed === 0x7fff_ffff) console.log(consumed);
});
