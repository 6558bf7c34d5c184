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
 * | 180 | 76 | reserved |
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
const FPU_AT = 256;
const FXSAVE_WRITTEN = 464; // FXSAVE leaves bytes 464..511 alone
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
  const pa = contextFrame(cpu, area, Access.WRITE);
  const ram = ramBytes(cpu);
  const regs = registerBytes(cpu);
  ram.set(regs.subarray(0, GENERAL_BYTES), pa);
  ram.set(regs.subarray(Reg.CR3 * 8, Reg.CR3 * 8 + 8), pa + CR3_AT);
  ram.set(
    regs.subarray(Reg.FS_BASE * 8, Reg.KERNEL_GS_BASE * 8 + 8),
    pa + BASES_AT,
  );
  ram.set(regs.subarray(Reg.CS * 8, Reg.CS * 8 + 2), pa + SELECTORS_AT);
  ram.set(regs.subarray(Reg.SS * 8, Reg.SS * 8 + 2), pa + SELECTORS_AT + 2);
  ram.set(cpu.fpu.bytes.subarray(0, FXSAVE_WRITTEN), pa + FPU_AT);
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
  const pa = contextFrame(cpu, area, Access.READ);
  const memory = cpu.memory;
  if (memory.readU32(pa + FPU_AT + 24) & ~0xffff) {
    return cpu.raise(
      Vector.GP,
      0,
      "context restore: MXCSR bits outside MXCSR_MASK",
    );
  }
  const ram = ramBytes(cpu);
  const r = cpu.registers;
  const regs = registerBytes(cpu);
  const cr3Low = memory.readU32(pa + CR3_AT);
  const cr3High = memory.readU32(pa + CR3_AT + 4);
  regs.set(ram.subarray(pa, pa + GENERAL_BYTES), 0);
  regs.set(
    ram.subarray(pa + BASES_AT, pa + BASES_AT + 24),
    Reg.FS_BASE * 8,
  );
  r.setHalves(Reg.CS, memory.readU16(pa + SELECTORS_AT), 0);
  r.setHalves(Reg.SS, memory.readU16(pa + SELECTORS_AT + 2), 0);
  const fpu = cpu.fpu.bytes;
  fpu.set(ram.subarray(pa + FPU_AT, pa + FPU_AT + 28), 0);
  fpu.set(ram.subarray(pa + FPU_AT + 32, pa + FPU_AT + 416), 32);
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
// (the context lies in one page).
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
  return cpu.translate(address, access);
}

let ramOf: { buffer: SharedArrayBuffer; bytes: Uint8Array } | undefined;

function ramBytes(cpu: Cpu): Uint8Array {
  const buffer = cpu.memory.buffer;
  if (ramOf?.buffer !== buffer) {
    ramOf = { buffer, bytes: new Uint8Array(buffer, 0, cpu.memory.size) };
  }
  return ramOf.bytes;
}

// The register file's bytes. Writing them bypasses the file's write count,
// which caches in front of the TLB use; restoreContext also sets CS and SS
// through setHalves, which counts.
let registersOf: { cpu: Cpu; bytes: Uint8Array } | undefined;

function registerBytes(cpu: Cpu): Uint8Array {
  if (registersOf?.cpu !== cpu) {
    const view = cpu.registers.view;
    registersOf = {
      cpu,
      bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
    };
  }
  return registersOf.bytes;
}
