/**
 * Benchmarks of the machine's hot paths against the raw `DataView` calls
 * underneath them: `PhysicalMemory` u32 and u64 reads and writes, the CPU
 * register file, and an `out` of a byte to COM1 (IoBus, `Cpu.out8` and the
 * arch `Port`).
 *
 * Each bench body does {@linkcode ACCESSES} accesses at varying, aligned
 * addresses spread over {@linkcode RAM_SIZE} bytes of RAM, so the per-call
 * overhead of `Deno.bench` does not dominate; every value read is folded
 * into an accumulator that is stored in a module-level variable, so no read
 * can be optimised away. Each group has a raw baseline.
 *
 * Goal: every `PhysicalMemory` u32 and u64 read and write within 1.5× of
 * its raw `DataView` baseline (median).
 *
 * Run with `deno bench bench/machine_bench.ts`. Deno's table shows the mean
 * and percentiles of its samples, not their median; the samples here are
 * tight (min ≈ p75), so compare medians over several runs of
 * `deno bench --json bench/machine_bench.ts`.
 *
 * @module
 */

import { Port } from "../arch/x86_64/port.ts";
import { bindCpu } from "../machine/current_cpu.ts";
import { type Reg, RegisterFile } from "../machine/cpu/register_file.ts";
import { COM1 } from "../machine/devices/uart_16550.ts";
import { Machine } from "../machine/machine.ts";
import { PhysicalMemory } from "../machine/physical_memory.ts";
import { DiscardSink } from "../machine/serial_sink.ts";

/** The RAM size of every memory bench: 4 MiB. */
const RAM_SIZE = 4 * 2 ** 20;
/** Accesses per bench body. */
const ACCESSES = 1024;
/**
 * The step between two accesses: one page and one 8-byte slot, so that
 * 1024 accesses touch about 1024 different pages, wrapping once.
 */
const STRIDE = 4096 + 8;
/** Keeps an address inside RAM and 8-byte aligned. */
const MASK = (RAM_SIZE - 1) & ~7;

// The raw baseline and the layer under test, each over its own buffer.
const rawView = new DataView(new SharedArrayBuffer(RAM_SIZE));
const ram = new PhysicalMemory(RAM_SIZE);

/** 64-bit values to write, chosen so that both halves are non-zero. */
const VALUES64: readonly bigint[] = Array.from(
  { length: 16 },
  (_, i) => 0x0123_4567_89ab_cdefn * BigInt(i + 1) & 0xffff_ffff_ffff_ffffn,
);

// Every read result ends up here, so that the reads have a use.
let consumed = 0;
let consumedBig = 0n;

// Touch every page the benches reach before timing: the first touch of a
// page of a fresh SharedArrayBuffer costs over a microsecond.
for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
  rawView.setUint32(a, a, true);
  rawView.setUint32(a + 4, ~a >>> 0, true);
  ram.writeU64Halves(a, a, ~a >>> 0);
}

// ---------------------------------------------------------------- u32 read

Deno.bench({
  name: "raw DataView.getUint32",
  group: "u32 read",
  baseline: true,
  fn() {
    let sum = 0;
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      sum = (sum + rawView.getUint32(a, true)) | 0;
    }
    consumed ^= sum;
  },
});

Deno.bench({
  name: "PhysicalMemory.readU32",
  group: "u32 read",
  fn() {
    let sum = 0;
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      sum = (sum + ram.readU32(a)) | 0;
    }
    consumed ^= sum;
  },
});

// --------------------------------------------------------------- u32 write

Deno.bench({
  name: "raw DataView.setUint32",
  group: "u32 write",
  baseline: true,
  fn() {
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      rawView.setUint32(a, a + i, true);
    }
  },
});

Deno.bench({
  name: "PhysicalMemory.writeU32",
  group: "u32 write",
  fn() {
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      ram.writeU32(a, a + i);
    }
  },
});

// ------------------------------------------------------ u64 read (bigint)

Deno.bench({
  name: "raw DataView.getBigUint64",
  group: "u64 read",
  baseline: true,
  fn() {
    let sum = 0n;
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      sum = BigInt.asUintN(64, sum + rawView.getBigUint64(a, true));
    }
    consumedBig ^= sum;
  },
});

Deno.bench({
  name: "PhysicalMemory.readU64",
  group: "u64 read",
  fn() {
    let sum = 0n;
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      sum = BigInt.asUintN(64, sum + ram.readU64(a));
    }
    consumedBig ^= sum;
  },
});

// ---------------------------------------------- u64 read as two u32 halves

