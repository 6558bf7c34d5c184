/**
 * The C printf engine against the Rust-style `format` of the same values:
 * `printf("%d %s %#x %.3f %c", …)` and `format("{} {} {:#x} {:.3} {}", …)`,
 * with `format` as the baseline; then the cost of each conversion alone.
 *
 * Medians of the means of 5 runs on the 2-core VM: `format` 649 ns,
 * `formatPrintf` 730 ns, `vsnprintf` into a buffer (no bytes of its own
 * to return) 509 ns. Alone: `%d` 137 ns, `%s` 127 ns, `%#x` 191 ns, `%lx`
 * 310 ns, `%.3f` 254 ns, `%g` 380 ns, `%e` 408 ns, `%a` 464 ns, and `%f`
 * of a double near 1e300 (all 301 digits, exact, in BigInt) 3.3 µs.
 *
 * Run with `deno bench bench/ffi_printf_bench.ts`.
 *
 * @module
 */
import { format } from "../macros/format.ts";
import { char } from "../macros/typed.ts";
import {
  formatPrintf,
  type PrintfArguments,
  vsnprintf,
} from "../ffi/printf/mod.ts";

/** Arguments from fixed slots, reused: what a VaList over memory gives. */
class Slots implements PrintfArguments {
  values: (number | bigint)[] = [];
  next = 0;
  reset(...values: (number | bigint)[]): this {
    this.values = values;
    this.next = 0;
    return this;
  }
  i32(): number {
    return this.values[this.next++] as number;
  }
  u32(): number {
    return (this.values[this.next++] as number) >>> 0;
  }
  i64(): bigint {
    return this.values[this.next++] as bigint;
  }
  u64(): bigint {
    return this.values[this.next++] as bigint;
  }
  f64(): number {
    return this.values[this.next++] as number;
  }
  ptr(): bigint {
    return this.values[this.next++] as bigint;
  }
}

const NAME = new TextEncoder().encode("kernel");
const options = { readString: () => NAME };
const args = new Slots();
const FORMAT = new TextEncoder().encode("%d %s %#x %.3f %c");
const buffer = new Uint8Array(64);
let n = 0;
let sink: unknown;

Deno.bench({
  name: 'format("{} {} {:#x} {:.3} {}")',
  group: "five arguments",
  baseline: true,
  fn() {
    n = (n + 1) & 0xffff;
    sink = format(
      "{} {} {:#x} {:.3} {}",
      n,
      "kernel",
      0xdead_0000 + n,
      n / 7,
      char("k"),
    );
  },
});

/** The five values of the `n`-th call. */
function five(): Slots {
  n = (n + 1) & 0xffff;
  return args.reset(n, 0x1000n, 0xdead_0000 + n, n / 7, 0x6b);
}

Deno.bench({
  name: 'formatPrintf("%d %s %#x %.3f %c")',
  group: "five arguments",
  fn() {
    sink = formatPrintf(FORMAT, five(), options);
  },
});

const into = { into: buffer, readString: options.readString };
Deno.bench({
  name: 'vsnprintf("%d %s %#x %.3f %c") into a buffer',
  group: "five arguments",
  fn() {
    sink = vsnprintf(FORMAT, five(), into);
  },
});

const ONE: [string, () => (number | bigint)[]][] = [
  ["%d", () => [n]],
  ["%#x", () => [0xdead_0000 + n]],
  ["%lx", () => [0xffff_8000_0000_0000n + BigInt(n)]],
  ["%s", () => [0x1000n]],
  ["%.3f", () => [n / 7]],
  ["%e", () => [n / 7]],
  ["%g", () => [n / 7]],
  ["%a", () => [n / 7]],
  ["%f", () => [1e300 + n * 1e284]], // 301 digits, exact
];
for (const [text, values] of ONE) {
  const bytes = new TextEncoder().encode(text);
  Deno.bench({
    name: `formatPrintf("${text}")${text === "%f" ? " of ~1e300" : ""}`,
    group: "one conversion",
    baseline: text === "%d",
    fn() {
      n = (n + 1) & 0xffff;
      sink = formatPrintf(bytes, args.reset(...values()), options);
    },
  });
}

if (sink === "x") console.log(sink);
