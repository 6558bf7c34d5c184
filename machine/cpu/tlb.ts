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
  // The PCID the entry was filled under.
  readonly pcids: Uint16Array;

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
    this.pcids = new Uint16Array(entries);
  }
}

/**
 * A CPU's translation lookaside buffer: direct-mapped arrays of 4 KiB,
 * 2 MiB and 1 GiB translations. Like the hardware's, it keeps a
 * translation after its page-table entry changes, until `invlpg` or a CR3
 * load drops it (SDM 3A §4.10.4). Flushes bump an epoch instead of
 * clearing the arrays.
 *
 * Entries are tagged with the PCID current when they were filled (SDM 3A
 * §4.10.1): a lookup uses only those of the current PCID, and global
 * ones. So with CR4.PCIDE = 1 the translations of an address space survive
 * a switch to another PCID and back, where a CR3 load without PCIDs
 * flushes them. The slot of a non-global entry depends on its PCID as well
 * as its page, so that address spaces using the same addresses do not
 * evict each other; global entries sit at the slot of PCID 0.
 */
export class Tlb {
  // 4 KiB pages, 1024 entries; 2 MiB pages, 64; 1 GiB pages, 16.
  #small: TlbArray = new TlbArray(12, 1024);
  #large: TlbArray = new TlbArray(21, 64);
  #huge: TlbArray = new TlbArray(30, 16);
  // Non-global entries of PCID p older than this are gone.
  #pcidValidFrom = new Uint32Array(4096).fill(1);
  /** The epoch of the entries filled now. */
  epoch = 1;
  /** Global entries older than this are gone. */
  globalValidFrom = 1;
  /** Counts every flush, of a page or more, for caches in front of the TLB. */
  generation = 0;
  /**
   * The current PCID: CR3 bits 11..0 with CR4.PCIDE = 1, else 0. Set by
   * the CPU on every CR3 or CR4 load.
   */
  pcid = 0;
  /** The rights of the last hit of {@linkcode Tlb.lookup}. */
  hitRights = 0;

  /**
   * Drops the non-global translations of one PCID (a CR3 load: of PCID 0
   * without PCIDs, of the new PCID with them unless bit 63 says not to).
   *
   * @param pcid The PCID, the current one by default.
   */
  flushNonGlobal(pcid: number = this.pcid): void {
    this.generation++;
    this.#pcidValidFrom[pcid] = ++this.epoch;
  }

  /**
   * Drops every translation of every PCID, global ones too (CR4.PGE
   * toggled, CR4.PCIDE cleared).
   */
  flushAll(): void {
    this.generation++;
    this.#pcidValidFrom.fill(this.globalValidFrom = ++this.epoch);
  }

  /**
   * Drops the translations of the page that holds `vaddr`, whatever its
   * size, for the current PCID and global ones (`invlpg`, or a page fault
   * at that address).
   *
   * @param vaddr The virtual address.
   */
  flushPage(vaddr: number): void {
    this.generation++;
    drop(this.#small, vaddr, this.pcid);
    drop(this.#large, vaddr, this.pcid);
    drop(this.#huge, vaddr, this.pcid);
  }

  /**
   * Caches a translation under the current PCID.
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
    const i = slot(array, vaddr, rights & TlbRights.GLOBAL ? 0 : this.pcid);
    array.tags[i] = vaddr - (vaddr & array.offsetMask);
    array.frames[i] = base;
    array.stamps[i] = this.epoch;
    array.rights[i] = rights;
    array.pcids[i] = this.pcid;
  }

  /**
   * Looks a virtual address up.
   *
   * @param vaddr The virtual address, as a signed number.
   * @returns The physical address, or -1 on a miss; on a hit the entry's
   *   rights are in {@linkcode Tlb.hitRights}.
   */
  lookup(vaddr: number): number {
    const pa = this.#probe(vaddr, this.pcid);
    return pa >= 0 || this.pcid === 0 ? pa : this.#probe(vaddr, 0);
  }

  // Looks in the slots that entries filled under `pcid` use.
  #probe(vaddr: number, pcid: number): number {
    const pa = this.#hit(this.#small, vaddr, pcid);
    if (pa >= 0) return pa;
    const large = this.#hit(this.#large, vaddr, pcid);
    return large >= 0 ? large : this.#hit(this.#huge, vaddr, pcid);
  }

  #hit(array: TlbArray, vaddr: number, pcid: number): number {
    const offset = vaddr & array.offsetMask;
    const i = slot(array, vaddr, pcid);
    if (array.tags[i] !== vaddr - offset || !this.#live(array, i)) return -1;
    this.hitRights = array.rights[i]!;
    return array.frames[i]! + offset;
  }

  #live(array: TlbArray, i: number): boolean {
    const stamp = array.stamps[i]!;
    return array.rights[i]! & TlbRights.GLOBAL
      ? stamp >= this.globalValidFrom
      : array.pcids[i] === this.pcid &&
        stamp >= this.#pcidValidFrom[this.pcid]!;
  }

  /**
   * How many translations are live for the current PCID, by page size, for
   * diagnostics.
   *
   * @returns The counts.
   */
  live(): { small: number; large: number; huge: number } {
    const count = (a: TlbArray) => {
      let n = 0;
      for (let i = 0; i <= a.mask; i++) {
        if (!Number.isNaN(a.tags[i]!) && this.#live(a, i)) n++;
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

// The slot of the page that holds `vaddr` under `pcid`. `&` on a number
// keeps its low 32 bits in two's complement, so this works for higher-half
// (negative) addresses too.
function slot(array: TlbArray, vaddr: number, pcid: number): number {
  const page = array.shift < 30
    ? vaddr >>> array.shift
    : Math.floor(vaddr / array.pageSize);
  return (page ^ Math.imul(pcid, 0x9e5)) & array.mask;
}

// Drops the page's entry of `pcid` and its global entry.
function drop(array: TlbArray, vaddr: number, pcid: number): void {
  const tag = vaddr - (vaddr & array.offsetMask);
  const own = slot(array, vaddr, pcid);
  if (array.tags[own] === tag) array.tags[own] = Number.NaN;
  const global = slot(array, vaddr, 0);
  if (array.tags[global] === tag) array.tags[global] = Number.NaN;
}
