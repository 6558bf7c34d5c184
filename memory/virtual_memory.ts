// Reads and writes at virtual addresses by the current CPU, through its MMU:
// what a `mov` to or from memory does in a kernel.
import { signedAddress, type VirtualAddressLike } from "../arch/x86_64/tlb.ts";
import { currentCpu } from "../machine/current_cpu.ts";

export type { VirtualAddressLike };

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(
      `Invalid length ${length}: expected a non-negative integer`,
    );
  }
}

/**
 * Reads the byte at a virtual address, as the current CPU does: through
 * the TLB and the page tables of CR3, with its CPL's rights. A fault is
 * delivered as #PF (or #GP for a non-canonical address), and the read is
 * retried once the handler returns.
 *
 * @param address The virtual address: a signed number, a bigint or a
 *   `VirtualAddress`.
 * @returns The byte.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address is not an integer.
 *
 * @example Reading through the boot identity map
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * const machine = new Machine({ ramSize: 2 << 20 });
 * machine.memory.writeU8(0x10_0000, 0x5a);
 * machine.run(() => strictEqual(readU8(0x10_0000), 0x5a));
 * ```
 */
export function readU8(address: VirtualAddressLike): number {
  return currentCpu().readU8(signedAddress(address));
}

/**
 * Reads 16 bits, little-endian, at a virtual address; see {@linkcode readU8}.
 * An access that crosses a page boundary translates both pages.
 *
 * @param address The virtual address.
 * @returns The value.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address is not an integer.
 *
 * @example Little-endian
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeU16(0x10_0000, 0xbeef);
 *   strictEqual(readU8(0x10_0000), 0xef);
 *   strictEqual(readU16(0x10_0000), 0xbeef);
 * });
 * ```
 */
export function readU16(address: VirtualAddressLike): number {
  return currentCpu().readU16(signedAddress(address));
}

/**
 * Reads 32 bits, little-endian, at a virtual address; see {@linkcode readU8}.
 *
 * @param address The virtual address.
 * @returns The value.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address is not an integer.
 *
 * @example Across a page boundary
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeU32(0x10_0ffe, 0x1234_5678);
 *   strictEqual(readU32(0x10_0ffe), 0x1234_5678);
 * });
 * ```
 */
export function readU32(address: VirtualAddressLike): number {
  return currentCpu().readU32(signedAddress(address));
}

/**
 * Reads 64 bits, little-endian, at a virtual address, as a `bigint`; see
 * {@linkcode readU8}.
 *
 * @param address The virtual address.
 * @returns The value.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address is not an integer.
 *
 * @example A page-table entry of the boot tables
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   // PML4[0] at 0x1000 points at the PDPT at 0x2000: P, R/W, and A once walked.
 *   strictEqual(readU64(0x1000) & ~0x20n, 0x2003n);
 * });
 * ```
 */
export function readU64(address: VirtualAddressLike): bigint {
  return currentCpu().readU64(signedAddress(address));
}

/**
 * Writes a byte at a virtual address; see {@linkcode readU8}. A write to a
 * read-only page faults (for the kernel too, when CR0.WP is set).
 *
 * @param address The virtual address.
 * @param value The byte, 0 to 255.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address or the value is invalid.
 *
 * @example Writing and reading back
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeU8(0x10_0000, 7);
 *   strictEqual(readU8(0x10_0000), 7);
 * });
 * ```
 */
export function writeU8(address: VirtualAddressLike, value: number): void {
  currentCpu().writeU8(signedAddress(address), value);
}

/**
 * Writes 16 bits, little-endian, at a virtual address; see
 * {@linkcode writeU8}.
 *
 * @param address The virtual address.
 * @param value The value, 0 to 0xFFFF.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address or the value is invalid.
 *
 * @example Writing a port number
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeU16(0x10_0000, 0x3f8);
 *   strictEqual(readU16(0x10_0000), 0x3f8);
 * });
 * ```
 */
export function writeU16(address: VirtualAddressLike, value: number): void {
  currentCpu().writeU16(signedAddress(address), value);
}

