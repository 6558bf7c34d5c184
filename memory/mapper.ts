import { readCr3 } from "../arch/x86_64/control.ts";
import { invlpg } from "../arch/x86_64/tlb.ts";
import { hex } from "../machine/_hex.ts";
import { currentCpu } from "../machine/current_cpu.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { Page } from "./page.ts";
import { type PageSize, Size1GiB, Size2MiB, Size4KiB } from "./page_size.ts";
import { PageTableFlags } from "./page_table_flags.ts";
import { PhysFrame } from "./phys_frame.ts";
import { PhysicalAddress } from "./physical_address.ts";
import type { VirtualAddress } from "./virtual_address.ts";

const P = 0x1;
const PARENT_RIGHTS = 0x7; // PRESENT | WRITABLE | USER_ACCESSIBLE
const PS = 0x80;
const TWO_32 = 2 ** 32;
const SIZES: readonly PageSize[] = [Size4KiB, Size4KiB, Size2MiB, Size1GiB];
// The bytes one entry maps at each level (index = level).
const SPAN = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39];

/** Something that hands out frames for new page tables: a `FrameAllocator`. */
export interface FrameSource {
  /** A free frame of `size` (4 KiB by default), or `undefined` if none. */
  allocate(size?: PageSize): PhysFrame | undefined;
}

/** Why a mapper call failed. */
export type MapperErrorKind =
  /** `mapTo` needed a new page table and the allocator had no frame. */
  | "frame allocation failed"
  /** An entry above the page's level maps a huge page that covers it. */
  | "parent entry is a huge page"
  /** `mapTo` found the page already mapped. */
  | "page already mapped"
  /** `unmap` or `updateFlags` found the page not mapped. */
  | "page not mapped"
  /** The page and the frame, or the page and its mapping, differ in size. */
  | "size mismatch";

/** Thrown by {@linkcode Mapper} calls, naming the page and the reason. */
export class MapperError extends Error {
  /** Why it failed. */
  readonly kind: MapperErrorKind;
  /** The page of the call. */
  readonly page: Page;

  /**
   * Builds the error.
   *
   * @param operation The mapper call, for the message.
   * @param kind Why it failed.
   * @param page The page of the call.
   * @param detail More about it.
   */
  constructor(
    operation: string,
    kind: MapperErrorKind,
    page: Page,
    detail = "",
  ) {
    super(`${operation} of ${page}: ${kind}${detail ? `: ${detail}` : ""}`);
    this.name = "MapperError";
    this.kind = kind;
    this.page = page;
  }
}

/**
 * A change to a mapping that the TLB may not see yet: call `flush()` to
 * `invlpg` the page, or `ignore()` when a CR3 load follows anyway (the
 * `x86_64` crate's `MapperFlush`).
 */
export class MapperFlush {
  /** The page whose mapping changed. */
  readonly page: Page;

  /**
   * Wraps the changed page.
   *
   * @param page The page.
   */
  constructor(page: Page) {
    this.page = page;
  }

  /**
   * Drops the page's stale translation from the current CPU's TLB.
   *
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  flush(): void {
    invlpg(this.page.startAddress());
  }

  /** Leaves the TLB as it is. */
  ignore(): void {}
}

/** What {@linkcode Mapper.translate} found. */
export type Translation =
  | {
    /** The address is mapped. */
    readonly kind: "mapped";
    /** The frame it lies in, of the page's size. */
    readonly frame: PhysFrame;
    /** The offset in that frame. */
    readonly offset: number;
    /** The physical address. */
    readonly address: PhysicalAddress;
    /** The leaf entry's flags. */
    readonly flags: PageTableFlags;
  }
  | {
    /** The address is not mapped. */
    readonly kind: "not mapped";
    /** The level of the entry that is not present: 4 (PML4) to 1 (PT). */
    readonly level: 1 | 2 | 3 | 4;
  };

/** The settings of a {@linkcode Mapper}. */
export interface MapperOptions {
  /** The level-4 table (PML4); by default the one CR3 points at now. */
  readonly level4?: PhysFrame;
  /** The memory of the tables; by default the current CPU's machine's. */
  readonly memory?: PhysicalMemory;
}