Deno.bench({
  name: "raw DataView.getUint32 × 2",
  group: "u64 read halves",
  baseline: true,
  fn() {
    let sum = 0;
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      sum = (sum + rawView.getUint32(a, true)) | 0;
      sum = (sum ^ rawView.getUint32(a + 4, true)) | 0;
    }
    consumed ^= sum;
  },
});

Deno.bench({
  name: "PhysicalMemory.readU64Low + readU64High",
  group: "u64 read halves",
  fn() {
    let sum = 0;
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      sum = (sum + ram.readU64Low(a)) | 0;
      sum = (sum ^ ram.readU64High(a)) | 0;
    }
    consumed ^= sum;
  },
});

// ----------------------------------------------------- u64 write (bigint)

Deno.bench({
  name: "raw DataView.setBigUint64",
  group: "u64 write",
  baseline: true,
  fn() {
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      rawView.setBigUint64(a, VALUES64[i & 15]!, true);
    }
  },
});

Deno.bench({
  name: "PhysicalMemory.writeU64",
  group: "u64 write",
  fn() {
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      ram.writeU64(a, VALUES64[i & 15]!);
    }
  },
});

// --------------------------------------------- u64 write as two u32 halves

Deno.bench({
  name: "raw DataView.setUint32 × 2",
  group: "u64 write halves",
  baseline: true,
  fn() {
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      rawView.setUint32(a, a + i, true);
      rawView.setUint32(a + 4, i, true);
    }
  },
});

Deno.bench({
  name: "PhysicalMemory.writeU64Halves",
  group: "u64 write halves",
  fn() {
    for (let i = 0, a = 0; i < ACCESSES; i++, a = (a + STRIDE) & MASK) {
      ram.writeU64Halves(a, a + i, i);
    }
  },
});

// ---------------------------------------------------------------- register
// One read and one write of a 64-bit slot per access, cycling over the 16
// general registers.

const rawRegisters = new DataView(new ArrayBuffer(8 * 41));
const registers = new RegisterFile();

Deno.bench({
  name: "raw DataView getBigUint64 + setBigUint64",
  group: "register",
  baseline: true,
  fn() {
    let sum = 0n;
    for (let i = 0; i < ACCESSES; i++) {
      const slot = (i & 15) * 8;
      sum = BigInt.asUintN(64, sum + rawRegisters.getBigUint64(slot, true));
      rawRegisters.setBigUint64(slot, VALUES64[i & 15]!, true);
    }
    consumedBig ^= sum;
  },
});

Deno.bench({
  name: "RegisterFile.get + set (bigint)",
  group: "register",
  fn() {
    let sum = 0n;
    for (let i = 0; i < ACCESSES; i++) {
      const reg = (i & 15) as Reg;
      sum = BigInt.asUintN(64, sum + registers.get(reg));
      registers.set(reg, VALUES64[i & 15]!);
    }
    consumedBig ^= sum;
  },
});

Deno.bench({
  name: "RegisterFile.low + high + setHalves (numbers)",
  group: "register",
  fn() {
    let sum = 0;
    for (let i = 0; i < ACCESSES; i++) {
      const reg = (i & 15) as Reg;
      sum = (sum + registers.low(reg)) | 0;
      sum = (sum ^ registers.high(reg)) | 0;
      registers.setHalves(reg, i, sum >>> 0);
    }
    consumed ^= sum;
  },
});

// --------------------------------------------------------------- outb COM1
// `Machine.run` can be called once and runs its entry synchronously, but
// `Deno.bench` calls the bench bodies later, from its own loop. So instead
// of `run`, this file binds CPU 0 for its whole duration with `bindCpu`
// (what `run` does around its entry), which lets the arch `Port` find the
// CPU it runs on. Nothing else runs in this process, so the binding is never
// left stale for other code.

const machine = new Machine({ ramSize: 1 << 20, sink: new DiscardSink() });
const cpu = machine.cpus[0]!;
bindCpu(cpu);
const com1 = new Port(COM1);

Deno.bench({
  name: "IoBus.write8",
  group: "outb COM1",
  baseline: true,
  fn() {
    for (let i = 0; i < ACCESSES; i++) machine.io.write8(COM1, i & 0x7f);
  },
});

Deno.bench({
  name: "Cpu.out8",
  group: "outb COM1",
  fn() {
    for (let i = 0; i < ACCESSES; i++) cpu.out8(COM1, i & 0x7f);
  },
});

Deno.bench({
  name: "arch Port.write (bound CPU)",
  group: "outb COM1",
  fn() {
    for (let i = 0; i < ACCESSES; i++) com1.write(i & 0x7f);
  },
});

// Make the accumulators observable, so no read above is dead code.
globalThis.addEventListener("unload", () => {
  if (consumed === 0x7fff_ffff && consumedBig === 1n) console.log("!");
});
