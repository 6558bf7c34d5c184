import { currentCpu } from "../../machine/current_cpu.ts";
import { Msr } from "../../machine/cpu/msr.ts";
import { splitFlags, splitU64 } from "./_value.ts";

export { Msr };

function checkMsr(msr: number): void {
  if ((msr >>> 0) !== msr) {
    throw new RangeError(
      `Invalid MSR number ${msr}: expected an integer from 0 to 0xFFFF_FFFF`,
    );
  }
}

/**
 * Reads a model-specific register (`rdmsr`). An MSR the CPU does not
 * implement raises #GP(0) (SDM 2B "RDMSR").
 *
 * @param msr The MSR number, such as `Msr.IA32_EFER`.
 * @returns Its 64-bit value.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the number does not fit 32 bits.
 *
 * @example Reading IA32_APIC_BASE on the bootstrap processor
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   // base 0xFEE0_0000, global enable (bit 11), BSP (bit 8)
 *   strictEqual(rdmsr(Msr.IA32_APIC_BASE), 0xfee0_0900n);
 * });
 * ```
 */
export function rdmsr(msr: number): bigint {
  checkMsr(msr);
  return currentCpu().rdmsr(msr);
}

/**
 * Writes a model-specific register (`wrmsr`). An MSR the CPU does not
 * implement, a reserved bit, or a non-canonical address in LSTAR, FS_BASE,
 * GS_BASE or KERNEL_GS_BASE raises #GP(0) (SDM 2B "WRMSR"). A negative
 * `number` is sign-extended.
 *
 * @param msr The MSR number, such as `Msr.IA32_LSTAR`.
 * @param value The 64-bit value.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the number or the value does not fit.
 *
 * @example Setting the `syscall` entry point
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   wrmsr(Msr.IA32_LSTAR, 0xffff_ffff_8000_1000n);
 *   strictEqual(rdmsr(Msr.IA32_LSTAR), 0xffff_ffff_8000_1000n);
 * });
 * ```
 */
export function wrmsr(msr: number, value: number | bigint): void {
  checkMsr(msr);
  const { low, high } = splitU64(value, "MSR value");
  currentCpu().wrmsr(msr, low, high);
}

/**
 * Reads IA32_EFER as flags: every defined bit lies in 31..0.
 *
 * @returns IA32_EFER.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Long mode is active
 * ```ts
 * import { notStrictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { EferFlags } from "./efer_flags.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   notStrictEqual(readEfer() & EferFlags.LMA, 0);
 * });
 * ```
 */
export function readEfer(): number {
  return Number(currentCpu().rdmsr(Msr.IA32_EFER));
}

/**
 * Writes IA32_EFER. A `number` is a 32-bit pattern; a `bigint` sets all 64
 * bits. Reserved bits, or changing LME while paging is on, raise #GP(0);
 * LMA is the CPU's and keeps its value.
 *
 * @param value The new IA32_EFER.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the value does not fit 64 bits.
 *
 * @example Enabling `syscall`
 * ```ts
 * import { notStrictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { EferFlags } from "./efer_flags.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeEfer(readEfer() | EferFlags.SCE);
 *   notStrictEqual(readEfer() & EferFlags.SCE, 0);
 * });
 * ```
 */
export function writeEfer(value: number | bigint): void {
  const { low, high } = splitFlags(value, "IA32_EFER value");
  currentCpu().wrmsr(Msr.IA32_EFER, low, high);
}
