/**
 * The flags of CR0 (Intel SDM 3A §2.5, figure 2-7), by their SDM names.
 * Every flag lies in bits 31..0, so a flag set is a plain `number`;
 * `readCr0()` returns one and `writeCr0` takes one.
 *
 * @example Testing and setting a flag
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const cr0 = 0x8001_0033; // as a 64-bit boot loader leaves it
 * strictEqual((cr0 & Cr0Flags.WP) !== 0, true);
 * strictEqual((cr0 & Cr0Flags.CD) !== 0, false);
 * ```
 */
export const Cr0Flags = {
  /** Protection Enable (bit 0): protected mode. */
  PE: 1 << 0,
  /** Monitor Coprocessor (bit 1): `wait` honours TS. */
  MP: 1 << 1,
  /** Emulation (bit 2): x87 instructions raise #NM. */
  EM: 1 << 2,
  /** Task Switched (bit 3): the next x87/SSE instruction raises #NM. */
  TS: 1 << 3,
  /** Extension Type (bit 4): hardwired to 1. */
  ET: 1 << 4,
  /** Numeric Error (bit 5): x87 errors are reported as #MF. */
  NE: 1 << 5,
  /** Write Protect (bit 16): supervisor writes honour read-only pages. */
  WP: 1 << 16,
  /** Alignment Mask (bit 18): with RFLAGS.AC, enables #AC at CPL 3. */
  AM: 1 << 18,
  /** Not Write-through (bit 29). */
  NW: 1 << 29,
  /** Cache Disable (bit 30). */
  CD: 1 << 30,
  /** Paging (bit 31). */
  PG: 0x8000_0000,
} as const;
