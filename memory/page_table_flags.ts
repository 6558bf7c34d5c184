const ADDRESS_LOW = 0xffff_f000; // bits 31..12 of an entry: address bits
const ADDRESS_HIGH = 0x000f_ffff; // bits 51..32: address bits
const FLAGS_LOW = 0x0000_0fff; // bits 11..0
const FLAGS_HIGH = 0xfff0_0000; // bits 63..52
const KEY_HIGH = 0x7800_0000; // bits 62..59: the protection key
const TWO_32 = 2 ** 32;

const NAMES: ReadonlyArray<readonly [number, string]> = [
  [0, "PRESENT"],
  [1, "WRITABLE"],
  [2, "USER_ACCESSIBLE"],
  [3, "WRITE_THROUGH"],
  [4, "NO_CACHE"],
  [5, "ACCESSED"],
  [6, "DIRTY"],
  [7, "HUGE_PAGE"],
  [8, "GLOBAL"],
  [9, "BIT_9"],
  [10, "BIT_10"],
  [11, "BIT_11"],
  [52, "BIT_52"],
  [53, "BIT_53"],
  [54, "BIT_54"],
  [55, "BIT_55"],
  [56, "BIT_56"],
  [57, "BIT_57"],
  [58, "BIT_58"],
  [59, "BIT_59"],
  [60, "BIT_60"],
  [61, "BIT_61"],
  [62, "BIT_62"],
  [63, "NO_EXECUTE"],
];

/**
 * A 64-bit value as two `u32` halves: the fast form of the machine's
 * 64-bit memory accesses (`readU64Low`, `readU64High`, `writeU64Halves`).
 *
 * @example Flags from the halves of an entry
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PageTableFlags } from "./page_table_flags.ts";
 *
 * const halves: U64Halves = { low: 0x1003, high: 0x8000_0000 };
 * strictEqual(`${PageTableFlags.fromBitsTruncate(halves)}`, "PRESENT | WRITABLE | NO_EXECUTE");
 * ```
 */
export interface U64Halves {
  /** Bits 31..0. */
  readonly low: number;
  /** Bits 63..32. */
  readonly high: number;
}

// The halves of a value given as a bigint or as halves; `what` names it in
// errors. Halves may be negative int32 results of JS bitwise operators.
function toHalves(bits: bigint | U64Halves): [number, number] {
  if (typeof bits === "bigint") {
    if (bits < 0n || bits >= 1n << 64n) {
      throw new RangeError(
        `Invalid page-table flags ${bits}: expected a 64-bit value, 0 to 2^64 - 1`,
      );
    }
    return [Number(bits & 0xffff_ffffn), Number(bits >> 32n)];
  }
  const { low, high } = bits;
  for (const [name, half] of [["low", low], ["high", high]] as const) {
    if (!Number.isInteger(half) || half < -(2 ** 31) || half >= TWO_32) {
      throw new RangeError(
        `Invalid page-table flags ${name} half ${half}: expected a 32-bit integer`,
      );
    }
  }
  return [low >>> 0, high >>> 0];
}

/**
 * The flag bits of a page-table entry of 4-level paging: every bit except
 * the address, bits 51..12 (Intel SDM 3A §4.5, tables 4-15 to 4-20). The
 * Rust `x86_64` crate's `PageTableFlags`, immutable: every operation
 * returns new flags.
 *
 * JS bitwise operators are 32-bit, so the value is kept as two `u32`
 * halves ({@linkcode PageTableFlags.low}, {@linkcode PageTableFlags.high});
 * {@linkcode PageTableFlags.bits} gives it as a `bigint`.
 *
 * @example The seed's builder, and the constants
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const flags = new PageTableFlags().present().writable().noExecute();
 * strictEqual(flags.bits(), 0x8000_0000_0000_0003n);
 * strictEqual(`${flags}`, "PRESENT | WRITABLE | NO_EXECUTE");
 * strictEqual(flags.contains(PageTableFlags.PRESENT.union(PageTableFlags.WRITABLE)), true);
 * strictEqual(`${new PageTableFlags()}`, "(empty)");
 * ```
 */
export class PageTableFlags {
  #low: number;
  #high: number;

