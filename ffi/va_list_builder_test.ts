import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { Machine } from "../machine/machine.ts";
import { readBytes, readU32, readU64 } from "../memory/virtual_memory.ts";
import { type GccVaCase, readGccVaCases } from "./_va_fixture.ts";
import { VaList } from "./va_list.ts";
import {
  type VaArg,
  type VaIntegerType,
  VaListBuilder,
} from "./va_list_builder.ts";

const { cases } = await readGccVaCases();

const NARROW = new Set(["i8", "u8", "i16", "u16", "i32", "u32"]);

// The builder's arguments for a recorded call: the same C types, pointers
// (strings too) as `ptr` with the address gcc passed.
function builderArgs(c: GccVaCase): VaArg[] {
  return c.args.map((arg): VaArg => {
    switch (arg.type) {
      case "void*":
      case "char*":
        return { type: "ptr", value: arg.bits };
      case "double":
      case "float":
        return { type: arg.type, value: arg.value as number };
      default:
        return { type: arg.type, value: arg.value };
    }
  });
}

// Where the ABI (§3.5.7, as X86_64_FACTS.md gives it) puts each variadic
// argument of a call, starting from where va_start left the offsets, and
// which of its bits C defines: the low 32 for a promoted int; all 64 for a
// double, but a signalling NaN can only be given to the builder as a JS
// number, which JS engines may quiet (bit 51), so for a NaN that bit does
// not count.
const QUIET = 1n << 51n;
function abiSlots(c: GccVaCase, gp: number, fp: number) {
  const save: [number, (bits: bigint) => bigint][] = [];
  const overflow: ((bits: bigint) => bigint)[] = [];
  for (const arg of c.args) {
    const defined = NARROW.has(arg.reader)
      ? (bits: bigint) => bits & 0xffff_ffffn
      : arg.reader === "f64" && Number.isNaN(arg.value)
      ? (bits: bigint) => bits | QUIET
      : (bits: bigint) => bits;
    if (arg.reader === "f64" && fp <= 160) {
      save.push([fp, defined]);
      fp += 16;
    } else if (arg.reader !== "f64" && gp <= 40) {
      save.push([gp, defined]);
      gp += 8;
    } else {
      overflow.push(defined);
    }
  }
  return { save, overflow };
}

function region(c: GccVaCase, what: string): Uint8Array {
  return c.regions.find((r) => r.what === what)!.bytes;
}

Deno.test(`VaListBuilder lays out what gcc laid out for ${cases.length} calls (modulo addresses)`, () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    for (const c of cases) {
      const where = `case ${c.id}, ${c.prototype}`;
      const builder = new VaListBuilder(builderArgs(c), {
        namedGp: c.named.gp,
        namedFp: c.named.fp,
      });
      builder.build({
        vaList: 0x10_0000,
        regSaveArea: 0x10_0100,
        overflowArea: 0x10_0200,
      });
      const gccStruct = new DataView(region(c, "va_list").buffer);
      const gp = gccStruct.getUint32(0, true);
      const fp = gccStruct.getUint32(4, true);
      deepStrictEqual(
        [readU32(0x10_0000), readU32(0x10_0004)],
        [gp, fp],
        where,
      );
      deepStrictEqual(
        [readU64(0x10_0008), readU64(0x10_0010)],
        [0x10_0200n, 0x10_0100n],
        where,
      );

      const { save, overflow } = abiSlots(c, gp, fp);
      const gccSave = new DataView(region(c, "reg_save_area").buffer);
      for (const [offset, defined] of save) {
        strictEqual(
          defined(readU64(0x10_0100 + offset)),
          defined(gccSave.getBigUint64(offset, true)),
          `${where}: save area at ${offset}`,
        );
      }
      const gccStack = new DataView(region(c, "overflow_area").buffer);
      overflow.forEach((defined, i) => {
        strictEqual(
          defined(readU64(0x10_0200 + 8 * i)),
          defined(gccStack.getBigUint64(8 * i, true)),
          `${where}: stack slot ${i}`,
        );
      });
      // As many stack slots as gcc's va_arg went through.
      const gccAfter = new DataView(c.after.buffer);
      const used = gccAfter.getBigUint64(8, true) - c.overflowArgArea;
      strictEqual(BigInt(builder.byteLength - 208), used, where);
    }
  });
});

