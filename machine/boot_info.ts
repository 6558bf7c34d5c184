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
