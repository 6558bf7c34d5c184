import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Machine } from "../../machine/machine.ts";
import { MemorySink } from "../../machine/serial_sink.ts";
import { currentCpu } from "../../machine/current_cpu.ts";
import { Reg } from "../../machine/cpu/register_file.ts";
import {
  CONTEXT_SIZE,
  restoreContext,
  saveContext,
  switchContext,
} from "./context.ts";

const A = 0x20_0000, B = 0x20_0400;
const GENERAL = [
  Reg.RAX,
  Reg.RCX,
  Reg.RDX,
  Reg.RBX,
  Reg.RSP,
  Reg.RBP,
  Reg.RSI,
  Reg.RDI,
  Reg.R8,
  Reg.R9,
  Reg.R10,
  Reg.R11,
  Reg.R12,
  Reg.R13,
  Reg.R14,
  Reg.R15,
];

function run(body: (m: Machine) => void) {
  const m = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
  const report = m.run(() => body(m));
  strictEqual(report.reason, "returned", report.toString());
}

// A value for every byte of thread state, from a seed.
function fill(seed: number): void {
  const cpu = currentCpu();
  const r = cpu.registers;
  let x = BigInt(seed);
  const next = () => (x = (x * 6364136223846793005n + 1442695040888963407n) &
    (2n ** 64n - 1n));
  for (const reg of GENERAL) r.set(reg, next());
  r.set(Reg.RIP, next() & 0x7fff_ffff_ffffn);
  r.setHalves(Reg.RFLAGS, 0x2 | 0x8d5 | (seed & 1 ? 0x400 : 0), 0); // status bits, DF
  for (const reg of [Reg.FS_BASE, Reg.GS_BASE, Reg.KERNEL_GS_BASE]) {
    r.set(reg, next() & 0x7fff_ffff_ffffn);
  }
  for (let n = 0; n < 16; n++) cpu.fpu.setXmm(n, next(), next());
  const image = new DataView(new ArrayBuffer(160));
  image.setUint16(0, 0x027f, true); // FCW: 53-bit precision
  image.setUint32(24, 0x1f80 ^ (seed & 0x3f), true); // MXCSR flags
  for (let i = 32; i < 160; i++) image.setUint8(i, Number(next() & 0xffn));
  cpu.fpu.write(0, new Uint8Array(image.buffer));
}

function state() {
  const cpu = currentCpu();
  return {
    registers: cpu.snapshot(),
    fpu: [...cpu.fpu.bytes.subarray(0, 416)],
  };
}

Deno.test("a context round trip restores every register, the FS/GS bases and the x87/SSE state", () => {
  run(() => {
    fill(1);
    const before = state();
    saveContext(A);
    fill(2);
    restoreContext(A);
    const after = state();
    // The TSC runs on; everything else is the thread's.
    deepStrictEqual({ ...after.registers, tsc: 0n }, {
      ...before.registers,
      tsc: 0n,
    });
    deepStrictEqual(after.fpu, before.fpu);
  });
});

Deno.test("the saved context has the documented layout (GPRs by register number, FXSAVE at +256)", () => {
  run((m) => {
    const r = currentCpu().registers;
    r.set(Reg.RBX, 0xb0b0n);
    r.set(Reg.R15, 0xf1f1n);
    r.set(Reg.RIP, 0x10_1234n);
    r.set(Reg.GS_BASE, 0x6500n);
    saveContext(A);
    const ram = m.memory;
    strictEqual(ram.readU64(A + 3 * 8), 0xb0b0n); // RBX is register 3
    strictEqual(ram.readU64(A + 15 * 8), 0xf1f1n);
    strictEqual(ram.readU64(A + 128), 0x10_1234n);
    strictEqual(ram.readU64(A + 144), 0x1000n); // CR3
    strictEqual(ram.readU64(A + 160), 0x6500n); // GS base
    strictEqual(ram.readU16(A + 176), 0x08); // CS
    strictEqual(ram.readU32(A + 180), 1); // FPU never used: area not written
    strictEqual(ram.readU32(A + 256 + 24), 0);
    currentCpu().fpu.setXmm(1, 0x55n, 0n);
    saveContext(A);
    strictEqual(ram.readU32(A + 180), 0);
    strictEqual(ram.readU32(A + 256 + 24), 0x1f80); // MXCSR in FXSAVE
    strictEqual(ram.readU64(A + 256 + 160 + 16), 0x55n); // XMM1
    strictEqual(CONTEXT_SIZE, 768);
  });
});

Deno.test("restoring a thread that never used the FPU gives it the initial x87/SSE state", () => {
  run(() => {
    const cpu = currentCpu();
    saveContext(A); // FPU unused
    cpu.fpu.setXmm(0, 1n, 2n);
    restoreContext(A);
    strictEqual(cpu.fpu.initial, true);
    deepStrictEqual(cpu.fpu.xmm(0), { low: 0n, high: 0n });
    strictEqual(cpu.fpu.mxcsr, 0x1f80);
  });
});

Deno.test("contexts must be 256-byte aligned", () => {
  run(() => throws(() => saveContext(A + 16), RangeError));
});

// Two address spaces that share the tables of the boot PML4 except the
// 4 KiB page at V, which each maps to its own frame.
const V = 0x1000_0000; // 256 MiB: not in RAM, so unmapped at boot
function twoSpaces(m: Machine): { pml4a: number; pml4b: number } {
  const ram = m.memory;
  const pml4a = 0x30_0000, pml4b = 0x30_1000;
  const pdpt = 0x30_2000, pd = 0x30_3000, pt = 0x30_4000;
  for (const pml4 of [pml4a, pml4b]) ram.copy(pml4, 0x1000, 4096);
  // V = PML4 0, PDPT 0, PD 128, PT 0: give both spaces a PD entry of
  // their own table... they share it, so change the PTE between switches.
  ram.copy(pdpt, 0x2000, 4096);
  ram.copy(pd, 0x4000, 4096);
  ram.writeU64(pml4a, BigInt(pdpt) | 3n);
  ram.writeU64(pml4b, BigInt(pdpt) | 3n);
  ram.writeU64(pdpt, BigInt(pd) | 3n);
  ram.writeU64(pd + 128 * 8, BigInt(pt) | 3n);
  ram.writeU64(pt, 0x31_0000n | 3n); // V → frame 0x31_0000
  ram.writeU32(0x31_0000, 0xaaaa);
  ram.writeU32(0x31_1000, 0xbbbb);
  return { pml4a, pml4b };
}

for (const pcid of [true, false]) {
  Deno.test(`a switch to a thread in another address space and back ${pcid ? "keeps" : "drops"} the first one's TLB entries ${pcid ? "with" : "without"} PCIDs`, () => {
    run((m) => {
      const cpu = currentCpu();
      const { pml4a, pml4b } = twoSpaces(m);
      if (pcid) cpu.writeCr(4, cpu.cr4 | 1 << 17, 0);
      // Thread B's context: its address space, PCID 2.
      cpu.writeCr(3, pml4b | (pcid ? 2 : 0), 0);
      saveContext(B);
      cpu.writeCr(3, pml4a | (pcid ? 1 : 0), 0);
      strictEqual(cpu.readU32(V), 0xaaaa); // A's translation, now cached
      m.memory.writeU64(0x30_4000, 0x31_1000n | 3n); // remap V, no invlpg
      switchContext(A, B);
      strictEqual(cpu.registers.low(Reg.CR3), pml4b | (pcid ? 2 : 0));
      switchContext(B, A);
      strictEqual(cpu.readU32(V), pcid ? 0xaaaa : 0xbbbb);
    });
  });
}