// Arguments of every kind, with what VaList's reader for them returns.
const integerTypes: [VaIntegerType, bigint, bigint, string][] = [
  ["char", -128n, 127n, "i8"],
  ["signed char", -128n, 127n, "i8"],
  ["unsigned char", 0n, 255n, "u8"],
  ["short", -32768n, 32767n, "i16"],
  ["unsigned short", 0n, 65535n, "u16"],
  ["int", -(2n ** 31n), 2n ** 31n - 1n, "i32"],
  ["unsigned int", 0n, 2n ** 32n - 1n, "u32"],
  ["long", -(2n ** 63n), 2n ** 63n - 1n, "i64"],
  ["unsigned long", 0n, 2n ** 64n - 1n, "u64"],
  ["long long", -(2n ** 63n), 2n ** 63n - 1n, "i64"],
  ["unsigned long long", 0n, 2n ** 64n - 1n, "u64"],
  ["size_t", 0n, 2n ** 64n - 1n, "usize"],
  ["ssize_t", -(2n ** 63n), 2n ** 63n - 1n, "isize"],
  ["ptrdiff_t", -(2n ** 63n), 2n ** 63n - 1n, "isize"],
  ["ptr", 0n, 2n ** 64n - 1n, "ptr"],
];
type Case = { arg: VaArg; reader: keyof VaList; expected: unknown };
const integerCase: fc.Arbitrary<Case> = fc.constantFrom(...integerTypes)
  .chain(([type, low, high, reader]) =>
    fc.bigInt(low, high).map((value) => {
      const narrow = NARROW.has(reader);
      return {
        arg: { type, value: narrow ? Number(value) : value },
        reader: reader as keyof VaList,
        expected: narrow ? Number(value) : value,
      };
    })
  );
const doubleCase: fc.Arbitrary<Case> = fc.double({ noNaN: true }).map((
  value,
) => ({ arg: { type: "double", value }, reader: "f64", expected: value }));
const floatCase: fc.Arbitrary<Case> = fc.double({ noNaN: true }).map((
  value,
) => ({
  arg: { type: "float", value },
  reader: "f64",
  expected: Math.fround(value),
}));
const stringCase: fc.Arbitrary<Case> = fc.string({ unit: "grapheme-ascii" })
  .filter((s) => !s.includes("\0"))
  .map((value) => ({
    arg: { type: "string", value },
    reader: "ptr",
    expected: value,
  }));

Deno.test("VaListBuilder round trip: VaList reads back every argument, in registers and on the stack", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(integerCase, integerCase, doubleCase, floatCase, stringCase),
          { maxLength: 30 },
        ),
        fc.nat(8),
        fc.nat(10),
        fc.boolean(),
        (list, namedGp, namedFp, dirty) => {
          const builder = new VaListBuilder(list.map((c) => c.arg), {
            namedGp,
            namedFp,
            dirty,
          });
          const args = builder.build(0x10_0000);
          strictEqual(args.gpOffset, 8 * Math.min(namedGp, 6));
          strictEqual(args.fpOffset, 48 + 16 * Math.min(namedFp, 8));
          for (const { arg, reader, expected } of list) {
            const value = (args[reader] as () => unknown).call(args);
            if (arg.type === "string") {
              const bytes = new TextEncoder().encode(expected as string);
              deepStrictEqual(
                readBytes(value as bigint, bytes.length + 1),
                Uint8Array.of(...bytes, 0),
              );
            } else {
              strictEqual(value, expected);
            }
          }
          // The struct in memory says what the list says.
          const again = VaList.at(0x10_0000);
          deepStrictEqual(
            [again.gpOffset, again.fpOffset, again.overflowArgArea],
            [args.gpOffset, args.fpOffset, args.overflowArgArea],
          );
        },
      ),
    );
  });
});

