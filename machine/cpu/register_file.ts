/**
 * The slots of a CPU's register file. General registers are numbered as
 * the instruction encoding numbers them (Intel SDM 2A §2.1.5, table 2-2),
 * so `Reg.RAX` is 0 and `Reg.R15` is 15. Every slot is 8 bytes.
 */
export const Reg = {
  /** RAX, the accumulator. */
  RAX: 0,
  /** RCX, the counter; `syscall` saves RIP here. */
  RCX: 1,
  /** RDX. */
  RDX: 2,
  /** RBX. */
  RBX: 3,
  /** RSP, the stack pointer. */
  RSP: 4,
  /** RBP, the frame pointer. */
  RBP: 5,
  /** RSI. */
  RSI: 6,
  /** RDI. */
  RDI: 7,
  /** R8. */
  R8: 8,
  /** R9. */
  R9: 9,
  /** R10. */
  R10: 10,
  /** R11; `syscall` saves RFLAGS here. */
  R11: 11,
  /** R12. */
  R12: 12,
  /** R13. */
  R13: 13,
  /** R14. */
  R14: 14,
  /** R15. */
  R15: 15,
  /** RIP, the instruction pointer. */
  RIP: 16,
  /** RFLAGS; bit 1 always reads 1 (SDM 1 §3.4.3). */
  RFLAGS: 17,
  /** CR0, system control flags (SDM 3A §2.5). */
  CR0: 18,
  /** CR2, the linear address of the last page fault. */
  CR2: 19,
  /** CR3, the PML4 base and PCD/PWT or the PCID. */
  CR3: 20,
  /** CR4, architecture extensions. */
  CR4: 21,
  /** CR8, the task-priority register (bits 3..0). */
  CR8: 22,
  /** The time-stamp counter, kept as a whole `float64` cycle count. */
  TSC: 23,
  /** IA32_EFER (MSR 0xC000_0080). */
  EFER: 24,
  /** IA32_STAR (MSR 0xC000_0081): `syscall`/`sysret` selectors. */
  STAR: 25,
  /** IA32_LSTAR (MSR 0xC000_0082): the 64-bit `syscall` entry. */
  LSTAR: 26,
  /** IA32_FMASK (MSR 0xC000_0084): RFLAGS bits `syscall` clears. */
  FMASK: 27,
  /** IA32_FS_BASE (MSR 0xC000_0100). */
  FS_BASE: 28,
  /** IA32_GS_BASE (MSR 0xC000_0101). */
  GS_BASE: 29,
  /** IA32_KERNEL_GS_BASE (MSR 0xC000_0102), swapped in by `swapgs`. */
  KERNEL_GS_BASE: 30,
  /** IA32_TSC_AUX (MSR 0xC000_0103), read by `rdtscp`. */
  TSC_AUX: 31,
  /** IA32_APIC_BASE (MSR 0x1B). */
  APIC_BASE: 32,
  /** The IDTR base address. */
  IDTR_BASE: 33,
  /** The IDTR limit (16 bits). */
  IDTR_LIMIT: 34,
  /** The CS selector; its bits 1..0 are the CPL. */
  CS: 35,
  /** The SS selector. */
  SS: 36,
  /** The DS selector. */
  DS: 37,
  /** The ES selector. */
  ES: 38,
  /** The FS selector. */
  FS: 39,
  /** The GS selector. */
  GS: 40,
  /** PKRU, the protection-key rights of user pages (SDM 3A §4.6.2). */
  PKRU: 41,
  /** The GDTR base address. */
  GDTR_BASE: 42,
  /** The GDTR limit (16 bits). */
  GDTR_LIMIT: 43,
  /** The task register's selector. */
  TR: 44,
  /** The task register's base: the linear address of the TSS. */
  TR_BASE: 45,
} as const;

/** The number of a register-file slot, one of the values of {@linkcode Reg}. */
export type Reg = typeof Reg[keyof typeof Reg];

/** The names of the slots, indexed by slot number. */
export const REG_NAMES: readonly string[] = Object.keys(Reg);

// The words view reads the halves in the host's byte order, which must be
// x86's: little-endian.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error(
    "exo-kernel core needs a little-endian host, as x86_64 is",
  );
}

/**
 * A CPU's registers as 8-byte little-endian slots of one `DataView`.
 *
 * This is raw storage: it checks nothing. The {@linkcode Cpu} applies the
 * architectural rules (reserved bits, RFLAGS bit 1) on top of it.
 *
 * @example Reading a register as a bigint and as halves
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const regs = new RegisterFile();
 * regs.set(Reg.RAX, 0xffff_8000_0000_1000n);
 * strictEqual(regs.low(Reg.RAX), 0x1000);
 * strictEqual(regs.high(Reg.RAX), 0xffff_8000);
 * ```
 */
export class RegisterFile {
  /** The register file's storage, `8 × REG_NAMES.length` bytes. */
  readonly view: DataView;
  /**
   * The same bytes as 32-bit words, two per slot (low half first): the
   * fast path of `low`, `high` and `setHalves`.
   */
  readonly words: Uint32Array;
  /**
   * Counts the writes through {@linkcode RegisterFile.set} and
   * {@linkcode RegisterFile.setHalves}, so that state derived from the
   * registers (the CPU's last-page translation cache) knows it is stale.
   */
  version = 0;

  /** Creates a register file with every slot zero. */
  constructor() {
    const buffer = new ArrayBuffer(REG_NAMES.length * 8);
    this.view = new DataView(buffer);
    this.words = new Uint32Array(buffer);
  }

  /**
   * Reads a slot as an unsigned 64-bit `bigint`.
   *
   * @param reg The slot.
   * @returns Its value.
   */
  get(reg: Reg): bigint {
    return this.view.getBigUint64(reg * 8, true);
  }

  /**
   * Writes a slot from a `bigint`, keeping its low 64 bits.
   *
   * @param reg The slot.
   * @param value The value; negative values are taken modulo 2^64.
   */
  set(reg: Reg, value: bigint): void {
    this.version++;
    this.view.setBigUint64(reg * 8, BigInt.asUintN(64, value), true);
  }

  /**
   * Reads bits 31..0 of a slot.
   *
   * @param reg The slot.
   * @returns The low half.
   */
  low(reg: Reg): number {
    return this.words[reg * 2]!;
  }

  /**
   * Reads bits 63..32 of a slot.
   *
   * @param reg The slot.
   * @returns The high half.
   */
  high(reg: Reg): number {
    return this.words[reg * 2 + 1]!;
  }

  /**
   * Writes a slot from two `u32` halves.
   *
   * @param reg The slot.
   * @param low Bits 31..0.
   * @param high Bits 63..32.
   */
  setHalves(reg: Reg, low: number, high: number): void {
    this.version++;
    const words = this.words;
    words[reg * 2] = low;
    words[reg * 2 + 1] = high;
  }
}
