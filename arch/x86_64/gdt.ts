import { currentCpu } from "../../machine/current_cpu.ts";
import { Reg } from "../../machine/cpu/register_file.ts";
import { signedAddress, type VirtualAddressLike } from "./tlb.ts";

/** A GDT entry: one 8-byte segment descriptor, or a 16-byte system one. */
export type Descriptor = readonly bigint[];

/** The 64-bit kernel code segment of the `x86_64` crate (DPL 0, L = 1). */
export const KERNEL_CODE_SEGMENT: Descriptor = Object.freeze([
  0x00af_9b00_0000_ffffn,
]);
/** The kernel data segment (DPL 0, writable). */
export const KERNEL_DATA_SEGMENT: Descriptor = Object.freeze([
  0x00cf_9300_0000_ffffn,
]);
/** The 64-bit user code segment (DPL 3, L = 1). */
export const USER_CODE_SEGMENT: Descriptor = Object.freeze([
  0x00af_fb00_0000_ffffn,
]);
/** The user data segment (DPL 3, writable). */
export const USER_DATA_SEGMENT: Descriptor = Object.freeze([
  0x00cf_f300_0000_ffffn,
]);

/** The size of a 64-bit TSS in bytes (SDM 3A §8.7, figure 8-11). */
const TSS_BYTES = 104;

/**
 * A 64-bit task-state segment in machine memory (SDM 3A §8.7): RSP0..RSP2,
 * the stacks for privilege changes, and IST1..IST7, the stacks an IDT gate
 * can name.
 *
 * @example A TSS with a double-fault stack
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { readU64 } from "../../memory/virtual_memory.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   const tss = new TaskStateSegment();
 *   tss.setInterruptStack(1, 0x5_8000);
 *   strictEqual(readU64(tss.address + 0x24), 0x5_8000n);
 * });
 * ```
 */
export class TaskStateSegment {
  /** Its virtual address, as a signed number. */
  readonly address: number;

  /**
   * Writes a zeroed TSS (with no I/O permission bitmap) at `address`.
   *
   * @param address A mapped, writable address; 0x5_1000 by default.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  constructor(address: VirtualAddressLike = 0x5_1000) {
    this.address = signedAddress(address);
    const cpu = currentCpu();
    cpu.writeBytes(this.address, new Uint8Array(TSS_BYTES));
    cpu.writeU16(this.address + 0x66, TSS_BYTES); // I/O map base: none
  }

  /**
   * Sets RSPn, the stack the CPU switches to when an interrupt raises the
   * privilege to ring `level`.
   *
   * @param level 0, 1 or 2.
   * @param rsp The stack top.
   * @throws {RangeError} For another level.
   */
  setPrivilegeStack(level: 0 | 1 | 2, rsp: VirtualAddressLike): void {
    if (level !== 0 && level !== 1 && level !== 2) {
      throw new RangeError(
        `Invalid privilege level ${level}: expected 0, 1 or 2`,
      );
    }
    currentCpu().writeU64(
      this.address + 4 + 8 * level,
      BigInt.asUintN(64, BigInt(signedAddress(rsp))),
    );
  }

  /**
   * Sets ISTn, a stack an IDT gate can name (a known-good stack for #DF or
   * NMI).
   *
   * @param index 1 to 7.
   * @param rsp The stack top.
   * @throws {RangeError} For another index.
   */
  setInterruptStack(index: number, rsp: VirtualAddressLike): void {
    if (!Number.isInteger(index) || index < 1 || index > 7) {
      throw new RangeError(`Invalid IST index ${index}: expected 1 to 7`);
    }
    currentCpu().writeU64(
      this.address + 0x24 + 8 * (index - 1),
      BigInt.asUintN(64, BigInt(signedAddress(rsp))),
    );
  }

  /**
   * Its 16-byte GDT descriptor: an available 64-bit TSS (type 9), present.
   *
   * @returns The descriptor.
   */
  descriptor(): Descriptor {
    const base = BigInt.asUintN(64, BigInt(this.address));
    const low = BigInt(TSS_BYTES - 1) | (base & 0xff_ffffn) << 16n |
      0x89n << 40n |
      (base >> 24n & 0xffn) << 56n;
    return Object.freeze([low, base >> 32n]);
  }
}

/**
 * The global descriptor table, in machine memory: the null descriptor,
 * then the segments added, like the `x86_64` crate's `GlobalDescriptorTable`.
 *
 * @example The usual kernel GDT
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   const gdt = new GlobalDescriptorTable();
 *   strictEqual(gdt.addEntry(KERNEL_CODE_SEGMENT), 0x08);
 *   strictEqual(gdt.addEntry(KERNEL_DATA_SEGMENT), 0x10);
 *   strictEqual(gdt.addEntry(USER_DATA_SEGMENT), 0x1b); // RPL 3
 *   strictEqual(gdt.addEntry(USER_CODE_SEGMENT), 0x23);
 *   strictEqual(gdt.addEntry(new TaskStateSegment().descriptor()), 0x28);
 *   gdt.load();
 *   loadTss(0x28);
 * });
 * ```
 */
export class GlobalDescriptorTable {
  /** Its virtual address, as a signed number. */
  readonly address: number;
  #length = 1;

  /**
   * Starts a GDT with its null descriptor at `address`.
   *
   * @param address A mapped, writable address; 0x5_0000 by default.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  constructor(address: VirtualAddressLike = 0x5_0000) {
    this.address = signedAddress(address);
    currentCpu().writeU64(this.address, 0n);
  }

  /**
   * Appends a descriptor.
   *
   * @param descriptor One 8-byte descriptor, or the two halves of a TSS's.
   * @returns Its selector, with RPL 3 for a DPL-3 segment.
   * @throws {RangeError} When the table is full (8,192 entries).
   */
  addEntry(descriptor: Descriptor): number {
    if (this.#length + descriptor.length > 8192) {
      throw new RangeError("The GDT is full: it has room for 8192 descriptors");
    }
    const index = this.#length;
    descriptor.forEach((d, i) =>
      currentCpu().writeU64(this.address + 8 * (index + i), d)
    );
    this.#length += descriptor.length;
    const dpl = descriptor.length === 1 && descriptor[0]! & 1n << 44n
      ? Number(descriptor[0]! >> 45n & 3n)
      : 0;
    return index * 8 | dpl;
  }

  /**
   * Loads the GDT (`lgdt`) with the entries added so far.
   *
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  load(): void {
    currentCpu().lgdt(this.address, this.#length * 8 - 1);
  }
}

/**
 * Loads the task register (`ltr`) with a TSS selector of the loaded GDT.
 *
 * @param selector The selector `addEntry` returned for the TSS.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example See {@linkcode GlobalDescriptorTable}
 * ```ts
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   const gdt = new GlobalDescriptorTable();
 *   const tss = gdt.addEntry(new TaskStateSegment().descriptor());
 *   gdt.load();
 *   loadTss(tss);
 * });
 * ```
 */
export function loadTss(selector: number): void {
  currentCpu().ltr(selector);
}

/**
 * Loads CS and SS, as a far return and `mov ss` do after `lgdt`; with an
 * RPL of 3 the code now runs in user mode.
 *
 * @param code The code-segment selector.
 * @param stack The stack-segment selector.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Switching to the new kernel segments
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   setSegments(0x08, 0x10);
 * });
 * ```
 */
export function setSegments(code: number, stack: number): void {
  const r = currentCpu().registers;
  r.setHalves(Reg.CS, code & 0xffff, 0);
  r.setHalves(Reg.SS, stack & 0xffff, 0);
}
