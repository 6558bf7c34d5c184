/**
 * A page size of 4-level paging: the bytes a leaf entry maps and the level
 * of the page-table entry that maps it (Intel SDM 3A §4.5, tables 4-15 to
 * 4-20). Use one of {@linkcode Size4KiB}, {@linkcode Size2MiB} and
 * {@linkcode Size1GiB}; pages and frames compare sizes by these objects.
 *
 * @example The level of each size's leaf entry
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const sizes: PageSize[] = [Size4KiB, Size2MiB, Size1GiB];
 * deepStrictEqual(sizes.map((s) => [s.name, s.level]), [["4KiB", 1], ["2MiB", 2], ["1GiB", 3]]);
 * ```
 */
export interface PageSize {
  /** The size in bytes: 4096, 2^21 or 2^30. */
  readonly bytes: number;
  /** The name, as the Rust `x86_64` crate prints it in `Page[4KiB](…)`. */
  readonly name: "4KiB" | "2MiB" | "1GiB";
  /**
   * The page-table level of the leaf entry that maps a page of this size:
   * 1 for a PTE, 2 for a PDE with PS (bit 7) set, 3 for a PDPTE with PS
   * set.
   */
  readonly level: 1 | 2 | 3;
}

/**
 * A 4 KiB page, mapped by a page-table entry (PTE, level 1; Intel SDM 3A
 * §4.5, table 4-20). The crate's `Size4KiB`.
 *
 * @example Its size and level
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(Size4KiB.bytes, 0x1000);
 * strictEqual(Size4KiB.level, 1);
 * ```
 */
export const Size4KiB: PageSize = Object.freeze({
  bytes: 4096,
  name: "4KiB",
  level: 1,
});

/**
 * A 2 MiB page, mapped by a page-directory entry with PS (bit 7) set
 * (level 2; Intel SDM 3A §4.5, table 4-18). The crate's `Size2MiB`.
 *
 * @example Its size and level
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(Size2MiB.bytes, 0x20_0000);
 * strictEqual(Size2MiB.level, 2);
 * ```
 */
export const Size2MiB: PageSize = Object.freeze({
  bytes: 2 ** 21,
  name: "2MiB",
  level: 2,
});

/**
 * A 1 GiB page, mapped by a page-directory-pointer-table entry with PS
 * (bit 7) set (level 3; Intel SDM 3A §4.5, table 4-16). The crate's
 * `Size1GiB`.
 *
 * @example Its size and level
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(Size1GiB.bytes, 0x4000_0000);
 * strictEqual(Size1GiB.level, 3);
 * ```
 */
export const Size1GiB: PageSize = Object.freeze({
  bytes: 2 ** 30,
  name: "1GiB",
  level: 3,
});
