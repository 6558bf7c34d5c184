import { strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { NonCanonicalAddressError, VirtualAddress } from "./virtual_address.ts";

// Facts: Intel SDM 3A §3.3.7.1 and §4.5 (4-level paging): a linear address
// is canonical when bits 63..48 equal bit 47; the table indices are bits
// 47..39 (PML4), 38..30 (PDPT), 29..21 (PD), 20..12 (PT), the offset
// 11..0. Behaviour of the Rust `x86_64` crate's `VirtAddr`: `new` panics
// on a non-canonical value, `try_new` fails, `new_truncate` sign-extends
// bit 47; `+`/`-` are checked u64 arithmetic whose result must be
// canonical; ordering is that of the u64 values.

const TWO_64 = 1n << 64n;
const LOWER_TOP = 0x0000_7fff_ffff_ffffn;
const HIGHER_BASE = 0xffff_8000_0000_0000n;

function isCanonical(u: bigint): boolean {
  return u >= 0n && u < TWO_64 && (u <= LOWER_TOP || u >= HIGHER_BASE);
}

/** Any canonical address, unsigned, with the edges of both halves likely. */
const canonical = fc.oneof(
  fc.bigInt({ min: 0n, max: LOWER_TOP }),
  fc.bigInt({ min: HIGHER_BASE, max: TWO_64 - 1n }),
  fc.constantFrom(0n, LOWER_TOP, HIGHER_BASE, TWO_64 - 1n, 0x1000n),
);

const u64 = fc.bigInt({ min: 0n, max: TWO_64 - 1n });

Deno.test("VirtualAddress", async (t) => {
  await t.step("canonical edges: bits 63..48 copy bit 47", () => {
    for (const ok of [0n, LOWER_TOP, HIGHER_BASE, TWO_64 - 1n]) {
      strictEqual(new VirtualAddress(ok).toBigInt(), ok);
    }
    for (
      const bad of [
        LOWER_TOP + 1n,
        HIGHER_BASE - 1n,
        0x0001_0000_0000_0000n,
        0x8000_0000_0000_0000n,
      ]
    ) {
      throws(() => new VirtualAddress(bad), NonCanonicalAddressError);
      strictEqual(VirtualAddress.tryNew(bad), undefined);
    }
  });

  await t.step("the error names the value and the rule", () => {
    throws(() => new VirtualAddress(0x0000_8000_0000_0000n), {
      name: "NonCanonicalAddressError",
      message:
        "0x0000_8000_0000_0000 is not canonical: bits 63..48 must copy bit 47",
    });
    try {
      new VirtualAddress(0xffff_7fff_ffff_f000n);
    } catch (e) {
      strictEqual(e instanceof RangeError, true);
      strictEqual(
        (e as NonCanonicalAddressError).address,
        0xffff_7fff_ffff_f000n,
      );
    }
  });

  await t.step("a signed bigint is taken as two's complement", () => {
    strictEqual(new VirtualAddress(-1n).toBigInt(), TWO_64 - 1n);
    strictEqual(new VirtualAddress(-(2n ** 47n)).toBigInt(), HIGHER_BASE);
    throws(() => new VirtualAddress(-(2n ** 47n) - 1n), {
      name: "NonCanonicalAddressError",
      message:
        "0xffff_7fff_ffff_ffff is not canonical: bits 63..48 must copy bit 47",
    });
  });

  await t.step("values outside 64 bits are not addresses", () => {
    throws(() => new VirtualAddress(TWO_64), {
      name: "NonCanonicalAddressError",
      message:
        "0x1_0000_0000_0000_0000 is not canonical: it is outside the 64-bit address space 0..0xffff_ffff_ffff_ffff, and bits 63..48 must copy bit 47",
    });
    throws(
      () => new VirtualAddress(-(2n ** 63n) - 1n),
      NonCanonicalAddressError,
    );
  });

  await t.step("a number must be the signed form", () => {
    strictEqual(new VirtualAddress(-(2 ** 47)).toBigInt(), HIGHER_BASE);
    strictEqual(new VirtualAddress(2 ** 47 - 1).toBigInt(), LOWER_TOP);
    // 0xffff_8000_0000_0000 as a number is exact, but it is the unsigned form.
    throws(() => new VirtualAddress(Number(HIGHER_BASE)), {
      name: "NonCanonicalAddressError",
      message:
        "0xffff_8000_0000_0000 is not canonical: bits 63..48 must copy bit 47 (a number must be the signed form, from -2^47 to 2^47 - 1, here -140737488355328; pass a bigint for the unsigned form of a higher-half address)",
    });
    throws(() => new VirtualAddress(2 ** 47), NonCanonicalAddressError);
    strictEqual(VirtualAddress.tryNew(2 ** 47), undefined);
    strictEqual(VirtualAddress.tryNew(-(2 ** 47) - 1), undefined);
  });

  await t.step("non-integers are RangeErrors, other types TypeErrors", () => {
    for (const bad of [1.5, Number.NaN, Infinity, -Infinity]) {
      throws(
        () => new VirtualAddress(bad),
        (e) =>
          e instanceof RangeError && !(e instanceof NonCanonicalAddressError),
      );
      throws(() => VirtualAddress.tryNew(bad), RangeError);
    }
    throws(() => new VirtualAddress("0x1000" as unknown as number), TypeError);
  });

  await t.step("-0 is 0", () => {
    strictEqual(Object.is(new VirtualAddress(-0).value, 0), true);
  });

  await t.step("round trip: new(x).toBigInt() === x, for both forms", () => {
    fc.assert(fc.property(canonical, (u) => {
      const a = new VirtualAddress(u);
      strictEqual(a.toBigInt(), u);
      strictEqual(a.value, Number(BigInt.asIntN(64, u)));
      strictEqual(new VirtualAddress(BigInt.asIntN(64, u)).equals(a), true);
      strictEqual(new VirtualAddress(a.value).toBigInt(), u);
      strictEqual(VirtualAddress.tryNew(u)?.toBigInt(), u);
      strictEqual(a.toString(), `0x${u.toString(16).padStart(16, "0")}`);
    }));
  });

  await t.step("tryNew is undefined exactly when new throws", () => {
    fc.assert(fc.property(u64, (u) => {
      strictEqual(VirtualAddress.tryNew(u) === undefined, !isCanonical(u));
    }));
  });

  await t.step(
    "newTruncate sign-extends bit 47 and is always canonical",
    () => {
      strictEqual(
        VirtualAddress.newTruncate(0x0000_8000_0000_0000n).toBigInt(),
        HIGHER_BASE,
      );
      strictEqual(
        VirtualAddress.newTruncate(0xffff_0000_0000_1000n).toBigInt(),
        0x1000n,
      );
      strictEqual(VirtualAddress.newTruncate(2 ** 47).toBigInt(), HIGHER_BASE);
      fc.assert(fc.property(u64, (u) => {
        const a = VirtualAddress.newTruncate(u).toBigInt();
        strictEqual(isCanonical(a), true);
        strictEqual(a & 0xffff_ffff_ffffn, u & 0xffff_ffff_ffffn);
        if (isCanonical(u)) strictEqual(a, u);
      }));
      throws(() => VirtualAddress.newTruncate(0.5), RangeError);
    },
  );

  await t.step("table indices are bits 47..39, 38..30, 29..21, 20..12", () => {
    fc.assert(fc.property(canonical, (u) => {
      const a = new VirtualAddress(u);
      const bits = (shift: bigint) => Number((u >> shift) & 0x1ffn);
      strictEqual(a.p4Index(), bits(39n));
      strictEqual(a.p3Index(), bits(30n));
      strictEqual(a.p2Index(), bits(21n));
      strictEqual(a.p1Index(), bits(12n));
      strictEqual(a.pageOffset(), Number(u & 0xfffn));
      strictEqual(a.pageTableIndex(4), bits(39n));
      strictEqual(a.pageTableIndex(1), bits(12n));
    }));
    const a = new VirtualAddress(0x0000_1206_9671_c5a8);
    strictEqual(
      [a.p4Index(), a.p3Index(), a.p2Index(), a.p1Index(), a.pageOffset()]
        .join(),
      [0x24, 0x1a, 0xb3, 0x11c, 0x5a8].join(),
    );
    throws(() => a.pageTableIndex(5 as 4), RangeError);
    throws(() => a.pageTableIndex(0 as 1), RangeError);
  });

  await t.step("add and sub: a canonical exact result or an error", () => {
    const offset = fc.oneof(
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
      fc.bigInt({ min: -0x1_0000n, max: 0x1_0000n }),
      fc.constantFrom(
        1n,
        -1n,
        HIGHER_BASE,
        -HIGHER_BASE,
        HIGHER_BASE - LOWER_TOP - 1n,
      ),
    );
    fc.assert(fc.property(canonical, offset, (u, n) => {
      const a = new VirtualAddress(u);
      for (
        const [sum, op] of [[u + n, () => a.add(n)], [
          u - n,
          () => a.sub(n),
        ]] as const
      ) {
        if (isCanonical(sum)) {
          strictEqual(op().toBigInt(), sum);
        } else {
          throws(
            op,
            (e) => e instanceof NonCanonicalAddressError && e.address === sum,
          );
        }
      }
      // The number form agrees with the bigint form where it is exact.
      if (n >= -(2n ** 53n) && n < 2n ** 53n) {
        const sum = u + n;
        if (isCanonical(sum)) strictEqual(a.add(Number(n)).toBigInt(), sum);
        else throws(() => a.add(Number(n)), NonCanonicalAddressError);
      }
    }));
  });

  await t.step("add never crosses the non-canonical hole", () => {
    const top = new VirtualAddress(LOWER_TOP);
    throws(() => top.add(1), {
      name: "NonCanonicalAddressError",
      message:
        "0x0000_8000_0000_0000 is not canonical: bits 63..48 must copy bit 47",
    });
    throws(
      () => new VirtualAddress(HIGHER_BASE).sub(1),
      NonCanonicalAddressError,
    );
    // Nor wraps around at 0 or 2^64, as the crate's checked arithmetic.
    throws(() => new VirtualAddress(0).sub(1), {
      name: "NonCanonicalAddressError",
      message:
        "-0x0000_0000_0000_0001 is not canonical: it is outside the 64-bit address space 0..0xffff_ffff_ffff_ffff, and bits 63..48 must copy bit 47",
    });
    throws(() => new VirtualAddress(-1).add(1), NonCanonicalAddressError);
    // A jump over the whole hole lands in the other half.
    strictEqual(
      new VirtualAddress(0x1000).add(HIGHER_BASE).toBigInt(),
      HIGHER_BASE + 0x1000n,
    );
    throws(() => top.add(0.5), RangeError);
  });

  await t.step("alignDown and alignUp against u64 arithmetic", () => {
    const align = fc.integer({ min: 0, max: 48 }).map((k) => 2n ** BigInt(k));
    fc.assert(fc.property(canonical, align, (u, al) => {
      const a = new VirtualAddress(u);
      const down = u & ~(al - 1n);
      const up = (u + al - 1n) & ~(al - 1n);
      if (isCanonical(down)) {
        const d = a.alignDown(al).toBigInt();
        strictEqual(d, down);
        strictEqual(d <= u && u - d < al && d % al === 0n, true);
      } else {
        throws(() => a.alignDown(al), NonCanonicalAddressError);
      }
      const upOk = up < TWO_64 && isCanonical(up);
      if (upOk) {
        const r = a.alignUp(Number(al)).toBigInt();
        strictEqual(r, up);
        strictEqual(r >= u && r - u < al && r % al === 0n, true);
      } else {
        throws(
          () => a.alignUp(al),
          (e) => e instanceof NonCanonicalAddressError && e.address === up,
        );
      }
      strictEqual(a.isAligned(al), u % al === 0n);
    }));
  });

  await t.step("alignUp past 2^64 − 1 is an error, not a wrap to 0", () => {
    throws(
      () => new VirtualAddress(-1).alignUp(4096),
      (e) => e instanceof NonCanonicalAddressError && e.address === TWO_64,
    );
  });

  await t.step("alignments must be powers of two up to 2^48", () => {
    const a = new VirtualAddress(0x1234);
    for (const bad of [0, 3, 4095, -4096, 2 ** 49, 1.5, 0n, 6n]) {
      throws(() => a.alignUp(bad), {
        name: "RangeError",
        message:
          `Invalid alignment ${bad}: expected a power of two from 1 to 2^48`,
      });
    }
    strictEqual(a.alignDown(2 ** 48).value, 0);
    strictEqual(a.isAligned(1), true);
  });

  await t.step("page helpers", () => {
    const a = new VirtualAddress(0xffff_8000_dead_beefn);
    strictEqual(a.alignDownToPage().toBigInt(), 0xffff_8000_dead_b000n);
    strictEqual(a.isPageAligned(), false);
    strictEqual(a.alignDownToPage().isPageAligned(), true);
    strictEqual(a.pageOffset(), 0xeef);
  });

  await t.step("compare orders as unsigned u64, offsetFrom subtracts", () => {
    fc.assert(fc.property(canonical, canonical, (u, w) => {
      const a = new VirtualAddress(u);
      const b = new VirtualAddress(w);
      strictEqual(a.compare(b), u < w ? -1 : u > w ? 1 : 0);
      strictEqual(a.offsetFrom(b), u - w);
      strictEqual(a.equals(b), u === w);
    }));
  });

  await t.step("is accepted where arch takes an address: signed value", () => {
    const a = new VirtualAddress(0xffff_ffff_8000_0000n);
    strictEqual(a.value, -(2 ** 31));
  });
});
