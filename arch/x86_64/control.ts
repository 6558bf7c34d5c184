import { currentCpu } from "../../machine/current_cpu.ts";
import { splitFlags, splitU64 } from "./_value.ts";

/**
 * Reads CR0 (`mov rax, cr0`). Bits 63..32 are reserved and always 0, so
 * the value is a `number`; test flags with `(readCr0() & Cr0Flags.WP) !== 0`.
 *
 * @returns CR0, 0 to 0xFFFF_FFFF.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Paging is on in 64-bit mode
 * ```ts
 * import { notStrictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { Cr0Flags } from "./cr0_flags.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   notStrictEqual(readCr0() & Cr0Flags.PG, 0);
 * });
 * ```
 */
export function readCr0(): number {
  return Number(currentCpu().readCr(0));
}

/**
 * Writes CR0 (`mov cr0, rax`). A `number` is a 32-bit pattern, so the
 * (possibly negative) result of `readCr0() | Cr0Flags.WP` can be passed as
 * it is; a `bigint` sets all 64 bits. Setting bits 63..32, PG without PE,
 * NW without CD, or clearing PG in 64-bit mode raises #GP(0) (SDM 2B "MOV
 * to CR"); reserved bits 31..0 are ignored.
 *
 * @param value The new CR0.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the value does not fit 64 bits.
 *
 * @example Turning write protection off and on
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { Cr0Flags } from "./cr0_flags.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr0(readCr0() & ~Cr0Flags.WP);
 *   strictEqual(readCr0() & Cr0Flags.WP, 0);
 *   writeCr0(readCr0() | Cr0Flags.WP);
 *   strictEqual(readCr0() & Cr0Flags.WP, Cr0Flags.WP);
 * });
 * ```
 */
export function writeCr0(value: number | bigint): void {
  const { low, high } = splitFlags(value, "CR0 value");
  currentCpu().writeCr(0, low, high);
}

/**
 * Reads CR2, the linear address of the last page fault.
 *
 * @returns CR2 as an unsigned 64-bit value.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example CR2 is 0 until a page fault
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => strictEqual(readCr2(), 0n));
 * ```
 */
export function readCr2(): bigint {
  return currentCpu().readCr(2);
}

/**
 * Writes CR2. Any 64-bit value is accepted; a negative `number` is
 * sign-extended, so a canonical higher-half address kept as a signed number
 * works.
 *
 * @param value The new CR2.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the value does not fit 64 bits.
 *
 * @example Writing a higher-half address
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr2(0xffff_8000_0000_1000n);
 *   strictEqual(readCr2(), 0xffff_8000_0000_1000n);
 * });
 * ```
 */
export function writeCr2(value: number | bigint): void {
  const { low, high } = splitU64(value, "CR2 value");
  currentCpu().writeCr(2, low, high);
}

/**
 * Reads CR3: the physical address of the PML4 table in bits 51..12, with
 * PWT (bit 3) and PCD (bit 4), or the PCID in bits 11..0 when CR4.PCIDE
 * is set. The value always fits a `number`.
 *
 * @returns CR3.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Reading back CR3
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr3(0x1000);
 *   strictEqual(readCr3(), 0x1000);
 * });
 * ```
 */
export function readCr3(): number {
  return Number(currentCpu().readCr(3));
}

/**
 * Writes CR3. Bits 62..MAXPHYADDR are reserved and raise #GP(0); bit 63 is
 * the "do not flush" hint when CR4.PCIDE = 1 (pass a `bigint` to set it)
 * and reserved otherwise.
 *
 * @param value The new CR3.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the value does not fit 64 bits.
 *
 * @example Loading a PML4 address
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr3(0x8000);
 *   strictEqual(readCr3(), 0x8000);
 * });
 * ```
 */
export function writeCr3(value: number | bigint): void {
  const { low, high } = splitU64(value, "CR3 value");
  currentCpu().writeCr(3, low, high);
}

/**
 * Reads CR4. Bits 63..32 are reserved, so the value is a `number`.
 *
 * @returns CR4.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example PAE is on in 64-bit mode
 * ```ts
 * import { notStrictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { Cr4Flags } from "./cr4_flags.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   notStrictEqual(readCr4() & Cr4Flags.PAE, 0);
 * });
 * ```
 */
export function readCr4(): number {
  return Number(currentCpu().readCr(4));
}

/**
 * Writes CR4. A reserved or unimplemented bit, clearing PAE in 64-bit
 * mode, or setting PCIDE while CR3 bits 11..0 are not 0 raises #GP(0). A
 * `number` is a 32-bit pattern; a `bigint` sets all 64 bits.
 *
 * @param value The new CR4.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the value does not fit 64 bits.
 *
 * @example Enabling SMEP
 * ```ts
 * import { notStrictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { Cr4Flags } from "./cr4_flags.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr4(readCr4() | Cr4Flags.SMEP);
 *   notStrictEqual(readCr4() & Cr4Flags.SMEP, 0);
 * });
 * ```
 */
export function writeCr4(value: number | bigint): void {
  const { low, high } = splitFlags(value, "CR4 value");
  currentCpu().writeCr(4, low, high);
}

/**
 * Reads CR8, the task-priority register (bits 3..0).
 *
 * @returns CR8, 0 to 15.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example CR8 starts at 0
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => strictEqual(readCr8(), 0));
 * ```
 */
export function readCr8(): number {
  return Number(currentCpu().readCr(8));
}

/**
 * Writes CR8, the task-priority register; bits 63..4 are reserved and
 * raise #GP(0).
 *
 * @param value The new priority class, 0 to 15.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the value does not fit 64 bits.
 *
 * @example Raising the task priority
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   writeCr8(15);
 *   strictEqual(readCr8(), 15);
 * });
 * ```
 */
export function writeCr8(value: number | bigint): void {
  const { low, high } = splitFlags(value, "CR8 value");
  currentCpu().writeCr(8, low, high);
}
