/**
 * Memory abstractions, like the Rust `x86_64` crate's `addr` and
 * `structures::paging`: canonical virtual and physical addresses, pages
 * and frames of 4 KiB, 2 MiB and 1 GiB, page-table flags, entries and
 * tables that live in machine memory (where the MMU walks them), a frame
 * allocator over the boot memory map, and reads and writes at virtual
 * addresses through the current CPU's MMU.
 *
 * Addresses follow Intel SDM 3A §4.5: a virtual address is canonical when
 * bits 63..48 copy bit 47, and it is kept as its signed value, which a
 * `number` holds exactly; a physical address has at most 52 bits.
 *
 * @example Mapping a higher-half page, as a kernel does after boot
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 * import { readCr3 } from "../arch/x86_64/mod.ts";
 * import {
 *   FrameAllocator,
 *   Page,
 *   PageTable,
 *   PageTableFlags,
 *   PhysFrame,
 *   readU32,
 *   writeU32,
 * } from "./mod.ts";
 *
 * const machine = new Machine({ ramSize: 8 << 20 });
 * const report = machine.run((boot) => {
 *   const frames = new FrameAllocator(boot.memoryMap);
 *   const flags = new PageTableFlags().present().writable();
 *   const page = Page.containingAddress(0xffff_8000_0000_0000n);
 *   // From the PML4 in CR3 down to the page table, adding missing tables.
 *   let table = PageTable.at(PhysFrame.containingAddress(readCr3()));
 *   for (const index of [page.p4Index(), page.p3Index(), page.p2Index()]) {
 *     const entry = table.entry(index);
 *     if (entry.isUnused()) {
 *       const frame = frames.allocate()!;
 *       PageTable.at(frame).zero();
 *       entry.setFrame(frame, flags);
 *     }
 *     table = PageTable.at(entry.frame());
 *   }
 *   const frame = frames.allocate()!;
 *   table.entry(page.p1Index()).setFrame(frame, flags);
 *
 *   writeU32(page.startAddress(), 0xcafe);
 *   strictEqual(readU32(page.startAddress()), 0xcafe);
 *   strictEqual(machine.memory.readU32(frame.startAddress().value), 0xcafe);
 * });
 * strictEqual(report.reason, "returned");
 * ```
 *
 * @module
 */
export * from "./virtual_address.ts";
export * from "./physical_address.ts";
export * from "./address_not_aligned_error.ts";
export * from "./page_size.ts";
export * from "./page.ts";
export * from "./phys_frame.ts";
export * from "./page_table_flags.ts";
export * from "./page_table_entry.ts";
export * from "./page_table.ts";
export * from "./frame_allocator.ts";
export * from "./virtual_memory.ts";
export * from "./mapper.ts";
export * from "./heap.ts";
export * from "./heap_error.ts";
// The machine's RAM type, which entries and tables expose (`memory`).
export type { PhysicalMemory } from "../machine/physical_memory.ts";
