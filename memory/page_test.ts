import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
import { Page, PageRange, PageRangeInclusive } from "./page.ts";
import { type PageSize, Size1GiB, Size2MiB, Size4KiB } from "./page_size.ts";
import { NonCanonicalAddressError, VirtualAddress } from "./virtual_address.ts";

// Facts: Intel SDM 3A §4.5 — a PTE maps 4 KiB, a PDE with PS = 1 maps
// 2 MiB, a PDPTE with PS = 1 maps 1 GiB, each naturally aligned. The Rust
// `x86_64` crate: `Page::containing_address` aligns down,
// `from_start_address` fails with `AddressNotAligned`, `Debug` prints
// `Page[4KiB](0x1000)`, `Page::range` is half-open and
// `range_inclusive` closed.

const TWO_64 = 1n << 64n;
const HIGHER_BASE = 0xffff_8000_0000_0000n;
const canonical = fc.oneof(
  fc.bigInt({ min: 0n, max: 0x7fff_ffff_ffffn }),
  fc.bigInt({ min: HIGHER_BASE, max: TWO_64 - 1n }),
);
const sizes: PageSize[] = [Size4KiB, Size2MiB, Size1GiB];

Deno.test("PageSize", async (t) => {
  await t.step("bytes and leaf levels of SDM 3A tables 4-15 to 4-20", () => {
    deepStrictEqual(
      sizes.map((s) => [s.name, s.bytes, s.level]),
      [["4KiB", 4096, 1], ["2MiB", 2 ** 21, 2], ["1GiB", 2 ** 30, 3]],
    );
  });

  await t.step("the constants are frozen", () => {
    for (const size of sizes) strictEqual(Object.isFrozen(size), true);
  });

  await t.step("an equal object is taken as the constant", () => {
    const copy: PageSize = { bytes: 4096, name: "4KiB", level: 1 };
    strictEqual(Page.containingAddress(0, copy).size, Size4KiB);
    throws(
      () => Page.containingAddress(0, { bytes: 8192, name: "4KiB", level: 1 }),
      {
        name: "TypeError",
        message:
          'Invalid page size {"bytes":8192,"name":"4KiB","level":1}: expected Size4KiB, Size2MiB or Size1GiB',
      },
    );
  });
});

Deno.test("Page", async (t) => {
  await t.step("containingAddress aligns down for every size", () => {
    fc.assert(fc.property(canonical, fc.constantFrom(...sizes), (u, size) => {
      const page = Page.containingAddress(u, size);
      const bytes = BigInt(size.bytes);
      strictEqual(page.startAddress().toBigInt(), u - u % bytes);
      strictEqual(page.size, size);
      strictEqual(
        Page.containingAddress(new VirtualAddress(u), size).equals(page),
        true,
      );
      strictEqual(
        Page.fromStartAddress(page.startAddress(), size).equals(page),
        true,
      );
    }));
  });

  await t.step("fromStartAddress needs natural alignment", () => {
    throws(() => Page.fromStartAddress(0x20_1000, Size2MiB), {
      name: "AddressNotAlignedError",
      message:
        "0x0000_0000_0020_1000 is not aligned to 2 MiB: expected a multiple of 0x20_0000",
    });
    throws(
      () => Page.fromStartAddress(0xffff_8000_2000_0000n, Size1GiB),
      (e) =>
        e instanceof AddressNotAlignedError &&
        e.address === 0xffff_8000_2000_0000n && e.alignment === 2 ** 30,
    );
    throws(
      () => Page.fromStartAddress(0x0000_8000_0000_0000n),
      NonCanonicalAddressError,
    );
  });

  await t.step("indices come from the start address", () => {
    const page = Page.containingAddress(0xffff_ffff_8020_3fffn);
    deepStrictEqual(
      [page.p4Index(), page.p3Index(), page.p2Index(), page.p1Index()],
      [511, 510, 1, 3],
    );
  });

  await t.step("a huge page has no index below its leaf level", () => {
    const big = Page.containingAddress(0x4000_0000, Size1GiB);
    strictEqual(big.p3Index(), 1);
    throws(() => big.p2Index(), {
      name: "RangeError",
      message:
        "A 1GiB page has no level-2 index: a level-3 entry maps it (PS set)",
    });
    throws(() => big.p1Index(), RangeError);
    const mid = Page.containingAddress(0x40_0000, Size2MiB);
    strictEqual(mid.p2Index(), 2);
    throws(() => mid.p1Index(), RangeError);
  });

  await t.step("add and sub move by whole pages, never across the hole", () => {
    const page = Page.containingAddress(0x1000, Size2MiB);
    strictEqual(page.add(3).startAddress().value, 0x60_0000);
    strictEqual(page.add(3n).sub(3).equals(page), true);
    const last = Page.containingAddress(0x7fff_ffff_ffff);
    throws(() => last.add(1), NonCanonicalAddressError);
    throws(() => Page.containingAddress(0).sub(1), NonCanonicalAddressError);
    throws(() => page.add(0.5), RangeError);
    strictEqual(
      Page.containingAddress(0).add(2 ** 35 - 1).startAddress().value,
      0x7fff_ffff_f000,
    );
    throws(
      () => Page.containingAddress(0).add(2 ** 40),
      NonCanonicalAddressError,
    );
  });

  await t.step("equality needs the same size", () => {
    strictEqual(
      Page.containingAddress(0).equals(Page.containingAddress(0, Size2MiB)),
      false,
    );
  });

  await t.step("toString is the crate's Debug", () => {
    strictEqual(`${Page.containingAddress(0x1234)}`, "Page[4KiB](0x1000)");
    strictEqual(
      `${Page.containingAddress(0xffff_ffff_c000_0000n, Size1GiB)}`,
      "Page[1GiB](0xffffffffc0000000)",
    );
  });

  await t.step("compare is the unsigned order", () => {
    const low = Page.containingAddress(0x7fff_ffff_f000);
    const high = Page.containingAddress(HIGHER_BASE);
    strictEqual(low.compare(high), -1);
    strictEqual(high.compare(low), 1);
    strictEqual(low.compare(low), 0);
  });
});

