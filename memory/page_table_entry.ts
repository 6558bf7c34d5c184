import { hex } from "../machine/_hex.ts";
import {
  PhysicalAddressError,
  type PhysicalMemory,
} from "../machine/physical_memory.ts";
import { checkPageSize, rustHex } from "./_checks.ts";
import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
import { type PageSize, Size4KiB } from "./page_size.ts";
import { PageTableFlags } from "./page_table_flags.ts";
import { PhysFrame } from "./phys_frame.ts";
import { PhysicalAddress } from "./physical_address.ts";

const TWO_32 = 2 ** 32;
const ADDRESS_LOW = 0xffff_f000; // bits 31..12
const ADDRESS_HIGH = 0x000f_ffff; // bits 51..32
const PRESENT = 1;
const HUGE_PAGE = 1 << 7;

/**
 * Why {@linkcode PageTableEntry.frame} found no frame of the size asked
 * for: the entry is not present, it maps a huge page where a 4 KiB frame
 * (or a table) was asked for, or it is not a huge-page leaf where a
 * 2 MiB or 1 GiB frame was asked for.
 *
 * @example A table pointer is not a huge frame
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { FrameError } from "./page_table_entry.ts";
 * import { PageTable } from "./page_table.ts";
 * import { PageTableFlags } from "./page_table_flags.ts";
 * import { Size2MiB } from "./page_size.ts";
 *
 * const entry = new PageTable().entry(0);
 * entry.setAddr(0x5000, PageTableFlags.PRESENT);
 * let kind: FrameErrorKind | undefined;
 * try {
 *   entry.frame(Size2MiB);
 * } catch (e) {
 *   if (e instanceof FrameError) kind = e.kind;
 * }
 * strictEqual(kind, "not huge");
 * ```
 */
export type FrameErrorKind = "not present" | "huge frame" | "not huge";

/**
 * Thrown by {@linkcode PageTableEntry.frame} when the entry holds no frame
 * of the size asked for: the crate's `FrameError::FrameNotPresent`
 * (`kind: "not present"`) and `FrameError::HugeFrame` (`"huge frame"`),
 * and `"not huge"` when a 2 MiB or 1 GiB frame is asked of an entry
 * without PS (bit 7), which references a table.
 *
 * @example An unused entry has no frame
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { PageTable } from "./page_table.ts";
 *
 * throws(() => new PageTable().entry(3).frame(), (e) => {
 *   strictEqual((e as FrameError).kind, "not present");
 *   return e instanceof FrameError;
 * });
 * ```
 */
export class FrameError extends Error {
  /** Why there is no frame. */
  readonly kind: FrameErrorKind;
  /** The physical address of the entry. */
  readonly entryAddress: number;

  /**
   * Builds the error.
   *
   * @param kind Why there is no frame.
   * @param entryAddress The physical address of the entry.
   *
   * @example The not-present message
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(
   *   new FrameError("not present", 0x1008).message,
   *   "Page-table entry at 0x0000_0000_0000_1008 has no frame: it is not present (P, bit 0, is clear)",
   * );
   * ```
   */
  constructor(kind: FrameErrorKind, entryAddress: number) {
    const where = `Page-table entry at ${hex(entryAddress)} has no`;
    super(
      kind === "not present"
        ? `${where} frame: it is not present (P, bit 0, is clear)`
        : kind === "huge frame"
        ? `${where} 4KiB frame: it maps a huge page (PS, bit 7, is set); ask a PD or PDPT entry for frame(Size2MiB) or frame(Size1GiB)`
        : `${where} huge frame: PS (bit 7) is clear, so it references a table; ask for frame(Size4KiB)`,
    );
    this.name = "FrameError";
    this.kind = kind;
    this.entryAddress = entryAddress;
  }
}

