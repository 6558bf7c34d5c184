import { currentCpu } from "../machine/current_cpu.ts";
import {
  PhysicalAddressError,
  PhysicalMemory,
} from "../machine/physical_memory.ts";
import { PageTableEntry } from "./page_table_entry.ts";
import { Size4KiB } from "./page_size.ts";
import { PhysFrame } from "./phys_frame.ts";
import type { PhysicalAddress } from "./physical_address.ts";

/** The number of entries of a paging structure. */
const ENTRIES = 512;
const TABLE_BYTES = 4096;

// Set by `PageTable.at` for the constructor it calls, so that a view does
// not allocate memory of its own first.
let viewOf: { memory: PhysicalMemory; address: number } | undefined;

/**
 * A paging structure of 4-level paging — a PML4, PDPT, PD or PT: 512
 * 8-byte {@linkcode PageTableEntry} in one 4 KiB frame (Intel SDM 3A
 * §4.5). The Rust `x86_64` crate's `PageTable`.
 *
 * {@linkcode PageTable.at} is a view of a table in machine memory, where
 * the MMU walks it; `new PageTable()` is a detached table in memory of its
 * own (a 4 KiB `PhysicalMemory` with the table at address 0), for building
 * or testing entries away from a machine.
 *
 * @example The seed's example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PageTableFlags } from "./page_table_flags.ts";
 *
 * const table = new PageTable();
 * const entry = table.entry(0);
 * entry.setFlags(new PageTableFlags().present().writable());
 * strictEqual(table.entry(0).flags().toString(), "PRESENT | WRITABLE");
 * strictEqual(table.isEmpty(), false);
 * ```
 */
export class PageTable implements Iterable<PageTableEntry> {
  #memory: PhysicalMemory;
  #address: number;

  /**
   * Makes a zeroed, detached table: in a 4 KiB `PhysicalMemory` of its
   * own, at address 0 (the crate's `PageTable::new`).
   *
   * @example A fresh detached table
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const table = new PageTable();
   * strictEqual(table.isEmpty(), true);
   * strictEqual(table.memory.size, 4096);
   * ```
   */
  constructor() {
    const view = viewOf;
    viewOf = undefined;
    this.#memory = view?.memory ?? new PhysicalMemory(TABLE_BYTES);
    this.#address = view?.address ?? 0;
  }

  /**
   * A view of the table in `frame` of `memory`. Nothing is read or
   * cleared: a frame fresh from an allocator may hold anything, so
   * {@linkcode PageTable.zero} a new table before linking it in.
   *
   * @param frame The 4 KiB frame that holds the table.
   * @param memory The memory, by default that of the CPU the code runs on
   *   (inside `Machine.run`).
   * @returns The table.
   * @throws {RangeError} If the frame is not a 4 KiB frame.
   * @throws {PhysicalAddressError} If the frame is not inside the memory.
   * @throws {NoCpuError} Without `memory`, outside `Machine.run`.
   *
   * @example The boot PML4 maps the first GiB through entry 0
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "../machine/machine.ts";
   * import { PhysFrame } from "./phys_frame.ts";
   *
   * new Machine({ ramSize: 4 << 20 }).run(() => {
   *   const pml4 = PageTable.at(PhysFrame.containingAddress(0x1000));
   *   strictEqual(pml4.entry(0).addr().value, 0x2000);
   *   strictEqual(pml4.entry(1).isUnused(), true);
   * });
   * ```
   */
  static at(frame: PhysFrame, memory?: PhysicalMemory): PageTable {
    if (frame.size !== Size4KiB) {
      throw new RangeError(
        `Invalid page-table frame ${frame}: a paging structure fills one 4KiB frame`,
      );
    }
    const ram = memory ?? currentCpu().memory;
    const address = frame.startAddress().value;
    if (address > ram.size - TABLE_BYTES) {
      throw new PhysicalAddressError(address, TABLE_BYTES, ram.size);
    }
    viewOf = { memory: ram, address };
    return new PageTable();
  }

