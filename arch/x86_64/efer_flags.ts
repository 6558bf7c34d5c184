/**
 * The flags of IA32_EFER, MSR 0xC000_0080 (Intel SDM 3A §2.2.1, vol. 4),
 * by their SDM names. Every flag lies in bits 31..0.
 *
 * @example Checking long mode
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const efer = EferFlags.LME | EferFlags.LMA | EferFlags.NXE;
 * strictEqual(efer, 0xd00);
 * ```
 */
export const EferFlags = {
  /** SYSCALL Enable (bit 0): `syscall`/`sysret` raise #UD without it. */
  SCE: 1 << 0,
  /** IA-32e Mode Enable (bit 8). */
  LME: 1 << 8,
  /** IA-32e Mode Active (bit 10), set by the CPU; writes leave it alone. */
  LMA: 1 << 10,
  /** Execute Disable Bit Enable (bit 11): page-table bit 63 is XD. */
  NXE: 1 << 11,
} as const;
