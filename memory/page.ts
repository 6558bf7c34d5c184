import { bigOffset, checkPageSize, rustHex } from "./_checks.ts";
import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
import { type PageSize, Size4KiB } from "./page_size.ts";
import { VirtualAddress } from "./virtual_address.ts";

const TWO_47 = 2 ** 47;
const TWO_48 = 2 ** 48;

// The position of a canonical address in the 2^48 canonical addresses,
// in unsigned order: the higher half follows the lower half with no gap.
function key(value: number): number {
  return value < 0 ? value + TWO_48 : value;
}

function fromKey(k: number): number {
  return k >= TWO_47 ? k - TWO_48 : k;
}

function toAddress(address: VirtualAddress | number | bigint): VirtualAddress {
  return address instanceof VirtualAddress
    ? address
    : new VirtualAddress(address);
}

/**
 * A virtual page: a naturally aligned 4 KiB, 2 MiB or 1 GiB block of
 * virtual addresses (the Rust `x86_64` crate's `Page<S>`, with the size a
 * value instead of a type parameter).
 *
 * @example The seed's example: the page that holds an address
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { VirtualAddress } from "./virtual_address.ts";
 * import { Size2MiB, Size4KiB } from "./page_size.ts";
 *
 * const page = Page.containingAddress(new VirtualAddress(0x123456), Size4KiB);
 * strictEqual(page.startAddress().value, 0x123000);
 * strictEqual(`${page}`, "Page[4KiB](0x123000)");
 * strictEqual(Page.containingAddress(0x123456, Size2MiB).startAddress().value, 0);
 * ```
 */
export class Page {
  #start: VirtualAddress;
  #size: PageSize;

  private constructor(start: VirtualAddress, size: PageSize) {
    this.#start = start;
    this.#size = size;
  }

  /**
   * The page of `size` that holds `address` (the crate's
   * `Page::containing_address`).
   *
   * @param address A virtual address, or a value for `new VirtualAddress`.
   * @param size The page size, {@linkcode Size4KiB} by default.
   * @returns The page.
   * @throws {NonCanonicalAddressError} If a value is not canonical.
   * @throws {TypeError} If the size is not one of the three page sizes.
   *
   * @example In the higher half
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const page = Page.containingAddress(0xffff_ffff_8000_1234n);
   * strictEqual(page.startAddress().toBigInt(), 0xffff_ffff_8000_1000n);
   * ```
   */
  static containingAddress(
    address: VirtualAddress | number | bigint,
    size: PageSize = Size4KiB,
  ): Page {
    const s = checkPageSize(size);
    const v = toAddress(address).value;
    return new Page(new VirtualAddress(Math.floor(v / s.bytes) * s.bytes), s);
  }

  /**
   * The page of `size` that starts at `address` (the crate's
   * `Page::from_start_address`).
   *
   * @param address A virtual address, or a value for `new VirtualAddress`.
   * @param size The page size, {@linkcode Size4KiB} by default.
   * @returns The page.
   * @throws {AddressNotAlignedError} If the address is not a multiple of
   *   the size.
   * @throws {NonCanonicalAddressError} If a value is not canonical.
   * @throws {TypeError} If the size is not one of the three page sizes.
   *
   * @example A 2 MiB page must start at a multiple of 2 MiB
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   * import { Size2MiB } from "./page_size.ts";
   * import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
   *
   * strictEqual(Page.fromStartAddress(0x40_0000, Size2MiB).size, Size2MiB);
   * throws(() => Page.fromStartAddress(0x40_1000, Size2MiB), AddressNotAlignedError);
   * ```
   */
  static fromStartAddress(
    address: VirtualAddress | number | bigint,
    size: PageSize = Size4KiB,
  ): Page {
    const s = checkPageSize(size);
    const start = toAddress(address);
    const v = start.value;
    if (Math.floor(v / s.bytes) * s.bytes !== v) {
      throw new AddressNotAlignedError(start.toBigInt(), s.bytes);
    }
    return new Page(start, s);
  }

