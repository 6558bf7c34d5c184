import type { PhysicalMemory } from "../physical_memory.ts";
import { Reg, type RegisterFile } from "./register_file.ts";
import { Tlb, TlbRights } from "./tlb.ts";

// Register slots as module constants (no `Reg.X` load on every use).
const S_CR0 = Reg.CR0;
const S_CR3 = Reg.CR3;
const S_CR4 = Reg.CR4;
const S_EFER = Reg.EFER;
const S_PKRU = Reg.PKRU;
const S_RFLAGS = Reg.RFLAGS;

/** The kind of a memory access. */
export const Access = {
  /** A data read. */
  READ: 0,
  /** A data write. */
  WRITE: 1,
  /** An instruction fetch. */
  FETCH: 2,
} as const;

/** One of {@linkcode Access}. */
export type Access = typeof Access[keyof typeof Access];

/** The bits of a #PF error code (SDM 3A §4.7, figure 4-12). */
export const PageFaultCode = {
  /** 0: a non-present page; 1: a protection or reserved-bit violation. */
  PRESENT: 1 << 0,
  /** The access was a write. */
  WRITE: 1 << 1,
  /** The access was made at CPL 3. */
  USER: 1 << 2,
  /** A reserved bit was set in a paging-structure entry. */
  RESERVED: 1 << 3,
  /** The access was an instruction fetch (reported with NXE or SMEP). */
  INSTRUCTION: 1 << 4,
  /** A protection-key violation. */
  PROTECTION_KEY: 1 << 5,
} as const;

const P = 1 << 0;
const RW = 1 << 1;
const US = 1 << 2;
const A = 1 << 5;
const D = 1 << 6;
const PS = 1 << 7;
const G = 1 << 8;
const XD_HIGH = 0x8000_0000;
const CR0_WP = 1 << 16;
const CR4_PGE = 1 << 7;
const CR4_SMEP = 1 << 20;
const CR4_SMAP = 1 << 21;
const CR4_PKE = 1 << 22;
const EFER_NXE = 1 << 11;
const RFLAGS_AC = 1 << 18;
const TWO_32 = 2 ** 32;
// The bytes mapped by one entry at each level (index = level).
const PAGE_SIZES = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39];
const WRITABLE_DIRTY = TlbRights.WRITABLE | TlbRights.DIRTY;
const UNBACKED = 0xffff_ffff;

/**
 * The paging unit of one CPU: 4-level translation through CR3 with the
 * rights, reserved bits, A/D updates and error codes of Intel SDM 3A
 * chapter 4, in front of a {@linkcode Tlb}.
 *
 * Accessed flags are set as the walk uses each entry, so a fault lower
 * down leaves the upper entries accessed; the leaf's A (and D, for a
 * write) are set only when the access is allowed.
 */
export class Mmu {
  /** The TLB. */
  readonly tlb: Tlb = new Tlb();
  /** The error code of the last fault, valid after a `-1` from translate. */
  faultCode = 0;
  #regs: RegisterFile;
  #memory: PhysicalMemory;
  // Bits 51..32 of an entry that lie at or above MAXPHYADDR (reserved).
  #reservedHigh: number;

  /**
   * Creates the paging unit of a CPU.
   *
   * @param regs The CPU's registers (CR0, CR3, CR4, EFER, RFLAGS, CS).
   * @param memory The machine's RAM, where the tables live.
   * @param maxPhysAddr MAXPHYADDR.
   */
  constructor(regs: RegisterFile, memory: PhysicalMemory, maxPhysAddr: number) {
    this.#regs = regs;
    this.#memory = memory;
    this.#reservedHigh = (0xf_ffff & ~((1 << (maxPhysAddr - 32)) - 1)) >>> 0;
  }

  /**
   * Translates a canonical virtual address for an access, through the TLB
   * or a walk.
   *
   * @param vaddr The address, as a signed number in [−2^47, 2^47).
   * @param access The kind of access.
   * @param user Whether it is a user-mode access (CPL 3), which the checks
   *   and the error code depend on.
   * @returns The physical address, or -1 when the access faults; then
   *   {@linkcode Mmu.faultCode} holds the #PF error code.
   */
  translate(vaddr: number, access: Access, user: boolean): number {
    const tlb = this.tlb;
    const pa = tlb.lookup(vaddr);
    if (pa >= 0) {
      const rights = tlb.hitRights;
      // The common case needs no register: the kernel reading its own page,
      // or writing it once it is writable and dirty.
      if (!user && !(rights & TlbRights.USER)) {
        if (access === Access.READ) return pa;
        if (
          access === Access.WRITE &&
          (rights & WRITABLE_DIRTY) === WRITABLE_DIRTY
        ) return pa;
      }
      if (
        this.#allowed(rights, access, user) &&
        !this.#keyDenies(rights, access, user)
      ) {
        if (access !== Access.WRITE || rights & TlbRights.DIRTY) return pa;
      } else {
        // A fault drops the translation (SDM 3A §4.10.4.1) and is
        // reported from a fresh walk, which sees the current entries.
        tlb.flushPage(vaddr);
      }
    }
    return this.#walk(vaddr, access, user);
  }

