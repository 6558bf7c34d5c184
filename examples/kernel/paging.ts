/**
 * The kernel's page tables: a higher-half kernel over a direct map of all
 * RAM, and an identity map of low memory, built by the BSP with the
 * library's `Mapper` before it loads CR3 (see `memory_layout.ts` for the
 * map).
 *
 * Tables come from a pool at {@linkcode PAGE_TABLES} in a fixed order, so
 * that the same RAM size always gives the same tables at the same
 * addresses: the PML4 at 0x20_0000, then the direct map's PDPT, PD and
 * first PT (0x20_1000 to 0x20_3000), then those of the identity map, then
 * those of the kernel image.
 *
 * @module
 */
import type { PhysicalMemory } from "@exo-kernel/core/machine";
import {
  type FrameSource,
  Mapper,
  Page,
  type PageSize,
  PageTableFlags,
  PhysFrame,
  Size2MiB,
  Size4KiB,
} from "@exo-kernel/core/memory";
import {
  APIC_VIRTUAL,
  DIRECT_MAP,
  KERNEL_DATA,
  KERNEL_END,
  KERNEL_TEXT,
  KERNEL_TEXT_SIZE,
  kernelVirtual,
  LOCAL_APIC,
  PAGE_TABLES,
  PAGE_TABLES_END,
} from "./memory_layout.ts";

/** The end of the identity map of low memory (the first 2 MiB). */
export const IDENTITY_END = 0x20_0000;

/**
 * Hands out zeroed 4 KiB frames for page tables from a fixed pool, in
 * address order (a bump allocator: kernel tables are never freed).
 */
export class TablePool implements FrameSource {
  #next: number;
  #end: number;
  #memory: PhysicalMemory;

  /**
   * A pool over `[start, end)`.
   *
   * @param memory The RAM.
   * @param start The first frame, 4 KiB-aligned.
   * @param end The end of the pool.
   */
  constructor(memory: PhysicalMemory, start: number, end: number) {
    this.#memory = memory;
    this.#next = start;
    this.#end = end;
  }

  /**
   * The next zeroed frame.
   *
   * @param size Only 4 KiB frames are handed out.
   * @returns The frame, or `undefined` when the pool is empty or another
   *   size is asked for.
   */
  allocate(size: PageSize = Size4KiB): PhysFrame | undefined {
    if (size !== Size4KiB || this.#next >= this.#end) return undefined;
    const frame = PhysFrame.fromStartAddress(this.#next);
    this.#memory.fill(this.#next, 4096);
    this.#next += 4096;
    return frame;
  }

  /**
   * The address of the next frame the pool would hand out.
   *
   * @returns A physical address.
   */
  get next(): number {
    return this.#next;
  }
}

/** What {@linkcode buildKernelPageTables} built. */
export interface KernelPageTables {
  /** The PML4's physical address: what CR3 gets. */
  readonly pml4: number;
  /** The pool the tables came from; later kernel tables come from it too. */
  readonly pool: TablePool;
  /** The number of 4 KiB tables used, the PML4 included. */
  readonly tables: number;
}

const P = () => new PageTableFlags().present();

/**
 * Builds the kernel's page tables in machine memory:
 *
 * - the direct map of all RAM at 0xffff_8000_0000_0000 (PML4 entry 256):
 *   writable, no-execute, global; 4 KiB pages for the first 2 MiB, where
 *   the kernel text's alias is read-only (no writable alias of code), and
 *   2 MiB pages for the rest;
 * - the identity map of low memory, 0x1000 to 2 MiB (PML4 entry 0):
 *   writable and executable, supervisor-only, not global; page 0 stays
 *   unmapped so that a null pointer faults. The BSP's entry (0x10_0000)
 *   and the APs' trampoline (0x8000) run there;
 * - the kernel image at 0xffff_ffff_8000_0000 + physical (PML4 entry
 *   511): the text read-only and executable, the data writable and
 *   no-execute, both global;
 * - the local APIC's page at 0xffff_ffff_fee0_0000 (PML4 entry 511 too),
 *   uncached (PCD, PWT), no-execute, global.
 *
 * @param memory The RAM.
 * @param ramSize How much of it to map, a multiple of 2 MiB.
 * @returns The PML4's address and the pool.
 * @throws {MapperError} If a mapping collides (a bug in the layout).
 */
export function buildKernelPageTables(
  memory: PhysicalMemory,
  ramSize: number,
): KernelPageTables {
  const pool = new TablePool(memory, PAGE_TABLES, PAGE_TABLES_END);
  const pml4 = pool.allocate()!;
  const mapper = new Mapper({ level4: pml4, memory });
  const map = (
    virtual: number,
    physical: number,
    flags: PageTableFlags,
    size: PageSize = Size4KiB,
  ) =>
    mapper.mapTo(
      Page.containingAddress(virtual, size),
      PhysFrame.fromStartAddress(physical, size),
      flags,
      pool,
    ).ignore(); // not live yet: CR3 is loaded after

  // The direct map.
  const data = P().writable().global().noExecute();
  const text = P().global().noExecute();
  for (let pa = 0; pa < Math.min(ramSize, 0x20_0000); pa += 4096) {
    const inText = pa >= KERNEL_TEXT && pa < KERNEL_TEXT + KERNEL_TEXT_SIZE;
    map(DIRECT_MAP + pa, pa, inText ? text : data);
  }
  for (let pa = 0x20_0000; pa < ramSize; pa += 0x20_0000) {
    map(DIRECT_MAP + pa, pa, data, Size2MiB);
  }

  // The identity map of low memory, page 0 left out.
  const low = P().writable();
  for (let pa = 0x1000; pa < IDENTITY_END; pa += 4096) map(pa, pa, low);

  // The kernel image and the APIC, in the top 2 GiB.
  for (let pa = KERNEL_TEXT; pa < KERNEL_TEXT + KERNEL_TEXT_SIZE; pa += 4096) {
    map(kernelVirtual(pa), pa, P().global());
  }
  for (let pa = KERNEL_DATA; pa < KERNEL_END; pa += 4096) {
    map(kernelVirtual(pa), pa, data);
  }
  map(
    APIC_VIRTUAL,
    LOCAL_APIC,
    P().writable().writeThrough().noCache().global().noExecute(),
  );
  return {
    pml4: pml4.startAddress().value,
    pool,
    tables: (pool.next - PAGE_TABLES) / 4096,
  };
}

/**
 * Starts a new address space: a zeroed PML4 whose kernel half (entries
 * 256 to 511) is the kernel's, so that the kernel's text, data, stacks,
 * direct map and APIC are mapped in it as in every other. The user half
 * is empty (the identity map of low memory is the boot address space's
 * alone).
 *
 * @param memory The RAM.
 * @param kernelPml4 The kernel's PML4 (physical).
 * @param pml4 The new PML4's frame (physical, 4 KiB-aligned).
 */
export function newAddressSpace(
  memory: PhysicalMemory,
  kernelPml4: number,
  pml4: number,
): void {
  memory.fill(pml4, 2048);
  memory.copy(pml4 + 2048, kernelPml4 + 2048, 2048);
}
