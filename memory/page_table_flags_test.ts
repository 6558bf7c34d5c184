import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { PageTableFlags } from "./page_table_flags.ts";

// Facts: Intel SDM 3A §4.5, tables 4-15 to 4-20 — entry bits 0 P, 1 R/W,
// 2 U/S, 3 PWT, 4 PCD, 5 A, 6 D, 7 PS (PAT in a 4 KiB PTE), 8 G, 9..11
// ignored, 12..51 address, 52..58 ignored, 59..62 protection key, 63 XD.
// Names and operations of the Rust `x86_64` crate's `PageTableFlags`
// (bitflags: `contains`, `union`, `intersection`, `difference`,
// `from_bits`, `from_bits_truncate`, Debug "A | B").

const SDM_BITS: [string, number][] = [
  ["PRESENT", 0],
  ["WRITABLE", 1],
  ["USER_ACCESSIBLE", 2],
  ["WRITE_THROUGH", 3],
  ["NO_CACHE", 4],
  ["ACCESSED", 5],
  ["DIRTY", 6],
  ["HUGE_PAGE", 7],
  ["GLOBAL", 8],
  ["BIT_9", 9],
  ["BIT_10", 10],
  ["BIT_11", 11],
  ...[52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62].map((
    b,
  ): [string, number] => [`BIT_${b}`, b]),
  ["NO_EXECUTE", 63],
];
const FLAG_MASK = 0xfff0_0000_0000_0fffn; // all but bits 51..12
const flagBits = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) =>
  v & FLAG_MASK
);

function constant(name: string): PageTableFlags {
  return (PageTableFlags as unknown as Record<string, PageTableFlags>)[name]!;
}

