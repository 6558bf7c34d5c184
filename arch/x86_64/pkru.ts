import { currentCpu } from "../../machine/current_cpu.ts";

/**
 * Reads PKRU (`rdpkru`), the protection-key rights of user pages: for key
 * k, bit 2k is AD (no data access) and bit 2k + 1 WD (no writes). #UD
 * unless CR4.PKE is set (SDM 3A §4.6.2).
 *
 * @returns PKRU.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example PKRU starts at 0: every key allows everything
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { readCr4, writeCr4 } from "./control.ts";
 * import { Cr4Flags } from "./cr4_flags.ts";
 *
 * const report = new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr4(readCr4() | Cr4Flags.PKE);
 *   strictEqual(readPkru(), 0);
 * });
 * strictEqual(report.reason, "returned");
 * ```
 */
export function readPkru(): number {
  return currentCpu().rdpkru();
}

/**
 * Writes PKRU (`wrpkru`); see {@linkcode readPkru}. #UD unless CR4.PKE is
 * set.
 *
 * @param value The new PKRU: a 32-bit pattern.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the value is not a 32-bit integer.
 *
 * @example Denying writes through key 1
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { readCr4, writeCr4 } from "./control.ts";
 * import { Cr4Flags } from "./cr4_flags.ts";
 *
 * const report = new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr4(readCr4() | Cr4Flags.PKE);
 *   writePkru(0b1000); // WD for key 1
 *   strictEqual(readPkru(), 0b1000);
 * });
 * strictEqual(report.reason, "returned");
 * ```
 */
export function writePkru(value: number): void {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) {
    throw new RangeError(`Invalid PKRU ${value}: expected a 32-bit integer`);
  }
  currentCpu().wrpkru(value >>> 0);
}
