/**
 * The flags of CR4 (Intel SDM 3A §2.5, figure 2-7), by their SDM names.
 * Every flag lies in bits 31..0, so a flag set is a plain `number`.
 *
 * The simulated CPU implements them all except LA57, VMXE, SMXE and
 * OSXSAVE: setting one of those raises #GP(0), as setting a bit for a
 * feature that CPUID does not report does on real hardware.
 *
 * @example Building a CR4 value
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(Cr4Flags.PAE | Cr4Flags.PGE, 0xa0);
 * ```
 */
export const Cr4Flags = {
  /** Virtual-8086 Mode Extensions (bit 0). */
  VME: 1 << 0,
  /** Protected-Mode Virtual Interrupts (bit 1). */
  PVI: 1 << 1,
  /** Time Stamp Disable (bit 2): `rdtsc` only at CPL 0. */
  TSD: 1 << 2,
  /** Debugging Extensions (bit 3). */
  DE: 1 << 3,
  /** Page Size Extensions (bit 4). */
  PSE: 1 << 4,
  /** Physical Address Extension (bit 5): required in IA-32e mode. */
  PAE: 1 << 5,
  /** Machine-Check Enable (bit 6). */
  MCE: 1 << 6,
  /** Page Global Enable (bit 7): global pages survive a CR3 load. */
  PGE: 1 << 7,
  /** Performance-Monitoring Counter Enable (bit 8): `rdpmc` at any CPL. */
  PCE: 1 << 8,
  /** OS support for FXSAVE and FXRSTOR (bit 9). */
  OSFXSR: 1 << 9,
  /** OS support for unmasked SIMD floating-point exceptions (bit 10). */
  OSXMMEXCPT: 1 << 10,
  /** User-Mode Instruction Prevention (bit 11). */
  UMIP: 1 << 11,
  /** 57-bit linear addresses, 5-level paging (bit 12). */
  LA57: 1 << 12,
  /** VMX Enable (bit 13). */
  VMXE: 1 << 13,
  /** SMX Enable (bit 14). */
  SMXE: 1 << 14,
  /** FSGSBASE Enable (bit 16): `rdfsbase` and friends. */
  FSGSBASE: 1 << 16,
  /** PCID Enable (bit 17): CR3 bits 11..0 are the PCID. */
  PCIDE: 1 << 17,
  /** XSAVE and processor extended states enable (bit 18). */
  OSXSAVE: 1 << 18,
  /** Supervisor Mode Execution Prevention (bit 20). */
  SMEP: 1 << 20,
  /** Supervisor Mode Access Prevention (bit 21). */
  SMAP: 1 << 21,
  /** Protection Keys for user pages (bit 22). */
  PKE: 1 << 22,
} as const;
