import { currentCpu } from "../../machine/current_cpu.ts";

/**
 * The flags of RFLAGS (Intel SDM 1 §3.4.3, SDM 3A §2.3), by their SDM
 * names. Every flag lies in bits 31..0; bit 1 is reserved and always 1.
 *
 * @example Reading IOPL
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const rflags = 0x3202; // IF set, IOPL 3
 * strictEqual((rflags & RflagsFlags.IOPL) >>> 12, 3);
 * ```
 */
export const RflagsFlags = {
  /** Carry Flag (bit 0). */
  CF: 1 << 0,
  /** Reserved, always 1 (bit 1). */
  RESERVED_1: 1 << 1,
  /** Parity Flag (bit 2). */
  PF: 1 << 2,
  /** Auxiliary Carry Flag (bit 4). */
  AF: 1 << 4,
  /** Zero Flag (bit 6). */
  ZF: 1 << 6,
  /** Sign Flag (bit 7). */
  SF: 1 << 7,
  /** Trap Flag (bit 8): single-step. */
  TF: 1 << 8,
  /** Interrupt Enable Flag (bit 9). */
  IF: 1 << 9,
  /** Direction Flag (bit 10). */
  DF: 1 << 10,
  /** Overflow Flag (bit 11). */
  OF: 1 << 11,
  /** I/O Privilege Level (bits 13..12): a two-bit field. */
  IOPL: 3 << 12,
  /** Nested Task (bit 14). */
  NT: 1 << 14,
  /** Resume Flag (bit 16). */
  RF: 1 << 16,
  /** Virtual-8086 Mode (bit 17). */
  VM: 1 << 17,
  /** Alignment Check / Access Control (bit 18): lets SMAP pass. */
  AC: 1 << 18,
  /** Virtual Interrupt Flag (bit 19). */
  VIF: 1 << 19,
  /** Virtual Interrupt Pending (bit 20). */
  VIP: 1 << 20,
  /** ID Flag (bit 21): `cpuid` is available. */
  ID: 1 << 21,
} as const;

/**
 * Reads RFLAGS (`pushfq; pop rax`). Bits 63..22 are reserved and 0, so the
 * value is a `number`; bit 1 is always set.
 *
 * @returns RFLAGS.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example RFLAGS at kernel entry
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => strictEqual(readRflags(), 0x2));
 * ```
 */
export function readRflags(): number {
  return currentCpu().readRflags();
}