  // Whether combined rights allow an access (SDM 3A §4.6.1).
  #allowed(rights: number, access: Access, user: boolean): boolean {
    const regs = this.#regs;
    const userPage = (rights & TlbRights.USER) !== 0;
    if (access === Access.FETCH) {
      if (rights & TlbRights.NO_EXECUTE && regs.low(S_EFER) & EFER_NXE) {
        return false;
      }
      return user ? userPage : !(userPage && regs.low(S_CR4) & CR4_SMEP);
    }
    if (user) {
      return userPage &&
        (access === Access.READ || (rights & TlbRights.WRITABLE) !== 0);
    }
    if (
      userPage && regs.low(S_CR4) & CR4_SMAP &&
      !(regs.low(S_RFLAGS) & RFLAGS_AC)
    ) return false;
    return access === Access.READ || (rights & TlbRights.WRITABLE) !== 0 ||
      !(regs.low(S_CR0) & CR0_WP);
  }

  // Protection keys (SDM 3A §4.6.2): with CR4.PKE, a data access to a user
  // page is checked against PKRU's AD and WD bits for the page's key; WD
  // binds supervisor writes only when CR0.WP = 1. Fetches are not checked.
  #keyDenies(rights: number, access: Access, user: boolean): boolean {
    const regs = this.#regs;
    if (
      access === Access.FETCH || !(rights & TlbRights.USER) ||
      !(regs.low(S_CR4) & CR4_PKE)
    ) {
      return false;
    }
    const key = rights >>> TlbRights.PKEY_SHIFT & 0xf;
    const pkru = regs.low(S_PKRU);
    if (pkru >>> (2 * key) & 1) return true; // access disable
    return access === Access.WRITE && (pkru >>> (2 * key + 1) & 1) !== 0 &&
      (user || (regs.low(S_CR0) & CR0_WP) !== 0); // write disable
  }

  #walk(vaddr: number, access: Access, user: boolean): number {
    const regs = this.#regs;
    const nxe = (regs.low(S_EFER) & EFER_NXE) !== 0;
    const code = (access === Access.WRITE ? PageFaultCode.WRITE : 0) |
      (user ? PageFaultCode.USER : 0) |
      (access === Access.FETCH && (nxe || regs.low(S_CR4) & CR4_SMEP)
        ? PageFaultCode.INSTRUCTION
        : 0);
    let table = (regs.low(S_CR3) & 0xffff_f000) +
      (regs.high(S_CR3) & 0xf_ffff) * TWO_32;
    let rights = TlbRights.WRITABLE | TlbRights.USER;
    for (let level = 4; level >= 1; level--) {
      // Bits 20..12 and 29..21 lie in the low 32 bits, where `>>>` reads
      // them (negative addresses too); bits 38..30 and 47..39 need a divide.
      const index = level === 1
        ? (vaddr >>> 12) & 511
        : level === 2
        ? (vaddr >>> 21) & 511
        : Math.floor(vaddr / PAGE_SIZES[level]!) & 511;
      const entry = table + index * 8;
      const low = this.#read32(entry);
      const high = this.#read32(entry + 4);
      if (!(low & P)) return this.#fault(code);
      const leaf = level === 1 || (level <= 3 && (low & PS) !== 0);
      if (
        (high & this.#reservedHigh) || (!nxe && high & XD_HIGH) ||
        (level === 4 && low & PS) ||
        (leaf && level === 3 && low & 0x3fff_e000) ||
        (leaf && level === 2 && low & 0x001f_e000)
      ) {
        return this.#fault(
          code | PageFaultCode.PRESENT | PageFaultCode.RESERVED,
        );
      }
      if (!(low & RW)) rights &= ~TlbRights.WRITABLE;
      if (!(low & US)) rights &= ~TlbRights.USER;
      if (high & XD_HIGH) rights |= TlbRights.NO_EXECUTE;
      const address = (high & 0xf_ffff) * TWO_32;
      if (!leaf) {
        if (!(low & A)) this.#setBits(entry, A);
        table = address + ((low & 0xffff_f000) >>> 0);
        continue;
      }
      rights |= (high >>> 27 & 0xf) << TlbRights.PKEY_SHIFT;
      if (!this.#allowed(rights, access, user)) {
        return this.#fault(code | PageFaultCode.PRESENT);
      }
      if (this.#keyDenies(rights, access, user)) {
        return this.#fault(
          code | PageFaultCode.PRESENT | PageFaultCode.PROTECTION_KEY,
        );
      }
      const set = access === Access.WRITE ? A | D : A;
      if ((low & set) !== set) this.#setBits(entry, set);
      if (access === Access.WRITE || low & D) rights |= TlbRights.DIRTY;
      if (low & G && regs.low(S_CR4) & CR4_PGE) rights |= TlbRights.GLOBAL;
      const base = address +
        ((low &
          (level === 1
            ? 0xffff_f000
            : level === 2
            ? 0xffe0_0000
            : 0xc000_0000)) >>> 0);
      this.tlb.fill(vaddr, base, level, rights);
      return base + (vaddr & (PAGE_SIZES[level]! - 1)); // low bits: fits `&`
    }
    return -1; // not reached: level 1 is always a leaf
  }

  #fault(code: number): number {
    this.faultCode = code;
    return -1;
  }

  // A read of a table entry half; memory beyond RAM reads all ones, so a
  // table there faults as present with reserved bits.
  #read32(address: number): number {
    return address + 4 <= this.#memory.size
      ? this.#memory.readU32(address)
      : UNBACKED;
  }

  #setBits(address: number, bits: number): void {
    if (address + 4 <= this.#memory.size) this.#memory.orU32(address, bits);
  }
}