/**
 * Writes 32 bits, little-endian, at a virtual address; see
 * {@linkcode writeU8}.
 *
 * @param address The virtual address.
 * @param value The value, 0 to 0xFFFF_FFFF.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address or the value is invalid.
 *
 * @example Writing a magic number
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeU32(0x10_0000, 0xdead_beef);
 *   strictEqual(readU32(0x10_0000), 0xdead_beef);
 * });
 * ```
 */
export function writeU32(address: VirtualAddressLike, value: number): void {
  currentCpu().writeU32(signedAddress(address), value);
}

/**
 * Writes 64 bits, little-endian, at a virtual address; see
 * {@linkcode writeU8}.
 *
 * @param address The virtual address.
 * @param value The value: a `bigint` from 0 to 2^64 − 1, or a safe
 *   non-negative integer.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address or the value is invalid.
 *
 * @example Writing a 64-bit value
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeU64(0x10_0000, 0xffff_8000_0000_0000n);
 *   strictEqual(readU64(0x10_0000), 0xffff_8000_0000_0000n);
 * });
 * ```
 */
export function writeU64(
  address: VirtualAddressLike,
  value: bigint | number,
): void {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(
      `Invalid 64-bit value ${value}: expected a bigint or a safe integer`,
    );
  }
  currentCpu().writeU64(signedAddress(address), BigInt(value));
}

/**
 * Copies `length` bytes out of virtual memory, page by page.
 *
 * @param address The virtual address of the first byte.
 * @param length The number of bytes.
 * @returns The bytes.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address or the length is invalid.
 *
 * @example Reading a string back
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeBytes(0x10_0ffc, new TextEncoder().encode("kernel"));
 *   strictEqual(new TextDecoder().decode(readBytes(0x10_0ffc, 6)), "kernel");
 * });
 * ```
 */
export function readBytes(
  address: VirtualAddressLike,
  length: number,
): Uint8Array {
  checkLength(length);
  return currentCpu().readBytes(signedAddress(address), length);
}

/**
 * Copies bytes into virtual memory, page by page.
 *
 * @param address The virtual address of the first byte.
 * @param bytes The bytes.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address is invalid.
 *
 * @example Writing bytes
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeBytes(0x10_0000, Uint8Array.of(1, 2, 3));
 *   strictEqual(readU8(0x10_0002), 3);
 * });
 * ```
 */
export function writeBytes(
  address: VirtualAddressLike,
  bytes: Uint8Array,
): void {
  currentCpu().writeBytes(signedAddress(address), bytes);
}

/**
 * Copies `length` bytes from one virtual address to another (`memmove`:
 * the ranges may overlap).
 *
 * @param destination The virtual address written.
 * @param source The virtual address read.
 * @param length The number of bytes.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If an address or the length is invalid.
 *
 * @example Moving bytes up by one
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   writeBytes(0x10_0000, Uint8Array.of(1, 2, 3));
 *   copyBytes(0x10_0001, 0x10_0000, 3);
 *   deepStrictEqual([...readBytes(0x10_0000, 4)], [1, 1, 2, 3]);
 * });
 * ```
 */
export function copyBytes(
  destination: VirtualAddressLike,
  source: VirtualAddressLike,
  length: number,
): void {
  checkLength(length);
  const cpu = currentCpu();
  cpu.writeBytes(
    signedAddress(destination),
    cpu.readBytes(signedAddress(source), length),
  );
}

/**
 * Sets `length` bytes at a virtual address to `byte` (`memset`).
 *
 * @param address The virtual address of the first byte.
 * @param length The number of bytes.
 * @param byte The value, 0 by default.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the address, the length or the byte is invalid.
 *
 * @example Clearing a buffer
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 *
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   fillBytes(0x10_0000, 16, 0xaa);
 *   strictEqual(readU8(0x10_000f), 0xaa);
 * });
 * ```
 */
export function fillBytes(
  address: VirtualAddressLike,
  length: number,
  byte = 0,
): void {
  checkLength(length);
  if ((byte & 0xff) !== byte) {
    throw new RangeError(
      `Invalid byte ${byte}: expected an integer from 0 to 255`,
    );
  }
  currentCpu().writeBytes(
    signedAddress(address),
    new Uint8Array(length).fill(byte),
  );
}
