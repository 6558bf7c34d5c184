/**
 * Bits of a TLB entry's rights: the rights combined over every level of
 * the walk (SDM 3A §4.6), as the TLB caches them (SDM 3A §4.10.2.2).
 */
export const TlbRights = {
  /** R/W was 1 at every level. */
  WRITABLE: 1,
  /** U/S was 1 at every level. */
  USER: 2,
  /** XD was 1 at some level (meaningful with EFER.NXE). */
  NO_EXECUTE: 4,
  /** The leaf's D flag is set: a write needs no walk to set it. */
  DIRTY: 8,
  /** G was set in the leaf with CR4.PGE = 1: it survives a CR3 load. */
  GLOBAL: 16,
  /** Bits 8..5 hold the leaf's protection key (entry bits 62..59). */
  PKEY_SHIFT: 5,
} as const;

/** One of the TLB's three arrays: 4 KiB, 2 MiB or 1 GiB translations. */
class TlbArray {
  readonly shift: number;
  readonly pageSize: number;
  // Bits of an address inside a page: 0xfff, 0x1f_ffff or 0x3fff_ffff.
  readonly offsetMask: number;
  readonly mask: number;
  readonly tags: Float64Array;
  // Physical base address of the page.
  readonly frames: Float64Array;
  // The flush epoch at which the entry was filled.
  readonly stamps: Uint32Array;
  readonly rights: Uint16Array;

  constructor(shift: number, entries: number) {
    this.shift = shift;
    this.pageSize = 2 ** shift;
    this.offsetMask = this.pageSize - 1;
    this.mask = entries - 1;
    // Tags are page base addresses; NaN never equals one.
    this.tags = new Float64Array(entries).fill(Number.NaN);
    this.frames = new Float64Array(entries);
    this.stamps = new Uint32Array(entries);
    this.rights = new Uint16Array(entries);
  }
}

/**
 * A CPU's translation lookaside buffer: direct-mapped arrays of 4 KiB,
 * 2 MiB and 1 GiB translations. Like the hardware's, it keeps a
 * translation after its page-table entry changes, until `invlpg` or a CR3
 * load drops it (SDM 3A §4.10.4). Flushes bump an epoch instead of
 * clearing the arrays.
 */
export class Tlb {
  // 4 KiB pages, 1024 entries; 2 MiB pages, 64; 1 GiB pages, 16.
  #small: TlbArray = new TlbArray(12, 1024);
  #large: TlbArray = new TlbArray(21, 64);
  #huge: TlbArray = new TlbArray(30, 16);
  /** The epoch of the entries filled now. */
  epoch = 1;
  /** Entries older than this are gone, unless global. */
  validFrom = 1;
  /** Global entries older than this are gone. */
  globalValidFrom = 1;
  /** Counts every flush, of a page or more, for caches in front of the TLB. */
  generation = 0;

  /** Drops every non-global translation (a CR3 load). */
  flushNonGlobal(): void {
    this.generation++;
    this.validFrom = ++this.epoch;
  }

  /** Drops every translation, global ones too (CR4.PGE toggled). */
  flushAll(): void {
    this.generation++;
    this.validFrom = this.globalValidFrom = ++this.epoch;
  }

  /**
   * Drops the translations of the page that holds `vaddr`, whatever its
   * size (`invlpg`, or a page fault at that address).
   */
  flushPage(vaddr: number): void {
    this.generation++;
    drop(this.#small, vaddr);
    drop(this.#large, vaddr);
    drop(this.#huge, vaddr);
  }

  /**
   * Caches a translation.
   *
   * @param vaddr A virtual address in the page.
   * @param base The page's physical base address.
   * @param level The leaf's level: 1 (4 KiB), 2 (2 MiB) or 3 (1 GiB).
   * @param rights The combined rights, {@linkcode TlbRights}.
   */
  fill(vaddr: number, base: number, level: number, rights: number): void {
    const array = level === 1
      ? this.#small
      : level === 2
      ? this.#large
      : this.#huge;
    const i = slot(array, vaddr);
    array.tags[i] = vaddr - (vaddr & array.offsetMask);
    array.frames[i] = base;
    array.stamps[i] = this.epoch;
    array.rights[i] = rights;
  }

  /**
   * The cached translation of `vaddr`: its physical address, with the
   * entry's rights left in {@linkcode Tlb.hitRights}, or -1 on a miss.
   */
  lookup(vaddr: number): number {
    // `&` on a number keeps its low 32 bits in two's complement, so these
    // are the page base and slot for higher-half (negative) addresses too.
    const small = this.#small;
    const offset = vaddr & 0xfff;
    let i = (vaddr >>> 12) & 1023;
    if (small.tags[i] === vaddr - offset) {
      const rights = small.rights[i]!;
      if (
        small.stamps[i]! >= this.validFrom || this.#globalLive(small, i, rights)
      ) {
        this.hitRights = rights;
        return small.frames[i]! + offset;
      }
    }
    const large = this.#large;
    const largeOffset = vaddr & 0x1f_ffff;
    i = (vaddr >>> 21) & 63;
    if (large.tags[i] === vaddr - largeOffset) {
      const rights = large.rights[i]!;
      if (
        large.stamps[i]! >= this.validFrom || this.#globalLive(large, i, rights)
      ) {
        this.hitRights = rights;
        return large.frames[i]! + largeOffset;
      }
    }
    const huge = this.#huge;
    const hugeOffset = vaddr & 0x3fff_ffff;
    i = slot(huge, vaddr);
    if (huge.tags[i] === vaddr - hugeOffset) {
      const rights = huge.rights[i]!;
      if (
        huge.stamps[i]! >= this.validFrom || this.#globalLive(huge, i, rights)
      ) {
        this.hitRights = rights;
        return huge.frames[i]! + hugeOffset;
      }
    }
    return -1;
  }

  #globalLive(array: TlbArray, i: number, rights: number): boolean {
    return (rights & TlbRights.GLOBAL) !== 0 &&
      array.stamps[i]! >= this.globalValidFrom;
  }

  /** The rights of the last hit of {@linkcode Tlb.lookup}. */
  hitRights = 0;

  /**
   * How many translations are live, by page size, for diagnostics.
   *
   * @returns The counts.
   */
  live(): { small: number; large: number; huge: number } {
    const count = (a: TlbArray) => {
      let n = 0;
      for (let i = 0; i <= a.mask; i++) {
        if (
          !Number.isNaN(a.tags[i]!) &&
          (a.stamps[i]! >= this.validFrom ||
            (a.rights[i]! & TlbRights.GLOBAL &&
              a.stamps[i]! >= this.globalValidFrom))
        ) n++;
      }
      return n;
    };
    return {
      small: count(this.#small),
      large: count(this.#large),
      huge: count(this.#huge),
    };
  }
}

function slot(array: TlbArray, vaddr: number): number {
  return array.shift < 30
    ? (vaddr >>> array.shift) & array.mask
    : Math.floor(vaddr / array.pageSize) & array.mask;
}

function drop(array: TlbArray, vaddr: number): void {
  const i = slot(array, vaddr);
  if (array.tags[i] === vaddr - (vaddr & array.offsetMask)) {
    array.tags[i] = Number.NaN;
  }
}