/**
 * One 64-bit entry of a paging structure (PML4, PDPT, PD or PT; Intel SDM
 * 3A §4.5, tables 4-15 to 4-20), seen in place: a view of 8 bytes of
 * machine memory, so a write is what the MMU reads on its next walk (after
 * an `invlpg` or a CR3 load if the TLB holds the old translation). The
 * Rust `x86_64` crate's `PageTableEntry`.
 *
 * Bits 51..12 are the address of the frame or table it references; the
 * others are {@linkcode PageTableFlags}. The entry is read and written as
 * two `u32` halves, the fast form.
 *
 * @example Mapping a frame, then reading it back
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/physical_memory.ts";
 * import { PageTableFlags } from "./page_table_flags.ts";
 * import { PhysFrame } from "./phys_frame.ts";
 *
 * const ram = new PhysicalMemory(64 * 1024);
 * const entry = new PageTableEntry(ram, 0x1000);
 * entry.setFrame(PhysFrame.containingAddress(0x5000), new PageTableFlags().present().writable());
 * strictEqual(ram.readU64(0x1000), 0x5003n);
 * strictEqual(entry.addr().value, 0x5000);
 * strictEqual(`${entry}`, "PageTableEntry { addr: 0x5000, flags: PRESENT | WRITABLE }");
 * ```
 */
export class PageTableEntry {
  #memory: PhysicalMemory;
  #address: number;

  /**
   * A view of the entry at `address` in `memory`.
   *
   * @param memory The memory that holds the table.
   * @param address The physical address of the entry, a multiple of 8.
   * @throws {AddressNotAlignedError} If the address is not a multiple of 8.
   * @throws {PhysicalAddressError} If the entry is not inside the memory.
   *
   * @example A view of a fresh entry
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * strictEqual(new PageTableEntry(new PhysicalMemory(4096), 8).isUnused(), true);
   * ```
   */
  constructor(memory: PhysicalMemory, address: number | PhysicalAddress) {
    const a = address instanceof PhysicalAddress ? address.value : address;
    if (!Number.isSafeInteger(a) || a < 0 || a > memory.size - 8) {
      throw new PhysicalAddressError(a, 8, memory.size);
    }
    if (a % 8 !== 0) throw new AddressNotAlignedError(BigInt(a), 8);
    this.#memory = memory;
    this.#address = a;
  }

  /**
   * The memory that holds the entry.
   *
   * @returns The memory.
   *
   * @example The memory of the view
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * strictEqual(new PageTableEntry(ram, 0).memory, ram);
   * ```
   */
  get memory(): PhysicalMemory {
    return this.#memory;
  }