Deno.test("VaListBuilder fills what C leaves unspecified with zeros, or with garbage when dirty", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    const args: VaArg[] = [
      { type: "int", value: -1 },
      { type: "double", value: 1 },
      ...Array.from(
        { length: 5 },
        () => ({ type: "char", value: -2 }) as const,
      ),
    ];
    new VaListBuilder(args, { namedGp: 1 }).build(0x10_0000);
    const save = 0x10_0020;
    strictEqual(readU64(save + 8), 0xffff_ffffn); // int -1: high half zero
    strictEqual(readU64(save + 48), 0x3ff0_0000_0000_0000n); // 1.0 in xmm0
    strictEqual(readU64(save + 56), 0n);
    strictEqual(readU64(save), 0n); // rdi: the named parameter's slot
    strictEqual(readU64(0x10_00d0), 0xffff_fffen); // the 6th INTEGER on the stack

    new VaListBuilder(args, { namedGp: 1, dirty: true }).build(0x10_0000);
    strictEqual(readU64(save + 8), 0xdead_beef_ffff_ffffn);
    strictEqual(readU64(save + 56), 0xa5a5_a5a5_a5a5_a5a5n);
    strictEqual(readU64(save), 0xa5a5_a5a5_a5a5_a5a5n);
    strictEqual(readU64(save + 64), 0xa5a5_a5a5_a5a5_a5a5n); // xmm1: unused
    strictEqual(readU64(0x10_00d0), 0xdead_beef_ffff_fffen);
    const list = VaList.at(0x10_0000);
    strictEqual(list.i32(), -1);
    strictEqual(list.f64(), 1);
    for (let i = 0; i < 5; i++) strictEqual(list.i8(), -2);
  });
});

Deno.test("VaListBuilder puts the parts where a layout says, strings included", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    const args = new VaListBuilder()
      .arg("string", "héllo")
      .arg("string", Uint8Array.of(1, 2))
      .arg("long", 5n)
      .build({
        vaList: 0x10_3000,
        regSaveArea: 0x10_2000,
        overflowArea: 0x10_1000,
        strings: 0x10_0ffe,
      });
    strictEqual(args.regSaveArea, 0x10_2000n);
    strictEqual(args.overflowArgArea, 0x10_1000n);
    strictEqual(args.ptr(), 0x10_0ffen);
    deepStrictEqual(
      readBytes(0x10_0ffe, 7),
      Uint8Array.of(0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f, 0),
    );
    strictEqual(args.ptr(), 0x10_1005n);
    deepStrictEqual(readBytes(0x10_1005, 3), Uint8Array.of(1, 2, 0));
    strictEqual(args.i64(), 5n);

    const builder = new VaListBuilder([{ type: "string", value: "ab" }]);
    throws(
      () =>
        builder.build({
          vaList: 0x10_3000,
          regSaveArea: 0x10_2000,
          overflowArea: 0x10_1000,
        }),
      {
        name: "TypeError",
        message:
          "No place for the string arguments: give the layout a strings address",
      },
    );
    strictEqual(builder.byteLength, 208 + 3);
  });
});

Deno.test("VaListBuilder rejects values C could not pass", () => {
  const bad: [VaArg, string, string][] = [
    [
      { type: "int", value: 2 ** 31 },
      "RangeError",
      "Invalid int argument 2147483648: expected an integer from -2147483648 to 2147483647",
    ],
    [
      { type: "unsigned char", value: -1 },
      "RangeError",
      "Invalid unsigned char argument -1: expected an integer from 0 to 255",
    ],
    [
      { type: "long", value: 2n ** 63n },
      "RangeError",
      "Invalid long argument 9223372036854775808: expected an integer from -9223372036854775808 to 9223372036854775807",
    ],
    [
      { type: "size_t", value: 1.5 },
      "RangeError",
      "Invalid size_t argument 1.5: expected an integer from 0 to 18446744073709551615",
    ],
    [
      { type: "ptr", value: 2 ** 53 },
      "RangeError",
      "Invalid ptr argument 9007199254740992: expected an integer from 0 to 18446744073709551615",
    ],
    [
      { type: "double", value: 1n } as unknown as VaArg,
      "TypeError",
      "Invalid double argument 1: expected a number",
    ],
    [
      { type: "string", value: 7 } as unknown as VaArg,
      "TypeError",
      "Invalid string argument 7: expected a string or a Uint8Array",
    ],
    [
      { type: "string", value: "a\0b" },
      "RangeError",
      "Invalid string argument: a C string cannot hold a NUL byte before its end",
    ],
    [
      { type: "long double", value: 1 } as unknown as VaArg,
      "TypeError",
      'Unknown argument type "long double": expected a C integer type, "ptr", "double", "float" or "string"',
    ],
  ];
  for (const [arg, name, message] of bad) {
    throws(() => new VaListBuilder([arg]), { name, message });
  }
  throws(() => new VaListBuilder([], { namedGp: -1 }), {
    name: "RangeError",
    message: "Invalid namedGp -1: expected a non-negative integer",
  });
  throws(() => new VaListBuilder([], { namedFp: 0.5 }), {
    name: "RangeError",
    message: "Invalid namedFp 0.5: expected a non-negative integer",
  });
});
