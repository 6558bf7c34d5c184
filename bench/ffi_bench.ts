/**
 * The ffi benches, issue 7: C strings, then the printf family.
 *
 * C strings: `CStr.fromPtr` + `toStringLossy` of a 64-byte ASCII string in
 * machine memory on a CPU (the seed's `CStr::from_ptr(p).to_string_lossy()`),
 * against a bare `TextDecoder.decode` of the same 64 bytes from a
 * `Uint8Array` (no MMU, no search for the nul); each half alone; the same
 * for UTF-8 text with non-ASCII characters; and a 16 KiB string that spans
 * five pages.
 *
 * Goal: `fromPtr` + `toStringLossy` of 64 ASCII bytes within 3× of the bare
 * `TextDecoder.decode`. Medians of the averages of 5 runs on the 2-core VM
 * (Deno 2.9.6): 294 ns against 110 ns (2.7×; `fromPtr` 143 ns,
 * `toStringLossy` 132 ns), where `readBytes` of the known length +
 * `TextDecoder` takes 1,070 ns (two new arrays at ~200 ns each); 379 ns
 * against 199 ns for the UTF-8 text; 16 KiB over 5 pages in 7.9 µs, under
 * `readBytes` of the same length (9.5 µs).
 *
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
 * Run with `deno bench bench/ffi_bench.ts`.
 *
 * @module
 */
import { CStr } from "../ffi/c_str.ts";
import { CString } from "../ffi/c_string.ts";
import {
  formatPrintf,
  type PrintfArguments,
  vsnprintf,
} from "../ffi/printf/mod.ts";
import { bindCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";
import { format } from "../macros/format.ts";
import { char } from "../macros/typed.ts";
import { readBytes } from "../memory/virtual_memory.ts";

// ------------------------------------------------------------ C strings

// fromPtr needs a CPU: bind one for the whole file, as Machine.run does for
// its entry function.
const machine = new Machine({ ramSize: 4 << 20, sink: new DiscardSink() });
bindCpu(machine.cpus[0]);

const ASCII =
  "Message from the C driver: link up, 1000 Mbit/s, full duplex.   ";
const UTF8 = "Grüße aus dem Treiber: Verbindung hergestellt — 1 Gbit/s ✓";
const ASCII_AT = 0x20_0100;
const UTF8_AT = 0x20_0200;
const LONG_AT = 0x20_0ff0; // 16 KiB from near the end of a page: 5 pages
CString.new(ASCII).writeToPhysical(machine.memory, ASCII_AT);
CString.new(UTF8).writeToPhysical(machine.memory, UTF8_AT);
CString.new("x".repeat(16 << 10)).writeToPhysical(machine.memory, LONG_AT);

const asciiBytes = new TextEncoder().encode(ASCII);
const utf8Bytes = new TextEncoder().encode(UTF8);
const decoder = new TextDecoder();
const asciiCStr = CStr.fromPtr(ASCII_AT);
const utf8CStr = CStr.fromPtr(UTF8_AT);
if (asciiBytes.length !== 64 || asciiCStr.toStringLossy() !== ASCII) {
  throw new Error("the ASCII string must be 64 bytes");
}

let kept = 0;

// One Deno.bench; the baseline of its group when `baseline` is set.
function bench(
  group: string,
  name: string,
  fn: () => void,
  baseline = false,
): void {
  Deno.bench({ name, group, baseline, fn });
}

bench(
  "64 ASCII bytes",
  "TextDecoder.decode of 64 bytes from a Uint8Array",
  () => {
    kept += decoder.decode(asciiBytes).length;
  },
  true,
);

bench("64 ASCII bytes", "CStr.fromPtr + toStringLossy", () => {
  kept += CStr.fromPtr(ASCII_AT).toStringLossy().length;
});

bench("64 ASCII bytes", "CStr.fromPtr", () => {
  kept += CStr.fromPtr(ASCII_AT).length;
});

bench("64 ASCII bytes", "toStringLossy of a CStr", () => {
  kept += asciiCStr.toStringLossy().length;
});

bench(
  "64 ASCII bytes",
  "readBytes(p, 64) + TextDecoder.decode (length known)",
  () => {
    kept += decoder.decode(readBytes(ASCII_AT, 64)).length;
  },
);

bench(
  "UTF-8 text",
  `TextDecoder.decode of ${utf8Bytes.length} bytes from a Uint8Array`,
  () => {
    kept += decoder.decode(utf8Bytes).length;
  },
  true,
);

bench("UTF-8 text", "CStr.fromPtr + toStringLossy", () => {
  kept += CStr.fromPtr(UTF8_AT).toStringLossy().length;
});

bench("UTF-8 text", "toStr of a CStr", () => {
  kept += utf8CStr.toStr().length;
});

bench("16 KiB", "CStr.fromPtr of 16 KiB over 5 pages", () => {
  kept += CStr.fromPtr(LONG_AT).length;
});

bench("16 KiB", "readBytes(p, 16 KiB + 1) (length known)", () => {
  kept += readBytes(LONG_AT, (16 << 10) + 1).length;
}, true);

if (kept === -1) console.log(kept);

// ------------------------------------------------------------------ printf

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
