import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { InterruptManager } from "../arch/x86_64/interrupt_manager.ts";
import { readCr2 } from "../arch/x86_64/control.ts";
import { currentCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { FrameAllocator } from "../memory/frame_allocator.ts";
import { Mapper } from "../memory/mapper.ts";
import { Page } from "../memory/page.ts";
import { PageTableFlags } from "../memory/page_table_flags.ts";
import { NonCanonicalAddressError } from "../memory/virtual_address.ts";
import {
  readBytes,
  readU32,
  readU64,
  writeU32,
  writeU64,
} from "../memory/virtual_memory.ts";
import {
  type GccArg,
  type GccVaCase,
  readGccVaCases,
  runGccVaCases,
  SCRATCH,
} from "./_va_fixture.ts";
import { VaList } from "./va_list.ts";
import { VaListError } from "./va_list_error.ts";

const { cases, gcc } = await readGccVaCases();

const float = new DataView(new ArrayBuffer(8));
function bitsOf(value: number): bigint {
  float.setFloat64(0, value);
  return float.getBigUint64(0);
}

const QUIET = 1n << 51n;

// Reads the next argument as the C code read it, and checks the value: a
// double by its bits, so -0 and NaN payloads count, except that a
// signalling NaN may come back quiet (JS engines set bit 51 of NaNs).
function readAndCheck(list: VaList, arg: GccArg, where: string): void {
  const value = list[arg.reader]();
  if (arg.reader === "f64") {
    const bits = bitsOf(value as number);
    strictEqual(
      Number.isNaN(value) ? bits | QUIET : bits,
      Number.isNaN(value) ? arg.bits | QUIET : arg.bits,
      where,
    );
  } else {
    strictEqual(value, arg.value, where);
  }
}

function fieldsOf(bytes: Uint8Array): [number, number, bigint, bigint] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
  return [
    view.getUint32(0, true),
    view.getUint32(4, true),
    view.getBigUint64(8, true),
    view.getBigUint64(16, true),
  ];
}

// The struct's bytes right after va_start.
function before(c: GccVaCase): Uint8Array {
  return c.regions.find((r) => r.what === "va_list")!.bytes;
}

function label(c: GccVaCase): string {
  return `case ${c.id}, ${c.prototype}`;
}

// Writes a va_list struct at 0x10_0000 and returns VaList.at of it.
function structAt(gp: number, fp: number): VaList {
  writeU32(0x10_0000, gp);
  writeU32(0x10_0004, fp);
  writeU64(0x10_0008, 0x10_0200);
  writeU64(0x10_0010, 0x10_0100);
  return VaList.at(0x10_0000);
}

Deno.test(`VaList reads what gcc's va_arg read (${gcc}): ${cases.length} calls`, () => {
  const report = runGccVaCases(cases, (c) => {
    const list = VaList.at(c.vaList);
    deepStrictEqual(
      [list.gpOffset, list.fpOffset, list.overflowArgArea, list.regSaveArea],
      fieldsOf(before(c)),
      label(c),
    );
    c.args.forEach((arg, i) => {
      readAndCheck(list, arg, `${label(c)}: argument ${i} (${arg.type})`);
    });
    // The struct in memory advanced exactly as gcc's did.
    deepStrictEqual(readBytes(c.vaList, 24), c.after, label(c));
    deepStrictEqual(
      [list.gpOffset, list.fpOffset, list.overflowArgArea, list.regSaveArea],
      fieldsOf(c.after),
      label(c),
    );
  });
  strictEqual(report.reason, "returned", report.toString());
});

Deno.test("VaList.copy is va_copy: gcc's calls read through a copy in kernel memory, then through the original", () => {
  const report = runGccVaCases(cases, (c) => {
    const list = VaList.at(c.vaList);
    const copy = list.copy(SCRATCH);
    deepStrictEqual(readBytes(SCRATCH, 24), before(c), label(c));
    c.args.forEach((arg, i) => {
      readAndCheck(copy, arg, `${label(c)}: copy, argument ${i}`);
    });
    // Reading the copy moved only the copy.
    deepStrictEqual(readBytes(c.vaList, 24), before(c), label(c));
    deepStrictEqual(readBytes(SCRATCH, 24), c.after, label(c));
    c.args.forEach((arg, i) => {
      readAndCheck(list, arg, `${label(c)}: original, argument ${i}`);
    });
    deepStrictEqual(readBytes(c.vaList, 24), c.after, label(c));
  });
  strictEqual(report.reason, "returned", report.toString());
});

