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

/**
 * The byte offsets of a context's fields (see {@linkcode CONTEXT_SIZE}),
 * for kernel code that reads or fills a context itself, such as an IPC
 * fast path.
 *
 * @example Where a saved CR3 is
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(ContextLayout.CR3, 144);
 * ```
 */
export const ContextLayout = {
  /** RAX … R15, RIP, RFLAGS: 18 slots of 8 bytes, in register-number order. */
  GENERAL: 0,
  /** The general slots' count. */
  GENERAL_SLOTS: 18,
  /** CR3, with its PCID. */
  CR3: 144,
  /** FS base, GS base, KERNEL_GS base, 8 bytes each. */
  BASES: 152,
  /** CS in bits 15..0 and SS in bits 31..16. */
  SELECTORS: 176,
  /** 1 if the x87/SSE state was the initial one (no FXSAVE area written). */
  FPU_INITIAL: 180,
  /** The 512-byte FXSAVE64 area. */
  FPU: 256,
} as const;

// Register slots as plain constants: a property load from `Reg` on every
// use costs more than the copy itself on these paths.
const CR0 = Reg.CR0, CR3 = Reg.CR3, CR4 = Reg.CR4, EFER = Reg.EFER;
const RFLAGS = Reg.RFLAGS, CS = Reg.CS, SS = Reg.SS;
const FS_BASE = Reg.FS_BASE, GS_BASE = Reg.GS_BASE;
const KERNEL_GS_BASE = Reg.KERNEL_GS_BASE;
const GENERAL_SLOTS = ContextLayout.GENERAL_SLOTS;
const CR3_AT = ContextLayout.CR3;
const BASES_AT = ContextLayout.BASES;
const SELECTORS_AT = ContextLayout.SELECTORS;
const FPU_INITIAL_AT = ContextLayout.FPU_INITIAL;
const FPU_AT = ContextLayout.FPU;
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
  save(currentCpu(), area);
}

function save(cpu: Cpu, area: VirtualAddressLike): void {
  const pa = contextFrame(cpu, area, Access.WRITE);
  const views = viewsOf(cpu);
  const ram = views.ram, regs = views.registers;
  const at = pa / 8;
  for (let i = 0; i < GENERAL_SLOTS; i++) ram[at + i] = regs[i]!;
  ram[at + CR3_AT / 8] = regs[CR3]!;
  ram[at + BASES_AT / 8] = regs[FS_BASE]!;
  ram[at + BASES_AT / 8 + 1] = regs[GS_BASE]!;
  ram[at + BASES_AT / 8 + 2] = regs[KERNEL_GS_BASE]!;
  const words = views.ramWords, registerWords = cpu.registers.words;
  const w = pa / 4;
  words[w + SELECTORS_AT / 4] = (registerWords[CS * 2]! & 0xffff) |
    registerWords[SS * 2]! << 16;
  // As XSAVE's init optimization: an unused FPU costs one word.
  const initial = cpu.fpu.initial;
  words[w + FPU_INITIAL_AT / 4] = initial ? 1 : 0;
  if (!initial) cpu.fpu.storeWords(words, w + FPU_AT / 4);
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
  restore(currentCpu(), area);
}

