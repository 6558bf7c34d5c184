/**
 * The seed's performance table, measured: runs the bench files of each row
 * (`deno bench --json`, {@linkcode RUNS} times), takes the median of the
 * runs' averages, and prints one Markdown table — row, the seed's target,
 * our goal, the measured median, pass or fail — with the machine it ran
 * on. Run it with `deno task bench:targets`.
 *
 * @module
 */

import { Scheduler } from "../examples/kernel/scheduler.ts";

/** How many times each bench file runs; the median of its averages counts. */
const RUNS = 5;

/** One row of the table. */
interface Row {
  /** What is measured. */
  readonly row: string;
  /** The seed's target for it. */
  readonly seed: string;
  /** Our goal, in words. */
  readonly goal: string;
  /** The bench file. */
  readonly file: string;
  /** The bench's name in that file. */
  readonly bench: string;
  /** Operations per bench iteration (the figure is divided by it). */
  readonly per?: number;
  /** How to print the median (in ns per operation) and judge it. */
  readonly judge: (ns: number, all: Map<string, number>) => {
    shown: string;
    pass: boolean;
  };
}

const ns = (limit: number) => (value: number) => ({
  shown: value >= 1e6
    ? `${(value / 1e6).toFixed(1)} ms`
    : value >= 1e3
    ? `${(value / 1e3).toFixed(2)} µs`
    : `${value.toFixed(1)} ns`,
  pass: value < limit,
});

const ROWS: Row[] = [
  {
    row: "IPC call + reply, same CPU",
    seed: "< 500 ns",
    goal: "< 200 ns",
    file: "bench/ipc_bench.ts",
    bench: "call + ReplyRecv, 1 word, PCIDs (× 1000)",
    per: 1000,
    judge: ns(200),
  },
  {
    row: "one-way message across CPUs",
    seed: "(IPC) < 500 ns",
    goal: "< 500 ns",
    file: "bench/ipc_bench.ts",
    bench: "channel, ping-pong of 8 bytes, 20000 round trips",
    per: 40_000, // one way: half a round trip
    judge: (value, all) => {
      const stream = all.get(
        "bench/ipc_bench.ts#channel, stream of 100000 messages of 8 bytes, CPU 1 → CPU 0",
      )! / 100_000;
      return {
        shown: `${value.toFixed(0)} ns (half a ping-pong; streamed: ${
          stream.toFixed(0)
        } ns a message)`,
        pass: value < 500,
      };
    },
  },
  {
    row: "context switch (two address spaces, PCIDs)",
    seed: "< 1 µs",
    goal: "< 100 ns",
    file: "bench/kernel_bench.ts",
    bench: "switchContext between address spaces, with PCIDs (× 1000)",
    per: 1000,
    judge: ns(100),
  },
  {
    row: "syscall round trip",
    seed: "> 5M calls/s",
    goal: "> 20M/s (< 50 ns)",
    file: "bench/kernel_bench.ts",
    bench: "syscall round trip at CPL 3: getpid (× 1000)",
    per: 1000,
    judge: (value) => ({
      shown: `${value.toFixed(1)} ns (${(1e3 / value).toFixed(1)}M/s)`,
      pass: value < 50,
    }),
  },
  {
    row: "1M threads created (64 bytes of machine memory each)",
    seed: "> 1M threads",
    goal: "< 1 s",
    file: "bench/scheduler_bench.ts",
    bench:
      "spawn 1,000,000 threads in a fresh machine's RAM (first touch of 64 MB)",
    judge: ns(1e9),
  },
  {
    row: "pick-next at 1M threads",
    seed: "scalable",
    goal: "≤ 1.5× of at 1K",
    file: "bench/scheduler_bench.ts",
    bench: "pickNext + requeue, 1,000,000 threads (per op: ÷ 1,024)",
    per: 1024,
    judge: (value, all) => {
      const small = all.get(
        "bench/scheduler_bench.ts#pickNext + requeue, 1,024 threads (per op: ÷ 1,024)",
      )! / 1024;
      return {
        shown: `${value.toFixed(1)} ns (${(value / small).toFixed(2)}× of ${
          small.toFixed(1)
        } ns at 1K)`,
        pass: value <= 1.5 * small,
      };
    },
  },
  {
    row: "machine memory per thread, at 1M threads",
    seed: "> 1M threads",
    goal: "≤ 256 bytes",
    file: "",
    bench: "",
    judge: () => {
      const bytes = Scheduler.requiredSize(1, 1_000_000) / 1_000_000;
      return { shown: `${bytes.toFixed(1)} bytes`, pass: bytes <= 256 };
    },
  },
  {
    row: "boot to the prompt, in-process",
    seed: "< 500 ms to a shell",
    goal: "< 100 ms",
    file: "bench/boot_bench.ts",
    bench: "BOOT_IN_PROCESS",
    judge: ns(100e6),
  },
  {
    row: "boot to the prompt, whole process",
    seed: "< 500 ms to a shell",
    goal: "< 300 ms",
    file: "bench/boot_bench.ts",
    bench: "BOOT_PROCESS",
    judge: ns(300e6),
  },
];

interface BenchJson {
  cpu: string;
  runtime: string;
  benches: {
    name: string;
    results: { ok?: { avg: number } }[];
  }[];
}

async function runFile(file: string): Promise<BenchJson> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "--json", "--allow-read", "--allow-run", file],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno bench ${file} failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(stdout));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const averages = new Map<string, number[]>();
let machine = "";
for (const file of new Set(ROWS.map((row) => row.file).filter((f) => f))) {
  for (let run = 0; run < RUNS; run++) {
    const json = await runFile(file);
    machine =
      `${json.cpu}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`;
    for (const bench of json.benches) {
      const avg = bench.results[0]?.ok?.avg;
      if (avg === undefined) continue;
      const key = `${file}#${bench.name}`;
      averages.set(key, [...(averages.get(key) ?? []), avg]);
    }
  }
}
const medians = new Map([...averages].map(([key, v]) => [key, median(v)]));
for (const row of ROWS) {
  const key = `${row.file}#${row.bench}`;
  if (medians.has(key)) medians.set(key, medians.get(key)! / (row.per ?? 1));
}

const lines = [
  "| row | seed target | our goal | measured (median) | |",
  "|---|---|---|---|---|",
];
let failed = 0;
for (const row of ROWS) {
  const value = row.file === "" ? 0 : medians.get(`${row.file}#${row.bench}`);
  if (value === undefined) {
    lines.push(`| ${row.row} | ${row.seed} | ${row.goal} | not measured | ✗ |`);
    failed++;
    continue;
  }
  const { shown, pass } = row.judge(value, medians);
  if (!pass) failed++;
  lines.push(
    `| ${row.row} | ${row.seed} | ${row.goal} | ${shown} | ${
      pass ? "✓" : "✗"
    } |`,
  );
}
console.log(lines.join("\n"));
console.log(`\nMeasured on ${machine}; median of ${RUNS} runs' averages.`);
console.log(`${ROWS.length - failed} of ${ROWS.length} goals met.`);
