/** What a region of physical memory holds, as a boot loader reports it. */
export type MemoryRegionKind =
  /** Free RAM the kernel may allocate. */
  | "usable"
  /** RAM the boot loader's page tables use; free once the kernel has its own. */
  | "page-tables"
  /** Not for the kernel: the first MiB (legacy PC area) and anything else held. */
  | "reserved";

/** One entry of the memory map: `[start, end)` in physical memory. */
export interface MemoryRegion {
  /** The first byte, 4 KiB aligned. */
  readonly start: number;
  /** One past the last byte, 4 KiB aligned. */
  readonly end: number;
  /** What the region holds. */
  readonly kind: MemoryRegionKind;
}

/**
 * What the machine hands the kernel's entry function, as a boot loader
 * hands a kernel its boot information (the `bootloader` crate's
 * `BootInfo`).
 */
export interface BootInfo {
  /** The physical memory map, sorted, covering all of RAM. */
  readonly memoryMap: readonly MemoryRegion[];
  /** The size of RAM in bytes. */
  readonly ramSize: number;
}

/**
 * The top of the boot stack: the bootstrap processor's RSP at entry. The
 * 64 KiB below it, in the reserved first MiB, are the stacks a boot loader
 * leaves the kernel: 8 KiB for each CPU, see {@linkcode bootStackTop}.
 */
export const BOOT_STACK_TOP = 0x7_0000;

/**
 * The RSP that CPU `cpu` starts with: {@linkcode BOOT_STACK_TOP} for the
 * bootstrap processor, 8 KiB lower for each next CPU (as a real trampoline
 * hands each application processor a stack of its own).
 *
 * @param cpu The CPU number, 0 to 7.
 * @returns The stack top.
 *
 * @example CPU 1's stack
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(bootStackTop(1), 0x6_e000);
 * ```
 */
export function bootStackTop(cpu: number): number {
  return BOOT_STACK_TOP - cpu * 0x2000;
}
