/**
 * C strings: `CStr.fromPtr` + `toStringLossy` of a 64-byte ASCII string in
 * machine memory on a CPU (the seed's `CStr::from_ptr(p).to_string_lossy()`),
 * against a bare `TextDecoder.decode` of the same 64 bytes from a
 * `Uint8Array` (no MMU, no search for the nul); each half alone; the same
 * for UTF-8 text with non-ASCII characters; and a 16 KiB string that spans
 * five pages.
 *
 * Goal: `fromPtr` + `toStringLossy` of 64 ASCII bytes within 3× of the bare
 * `TextDecoder.decode`. Medians of 5 runs on the 2-core VM (Deno 2.9.6):
 * 280 ns against 107 ns (2.6×; `fromPtr` 141 ns, `toStringLossy` 135 ns),
 * where `readBytes` of the known length + `TextDecoder` takes 990 ns (two
 * new arrays at ~200 ns each); 372 ns against 201 ns for the UTF-8 text; 16
 * KiB over 5 pages in 7.9 µs, under `readBytes` of the same length (9.6 µs).
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

Deno.bench({
  name: "TextDecoder.decode of 64 bytes from a Uint8Array",
  group: "64 ASCII bytes",
  baseline: true,
  fn() {
    sink += decoder.decode(asciiBytes).length;
  },
});

Deno.bench({
  name: "CStr.fromPtr + toStringLossy",
  group: "64 ASCII bytes",
  fn() {
    sink += CStr.fromPtr(ASCII_AT).toStringLossy().length;
  },
});

Deno.bench({
  name: "CStr.fromPtr",
  group: "64 ASCII bytes",
  fn() {
    sink += CStr.fromPtr(ASCII_AT).length;
  },
});

Deno.bench({
  name: "toStringLossy of a CStr",
  group: "64 ASCII bytes",
  fn() {
    sink += asciiCStr.toStringLossy().length;
  },
});

Deno.bench({
  name: "readBytes(p, 64) + TextDecoder.decode (length known)",
  group: "64 ASCII bytes",
  fn() {
    sink += decoder.decode(readBytes(ASCII_AT, 64)).length;
  },
});

Deno.bench({
  name: `TextDecoder.decode of ${utf8Bytes.length} bytes from a Uint8Array`,
  group: "UTF-8 text",
  baseline: true,
  fn() {
    sink += decoder.decode(utf8Bytes).length;
  },
});

Deno.bench({
  name: "CStr.fromPtr + toStringLossy",
  group: "UTF-8 text",
  fn() {
    sink += CStr.fromPtr(UTF8_AT).toStringLossy().length;
  },
});

Deno.bench({
  name: "toStr of a CStr",
  group: "UTF-8 text",
  fn() {
    sink += utf8CStr.toStr().length;
  },
});

Deno.bench({
  name: "CStr.fromPtr of 16 KiB over 5 pages",
  group: "16 KiB",
  fn() {
    sink += CStr.fromPtr(LONG_AT).length;
  },
});

Deno.bench({
  name: "readBytes(p, 16 KiB + 1) (length known)",
  group: "16 KiB",
  baseline: true,
  fn() {
    sink += readBytes(LONG_AT, (16 << 10) + 1).length;
  },
});

if (sink === -1) console.log(sink);