function restore(cpu: Cpu, area: VirtualAddressLike): void {
  const pa = contextFrame(cpu, area, Access.READ);
  const views = viewsOf(cpu);
  const words = views.ramWords;
  const w = pa / 4;
  const fpuInitial = words[w + FPU_INITIAL_AT / 4] === 1;
  if (!fpuInitial && words[w + (FPU_AT + 24) / 4]! & ~0xffff) {
    return cpu.raise(
      Vector.GP,
      0,
      "context restore: MXCSR bits outside MXCSR_MASK",
    );
  }
  const ram = views.ram, regs = views.registers;
  const at = pa / 8;
  for (let i = 0; i < GENERAL_SLOTS; i++) regs[i] = ram[at + i]!;
  regs[FS_BASE] = ram[at + BASES_AT / 8]!;
  regs[GS_BASE] = ram[at + BASES_AT / 8 + 1]!;
  regs[KERNEL_GS_BASE] = ram[at + BASES_AT / 8 + 2]!;
  const r = cpu.registers;
  const selectors = words[w + SELECTORS_AT / 4]!;
  // CS and SS straight into the file, counted as one write (the CPL may
  // change, which caches in front of the TLB must see).
  const file = r.words;
  r.version++;
  file[CS * 2] = selectors & 0xffff;
  file[CS * 2 + 1] = 0;
  file[SS * 2] = selectors >>> 16;
  file[SS * 2 + 1] = 0;
  if (!fpuInitial) cpu.fpu.loadWords(words, w + FPU_AT / 4);
  else if (!cpu.fpu.initial) cpu.fpu.reset();
  const cr3Low = words[w + CR3_AT / 4]! >>> 0;
  const cr3High = words[w + CR3_AT / 4 + 1]! >>> 0;
  const words32 = r.words;
  if (cr3Low !== words32[CR3 * 2] || cr3High !== words32[CR3 * 2 + 1]) {
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
  const cpu = currentCpu();
  save(cpu, from);
  restore(cpu, to);
}

// The physical address of the context at `area`, after one translation
// (the context lies in one page). A context switch translates the same few
// pages again and again, so the last four translations are kept, each with
// what it depends on: the page, CR3, the access, the CPL and RFLAGS.AC —
// and, for all of them at once, the TLB's flush count, CR0, CR4 and EFER.
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
  const w = cpu.registers.words;
  const offset = address & 0xfff;
  const page = address - offset;
  const cr3 = w[CR3 * 2]! + w[CR3 * 2 + 1]! * 2 ** 32;
  const mode = (w[CS * 2]! & 3) | (w[RFLAGS * 2]! & AC) |
    access << 20;
  const c = frames;
  if (
    c.cpu !== cpu || c.generation !== cpu.mmu.tlb.generation ||
    c.cr0 !== w[CR0 * 2] || c.cr4 !== w[CR4 * 2] ||
    c.efer !== w[EFER * 2]
  ) {
    c.cpu = cpu;
    c.pages.fill(Number.NaN);
  } else {
    // Switches between two threads use four entries in turn: try the one
    // after the last hit first.
    for (let i = 1; i <= FRAMES; i++) {
      const k = (c.hit + i) & (FRAMES - 1);
      if (c.pages[k] === page && c.cr3s[k] === cr3 && c.modes[k] === mode) {
        c.hit = k;
        return c.frames[k]! + offset;
      }
    }
  }
  const pa = cpu.translate(address, access);
  // Stamped after the walk, which may have flushed.
  c.generation = cpu.mmu.tlb.generation;
  c.cr0 = w[CR0 * 2]!;
  c.cr4 = w[CR4 * 2]!;
  c.efer = w[EFER * 2]!;
  const k = c.next;
  c.next = (k + 1) % FRAMES;
  c.hit = k;
  c.pages[k] = page;
  c.cr3s[k] = cr3;
  c.modes[k] = mode;
  c.frames[k] = pa - offset;
  return pa;
}

const AC = 1 << 18;
const FRAMES = 4;
const frames = {
  cpu: undefined as Cpu | undefined,
  generation: -1,
  cr0: -1,
  cr4: -1,
  efer: -1,
  next: 0,
  hit: FRAMES - 1,
  pages: new Float64Array(FRAMES).fill(Number.NaN),
  cr3s: new Float64Array(FRAMES),
  modes: new Float64Array(FRAMES),
  frames: new Float64Array(FRAMES),
};

// 64-bit views of RAM and of the register file, and RAM's 32-bit words,
// made once per machine and CPU: whole registers copy as 64-bit integers
// (exact bits). Writing the file this way bypasses its write count, which
// caches in front of the TLB use; restoreContext sets CS and SS through
// setHalves, which counts.
interface Views {
  cpu: Cpu;
  ram: BigInt64Array;
  ramWords: Int32Array;
  registers: BigInt64Array;
}
let views: Views | undefined;

function viewsOf(cpu: Cpu): Views {
  if (views?.cpu !== cpu) {
    const buffer = cpu.memory.buffer, size = cpu.memory.size;
    const file = cpu.registers.view;
    views = {
      cpu,
      ram: new BigInt64Array(buffer, 0, Math.floor(size / 8)),
      ramWords: new Int32Array(buffer, 0, Math.floor(size / 4)),
      registers: new BigInt64Array(
        file.buffer,
        file.byteOffset,
        file.byteLength / 8,
      ),
    };
  }
  return views;
}