  /**
   * The pages from `start` up to, not including, `end` (the crate's
   * `Page::range`).
   *
   * @param start The first page.
   * @param end The page after the last one.
   * @returns The range.
   * @throws {TypeError} If the pages differ in size.
   *
   * @example Three pages
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * const range = Page.range(Page.fromStartAddress(0x1000), Page.fromStartAddress(0x4000));
   * deepStrictEqual([...range].map((p) => p.startAddress().value), [0x1000, 0x2000, 0x3000]);
   * ```
   */
  static range(start: Page, end: Page): PageRange {
    return new PageRange(start, end);
  }

  /**
   * The pages from `start` to `end`, both included (the crate's
   * `Page::range_inclusive`): the form that can end at the last page.
   *
   * @param start The first page.
   * @param end The last page.
   * @returns The range.
   * @throws {TypeError} If the pages differ in size.
   *
   * @example The last two pages of the address space
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const last = Page.containingAddress(-1);
   * strictEqual(Page.rangeInclusive(last.sub(1), last).length, 2);
   * ```
   */
  static rangeInclusive(start: Page, end: Page): PageRangeInclusive {
    return new PageRangeInclusive(start, end);
  }

  /**
   * The size of the page.
   *
   * @returns One of {@linkcode Size4KiB}, {@linkcode Size2MiB},
   *   {@linkcode Size1GiB}.
   *
   * @example The default size is 4 KiB
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Size4KiB } from "./page_size.ts";
   *
   * strictEqual(Page.containingAddress(0).size, Size4KiB);
   * ```
   */
  get size(): PageSize {
    return this.#size;
  }

  /**
   * The first address of the page.
   *
   * @returns The start address.
   *
   * @example The start of a page
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0x1fff).startAddress().value, 0x1000);
   * ```
   */
  startAddress(): VirtualAddress {
    return this.#start;
  }

  /**
   * The index of the page's entry in the PML4 table (bits 47..39).
   *
   * @returns 0 to 511.
   *
   * @example The higher half starts at PML4 entry 256
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0xffff_8000_0000_0000n).p4Index(), 256);
   * ```
   */
  p4Index(): number {
    return this.#start.p4Index();
  }

  /**
   * The index of the page's entry in its page-directory-pointer table
   * (bits 38..30). A 1 GiB page is mapped by that entry.
   *
   * @returns 0 to 511.
   *
   * @example 2 GiB is PDPT entry 2
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0x8000_0000).p3Index(), 2);
   * ```
   */
  p3Index(): number {
    return this.#start.p3Index();
  }

