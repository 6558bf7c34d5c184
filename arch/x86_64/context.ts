import type { Cpu } from "../../machine/cpu/cpu.ts";
import { Access } from "../../machine/cpu/mmu.ts";
import { Reg } from "../../machine/cpu/register_file.ts";
import { Vector } from "../../machine/cpu/exceptions.ts";
import { currentCpu } from "../../machine/current_cpu.ts";
import { signedAddress, type VirtualAddressLike } from "./tlb.ts";

/**
 * The bytes of a saved thread context in machine memory:
 *
 * | offset | size | contents |
 * |---|---|---|
 * | 0 | 128 | RAX RCX RDX RBX RSP RBP RSI RDI R8 … R15 (the x86 register numbers' order) |
 * | 128 | 8 | RIP |
 * | 136 | 8 | RFLAGS |
 * | 144 | 8 | CR3 (the address space, with its PCID) |
 * | 152 | 24 | FS base, GS base, KERNEL_GS base |
 * | 176 | 4 | CS, SS (16 bits each) |
 * | 180 | 4 | 1 if the x87/SSE state was the initial one (then bytes 256… are not written), else 0 |
 * | 184 | 72 | reserved |
 * | 256 | 512 | the x87/SSE state, in FXSAVE64 layout |
 *
 * A context is {@linkcode CONTEXT_ALIGN}-byte aligned, so that its FXSAVE
 * area is 16-byte aligned as FXSAVE needs and the context sits in one page.
 */
export const CONTEXT_SIZE = 768;
/** The alignment of a context: 256 bytes. */
export const CONTEXT_ALIGN = 256;

const GENERAL_BYTES = 144; // RAX..R15, RIP, RFLAGS: register slots 0..17
const CR3_AT = 144;
const BASES_AT = 152; // FS, GS, KERNEL_GS bases: slots 28..30
const SELECTORS_AT = 176;
const FPU_INITIAL_AT = 180;
const FPU_AT = 256;
const PCIDE = 1 << 17;
const NO_FLUSH = 0x8000_0000;

/**
 * Saves the current CPU's whole thread state — general registers, RIP,
 * RFLAGS, CR3, the FS/GS bases, CS and SS, and the x87/SSE state — at
 * `area` (a virtual address, written through the MMU).
 *
 * @param area Where the context goes: {@linkcode CONTEXT_SIZE} bytes,
 *   {@linkcode CONTEXT_ALIGN}-aligned.
 * @throws {RangeError} If `area` is not aligned.
 *
 * @example A round trip
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { currentCpu, Machine, Reg } from "../../machine/mod.ts";
 *
 * new Machine().run(() => {
 *   const r = currentCpu().registers;
 *   r.set(Reg.RBX, 0x1234n);
 *   saveContext(0x20_0000);
 *   r.set(Reg.RBX, 0n);
 *   restoreContext(0x20_0000);
 *   strictEqual(r.get(Reg.RBX), 0x1234n);
 * });
 * ```
 */
export function saveContext(area: VirtualAddressLike): void {
  const cpu = currentCpu();
  const at = contextFrame(cpu, area, Access.WRITE) >> 2;
  const ram = ramWords(cpu);
  const regs = registerWords(cpu);
  copy(regs, 0, ram, at, GENERAL_BYTES / 4);
  copy(regs, Reg.CR3 * 2, ram, at + CR3_AT / 4, 2);
  copy(regs, Reg.FS_BASE * 2, ram, at + BASES_AT / 4, 6);
  ram[at + SELECTORS_AT / 4] = (regs[Reg.CS * 2]! & 0xffff) |
    regs[Reg.SS * 2]! << 16;
  // As XSAVE's init optimization: an unused FPU costs one word.
  const initial = cpu.fpu.initial;
  ram[at + FPU_INITIAL_AT / 4] = initial ? 1 : 0;
  if (!initial) cpu.fpu.storeWords(ram, at + FPU_AT / 4);
}

/**
 * Loads the thread state saved at `area` into the current CPU. CR3 is
 * loaded only when it differs from the current one; with CR4.PCIDE = 1 it
 * is loaded with bit 63 set, so the new PCID keeps its translations (a
 * kernel that changed that address space's tables meanwhile flushes them
 * itself), and without PCIDs the load drops the non-global translations.
 * An MXCSR image with bits outside MXCSR_MASK raises #GP(0), as FXRSTOR.
 *
 * @param area Where the context is.
 * @throws {RangeError} If `area` is not aligned.
 */