/**
 * Maps pages to frames in 4-level page tables in machine memory, like the
 * `x86_64` crate's `OffsetPageTable`: it reaches the tables through
 * physical memory, as a kernel that maps all of it does.
 *
 * Parent entries get PRESENT, and WRITABLE and USER_ACCESSIBLE whenever
 * the new leaf has them, added to what they had: a user page under a
 * supervisor-only parent would be unreachable (the crate's issue #113).
 *
 * @example Mapping a higher-half page and using it
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 * import { FrameAllocator } from "./frame_allocator.ts";
 * import { Page } from "./page.ts";
 * import { PageTableFlags } from "./page_table_flags.ts";
 * import { readU64, writeU64 } from "./virtual_memory.ts";
 *
 * const report = new Machine({ ramSize: 8 << 20 }).run((boot) => {
 *   const frames = new FrameAllocator(boot.memoryMap);
 *   const mapper = new Mapper();
 *   const page = Page.containingAddress(0xffff_8000_0000_0000n);
 *   const frame = frames.allocate()!;
 *   mapper.mapTo(page, frame, new PageTableFlags().present().writable(), frames).flush();
 *   writeU64(page.startAddress(), 42n);
 *   strictEqual(readU64(page.startAddress()), 42n);
 *   const found = mapper.translate(page.startAddress());
 *   strictEqual(found.kind === "mapped" && found.frame.equals(frame), true);
 * });
 * strictEqual(report.reason, "returned");
 * ```
 */
export class Mapper {
  /** The level-4 table. */
  readonly level4: PhysFrame;
  #memory: PhysicalMemory;
  #root: number;

  /**
   * A mapper over a level-4 table.
   *
   * @param options The table and its memory; by default the current
   *   CPU's CR3 and machine.
   * @throws {NoCpuError} Outside `Machine.run`, without both options.
   */
  constructor(options: MapperOptions = {}) {
    this.level4 = options.level4 ??
      PhysFrame.containingAddress(Math.floor(readCr3() / 4096) * 4096);
    this.#memory = options.memory ?? currentCpu().memory;
    this.#root = this.level4.startAddress().value;
  }