  /**
   * The index of the page's entry in its page directory (bits 29..21). A
   * 2 MiB page is mapped by that entry.
   *
   * @returns 0 to 511.
   * @throws {RangeError} For a 1 GiB page, which a level-3 entry maps.
   *
   * @example 6 MiB is PD entry 3
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0x60_0000).p2Index(), 3);
   * ```
   */
  p2Index(): number {
    if (this.#size.level > 2) throw this.#noIndex(2);
    return this.#start.p2Index();
  }

  /**
   * The index of the page's entry in its page table (bits 20..12).
   *
   * @returns 0 to 511.
   * @throws {RangeError} For a 2 MiB or 1 GiB page, which a level-2 or
   *   level-3 entry maps: it has no level-1 entry.
   *
   * @example The last PT entry
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0x1f_f000).p1Index(), 511);
   * ```
   */
  p1Index(): number {
    if (this.#size.level > 1) throw this.#noIndex(1);
    return this.#start.p1Index();
  }

  #noIndex(level: number): RangeError {
    return new RangeError(
      `A ${this.#size.name} page has no level-${level} index: a level-${this.#size.level} entry maps it (PS set)`,
    );
  }

  /**
   * The page `n` pages above this one (the crate's `Page + u64`). Like
   * {@linkcode VirtualAddress.add}, it never crosses the non-canonical
   * hole.
   *
   * @param n The number of pages, an integer; negative goes down.
   * @returns The page.
   * @throws {NonCanonicalAddressError} If the page would start outside the
   *   canonical space.
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example Two pages up
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0x1000).add(2).startAddress().value, 0x3000);
   * ```
   */
  add(n: number | bigint): Page {
    const bytes = typeof n === "number" && Number.isInteger(n)
      ? n * this.#size.bytes
      : Number.NaN;
    return new Page(
      this.#start.add(
        Number.isSafeInteger(bytes)
          ? bytes
          : bigOffset(n) * BigInt(this.#size.bytes),
      ),
      this.#size,
    );
  }

  /**
   * The page `n` pages below this one (the crate's `Page - u64`).
   *
   * @param n The number of pages, an integer; negative goes up.
   * @returns The page.
   * @throws {NonCanonicalAddressError} If the page would start outside the
   *   canonical space (below 0 included).
   * @throws {RangeError} If a `number` is not an integer.
   *
   * @example One page down
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0x3000).sub(1).startAddress().value, 0x2000);
   * ```
   */
  sub(n: number | bigint): Page {
    return this.add(
      typeof n === "bigint" ? -n : typeof n === "number" ? -n : bigOffset(n),
    );
  }

  /**
   * Whether two pages are the same: same start and same size.
   *
   * @param other The other page.
   * @returns Whether they are equal.
   *
   * @example A 4 KiB page is not the 2 MiB page at the same address
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Size2MiB } from "./page_size.ts";
   *
   * strictEqual(Page.containingAddress(0).equals(Page.containingAddress(0, Size2MiB)), false);
   * strictEqual(Page.containingAddress(0x10).equals(Page.containingAddress(0xff0)), true);
   * ```
   */
  equals(other: Page): boolean {
    return this.#size === other.#size && this.#start.equals(other.#start);
  }

  /**
   * Compares the start addresses as unsigned values (see
   * {@linkcode VirtualAddress.compare}).
   *
   * @param other The other page.
   * @returns −1, 0 or 1.
   *
   * @example The top page sorts last
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(Page.containingAddress(0).compare(Page.containingAddress(-1)), -1);
   * ```
   */
  compare(other: Page): -1 | 0 | 1 {
    return this.#start.compare(other.#start);
  }

  /**
   * The page as the crate's `Debug` prints it: `Page[4KiB](0x1000)`.
   *
   * @returns The text.
   *
   * @example The crate's Debug form
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(`${Page.containingAddress(-1)}`, "Page[4KiB](0xfffffffffffff000)");
   * ```
   */
  toString(): string {
    return `Page[${this.#size.name}](${rustHex(this.#start.toBigInt())})`;
  }
}

function checkSameSize(start: Page, end: Page): void {
  if (start.size !== end.size) {
    throw new TypeError(
      `Invalid page range from a ${start.size.name} page to a ${end.size.name} page: expected pages of one size`,
    );
  }
}

function* pagesFrom(
  first: number,
  count: number,
  size: PageSize,
): Generator<Page, void, undefined> {
  for (let i = 0; i < count; i++) {
    yield Page.fromStartAddress(fromKey(first + i * size.bytes), size);
  }
}

/**
 * The pages from `start` up to, not including, `end` (the crate's
 * `PageRange`), in ascending order; empty when `end` is not above
 * `start`. Like the crate's `Step` for pages, a range that spans the
 * non-canonical hole goes from the last lower-half page straight to the
 * first higher-half page, and its length counts only canonical pages.
 *
 * @example Iterating and counting
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * import { Page } from "./page.ts";
 *
 * const range = Page.range(Page.containingAddress(0x1000), Page.containingAddress(0x3000));
 * strictEqual(range.length, 2);
 * deepStrictEqual([...range].map(String), ["Page[4KiB](0x1000)", "Page[4KiB](0x2000)"]);
 * ```
 */
export class PageRange implements Iterable<Page> {
  #start: Page;
  #end: Page;