  /**
   * Makes flags: none by default (the crate's `PageTableFlags::empty`), or
   * the given bits, as {@linkcode PageTableFlags.fromBits} checks them.
   *
   * @param bits The bits: a `bigint`, or `{ low, high }` halves.
   * @throws {RangeError} If a bit of 51..12 (the address) is set, or the
   *   value does not fit 64 bits.
   *
   * @example Empty flags, and flags from bits
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PageTableFlags().isEmpty(), true);
   * strictEqual(new PageTableFlags(0x3n).equals(PageTableFlags.PRESENT.writable()), true);
   * ```
   */
  constructor(bits?: bigint | U64Halves) {
    if (bits === undefined) {
      this.#low = 0;
      this.#high = 0;
      return;
    }
    const [low, high] = toHalves(bits);
    if ((low & ADDRESS_LOW) !== 0 || (high & ADDRESS_HIGH) !== 0) {
      throw new RangeError(
        `Invalid page-table flags 0x${
          (BigInt(high) << 32n | BigInt(low)).toString(16)
        }: bits 51..12 hold the frame address, not flags (use fromBitsTruncate to drop them)`,
      );
    }
    this.#low = low;
    this.#high = high;
  }

  static #make(low: number, high: number): PageTableFlags {
    const flags = new PageTableFlags();
    flags.#low = low;
    flags.#high = high;
    return flags;
  }

  /**
   * P (present, bit 0): the entry maps a page or references a table. When it is
   * 0 the CPU ignores every other bit (software may keep anything there) and an
   * access faults with #PF, error-code bit 0 (P) clear. Intel SDM 3A §4.5,
   * tables 4-15 to 4-20.
   */
  static readonly PRESENT: PageTableFlags = PageTableFlags.#make(0x1, 0x0);
  /**
   * R/W (bit 1): writes are allowed through this entry. Rights combine over all
   * levels: a user write needs it at every level; a supervisor write to a read-
   * only page faults only when CR0.WP = 1 (SDM 3A §4.6).
   */
  static readonly WRITABLE: PageTableFlags = PageTableFlags.#make(0x2, 0x0);
  /**
   * U/S (bit 2): CPL 3 may access the region. User access needs it at every
   * level; with CR4.SMEP/SMAP the kernel may not fetch from (or, without
   * RFLAGS.AC, access) such pages (SDM 3A §4.6).
   */
  static readonly USER_ACCESSIBLE: PageTableFlags = PageTableFlags.#make(
    0x4,
    0x0,
  );
  /**
   * PWT (bit 3): page-level write-through, an index bit into the PAT for the
   * memory type (SDM 3A §4.9).
   */
  static readonly WRITE_THROUGH: PageTableFlags = PageTableFlags.#make(
    0x8,
    0x0,
  );
  /**
   * PCD (bit 4): page-level cache disable, an index bit into the PAT for the
   * memory type (SDM 3A §4.9).
   */
  static readonly NO_CACHE: PageTableFlags = PageTableFlags.#make(0x10, 0x0);
  /**
   * A (bit 5): set by the CPU in every entry a walk uses (SDM 3A §4.8);
   * software clears it.
   */
  static readonly ACCESSED: PageTableFlags = PageTableFlags.#make(0x20, 0x0);
  /**
   * D (bit 6): set by the CPU in a leaf entry on a write to its page (SDM 3A
   * §4.8). Ignored in an entry that references a table.
   */
  static readonly DIRTY: PageTableFlags = PageTableFlags.#make(0x40, 0x0);
  /**
   * PS (bit 7): in a PDPTE the entry maps a 1 GiB page, in a PDE a 2 MiB page,
   * instead of referencing a table (SDM 3A tables 4-16, 4-18). It is reserved
   * (must be 0) in a PML4E, and in a 4 KiB PTE the same bit is PAT, the third
   * memory-type index bit (table 4-20); in a huge leaf PAT moves to bit 12.
   */
  static readonly HUGE_PAGE: PageTableFlags = PageTableFlags.#make(0x80, 0x0);
  /**
   * G (bit 8): in a leaf entry, with CR4.PGE = 1, the translation is global: it
   * survives a CR3 load (SDM 3A §4.10.2.4). Ignored in an entry that references
   * a table.
   */
  static readonly GLOBAL: PageTableFlags = PageTableFlags.#make(0x100, 0x0);
  /**
   * Bit 9: ignored by the CPU, available to software.
   */
  static readonly BIT_9: PageTableFlags = PageTableFlags.#make(0x200, 0x0);
  /**
   * Bit 10: ignored by the CPU, available to software.
   */
  static readonly BIT_10: PageTableFlags = PageTableFlags.#make(0x400, 0x0);
  /**
   * Bit 11: ignored by the CPU, available to software (HLAT restart in VMX; not
   * modelled).
   */
  static readonly BIT_11: PageTableFlags = PageTableFlags.#make(0x800, 0x0);
  /**
   * Bit 52: ignored by the CPU, available to software.
   */
  static readonly BIT_52: PageTableFlags = PageTableFlags.#make(0x0, 0x10_0000);
  /**
   * Bit 53: ignored by the CPU, available to software.
   */
  static readonly BIT_53: PageTableFlags = PageTableFlags.#make(0x0, 0x20_0000);
  /**
   * Bit 54: ignored by the CPU, available to software.
   */
  static readonly BIT_54: PageTableFlags = PageTableFlags.#make(0x0, 0x40_0000);
  /**
   * Bit 55: ignored by the CPU, available to software.
   */
  static readonly BIT_55: PageTableFlags = PageTableFlags.#make(0x0, 0x80_0000);
  /**
   * Bit 56: ignored by the CPU, available to software.
   */
  static readonly BIT_56: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x100_0000,
  );
  /**
   * Bit 57: ignored by the CPU, available to software.
   */
  static readonly BIT_57: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x200_0000,
  );
  /**
   * Bit 58: ignored by the CPU, available to software.
   */
  static readonly BIT_58: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x400_0000,
  );
  /**
   * Bit 59: bit 0 of the protection key (bits 62..59) of a leaf entry when
   * CR4.PKE (user pages) or CR4.PKS (supervisor pages) is set; otherwise
   * ignored and available to software (SDM 3A §4.6.2). Set the whole key with
   * {@linkcode PageTableFlags.protectionKey}.
   */
  static readonly BIT_59: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x800_0000,
  );
  /**
   * Bit 60: bit 1 of the protection key (bits 62..59) of a leaf entry when
   * CR4.PKE (user pages) or CR4.PKS (supervisor pages) is set; otherwise
   * ignored and available to software (SDM 3A §4.6.2). Set the whole key with
   * {@linkcode PageTableFlags.protectionKey}.
   */
  static readonly BIT_60: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x1000_0000,
  );
  /**
   * Bit 61: bit 2 of the protection key (bits 62..59) of a leaf entry when
   * CR4.PKE (user pages) or CR4.PKS (supervisor pages) is set; otherwise
   * ignored and available to software (SDM 3A §4.6.2). Set the whole key with
   * {@linkcode PageTableFlags.protectionKey}.
   */
  static readonly BIT_61: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x2000_0000,
  );
  /**
   * Bit 62: bit 3 of the protection key (bits 62..59) of a leaf entry when
   * CR4.PKE (user pages) or CR4.PKS (supervisor pages) is set; otherwise
   * ignored and available to software (SDM 3A §4.6.2). Set the whole key with
   * {@linkcode PageTableFlags.protectionKey}.
   */
  static readonly BIT_62: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x4000_0000,
  );
  /**
   * XD (bit 63, execute-disable): with IA32_EFER.NXE = 1, instruction fetches
   * from the region fault, at whatever level it is set; with NXE = 0 the bit is
   * reserved and a walk through it faults with RSVD (SDM 3A §4.6, table 4-15).
   */
  static readonly NO_EXECUTE: PageTableFlags = PageTableFlags.#make(
    0x0,
    0x8000_0000,
  );

  /**
   * The protection-key field, bits 62..59 (all four bits set): see
   * {@linkcode PageTableFlags.protectionKey}.
   */
  static readonly PROTECTION_KEY: PageTableFlags = PageTableFlags.#make(
    0,
    KEY_HIGH,
  );

  /**
   * Makes flags from bits (the crate's `from_bits`, which fails on
   * unknown bits).
   *
   * @param bits A `bigint`, or `{ low, high }` halves (each a 32-bit
   *   integer; a negative one, as JS bitwise operators give, is taken as
   *   its bit pattern).
   * @returns The flags.
   * @throws {RangeError} If a bit of 51..12 (the address) is set, or the
   *   value does not fit 64 bits.
   *
   * @example Address bits are not flags
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * strictEqual(PageTableFlags.fromBits({ low: 0x63, high: 0 }).toString(), "PRESENT | WRITABLE | ACCESSED | DIRTY");
   * throws(() => PageTableFlags.fromBits(0x1003n), RangeError);
   * ```
   */
  static fromBits(bits: bigint | U64Halves): PageTableFlags {
    return new PageTableFlags(bits);
  }

  /**
   * Makes flags from the flag bits of a value, dropping bits 51..12 (the
   * crate's `from_bits_truncate`): the flags of a whole entry.
   *
   * @param bits A `bigint`, or `{ low, high }` halves.
   * @returns The flags.
   * @throws {RangeError} If the value does not fit 64 bits.
   *
   * @example The flags of an entry
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PageTableFlags.fromBitsTruncate(0x8000_0000_0020_0083n).toString(), "PRESENT | WRITABLE | HUGE_PAGE | NO_EXECUTE");
   * ```
   */
  static fromBitsTruncate(bits: bigint | U64Halves): PageTableFlags {
    const [low, high] = toHalves(bits);
    return PageTableFlags.#make(low & FLAGS_LOW, (high & FLAGS_HIGH) >>> 0);
  }

  /**
   * Bits 31..0 of the flags (only 11..0 can be set).
   *
   * @returns 0 to 0xFFF.
   *
   * @example PRESENT and WRITABLE are bits 0 and 1
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PageTableFlags().present().writable().low, 3);
   * ```
   */
  get low(): number {
    return this.#low;
  }

  /**
   * Bits 63..32 of the flags (only 63..52 can be set).
   *
   * @returns A `u32`.
   *
   * @example NO_EXECUTE is bit 63
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PageTableFlags.NO_EXECUTE.high, 0x8000_0000);
   * ```
   */
  get high(): number {
    return this.#high;
  }

  /**
   * The flags as a 64-bit value (the crate's `bits`).
   *
   * @returns The bits.
   *
   * @example BIT_52 as a bigint
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PageTableFlags.BIT_52.bits(), 1n << 52n);
   * ```
   */
  bits(): bigint {
    return BigInt(this.#high) << 32n | BigInt(this.#low);
  }

  /**
   * These flags with {@linkcode PageTableFlags.PRESENT} (bit 0) set.
   *
   * @returns The new flags.
   */
  present(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x1) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.WRITABLE} (bit 1) set.
   *
   * @returns The new flags.
   */
  writable(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x2) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.USER_ACCESSIBLE} (bit 2) set.
   *
   * @returns The new flags.
   */
  userAccessible(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x4) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.WRITE_THROUGH} (bit 3) set.
   *
   * @returns The new flags.
   */
  writeThrough(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x8) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.NO_CACHE} (bit 4) set.
   *
   * @returns The new flags.
   */
  noCache(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x10) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.ACCESSED} (bit 5) set.
   *
   * @returns The new flags.
   */
  accessed(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x20) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.DIRTY} (bit 6) set.
   *
   * @returns The new flags.
   */
  dirty(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x40) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.HUGE_PAGE} (bit 7) set.
   *
   * @returns The new flags.
   */
  hugePage(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x80) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.GLOBAL} (bit 8) set.
   *
   * @returns The new flags.
   */
  global(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x100) >>> 0,
      (this.#high | 0x0) >>> 0,
    );
  }

  /**
   * These flags with {@linkcode PageTableFlags.NO_EXECUTE} (bit 63) set.
   *
   * @returns The new flags.
   */
  noExecute(): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | 0x0) >>> 0,
      (this.#high | 0x8000_0000) >>> 0,
    );
  }

  /**
   * These flags with the protection key (bits 62..59) set to `key`,
   * replacing the key they had. The CPU uses it in a leaf entry when
   * CR4.PKE (user pages) or CR4.PKS (supervisor pages) is set: PKRU (or
   * IA32_PKRS) then holds access- and write-disable bits per key (Intel
   * SDM 3A §4.6.2).
   *
   * @param key The key, 0 to 15.
   * @returns The new flags.
   * @throws {RangeError} If the key is not an integer from 0 to 15.
   *
   * @example Key 5 is bits 59 and 61
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const flags = new PageTableFlags().present().protectionKey(5);
   * strictEqual(flags.bits(), 5n << 59n | 1n);
   * strictEqual(flags.pkey, 5);
   * ```
   */
  protectionKey(key: number): PageTableFlags {
    if (!Number.isInteger(key) || key < 0 || key > 15) {
      throw new RangeError(
        `Invalid protection key ${key}: expected an integer from 0 to 15`,
      );
    }
    return PageTableFlags.#make(
      this.#low,
      ((this.#high & ~KEY_HIGH) | key << 27) >>> 0,
    );
  }

  /**
   * The protection key, bits 62..59.
   *
   * @returns 0 to 15.
   *
   * @example BIT_62 alone is key 8
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PageTableFlags.BIT_62.pkey, 8);
   * ```
   */
  get pkey(): number {
    return (this.#high & KEY_HIGH) >>> 27;
  }

  /**
   * Whether every flag of `other` is set here (the crate's `contains`).
   *
   * @param other The flags to look for.
   * @returns Whether all of them are set; true for empty `other`.
   *
   * @example Every flag or not
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const flags = new PageTableFlags().present().writable();
   * strictEqual(flags.contains(PageTableFlags.WRITABLE), true);
   * strictEqual(flags.contains(PageTableFlags.WRITABLE.noExecute()), false);
   * ```
   */
  contains(other: PageTableFlags): boolean {
    return (this.#low & other.#low) === other.#low &&
      ((this.#high & other.#high) >>> 0) === other.#high;
  }

  /**
   * Whether any flag of `other` is set here (the crate's `intersects`).
   *
   * @param other The flags to look for.
   * @returns Whether at least one of them is set.
   *
   * @example Any flag
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PageTableFlags.DIRTY.intersects(PageTableFlags.DIRTY.accessed()), true);
   * ```
   */
  intersects(other: PageTableFlags): boolean {
    return (this.#low & other.#low) !== 0 || (this.#high & other.#high) !== 0;
  }

  /**
   * The flags set here or in `other` (`|`).
   *
   * @param other The other flags.
   * @returns The new flags.
   *
   * @example Setting any bit, such as one available to software
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(`${PageTableFlags.PRESENT.union(PageTableFlags.BIT_9)}`, "PRESENT | BIT_9");
   * ```
   */
  union(other: PageTableFlags): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low | other.#low) >>> 0,
      (this.#high | other.#high) >>> 0,
    );
  }

  /**
   * The flags set both here and in `other` (`&`).
   *
   * @param other The other flags.
   * @returns The new flags.
   *
   * @example The common flags
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const a = new PageTableFlags().present().writable();
   * strictEqual(`${a.intersection(new PageTableFlags().writable().noExecute())}`, "WRITABLE");
   * ```
   */
  intersection(other: PageTableFlags): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low & other.#low) >>> 0,
      (this.#high & other.#high) >>> 0,
    );
  }

  /**
   * The flags set here and not in `other` (`& !other`, the crate's
   * `difference`).
   *
   * @param other The flags to clear.
   * @returns The new flags.
   *
   * @example Clearing WRITABLE
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const rw = new PageTableFlags().present().writable();
   * strictEqual(`${rw.difference(PageTableFlags.WRITABLE)}`, "PRESENT");
   * ```
   */
  difference(other: PageTableFlags): PageTableFlags {
    return PageTableFlags.#make(
      (this.#low & ~other.#low) >>> 0,
      (this.#high & ~other.#high) >>> 0,
    );
  }

  /**
   * These flags without those of `other`: the same as
   * {@linkcode PageTableFlags.difference}, named after the crate's
   * in-place `remove`.
   *
   * @param other The flags to clear.
   * @returns The new flags.
   *
   * @example Making a page read-only
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const flags = new PageTableFlags().present().writable().remove(PageTableFlags.WRITABLE);
   * strictEqual(flags.equals(PageTableFlags.PRESENT), true);
   * ```
   */
  remove(other: PageTableFlags): PageTableFlags {
    return this.difference(other);
  }

  /**
   * Whether no flag is set.
   *
   * @returns Whether the flags are empty.
   *
   * @example Nothing left
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(PageTableFlags.PRESENT.remove(PageTableFlags.PRESENT).isEmpty(), true);
   * ```
   */
  isEmpty(): boolean {
    return this.#low === 0 && this.#high === 0;
  }

  /**
   * Whether two sets of flags are equal.
   *
   * @param other The other flags.
   * @returns Whether the same bits are set.
   *
   * @example Builder and constant agree
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new PageTableFlags().present().equals(PageTableFlags.PRESENT), true);
   * ```
   */
  equals(other: PageTableFlags): boolean {
    return this.#low === other.#low && this.#high === other.#high;
  }

  /**
   * The flags as Rust's `bitflags` `Debug` prints them: the names of the
   * set bits from bit 0 up, joined by ` | `, or `(empty)`.
   *
   * @returns The text.
   *
   * @example Names in bit order
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(`${new PageTableFlags().global().present()}`, "PRESENT | GLOBAL");
   * ```
   */
  toString(): string {
    const names: string[] = [];
    for (const [bit, name] of NAMES) {
      const set = bit < 32
        ? (this.#low >>> bit) & 1
        : (this.#high >>> (bit - 32)) & 1;
      if (set) names.push(name);
    }
    return names.length === 0 ? "(empty)" : names.join(" | ");
  }
}