  /**
   * Maps `page` to `frame` with `flags` (the crate's `map_to`), creating
   * the page tables it needs with frames from `allocator`. For a 2 MiB or
   * 1 GiB page the HUGE_PAGE flag is added.
   *
   * @param page The page.
   * @param frame A frame of the same size.
   * @param flags The leaf's flags; PRESENT is yours to give.
   * @param allocator Where new page tables come from.
   * @returns The flush to apply.
   * @throws {MapperError} If the page is mapped already, lies under a huge
   *   page, the sizes differ, or no frame was left for a table.
   */
  mapTo(
    page: Page,
    frame: PhysFrame,
    flags: PageTableFlags,
    allocator: FrameSource,
  ): MapperFlush {
    if (page.size !== frame.size) {
      throw new MapperError(
        "mapTo",
        "size mismatch",
        page,
        `the frame is ${frame.size.name}`,
      );
    }
    const leafLevel = page.size.level;
    const parent = (flags.low & PARENT_RIGHTS) | P;
    const v = page.startAddress().value;
    let table = this.#root;
    for (let level = 4; level > leafLevel; level--) {
      const entry = table + index(v, level) * 8;
      let low = this.#memory.readU64Low(entry);
      const high = this.#memory.readU64High(entry);
      if (!(low & P)) {
        const next = allocator.allocate(Size4KiB);
        if (next === undefined) {
          throw new MapperError(
            "mapTo",
            "frame allocation failed",
            page,
            `no frame for a level-${level - 1} table`,
          );
        }
        const address = next.startAddress().value;
        this.#memory.fill(address, 4096);
        this.#memory.writeU64Halves(
          entry,
          (address % TWO_32 | parent) >>> 0,
          Math.floor(address / TWO_32),
        );
        table = address;
        continue;
      }
      if (level <= 3 && low & PS) {
        throw new MapperError(
          "mapTo",
          "parent entry is a huge page",
          page,
          `the level-${level} entry maps ${SIZES[level]!.name}`,
        );
      }
      if ((low & parent) !== parent) {
        low = (low | parent) >>> 0;
        this.#memory.writeU64Halves(entry, low, high);
      }
      table = address(low, high);
    }
    const entry = table + index(v, leafLevel) * 8;
    if (
      this.#memory.readU64Low(entry) !== 0 ||
      this.#memory.readU64High(entry) !== 0
    ) {
      const existing = address(
        this.#memory.readU64Low(entry),
        this.#memory.readU64High(entry),
      );
      throw new MapperError(
        "mapTo",
        "page already mapped",
        page,
        `to ${hex(existing)}`,
      );
    }
    const start = frame.startAddress().value;
    this.#memory.writeU64Halves(
      entry,
      (start % TWO_32 | flags.low | (leafLevel > 1 ? PS : 0)) >>> 0,
      (Math.floor(start / TWO_32) | flags.high) >>> 0,
    );
    return new MapperFlush(page);
  }

  /**
   * Maps a frame at the virtual address equal to its physical address.
   *
   * @param frame The frame.
   * @param flags The leaf's flags.
   * @param allocator Where new page tables come from.
   * @returns The flush to apply.
   * @throws {MapperError} As {@linkcode Mapper.mapTo} does.
   */
  identityMap(
    frame: PhysFrame,
    flags: PageTableFlags,
    allocator: FrameSource,
  ): MapperFlush {
    const page = Page.containingAddress(frame.startAddress().value, frame.size);
    return this.mapTo(page, frame, flags, allocator);
  }

  /**
   * Removes the mapping of `page` and returns the frame it mapped. The
   * TLB may keep the old translation until the flush is applied.
   *
   * @param page The page.
   * @returns The frame and the flush to apply.
   * @throws {MapperError} If the page is not mapped, lies under a huge
   *   page, or is mapped with another size.
   */
  unmap(page: Page): [PhysFrame, MapperFlush] {
    const entry = this.#leaf(page, "unmap");
    const frame = PhysFrame.containingAddress(
      address(this.#memory.readU64Low(entry), this.#memory.readU64High(entry)),
      page.size,
    );
    this.#memory.writeU64Halves(entry, 0, 0);
    return [frame, new MapperFlush(page)];
  }

  /**
   * Replaces the flags of a mapped page, keeping its frame (HUGE_PAGE is
   * kept for a huge page).
   *
   * @param page The page.
   * @param flags The new flags.
   * @returns The flush to apply.
   * @throws {MapperError} If the page is not mapped, lies under a huge
   *   page, or is mapped with another size.
   */
  updateFlags(page: Page, flags: PageTableFlags): MapperFlush {
    const entry = this.#leaf(page, "updateFlags");
    const low = this.#memory.readU64Low(entry);
    const high = this.#memory.readU64High(entry);
    const frameLow = low & 0xffff_f000;
    const frameHigh = high & 0x000f_ffff;
    this.#memory.writeU64Halves(
      entry,
      (frameLow | flags.low | (page.size.level > 1 ? PS : 0)) >>> 0,
      (frameHigh | (flags.high & ~0x000f_ffff)) >>> 0,
    );
    return new MapperFlush(page);
  }

  /**
   * Walks the tables in software for `addr`: the frame, offset, physical
   * address and leaf flags, or the level where the walk found nothing.
   * Unlike the MMU it checks no rights and sets no accessed flag.
   *
   * @param addr The virtual address.
   * @returns What the walk found.
   */
  translate(addr: VirtualAddress): Translation {
    const v = addr.value;
    let table = this.#root;
    for (let level = 4; level >= 1; level--) {
      const entry = table + index(v, level) * 8;
      const low = this.#memory.readU64Low(entry);
      const high = this.#memory.readU64High(entry);
      if (!(low & P)) {
        return { kind: "not mapped", level: level as 1 | 2 | 3 | 4 };
      }
      if (level === 1 || (level <= 3 && low & PS)) {
        const size = SIZES[level]!;
        const base = address(low, high) - address(low, high) % size.bytes;
        const offset = v - Math.floor(v / size.bytes) * size.bytes;
        return {
          kind: "mapped",
          frame: PhysFrame.fromStartAddress(base, size),
          offset,
          address: new PhysicalAddress(base + offset),
          flags: PageTableFlags.fromBitsTruncate({
            low: low & 0xfff,
            high: high & 0xfff0_0000,
          }),
        };
      }
      table = address(low, high);
    }
    return { kind: "not mapped", level: 1 }; // not reached
  }

  /**
   * The physical address `addr` maps to, or `undefined`.
   *
   * @param addr The virtual address.
   * @returns The physical address, or `undefined` if it is not mapped.
   */
  translateAddress(addr: VirtualAddress): PhysicalAddress | undefined {
    const found = this.translate(addr);
    return found.kind === "mapped" ? found.address : undefined;
  }

  // The physical address of the leaf entry that maps `page` at its size.
  #leaf(page: Page, operation: string): number {
    const v = page.startAddress().value;
    const leafLevel = page.size.level;
    let table = this.#root;
    for (let level = 4; level > leafLevel; level--) {
      const entry = table + index(v, level) * 8;
      const low = this.#memory.readU64Low(entry);
      if (!(low & P)) {
        throw new MapperError(
          operation,
          "page not mapped",
          page,
          `no level-${level} entry`,
        );
      }
      if (level <= 3 && low & PS) {
        throw new MapperError(
          operation,
          "parent entry is a huge page",
          page,
          `the level-${level} entry maps ${SIZES[level]!.name}`,
        );
      }
      table = address(low, this.#memory.readU64High(entry));
    }
    const entry = table + index(v, leafLevel) * 8;
    const low = this.#memory.readU64Low(entry);
    if (!(low & P)) throw new MapperError(operation, "page not mapped", page);
    if (leafLevel > 1 && !(low & PS)) {
      throw new MapperError(
        operation,
        "size mismatch",
        page,
        "the entry points at a page table, not a huge page",
      );
    }
    return entry;
  }
}

// The index of `v` at `level` (bits 47..39, 38..30, 29..21 or 20..12).
function index(v: number, level: number): number {
  return Math.floor(v / SPAN[level]!) & 511;
}

// Bits 51..12 of an entry.
function address(low: number, high: number): number {
  return (high & 0x000f_ffff) * TWO_32 + ((low & 0xffff_f000) >>> 0);
}