export function restoreContext(area: VirtualAddressLike): void {
  const cpu = currentCpu();
  const at = contextFrame(cpu, area, Access.READ) >> 2;
  const ram = ramWords(cpu);
  const fpuInitial = ram[at + FPU_INITIAL_AT / 4] === 1;
  if (!fpuInitial && ram[at + (FPU_AT + 24) / 4]! & ~0xffff) {
    return cpu.raise(
      Vector.GP,
      0,
      "context restore: MXCSR bits outside MXCSR_MASK",
    );
  }
  const r = cpu.registers;
  const regs = registerWords(cpu);
  copy(ram, at, regs, 0, GENERAL_BYTES / 4);
  copy(ram, at + BASES_AT / 4, regs, Reg.FS_BASE * 2, 6);
  const selectors = ram[at + SELECTORS_AT / 4]!;
  r.setHalves(Reg.CS, selectors & 0xffff, 0);
  r.setHalves(Reg.SS, selectors >>> 16, 0);
  if (!fpuInitial) cpu.fpu.loadWords(ram, at + FPU_AT / 4);
  else if (!cpu.fpu.initial) cpu.fpu.reset();
  const cr3Low = ram[at + CR3_AT / 4]! >>> 0;
  const cr3High = ram[at + CR3_AT / 4 + 1]! >>> 0;
  if (cr3Low !== r.low(Reg.CR3) || cr3High !== r.high(Reg.CR3)) {
    cpu.writeCr(
      3,
      cr3Low,
      cpu.cr4 & PCIDE ? (cr3High | NO_FLUSH) >>> 0 : cr3High,
    );
  }
}

/**
 * Switches threads: saves the current state at `from` and loads the state
 * at `to`, as {@linkcode saveContext} and {@linkcode restoreContext}.
 *
 * @param from The context of the thread that stops.
 * @param to The context of the thread that runs next.
 */
export function switchContext(
  from: VirtualAddressLike,
  to: VirtualAddressLike,
): void {
  saveContext(from);
  restoreContext(to);
}

// The physical address of the context at `area`, after one translation
// (the context lies in one page). A context switch translates the same few
// pages again and again, so the last translations are kept, each with
// everything the translation depends on: the page, the access, CR3, the
// TLB's flush count, CR0, CR4, EFER, the CPL and RFLAGS.AC.
function contextFrame(
  cpu: Cpu,
  area: VirtualAddressLike,
  access: Access,
): number {
  const address = signedAddress(area);
  if (address % CONTEXT_ALIGN !== 0) {
    throw new RangeError(
      `Invalid context address ${area}: expected a multiple of ${CONTEXT_ALIGN}`,
    );
  }
  const r = cpu.registers;
  const offset = address & 0xfff;
  const page = address - offset;
  const cr3 = r.low(Reg.CR3) + r.high(Reg.CR3) * 2 ** 32;
  const generation = cpu.mmu.tlb.generation;
  const mode = (r.low(Reg.CS) & 3) | (r.low(Reg.RFLAGS) & AC) | access << 20;
  const cr0 = r.low(Reg.CR0), cr4 = r.low(Reg.CR4), efer = r.low(Reg.EFER);
  const c = frames;
  if (frameCpu === cpu) {
    for (let k = 0; k < c.length; k += FRAME_STRIDE) {
      if (
        c[k] === page && c[k + 1] === cr3 && c[k + 2] === generation &&
        c[k + 3] === mode && c[k + 4] === cr0 && c[k + 5] === cr4 &&
        c[k + 6] === efer
      ) return c[k + 7]! + offset;
    }
  } else {
    frameCpu = cpu;
    c.fill(Number.NaN);
  }
  const pa = cpu.translate(address, access);
  const k = nextFrame;
  nextFrame = (nextFrame + FRAME_STRIDE) % c.length;
  c[k] = page;
  c[k + 1] = cr3;
  c[k + 2] = cpu.mmu.tlb.generation; // the walk may have flushed
  c[k + 3] = mode;
  c[k + 4] = cr0;
  c[k + 5] = cr4;
  c[k + 6] = efer;
  c[k + 7] = pa - offset;
  return pa;
}

const AC = 1 << 18;
const FRAME_STRIDE = 8;
const frames = new Float64Array(4 * FRAME_STRIDE).fill(Number.NaN);
let nextFrame = 0;
let frameCpu: Cpu | undefined;

// Copies `count` 32-bit words (integers: no bit pattern changes).
function copy(
  from: Int32Array,
  fromAt: number,
  to: Int32Array,
  toAt: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) to[toAt + i] = from[fromAt + i]!;
}

// Word views of RAM and the register file, made once per machine and CPU. Writing the register file this way bypasses its write
// count, which caches in front of the TLB use; restoreContext sets CS and
// SS through setHalves, which counts.
let ramOf: { buffer: SharedArrayBuffer; words: Int32Array } | undefined;
let registersOf: { cpu: Cpu; words: Int32Array } | undefined;

function ramWords(cpu: Cpu): Int32Array {
  const buffer = cpu.memory.buffer;
  if (ramOf?.buffer !== buffer) {
    ramOf = { buffer, words: new Int32Array(buffer, 0, cpu.memory.size >> 2) };
  }
  return ramOf.words;
}

function registerWords(cpu: Cpu): Int32Array {
  if (registersOf?.cpu !== cpu) {
    const view = cpu.registers.view;
    registersOf = {
      cpu,
      words: new Int32Array(view.buffer, view.byteOffset, view.byteLength >> 2),
    };
  }
  return registersOf.words;
}