  /**
   * The memory that holds the table.
   *
   * @returns The memory.
   *
   * @example The memory given to at
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   * import { PhysFrame } from "./phys_frame.ts";
   *
   * const ram = new PhysicalMemory(16384);
   * strictEqual(PageTable.at(PhysFrame.containingAddress(0x2000), ram).memory, ram);
   * ```
   */
  get memory(): PhysicalMemory {
    return this.#memory;
  }

  /**
   * The physical address of the table (of entry 0).
   *
   * @returns The address, 4 KiB aligned.
   *
   * @example A detached table is at 0
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PageTable().address.value, 0);
   * ```
   */
  get address(): PhysicalAddress {
    return this.frame.startAddress();
  }

  /**
   * The frame that holds the table: what a higher-level entry or CR3
   * points at.
   *
   * @returns The 4 KiB frame.
   *
   * @example The frame of a table view
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   * import { PhysFrame } from "./phys_frame.ts";
   *
   * const frame = PhysFrame.containingAddress(0x3000);
   * strictEqual(PageTable.at(frame, new PhysicalMemory(16384)).frame.equals(frame), true);
   * ```
   */
  get frame(): PhysFrame {
    return PhysFrame.fromStartAddress(this.#address);
  }

  /**
   * Entry `index` (the crate's `Index<usize>`, and the seed's
   * `entry_mut`): a view, so writes through it change the table.
   *
   * @param index 0 to 511; a virtual address's `p4Index()` …
   *   `p1Index()` gives it.
   * @returns The entry.
   * @throws {RangeError} If the index is not an integer from 0 to 511.
   *
   * @example Entry 511 is the last 8 bytes of the frame
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * const table = new PageTable();
   * strictEqual(table.entry(511).address.value, 0xff8);
   * throws(() => table.entry(512), RangeError);
   * ```
   */
  entry(index: number): PageTableEntry {
    if (!Number.isInteger(index) || index < 0 || index >= ENTRIES) {
      throw new RangeError(
        `Invalid page-table index ${index}: expected an integer from 0 to 511`,
      );
    }
    return new PageTableEntry(this.#memory, this.#address + index * 8);
  }

  /**
   * The 512 entries, in order (the crate's `iter`).
   *
   * @returns An iterator of entry views.
   *
   * @example Counting used entries
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PageTableFlags } from "./page_table_flags.ts";
   *
   * const table = new PageTable();
   * table.entry(7).setFlags(PageTableFlags.PRESENT);
   * strictEqual([...table.entries()].filter((e) => !e.isUnused()).length, 1);
   * ```
   */
  *entries(): Generator<PageTableEntry, void, undefined> {
    for (let i = 0; i < ENTRIES; i++) {
      yield new PageTableEntry(this.#memory, this.#address + i * 8);
    }
  }

  /**
   * The 512 entries, in order; the same as
   * {@linkcode PageTable.entries}.
   *
   * @returns An iterator of entry views.
   */
  [Symbol.iterator](): Iterator<PageTableEntry> {
    return this.entries();
  }

  /**
   * Sets every entry to unused (the crate's `zero`).
   *
   * @example Clearing a table
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PageTableFlags } from "./page_table_flags.ts";
   *
   * const table = new PageTable();
   * table.entry(3).setFlags(PageTableFlags.PRESENT);
   * table.zero();
   * strictEqual(table.isEmpty(), true);
   * ```
   */
  zero(): void {
    this.#memory.fill(this.#address, TABLE_BYTES);
  }

  /**
   * Whether every entry is unused (all 64 bits zero).
   *
   * @returns Whether the table is empty.
   *
   * @example A new table is empty
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PageTable().isEmpty(), true);
   * ```
   */
  isEmpty(): boolean {
    const memory = this.#memory;
    for (let a = this.#address, end = a + TABLE_BYTES; a < end; a += 4) {
      if (memory.readU32(a) !== 0) return false;
    }
    return true;
  }
}
