import { currentCpu } from "../../machine/current_cpu.ts";
import type { CpuidResult } from "../../machine/cpu/cpuid.ts";
import { RflagsFlags } from "./rflags.ts";

export type { CpuidResult };

/**
 * Halts the CPU until the next interrupt (`hlt`). When nothing could ever
 * wake it — interrupts are disabled, or no device can raise one — the
 * machine stops and `Machine.run` returns a report whose reason is
 * `"halted"`: this is how the seed's `loop { hlt() }` ends.
 *
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example The end of a kernel
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * const report = new Machine({ ramSize: 1 << 20 }).run(() => {
 *   for (;;) hlt();
 * });
 * strictEqual(report.reason, "halted");
 * ```
 */
export function hlt(): void {
  currentCpu().hlt();
}

/**
 * Disables maskable interrupts (`cli`): clears RFLAGS.IF.
 *
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Interrupts off
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   sti();
 *   cli();
 *   strictEqual(interruptsEnabled(), false);
 * });
 * ```
 */
export function cli(): void {
  currentCpu().cli();
}

/**
 * Enables maskable interrupts (`sti`): sets RFLAGS.IF.
 *
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Interrupts on
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   sti();
 *   strictEqual(interruptsEnabled(), true);
 * });
 * ```
 */
export function sti(): void {
  currentCpu().sti();
}

/**
 * Whether maskable interrupts are enabled (RFLAGS.IF).
 *
 * @returns `true` when RFLAGS.IF is set.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example A 64-bit kernel starts with interrupts disabled
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   strictEqual(interruptsEnabled(), false);
 * });
 * ```
 */
export function interruptsEnabled(): boolean {
  return (currentCpu().readRflags() & RflagsFlags.IF) !== 0;
}

/**
 * The spin-loop hint (`pause`), for the body of a busy-wait loop.
 *
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Spinning costs time
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   const before = readTsc();
 *   pause();
 *   ok(readTsc() > before);
 * });
 * ```
 */
export function pause(): void {
  currentCpu().pause();
}

/**
 * Reads the time-stamp counter (`rdtsc`). On the default virtual clock it
 * counts the machine's own work, so the same program reads the same values
 * on every run.
 *
 * @returns The TSC.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example The TSC only goes forward
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   const first = readTsc();
 *   ok(readTsc() > first);
 * });
 * ```
 */
export function readTsc(): bigint {
  return currentCpu().rdtsc();
}

/**
 * Asks the CPU what it is and what it supports (`cpuid`).
 *
 * @param leaf The leaf (EAX).
 * @param subleaf The subleaf (ECX), 0 by default.
 * @returns EAX, EBX, ECX and EDX.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example MAXPHYADDR from leaf 0x8000_0008
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20, maxPhysAddr: 39 }).run(() => {
 *   strictEqual(cpuid(0x8000_0008).eax & 0xff, 39);
 * });
 * ```
 */
export function cpuid(leaf: number, subleaf = 0): CpuidResult {
  return currentCpu().cpuid(leaf, subleaf);
}