  /**
   * The physical address of the entry itself.
   *
   * @returns The address.
   *
   * @example The address of entry 3
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * strictEqual(new PageTableEntry(new PhysicalMemory(4096), 0x18).address.value, 0x18);
   * ```
   */
  get address(): PhysicalAddress {
    return new PhysicalAddress(this.#address);
  }

  /**
   * Whether all 64 bits are zero (the crate's `is_unused`).
   *
   * @returns Whether the entry is unused.
   *
   * @example Bit 63 alone is in use
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * ram.writeU64(0, 1n << 63n);
   * strictEqual(new PageTableEntry(ram, 0).isUnused(), false);
   * ```
   */
  isUnused(): boolean {
    return this.#memory.readU64Low(this.#address) === 0 &&
      this.#memory.readU64High(this.#address) === 0;
  }

  /**
   * Sets all 64 bits to zero (the crate's `set_unused`).
   *
   * @example Clearing an entry
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * ram.writeU64(0, 0x1003n);
   * const entry = new PageTableEntry(ram, 0);
   * entry.setUnused();
   * strictEqual(entry.raw(), 0n);
   * ```
   */
  setUnused(): void {
    this.#memory.writeU64Halves(this.#address, 0, 0);
  }

  /**
   * The whole entry as a `bigint`.
   *
   * @returns The 64 bits.
   *
   * @example All 64 bits
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * ram.writeU64(8, 0x8000_0000_0020_0083n);
   * strictEqual(new PageTableEntry(ram, 8).raw(), 0x8000_0000_0020_0083n);
   * ```
   */
  raw(): bigint {
    return this.#memory.readU64(this.#address);
  }

  /**
   * The address in bits 51..12 (the crate's `addr`): the frame or table
   * the entry references. For a 2 MiB or 1 GiB leaf, bit 12 is PAT (SDM 3A
   * tables 4-16, 4-18) and shows here; {@linkcode PageTableEntry.frame}
   * leaves it out.
   *
   * @returns The address, a multiple of 4096.
   *
   * @example Flags do not leak into the address
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * ram.writeU64(0, 0xfff0_0001_2345_6fffn);
   * strictEqual(new PageTableEntry(ram, 0).addr().value, 0x1_2345_6000);
   * ```
   */
  addr(): PhysicalAddress {
    const low = this.#memory.readU64Low(this.#address);
    const high = this.#memory.readU64High(this.#address);
    return new PhysicalAddress(
      (high & ADDRESS_HIGH) * TWO_32 + ((low & ADDRESS_LOW) >>> 0),
    );
  }

  /**
   * The flags: every bit except 51..12 (the crate's `flags`).
   *
   * @returns The flags.
   *
   * @example A 2 MiB leaf's flags
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * ram.writeU64(0, 0x8000_0000_0020_0083n);
   * strictEqual(`${new PageTableEntry(ram, 0).flags()}`, "PRESENT | WRITABLE | HUGE_PAGE | NO_EXECUTE");
   * ```
   */
  flags(): PageTableFlags {
    return PageTableFlags.fromBitsTruncate({
      low: this.#memory.readU64Low(this.#address),
      high: this.#memory.readU64High(this.#address),
    });
  }

  /**
   * The frame the entry references (the crate's `frame`, with a size).
   * With {@linkcode Size4KiB} (the default) it is the frame of a 4 KiB
   * page or of the next-level table, and an entry with HUGE_PAGE set is a
   * `"huge frame"` error, as in the crate — note that bit 7 of a 4 KiB
   * PTE is PAT, so read a PAT page's frame with
   * {@linkcode PageTableEntry.addr}. With {@linkcode Size2MiB} or
   * {@linkcode Size1GiB} it is the frame of a huge-page leaf (PS set);
   * bit 12 (PAT) is left out.
   *
   * @param size The frame size, {@linkcode Size4KiB} by default.
   * @returns The frame.
   * @throws {FrameError} If the entry is not present (`"not present"`),
   *   has PS set for a 4 KiB frame (`"huge frame"`), or has PS clear for
   *   a huge frame (`"not huge"`).
   * @throws {AddressNotAlignedError} If a huge leaf's reserved address
   *   bits (20..13 for 2 MiB, 29..13 for 1 GiB) are not 0.
   * @throws {TypeError} If the size is not one of the three page sizes.
   *
   * @example A 2 MiB leaf
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   * import { Size2MiB } from "./page_size.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * ram.writeU64(0, 0x60_0000n | 0x83n); // PRESENT | WRITABLE | HUGE_PAGE
   * const entry = new PageTableEntry(ram, 0);
   * strictEqual(`${entry.frame(Size2MiB)}`, "PhysFrame[2MiB](0x600000)");
   * throws(() => entry.frame(), FrameError);
   * ```
   */
  frame(size: PageSize = Size4KiB): PhysFrame {
    const low = this.#memory.readU64Low(this.#address);
    if (!(low & PRESENT)) throw new FrameError("not present", this.#address);
    const huge = (low & HUGE_PAGE) !== 0;
    const s = checkPageSize(size);
    if (s === Size4KiB) {
      if (huge) throw new FrameError("huge frame", this.#address);
      return PhysFrame.fromStartAddress(this.addr());
    }
    if (!huge) throw new FrameError("not huge", this.#address);
    const address = this.addr().value;
    const pat = address & 0x1000;
    return PhysFrame.fromStartAddress(address - pat, s);
  }

  /**
   * Sets the address and the flags (the crate's `set_addr`).
   *
   * @param address The address of the frame or table, 4 KiB aligned: a
   *   `PhysicalAddress`, or a value for `new PhysicalAddress`.
   * @param flags The flags.
   * @throws {AddressNotAlignedError} If the address is not 4 KiB aligned.
   * @throws {InvalidPhysicalAddressError} If a value is not a physical
   *   address.
   *
   * @example The highest 4 KiB frame, no-execute
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   * import { PageTableFlags } from "./page_table_flags.ts";
   *
   * const ram = new PhysicalMemory(4096);
   * new PageTableEntry(ram, 0).setAddr(0xf_ffff_ffff_f000, PageTableFlags.PRESENT.noExecute());
   * strictEqual(ram.readU64(0), 0x800f_ffff_ffff_f001n);
   * ```
   */
  setAddr(
    address: PhysicalAddress | number | bigint,
    flags: PageTableFlags,
  ): void {
    const a = address instanceof PhysicalAddress
      ? address
      : new PhysicalAddress(address);
    if (!a.isPageAligned()) {
      throw new AddressNotAlignedError(a.toBigInt(), 4096);
    }
    const value = a.value;
    const high = Math.floor(value / TWO_32);
    this.#memory.writeU64Halves(
      this.#address,
      ((value - high * TWO_32) | flags.low) >>> 0,
      (high | flags.high) >>> 0,
    );
  }

  /**
   * Sets the frame and the flags (the crate's `set_frame`). For a 4 KiB
   * frame the flags must not hold HUGE_PAGE, as the crate asserts: in an
   * upper-level entry that bit would turn a table reference into a huge
   * page (write a PAT page with {@linkcode PageTableEntry.setAddr}). For a
   * 2 MiB or 1 GiB frame they must hold it.
   *
   * @param frame The frame.
   * @param flags The flags.
   * @throws {RangeError} If HUGE_PAGE does not match the frame's size.
   *
   * @example A 1 GiB leaf
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   * import { PageTableFlags } from "./page_table_flags.ts";
   * import { PhysFrame } from "./phys_frame.ts";
   * import { Size1GiB } from "./page_size.ts";
   *
   * const entry = new PageTableEntry(new PhysicalMemory(4096), 0);
   * const frame = PhysFrame.fromStartAddress(2 ** 30, Size1GiB);
   * entry.setFrame(frame, PageTableFlags.PRESENT.hugePage());
   * strictEqual(entry.raw(), 0x4000_0081n);
   * throws(() => entry.setFrame(frame, PageTableFlags.PRESENT), RangeError);
   * ```
   */
  setFrame(frame: PhysFrame, flags: PageTableFlags): void {
    const huge = (flags.low & HUGE_PAGE) !== 0;
    if (huge !== (frame.size !== Size4KiB)) {
      throw new RangeError(
        huge
          ? `Invalid flags for ${frame}: HUGE_PAGE (PS, bit 7) is set, which would make a table reference a huge page; expected it clear for a 4KiB frame (use setAddr for a PAT page)`
          : `Invalid flags for ${frame}: HUGE_PAGE (PS, bit 7) is clear; a ${frame.size.name} frame is mapped by a level-${frame.size.level} entry with PS set`,
      );
    }
    this.setAddr(frame.startAddress(), flags);
  }

  /**
   * Sets the flags and keeps the address (the crate's `set_flags`).
   *
   * @param flags The flags.
   *
   * @example The seed's example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PageTable } from "./page_table.ts";
   * import { PageTableFlags } from "./page_table_flags.ts";
   *
   * const table = new PageTable();
   * const entry = table.entry(0);
   * entry.setFlags(new PageTableFlags().present().writable());
   * strictEqual(entry.raw(), 3n);
   * ```
   */
  setFlags(flags: PageTableFlags): void {
    const low = this.#memory.readU64Low(this.#address);
    const high = this.#memory.readU64High(this.#address);
    this.#memory.writeU64Halves(
      this.#address,
      ((low & ADDRESS_LOW) | flags.low) >>> 0,
      ((high & ADDRESS_HIGH) | flags.high) >>> 0,
    );
  }

  /**
   * The entry as the crate's `Debug` prints it.
   *
   * @returns `PageTableEntry { addr: 0x…, flags: … }`.
   *
   * @example An unused entry
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * strictEqual(`${new PageTableEntry(new PhysicalMemory(4096), 0)}`, "PageTableEntry { addr: 0x0, flags: (empty) }");
   * ```
   */
  toString(): string {
    return `PageTableEntry { addr: ${
      rustHex(this.addr().toBigInt())
    }, flags: ${this.flags()} }`;
  }
}
