import { byteSize, hex } from "../machine/_hex.ts";

/**
 * Thrown when an address that must start a page, a frame or a page-table
 * entry is not aligned to it: `Page.fromStartAddress` and
 * `PhysFrame.fromStartAddress` (the crate's `AddressNotAligned`), a
 * page-table entry's address (bits 11..0 hold flags, so it must be
 * 4 KiB aligned), and the 8-byte slot of an entry.
 *
 * @example An unaligned page start
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { Page } from "./page.ts";
 *
 * throws(() => Page.fromStartAddress(0x1001), {
 *   name: "AddressNotAlignedError",
 *   message: "0x0000_0000_0000_1001 is not aligned to 4 KiB: expected a multiple of 0x1000",
 * });
 * strictEqual(new AddressNotAlignedError(0x1001n, 4096).alignment, 4096);
 * ```
 */
export class AddressNotAlignedError extends RangeError {
  /** The address, as an unsigned 64-bit value. */
  readonly address: bigint;
  /** The alignment it needed, in bytes. */
  readonly alignment: number;

  /**
   * Builds the error.
   *
   * @param address The address, as an unsigned 64-bit value (a virtual
   *   address in its unsigned form).
   * @param alignment The alignment it needed, in bytes.
   *
   * @example The message names the size
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(
   *   new AddressNotAlignedError(0x20_1000n, 2 ** 21).message,
   *   "0x0000_0000_0020_1000 is not aligned to 2 MiB: expected a multiple of 0x20_0000",
   * );
   * ```
   */
  constructor(address: bigint, alignment: number) {
    super(
      `${hex(address)} is not aligned to ${
        alignment >= 1024 ? byteSize(alignment) : `${alignment} bytes`
      }: expected a multiple of ${hex(alignment, 1)}`,
    );
    this.name = "AddressNotAlignedError";
    this.address = address;
    this.alignment = alignment;
  }
}
