/**
 * `format` against a template literal that builds the same text, and
 * `kprintln` throughput through COM1 to a discarding sink.
 *
 * Goal: `format("{} {:#x} {:?}", …)` within 3× of the template literal.
 *
 * Run with `deno bench bench/format_bench.ts`.
 *
 * @module
 */
import { format } from "../macros/format.ts";
import { kprintln } from "../macros/kprint.ts";
import { bindCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";

let sink = "";
let n = 0;

Deno.bench({
  name: "template literal",
  group: "format",
  baseline: true,
  fn() {
    n = (n + 1) & 0xffff;
    sink = `${n} 0x${(0xdead_0000 + n).toString(16)} "cr${n & 7}"`;
  },
});

Deno.bench({
  name: 'format("{} {:#x} {:?}")',
  group: "format",
  fn() {
    n = (n + 1) & 0xffff;
    sink = format("{} {:#x} {:?}", n, 0xdead_0000 + n, `cr${n & 7}`);
  },
});

// kprintln needs a CPU: bind one for the whole file, as Machine.run does
// for its entry function (run itself returns before the benches start).
const machine = new Machine({ ramSize: 1 << 20, sink: new DiscardSink() });
bindCpu(machine.cpus[0]);
const LINE =
  "page fault at 0x0000_7fff_0000_1000, error code 0x7, rip 0x401000";

Deno.bench({
  name: `kprintln, ${LINE.length + 2} bytes a line`,
  group: "kprintln",
  fn() {
    kprintln("{}", LINE);
  },
});

if (sink === "x") console.log(sink);