  /**
   * Builds the range; {@linkcode Page.range} is the usual way.
   *
   * @param start The first page.
   * @param end The page after the last.
   * @throws {TypeError} If the pages differ in size.
   */
  constructor(start: Page, end: Page) {
    checkSameSize(start, end);
    this.#start = start;
    this.#end = end;
  }

  /**
   * The first page.
   *
   * @returns The page.
   */
  get start(): Page {
    return this.#start;
  }

  /**
   * The page after the last.
   *
   * @returns The page.
   */
  get end(): Page {
    return this.#end;
  }

  /**
   * The number of pages.
   *
   * @returns The count, 0 when empty.
   */
  get length(): number {
    const n = (key(this.#end.startAddress().value) -
      key(this.#start.startAddress().value)) / this.#start.size.bytes;
    return n > 0 ? n : 0;
  }

  /**
   * Whether the range holds no page.
   *
   * @returns Whether `end` is not above `start`.
   */
  isEmpty(): boolean {
    return this.length === 0;
  }

  /**
   * The pages in ascending order.
   *
   * @returns An iterator.
   */
  [Symbol.iterator](): Iterator<Page> {
    return pagesFrom(
      key(this.#start.startAddress().value),
      this.length,
      this.#start.size,
    );
  }

  /**
   * The range as the crate's `Debug` prints it.
   *
   * @returns `PageRange { start: Page[4KiB](0x1000), end: Page[4KiB](0x3000) }`.
   */
  toString(): string {
    return `PageRange { start: ${this.#start}, end: ${this.#end} }`;
  }
}

/**
 * The pages from `start` to `end`, both included (the crate's
 * `PageRangeInclusive`); empty when `end` is below `start`. It spans the
 * non-canonical hole as {@linkcode PageRange} does.
 *
 * @example Up to the last page of the lower half
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Page } from "./page.ts";
 * import { Size1GiB } from "./page_size.ts";
 *
 * const last = Page.containingAddress(0x7fff_ffff_ffff, Size1GiB);
 * const range = Page.rangeInclusive(last.sub(3), last);
 * strictEqual(range.length, 4);
 * strictEqual([...range].at(-1)?.startAddress().value, 0x7fff_c000_0000);
 * ```
 */
export class PageRangeInclusive implements Iterable<Page> {
  #start: Page;
  #end: Page;

  /**
   * Builds the range; {@linkcode Page.rangeInclusive} is the usual way.
   *
   * @param start The first page.
   * @param end The last page.
   * @throws {TypeError} If the pages differ in size.
   */
  constructor(start: Page, end: Page) {
    checkSameSize(start, end);
    this.#start = start;
    this.#end = end;
  }

  /**
   * The first page.
   *
   * @returns The page.
   */
  get start(): Page {
    return this.#start;
  }

  /**
   * The last page.
   *
   * @returns The page.
   */
  get end(): Page {
    return this.#end;
  }

  /**
   * The number of pages.
   *
   * @returns The count, 0 when empty.
   */
  get length(): number {
    const n = (key(this.#end.startAddress().value) -
      key(this.#start.startAddress().value)) / this.#start.size.bytes;
    return n >= 0 ? n + 1 : 0;
  }

  /**
   * Whether the range holds no page.
   *
   * @returns Whether `end` is below `start`.
   */
  isEmpty(): boolean {
    return this.length === 0;
  }

  /**
   * The pages in ascending order.
   *
   * @returns An iterator.
   */
  [Symbol.iterator](): Iterator<Page> {
    return pagesFrom(
      key(this.#start.startAddress().value),
      this.length,
      this.#start.size,
    );
  }

  /**
   * The range as the crate's `Debug` prints it.
   *
   * @returns `PageRangeInclusive { start: …, end: … }`.
   */
  toString(): string {
    return `PageRangeInclusive { start: ${this.#start}, end: ${this.#end} }`;
  }
}