Deno.test("PageTableFlags", async (t) => {
  await t.step("every constant is its SDM bit", () => {
    for (const [name, bit] of SDM_BITS) {
      strictEqual(constant(name).bits(), 1n << BigInt(bit), name);
      strictEqual(`${constant(name)}`, name);
    }
    strictEqual(PageTableFlags.PROTECTION_KEY.bits(), 0xfn << 59n);
  });

  await t.step("each builder sets its constant's bit", () => {
    const empty = new PageTableFlags();
    const builders: [PageTableFlags, string][] = [
      [empty.present(), "PRESENT"],
      [empty.writable(), "WRITABLE"],
      [empty.userAccessible(), "USER_ACCESSIBLE"],
      [empty.writeThrough(), "WRITE_THROUGH"],
      [empty.noCache(), "NO_CACHE"],
      [empty.accessed(), "ACCESSED"],
      [empty.dirty(), "DIRTY"],
      [empty.hugePage(), "HUGE_PAGE"],
      [empty.global(), "GLOBAL"],
      [empty.noExecute(), "NO_EXECUTE"],
    ];
    for (const [built, name] of builders) {
      strictEqual(built.equals(constant(name)), true, name);
    }
  });

  await t.step("builders return new flags and leave the old ones", () => {
    const p = PageTableFlags.PRESENT;
    const pw = p.writable();
    strictEqual(`${p}`, "PRESENT");
    strictEqual(`${pw}`, "PRESENT | WRITABLE");
    strictEqual(`${PageTableFlags.PRESENT}`, "PRESENT");
  });

  await t.step("the seed's example: present + writable = 0b11", () => {
    const flags = new PageTableFlags().present().writable();
    strictEqual(flags.bits(), 3n);
    strictEqual(flags.low, 3);
    strictEqual(flags.high, 0);
  });

  await t.step("Debug-style text in bit order", () => {
    strictEqual(`${new PageTableFlags()}`, "(empty)");
    strictEqual(
      `${new PageTableFlags().noExecute().writable().present()}`,
      "PRESENT | WRITABLE | NO_EXECUTE",
    );
    strictEqual(
      `${PageTableFlags.fromBits(0x7ff0_0000_0000_0e00n)}`,
      "BIT_9 | BIT_10 | BIT_11 | BIT_52 | BIT_53 | BIT_54 | BIT_55 | BIT_56 | BIT_57 | BIT_58 | BIT_59 | BIT_60 | BIT_61 | BIT_62",
    );
  });

  await t.step("bits round trip as bigint and as halves", () => {
    fc.assert(fc.property(flagBits, (bits) => {
      const flags = PageTableFlags.fromBits(bits);
      strictEqual(flags.bits(), bits);
      strictEqual(flags.low, Number(bits & 0xffff_ffffn));
      strictEqual(flags.high, Number(bits >> 32n));
      strictEqual(
        PageTableFlags.fromBits({ low: flags.low, high: flags.high })
          .equals(flags),
        true,
      );
      strictEqual(new PageTableFlags(bits).equals(flags), true);
    }));
  });

  await t.step("halves may be negative int32 bit patterns", () => {
    const flags = PageTableFlags.fromBits({ low: 1, high: 1 << 31 });
    strictEqual(flags.bits(), 1n << 63n | 1n);
  });

  await t.step("address bits 51..12 are not flags", () => {
    throws(() => PageTableFlags.fromBits(0x1003n), {
      name: "RangeError",
      message:
        "Invalid page-table flags 0x1003: bits 51..12 hold the frame address, not flags (use fromBitsTruncate to drop them)",
    });
    throws(() => PageTableFlags.fromBits(1n << 51n), RangeError);
    throws(() => PageTableFlags.fromBits({ low: 0, high: 1 }), RangeError);
    throws(() => PageTableFlags.fromBits(1n << 64n), RangeError);
    throws(() => PageTableFlags.fromBits(-1n), RangeError);
    throws(
      () => PageTableFlags.fromBits({ low: 2 ** 32, high: 0 }),
      RangeError,
    );
    throws(() => PageTableFlags.fromBits({ low: 0.5, high: 0 }), RangeError);
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      (v) => {
        strictEqual(PageTableFlags.fromBitsTruncate(v).bits(), v & FLAG_MASK);
      },
    ));
  });

  await t.step("set operations agree with bigint bit operations", () => {
    fc.assert(fc.property(flagBits, flagBits, (a, b) => {
      const x = PageTableFlags.fromBits(a);
      const y = PageTableFlags.fromBits(b);
      strictEqual(x.union(y).bits(), a | b);
      strictEqual(x.intersection(y).bits(), a & b);
      strictEqual(x.difference(y).bits(), a & ~b);
      strictEqual(x.remove(y).bits(), a & ~b);
      strictEqual(x.contains(y), (a & b) === b);
      strictEqual(x.intersects(y), (a & b) !== 0n);
      strictEqual(x.equals(y), a === b);
      strictEqual(x.isEmpty(), a === 0n);
    }));
  });

  await t.step("the protection key is the field 62..59", () => {
    for (let key = 0; key < 16; key++) {
      const flags = PageTableFlags.NO_EXECUTE.protectionKey(key).present();
      strictEqual(flags.bits(), 1n << 63n | BigInt(key) << 59n | 1n);
      strictEqual(flags.pkey, key);
    }
    strictEqual(
      PageTableFlags.PROTECTION_KEY.protectionKey(2).bits(),
      2n << 59n,
    );
    for (const bad of [-1, 16, 1.5]) {
      throws(() => new PageTableFlags().protectionKey(bad), {
        name: "RangeError",
        message:
          `Invalid protection key ${bad}: expected an integer from 0 to 15`,
      });
    }
  });

  await t.step("the crate's constant names, in bit order", () => {
    const names = Object.getOwnPropertyNames(PageTableFlags).filter((n) =>
      /^[A-Z_0-9]+$/.test(n) && n !== "PROTECTION_KEY"
    );
    deepStrictEqual(names, SDM_BITS.map(([n]) => n));
  });
});
