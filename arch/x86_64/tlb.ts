import { currentCpu } from "../../machine/current_cpu.ts";

/**
 * Anything that names a virtual address: a signed `number` (the canonical
 * form that fits, −2^47 ≤ v < 2^47), a `bigint` (unsigned or signed 64-bit),
 * or an object with the signed value, such as a `VirtualAddress`.
 */
export type VirtualAddressLike = number | bigint | { readonly value: number };

/**
 * The signed `number` form of a virtual address. Non-canonical values stay
 * outside [−2^47, 2^47), so the CPU still sees them as non-canonical.
 *
 * @param address The address.
 * @returns The address as a signed number.
 * @throws {RangeError} If a `number` is not an integer, or a `bigint` does
 *   not fit 64 bits.
 *
 * @example The higher half as a signed number
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(signedAddress(0xffff_8000_0000_1000n), -(2 ** 47) + 0x1000);
 * strictEqual(signedAddress(0x1000), 0x1000);
 * ```
 */
export function signedAddress(address: VirtualAddressLike): number {
  if (typeof address === "number") {
    if (!Number.isInteger(address)) {
      throw new RangeError(
        `Invalid virtual address ${address}: expected an integer`,
      );
    }
    return address;
  }
  if (typeof address === "bigint") {
    if (address < -(2n ** 63n) || address >= 2n ** 64n) {
      throw new RangeError(
        `Invalid virtual address ${address}: expected a 64-bit value`,
      );
    }
    return Number(BigInt.asIntN(64, address));
  }
  return address.value;
}

/**
 * Drops the TLB's translation of the page that holds `address`, whatever
 * the page's size (`invlpg`, SDM 2A "INVLPG"). Call it after changing or
 * removing a mapping: until then the CPU may go on using the old one.
 *
 * @param address Any address in the page.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address is not an integer.
 *
 * @example Forgetting invlpg leaves the old mapping in use
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { currentCpu, Machine } from "../../machine/mod.ts";
 *
 * const machine = new Machine({ ramSize: 8 << 20 });
 * const report = machine.run(() => {
 *   const cpu = currentCpu();
 *   strictEqual(cpu.translate(0x20_0000, 0), 0x20_0000); // boot identity map, now cached
 *   const pde = 0x4000 + 8; // the boot page directory's entry for 2..4 MiB
 *   machine.memory.writeU64(pde, 0x60_0000n | 0x83n); // point it at 6 MiB
 *   strictEqual(cpu.translate(0x20_0000, 0), 0x20_0000); // stale
 *   invlpg(0x20_0000);
 *   strictEqual(cpu.translate(0x20_0000, 0), 0x60_0000);
 * });
 * strictEqual(report.reason, "returned");
 * ```
 */
export function invlpg(address: VirtualAddressLike): void {
  currentCpu().invlpg(signedAddress(address));
}

/**
 * Flushes every non-global TLB entry by reloading CR3, as the `x86_64`
 * crate's `tlb::flush_all` does. Global pages (G set, CR4.PGE = 1) stay.
 *
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Reloading CR3
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { readCr3 } from "./control.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   flushAll();
 *   strictEqual(readCr3(), 0x1000);
 * });
 * ```
 */
export function flushAll(): void {
  const cpu = currentCpu();
  const cr3 = cpu.readCr(3);
  cpu.writeCr(3, Number(cr3 & 0xffff_ffffn), Number(cr3 >> 32n));
}