Deno.test("the gcc recording covers the register limits, the stack and page boundaries", () => {
  const kinds = new Set(cases.map((c) => c.kind));
  deepStrictEqual([...kinds].sort(), ["grid", "random", "types"]);
  strictEqual(cases.length >= 1000, true);
  const integers = (c: GccVaCase) =>
    c.args.filter((a) => a.reader !== "f64").length + c.named.gp;
  const doubles = (c: GccVaCase) =>
    c.args.filter((a) => a.reader === "f64").length + c.named.fp;
  strictEqual(cases.filter((c) => integers(c) > 6).length > 300, true);
  strictEqual(cases.filter((c) => doubles(c) > 8).length > 250, true);
  // Structs, save areas and overflow areas that cross into the next page.
  for (const what of ["va_list", "reg_save_area", "overflow_area"]) {
    const crossing = cases.filter((c) =>
      c.regions.some((r) =>
        r.what === what && r.bytes.length > 0 &&
        r.address >> 12n !== (r.address + BigInt(r.bytes.length) - 1n) >> 12n
      )
    );
    strictEqual(crossing.length > 0, true, what);
  }
});

Deno.test("VaList rejects struct contents that va_start and va_arg cannot make", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    for (const gp of [4, 44, 56, 0xffff_fff8]) {
      throws(() => structAt(gp, 48), (e) => {
        strictEqual(e instanceof VaListError, true);
        const error = e as VaListError;
        strictEqual(error.field, "gp_offset");
        strictEqual(error.value, gp);
        strictEqual(error.address, 0x10_0000n);
        strictEqual(
          error.message,
          `Invalid va_list at 0x0000_0000_0010_0000: gp_offset is ${gp}, expected a multiple of 8 from 0 to 48`,
        );
        return true;
      });
    }
    for (const fp of [0, 32, 40, 56, 184, 192]) {
      throws(() => structAt(0, fp), {
        name: "VaListError",
        message:
          `Invalid va_list at 0x0000_0000_0010_0000: fp_offset is ${fp}, expected a multiple of 16 from 48 to 176`,
      });
    }
    // The limits themselves are what va_start leaves with all registers
    // named, or none.
    strictEqual(structAt(48, 176).gpOffset, 48);
    strictEqual(structAt(0, 48).fpOffset, 48);
    throws(
      () => VaList.at(0x0000_8000_0000_0000n),
      NonCanonicalAddressError,
    );
  });
});

Deno.test("VaList: with all registers used, every class reads the stack in order", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    const list = structAt(48, 176);
    writeU64(0x10_0200, 0xffff_ffff_ffff_fffdn); // int -3 as `pushq $-3` leaves it
    writeU64(0x10_0208, 0x4004_0000_0000_0000n); // 2.5
    writeU64(0x10_0210, 0x1234_5678_9abc_def0n);
    strictEqual(list.i32(), -3);
    strictEqual(list.f64(), 2.5);
    strictEqual(list.u64(), 0x1234_5678_9abc_def0n);
    strictEqual(readU64(0x10_0008), 0x10_0218n);
    deepStrictEqual([readU32(0x10_0000), readU32(0x10_0004)], [48, 176]);
  });
});

Deno.test("VaList: the narrow readers take the low bits of the slot and extend them by type", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    const slot = 0xdead_beef_8765_fe81n; // garbage in the high half
    const expected = {
      i8: -127,
      u8: 0x81,
      i16: -383, // 0xfe81
      u16: 0xfe81,
      i32: 0x8765_fe81 | 0,
      u32: 0x8765_fe81,
      i64: BigInt.asIntN(64, slot),
      u64: slot,
      isize: BigInt.asIntN(64, slot),
      usize: slot,
      ptr: slot,
    } as const;
    for (const [reader, value] of Object.entries(expected)) {
      writeU64(0x10_0100, slot);
      const list = structAt(0, 48);
      strictEqual(list[reader as keyof typeof expected](), value, reader);
      strictEqual(list.gpOffset, 8);
    }
  });
});

Deno.test("VaList: overflow_arg_area crossing a 4 GiB boundary writes its high half back", () => {
  new Machine({ ramSize: 4 << 20 }).run((boot) => {
    const frames = new FrameAllocator(boot.memoryMap);
    const mapper = new Mapper();
    const flags = new PageTableFlags().present().writable();
    for (const start of [0xffff_f000, 0x1_0000_0000]) {
      mapper.mapTo(
        Page.containingAddress(start),
        frames.allocate()!,
        flags,
        frames,
      )
        .flush();
    }
    writeU32(0x10_0000, 48);
    writeU32(0x10_0004, 176);
    writeU64(0x10_0008, 0xffff_fff8);
    writeU64(0x10_0010, 0x10_0100);
    writeU64(0xffff_fff8, 1n);
    writeU64(0x1_0000_0000, 2n);
    const list = VaList.at(0x10_0000);
    strictEqual(list.i64(), 1n);
    strictEqual(readU64(0x10_0008), 0x1_0000_0000n);
    strictEqual(list.i64(), 2n);
    strictEqual(readU64(0x10_0008), 0x1_0000_0008n);
    strictEqual(list.overflowArgArea, 0x1_0000_0008n);
  });
});

