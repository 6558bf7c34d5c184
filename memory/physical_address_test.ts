import { strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  InvalidPhysicalAddressError,
  PhysicalAddress,
} from "./physical_address.ts";

// Facts: Intel SDM 3A §4.1.4 — MAXPHYADDR is at most 52, so a physical
// address has bits 63..52 clear. The Rust `x86_64` crate's `PhysAddr`:
// `new` panics when bits 52..64 are set, `try_new` fails, `new_truncate`
// keeps bits 51..0; `+`/`-` are checked.

const TWO_52 = 1n << 52n;
const phys = fc.oneof(
  fc.bigInt({ min: 0n, max: TWO_52 - 1n }),
  fc.constantFrom(0n, TWO_52 - 1n, 0x1000n),
);

Deno.test("PhysicalAddress", async (t) => {
  await t.step("52 bits: 2^52 − 1 is the largest", () => {
    strictEqual(new PhysicalAddress(TWO_52 - 1n).value, 2 ** 52 - 1);
    strictEqual(new PhysicalAddress(2 ** 52 - 1).toBigInt(), TWO_52 - 1n);
    throws(() => new PhysicalAddress(TWO_52), {
      name: "InvalidPhysicalAddressError",
      message:
        "0x0010_0000_0000_0000 is not a physical address: bits 63..52 must be 0 (expected 0 to 0x000f_ffff_ffff_ffff)",
    });
    throws(() => new PhysicalAddress(2 ** 52), InvalidPhysicalAddressError);
    throws(() => new PhysicalAddress(-1), {
      name: "InvalidPhysicalAddressError",
      message:
        "-0x0000_0000_0000_0001 is not a physical address: bits 63..52 must be 0 (expected 0 to 0x000f_ffff_ffff_ffff)",
    });
    strictEqual(PhysicalAddress.tryNew(TWO_52), undefined);
    strictEqual(PhysicalAddress.tryNew(-1n), undefined);
    strictEqual(
      new InvalidPhysicalAddressError(TWO_52) instanceof RangeError,
      true,
    );
  });

  await t.step("non-integers are RangeErrors", () => {
    throws(
      () => new PhysicalAddress(0.5),
      (e) =>
        e instanceof RangeError && !(e instanceof InvalidPhysicalAddressError),
    );
    throws(() => PhysicalAddress.tryNew(Number.NaN), RangeError);
    throws(() => new PhysicalAddress("1" as unknown as number), TypeError);
  });

  await t.step("round trips through number, bigint and text", () => {
    fc.assert(fc.property(phys, (p) => {
      const a = new PhysicalAddress(p);
      strictEqual(a.toBigInt(), p);
      strictEqual(new PhysicalAddress(a.value).equals(a), true);
      strictEqual(a.toString(), `0x${p.toString(16).padStart(16, "0")}`);
    }));
  });

  await t.step("newTruncate keeps bits 51..0", () => {
    strictEqual(
      PhysicalAddress.newTruncate(0xfff0_0000_0000_1000n).value,
      0x1000,
    );
    strictEqual(PhysicalAddress.newTruncate(-1).value, 2 ** 52 - 1);
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      (v) => {
        strictEqual(
          PhysicalAddress.newTruncate(v).toBigInt(),
          v & (TWO_52 - 1n),
        );
      },
    ));
  });

  await t.step("add and sub stay in 0..2^52 − 1 or throw", () => {
    fc.assert(fc.property(
      phys,
      fc.oneof(
        fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }),
        fc.bigInt({ min: -4096n, max: 4096n }),
      ),
      (p, n) => {
        const a = new PhysicalAddress(p);
        for (
          const [r, op] of [
            [p + n, () => a.add(n)],
            [p - n, () => a.sub(Number(n))],
          ] as const
        ) {
          if (r >= 0n && r < TWO_52) strictEqual(op().toBigInt(), r);
          else {
            throws(
              op,
              (e) =>
                e instanceof InvalidPhysicalAddressError && e.address === r,
            );
          }
        }
      },
    ));
    throws(() => new PhysicalAddress(0).add(1.5), RangeError);
  });

  await t.step("alignUp and alignDown against bigint arithmetic", () => {
    const align = fc.integer({ min: 0, max: 52 }).map((k) => 2n ** BigInt(k));
    fc.assert(fc.property(phys, align, (p, al) => {
      const a = new PhysicalAddress(p);
      strictEqual(a.alignDown(al).toBigInt(), p & ~(al - 1n));
      const up = (p + al - 1n) & ~(al - 1n);
      if (up < TWO_52) strictEqual(a.alignUp(al).toBigInt(), up);
      else throws(() => a.alignUp(al), InvalidPhysicalAddressError);
      strictEqual(a.isAligned(al), p % al === 0n);
    }));
    throws(() => new PhysicalAddress(0).alignUp(2 ** 53), RangeError);
    throws(() => new PhysicalAddress(0).alignDown(24), RangeError);
  });

  await t.step("page helpers", () => {
    const a = new PhysicalAddress(0xb_8123);
    strictEqual(a.alignDownToPage().value, 0xb_8000);
    strictEqual(a.pageOffset(), 0x123);
    strictEqual(a.isPageAligned(), false);
    strictEqual(new PhysicalAddress(2 ** 52 - 4096).isPageAligned(), true);
  });

  await t.step("compare and offsetFrom", () => {
    fc.assert(fc.property(phys, phys, (p, q) => {
      const a = new PhysicalAddress(p);
      const b = new PhysicalAddress(q);
      strictEqual(a.compare(b), p < q ? -1 : p > q ? 1 : 0);
      strictEqual(BigInt(a.offsetFrom(b)), p - q);
    }));
  });
});
