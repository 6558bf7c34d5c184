/**
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
 * Run with `deno bench bench/ffi_cstr_bench.ts`.
 *
 * @module
 */
import { CStr } from "../ffi/c_str.ts";
import { CString } from "../ffi/c_string.ts";
import { bindCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";
import { readBytes } from "../memory/virtual_memory.ts";

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

let sink = 0;

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
    sink += decoder.decode(asciiBytes).length;
  },
  true,
);

bench("64 ASCII bytes", "CStr.fromPtr + toStringLossy", () => {
  sink += CStr.fromPtr(ASCII_AT).toStringLossy().length;
});

bench("64 ASCII bytes", "CStr.fromPtr", () => {
  sink += CStr.fromPtr(ASCII_AT).length;
});

bench("64 ASCII bytes", "toStringLossy of a CStr", () => {
  sink += asciiCStr.toStringLossy().length;
});

bench(
  "64 ASCII bytes",
  "readBytes(p, 64) + TextDecoder.decode (length known)",
  () => {
    sink += decoder.decode(readBytes(ASCII_AT, 64)).length;
  },
);

bench(
  "UTF-8 text",
  `TextDecoder.decode of ${utf8Bytes.length} bytes from a Uint8Array`,
  () => {
    sink += decoder.decode(utf8Bytes).length;
  },
  true,
);

bench("UTF-8 text", "CStr.fromPtr + toStringLossy", () => {
  sink += CStr.fromPtr(UTF8_AT).toStringLossy().length;
});

bench("UTF-8 text", "toStr of a CStr", () => {
  sink += utf8CStr.toStr().length;
});

bench("16 KiB", "CStr.fromPtr of 16 KiB over 5 pages", () => {
  sink += CStr.fromPtr(LONG_AT).length;
});

bench("16 KiB", "readBytes(p, 16 KiB + 1) (length known)", () => {
  sink += readBytes(LONG_AT, (16 << 10) + 1).length;
}, true);

if (sink === -1) console.log(sink);