Deno.test("VaList reads through the MMU: a not-present save area faults, is mapped by the handler, and the read retries", () => {
  const faults: bigint[] = [];
  const report = new Machine({ ramSize: 4 << 20 }).run((boot) => {
    const frames = new FrameAllocator(boot.memoryMap);
    const mapper = new Mapper();
    const flags = new PageTableFlags().present().writable();
    const interrupts = new InterruptManager();
    interrupts.registerHandler(14, () => {
      const address = readCr2();
      faults.push(address);
      const frame = frames.allocate()!;
      mapper.mapTo(Page.containingAddress(address), frame, flags, frames)
        .flush();
      // What the caller had put there: rsi = 77.
      writeU64(0xffff_9000_0000_0008n, 77n);
    });
    interrupts.load();
    writeU32(0x10_0000, 8);
    writeU32(0x10_0004, 48);
    writeU64(0x10_0008, 0x10_0200);
    writeU64(0x10_0010, 0xffff_9000_0000_0000n);
    const list = VaList.at(0x10_0000);
    strictEqual(list.regSaveArea, 0xffff_9000_0000_0000n);
    strictEqual(list.i32(), 77);
  });
  strictEqual(report.reason, "returned", report.toString());
  deepStrictEqual(faults, [0xffff_9000_0000_0008n]);
});

Deno.test("VaList.copy: the copy and the original advance apart, from where the original stood", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    for (let i = 0; i < 8; i++) writeU64(0x10_0100 + 8 * i, BigInt(i));
    for (let i = 0; i < 4; i++) writeU64(0x10_0200 + 8 * i, BigInt(10 + i));
    const list = structAt(16, 48);
    strictEqual(list.i64(), 2n);
    const copy = list.copy(0x10_0800);
    deepStrictEqual(readBytes(0x10_0800, 24), readBytes(0x10_0000, 24));
    strictEqual(copy.address.value, 0x10_0800);
    // The copy reads on from argument 3, into the stack.
    deepStrictEqual(
      [copy.i64(), copy.i64(), copy.i64(), copy.i64()],
      [3n, 4n, 5n, 10n],
    );
    strictEqual(list.gpOffset, 24);
    strictEqual(readU32(0x10_0000), 24);
    strictEqual(readU64(0x10_0808), 0x10_0208n);
    strictEqual(readU64(0x10_0008), 0x10_0200n);
    // A copy of the copy, to a higher-half address.
    const again = copy.copy(0xffff_ffff_8000_0000n);
    strictEqual(again.i64(), 11n);
    strictEqual(copy.i64(), 11n);
    strictEqual(list.i64(), 3n);
  });
});

Deno.test("VaList.copy refuses a destination that overlaps the struct", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    const list = structAt(0, 48);
    for (const to of [0x10_0000, 0x10_0008, 0x10_0017, 0xf_ffe9]) {
      throws(() => list.copy(to), {
        name: "RangeError",
        message: `Cannot copy the va_list at 0x0000000000100000 to 0x${
          to.toString(16).padStart(16, "0")
        }: the 24-byte structs would overlap`,
      });
    }
    strictEqual(list.copy(0x10_0018).gpOffset, 0);
    strictEqual(list.copy(0xf_ffe8).fpOffset, 48);
    throws(() => list.copy(0x0000_8000_0000_0000n), NonCanonicalAddressError);
  });
});

Deno.test("VaList touches memory as little as C's va_arg: the struct once, then a load and a store a read", () => {
  new Machine({ ramSize: 2 << 20 }).run(() => {
    const cpu = currentCpu();
    const accesses: string[] = [];
    for (
      const name of [
        "readU8",
        "readU16",
        "readU32",
        "readU64",
        "readBytes",
        "writeU8",
        "writeU16",
        "writeU32",
        "writeU64",
        "writeBytes",
      ] as const
    ) {
      const original = cpu[name] as (...args: unknown[]) => unknown;
      (cpu as unknown as Record<string, unknown>)[name] = (
        ...args: unknown[]
      ) => {
        accesses.push(`${name} 0x${(args[0] as number).toString(16)}`);
        return original.apply(cpu, args);
      };
    }
    writeU32(0x10_0000, 40);
    writeU32(0x10_0004, 160);
    writeU64(0x10_0008, 0x10_0200);
    writeU64(0x10_0010, 0x10_0100);
    accesses.length = 0;
    const list = VaList.at(0x10_0000);
    list.i32(); // the last register slot
    list.i64(); // the stack
    list.f64(); // xmm7
    list.f64(); // the stack
    deepStrictEqual(accesses, [
      "readBytes 0x100000",
      "writeU32 0x100000",
      "readU32 0x100128",
      "writeU32 0x100008",
      "readU64 0x100200",
      "writeU32 0x100004",
      "readU64 0x1001a0",
      "writeU32 0x100008",
      "readU64 0x100208",
    ]);
  });
});

Deno.test("VaList needs a CPU", () => {
  throws(() => VaList.at(0x1000), { name: "NoCpuError" });
});