Deno.test("PageRange", async (t) => {
  await t.step("half-open, ascending", () => {
    const start = Page.containingAddress(0x20_0000, Size2MiB);
    const range = Page.range(start, start.add(3));
    strictEqual(range instanceof PageRange, true);
    strictEqual(range.length, 3);
    strictEqual(range.isEmpty(), false);
    deepStrictEqual(
      [...range].map((p) => p.startAddress().value),
      [0x20_0000, 0x40_0000, 0x60_0000],
    );
    strictEqual(range.start.equals(start), true);
    strictEqual(range.end.equals(start.add(3)), true);
  });

  await t.step("empty when end is not above start", () => {
    const page = Page.containingAddress(0x5000);
    strictEqual(Page.range(page, page).isEmpty(), true);
    strictEqual(Page.range(page.add(1), page).length, 0);
    deepStrictEqual([...Page.range(page.add(1), page)], []);
  });

  await t.step("length counts pages for random bounds", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 2 ** 35 - 1 }),
      fc.integer({ min: 0, max: 2 ** 35 - 1 }),
      (a, b) => {
        const start = Page.containingAddress(a * 4096);
        const end = Page.containingAddress(b * 4096);
        strictEqual(Page.range(start, end).length, Math.max(0, b - a));
        strictEqual(
          Page.rangeInclusive(start, end).length,
          Math.max(0, b - a + 1),
        );
      },
    ));
  });

  await t.step("a range over the hole goes straight to the higher half", () => {
    const last = Page.containingAddress(0x7fff_ffff_f000);
    const end = Page.containingAddress(HIGHER_BASE + 0x2000n);
    const range = Page.range(last, end);
    strictEqual(range.length, 3);
    deepStrictEqual([...range].map(String), [
      "Page[4KiB](0x7ffffffff000)",
      "Page[4KiB](0xffff800000000000)",
      "Page[4KiB](0xffff800000001000)",
    ]);
  });

  await t.step("sizes must match", () => {
    throws(
      () =>
        Page.range(
          Page.containingAddress(0),
          Page.containingAddress(0, Size2MiB),
        ),
      {
        name: "TypeError",
        message:
          "Invalid page range from a 4KiB page to a 2MiB page: expected pages of one size",
      },
    );
    throws(
      () =>
        Page.rangeInclusive(
          Page.containingAddress(0, Size1GiB),
          Page.containingAddress(0),
        ),
      TypeError,
    );
  });

  await t.step("an inclusive range can end at the last page", () => {
    const last = Page.containingAddress(-1);
    const range = Page.rangeInclusive(last.sub(2), last);
    strictEqual(range instanceof PageRangeInclusive, true);
    strictEqual(range.length, 3);
    strictEqual([...range].at(-1)?.startAddress().toBigInt(), TWO_64 - 4096n);
    strictEqual(Page.rangeInclusive(last, last.sub(1)).isEmpty(), true);
    strictEqual(
      `${Page.rangeInclusive(last, last)}`,
      "PageRangeInclusive { start: Page[4KiB](0xfffffffffffff000), end: Page[4KiB](0xfffffffffffff000) }",
    );
  });

  await t.step("iterating twice gives the same pages", () => {
    const range = Page.range(
      Page.containingAddress(0),
      Page.containingAddress(0x3000),
    );
    deepStrictEqual([...range].map(String), [...range].map(String));
  });
});
