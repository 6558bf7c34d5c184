import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  InterruptManager,
  PageFaultErrorCode,
  registers,
} from "../arch/x86_64/mod.ts";
import { Machine, MemorySink, NoCpuError } from "../machine/mod.ts";
import {
  FrameAllocator,
  Mapper,
  Page,
  PageTableFlags,
  PhysFrame,
  readBytes,
  VirtualAddress,
  writeBytes,
} from "../memory/mod.ts";
import { CStr } from "./c_str.ts";
import {
  CStrTooLongError,
  FromBytesUntilNulError,
  FromBytesWithNulError,
  Utf8Error,
} from "./c_str_errors.ts";
import { fromHex, rust, withNul } from "./testdata/rust_cstr_cases.ts";

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

// What our CStr gives for the bytes, in the form the generator records.
function ourUtf8(bytes: Uint8Array): {
  lossy: string;
  utf8: [number, number | null] | null;
} {
  const s = CStr.fromBytesWithNul(withNul(bytes));
  let utf8: [number, number | null] | null = null;
  try {
    const text = s.toStr();
    deepStrictEqual(new TextEncoder().encode(text), bytes);
  } catch (error) {
    if (!(error instanceof Utf8Error)) throw error;
    utf8 = [error.validUpTo, error.errorLen ?? null];
  }
  return { lossy: s.toStringLossy(), utf8 };
}

Deno.test(`CStr matches ${rust.rustc}`, async (t) => {
  await t.step(
    `to_str and to_string_lossy of ${rust.utf8.length} byte strings`,
    () => {
      const mismatches: string[] = [];
      for (const c of rust.utf8) {
        const ours = ourUtf8(fromHex(c.bytes));
        if (
          ours.lossy !== c.lossy ||
          JSON.stringify(ours.utf8) !== JSON.stringify(c.utf8)
        ) {
          mismatches.push(
            `${c.bytes}: rust ${JSON.stringify(c)}, ours ${
              JSON.stringify(ours)
            }`,
          );
        }
      }
      deepStrictEqual(
        mismatches.slice(0, 20),
        [],
        `${mismatches.length} differ`,
      );
    },
  );

  await t.step(
    "the cases hold every error length and valid multi-byte text",
    () => {
      const lengths = new Set(rust.utf8.map((c) => c.utf8?.[1]));
      deepStrictEqual([...lengths].sort(), [1, 2, 3, null, undefined]);
      strictEqual(
        rust.utf8.some((c) => /[\u{10000}-\u{10ffff}]/u.test(c.lossy)),
        true,
      );
    },
  );

  await t.step(
    "TextDecoder agrees only when told to keep a leading BOM",
    () => {
      // Why the lossy decoding is not a bare TextDecoder: WHATWG's decoder
      // drops a leading U+FEFF unless ignoreBOM is set; Rust keeps it.
      const keep = new TextDecoder("utf-8", { ignoreBOM: true });
      const strip = new TextDecoder();
      const differ = (d: TextDecoder) =>
        rust.utf8.filter((c) => d.decode(fromHex(c.bytes)) !== c.lossy)
          .map((c) => c.bytes);
      deepStrictEqual(differ(keep), []);
      strictEqual(differ(strip).length > 0, true);
      strictEqual(differ(strip).every((hex) => hex.startsWith("efbbbf")), true);
    },
  );

  await t.step(
    `from_bytes_with_nul and from_bytes_until_nul of ${rust.nul.length} byte strings`,
    () => {
      const mismatches: string[] = [];
      for (const c of rust.nul) {
        const bytes = fromHex(c.bytes);
        let withNulResult: unknown;
        try {
          withNulResult = { ok: CStr.fromBytesWithNul(bytes).length };
        } catch (error) {
          if (!(error instanceof FromBytesWithNulError)) throw error;
          withNulResult = error.kind === "InteriorNul"
            ? { err: error.kind, position: error.position }
            : { err: error.kind };
        }
        let untilNul: number | null;
        try {
          untilNul = CStr.fromBytesUntilNul(bytes).length;
        } catch (error) {
          if (!(error instanceof FromBytesUntilNulError)) throw error;
          untilNul = null;
        }
        const ours = JSON.stringify([withNulResult, untilNul]);
        if (ours !== JSON.stringify([c.withNul, c.untilNul])) {
          mismatches.push(
            `${c.bytes}: rust ${JSON.stringify(c)}, ours ${ours}`,
          );
        }
      }
      deepStrictEqual(
        mismatches.slice(0, 20),
        [],
        `${mismatches.length} differ`,
      );
    },
  );

  await t.step(`Ord and Eq of ${rust.ord.length} pairs`, () => {
    const mismatches: string[] = [];
    for (const [a, b, ord] of rust.ord) {
      const x = CStr.fromBytesWithNul(withNul(fromHex(a)));
      const y = CStr.fromBytesWithNul(withNul(fromHex(b)));
      const ours = [x.compareTo(y), y.compareTo(x), x.equals(y)];
      if (JSON.stringify(ours) !== JSON.stringify([ord, -ord, ord === 0])) {
        mismatches.push(`${a} vs ${b}: rust ${ord}, ours ${ours}`);
      }
    }
    deepStrictEqual(mismatches.slice(0, 20), [], `${mismatches.length} differ`);
  });
});

Deno.test("CStr from bytes", async (t) => {
  await t.step("holds a copy: later writes to the bytes do not show", () => {
    const bytes = ascii("abc\0");
    const s = CStr.fromBytesWithNul(bytes);
    bytes[0] = 0x7a;
    s.toBytes()[1] = 0x7a;
    strictEqual(s.toStr(), "abc");
    deepStrictEqual([...s.toBytesWithNul()], [0x61, 0x62, 0x63, 0]);
  });

  await t.step("the errors say what was wrong", () => {
    throws(() => CStr.fromBytesWithNul(ascii("a\0b\0")), {
      name: "FromBytesWithNulError",
      message: "Data provided contains an interior nul byte at byte position 1",
    });
    throws(() => CStr.fromBytesWithNul(new Uint8Array(0)), {
      message: "Data provided is not nul terminated",
    });
    throws(() => CStr.fromBytesUntilNul(ascii("abc")), {
      message: "Data provided does not contain a nul",
    });
    throws(
      () => CStr.fromBytesWithNul(Uint8Array.of(0x61, 0xe2, 0x82, 0)).toStr(),
      {
        name: "Utf8Error",
        message: "Incomplete utf-8 byte sequence from index 1",
      },
    );
  });

  await t.step("from a view into a larger buffer", () => {
    const buffer = ascii("xxhi\0yy");
    strictEqual(CStr.fromBytesUntilNul(buffer.subarray(2)).toStr(), "hi");
  });

  await t.step("format's {} prints the lossy text", async () => {
    const { format } = await import("../macros/format.ts");
    strictEqual(
      format("[{}]", CStr.fromBytesWithNul(ascii("eth0\0"))),
      "[eth0]",
    );
  });
});

// ------------------------------------------------------------ fromPtr

function machine(): Machine {
  return new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
}

const STRING = 0x20_0000;

Deno.test("CStr.fromPtr reads through the MMU", async (t) => {
  await t.step("at a number, a bigint and a VirtualAddress", () => {
    const m = machine();
    m.memory.writeBytes(STRING, ascii("Exo-Kernel\0"));
    const report = m.run(() => {
      strictEqual(CStr.fromPtr(STRING).toStr(), "Exo-Kernel");
      strictEqual(CStr.fromPtr(BigInt(STRING) + 4n).toStr(), "Kernel");
      strictEqual(
        CStr.fromPtr(new VirtualAddress(STRING + 10)).isEmpty(),
        true,
      );
    });
    strictEqual(report.reason, "returned");
  });

  await t.step("holds a copy: a later write to memory does not show", () => {
    const m = machine();
    m.run(() => {
      writeBytes(STRING, ascii("before\0"));
      const s = CStr.fromPtr(STRING);
      writeBytes(STRING, ascii("after\0"));
      strictEqual(s.toStr(), "before");
    });
  });

  await t.step("thousands of strings keep their own bytes", () => {
    const m = machine();
    m.run(() => {
      const strings: [string, CStr][] = [];
      for (let i = 0; i < 3000; i++) {
        const text = `string ${i} `.repeat(i % 40);
        writeBytes(STRING, ascii(text + "\0"));
        strings.push([text, CStr.fromPtr(STRING)]);
        strings.push([text, CStr.fromBytesWithNul(ascii(text + "\0"))]);
      }
      for (const [text, s] of strings) strictEqual(s.toStr(), text);
    });
  });

  await t.step("across pages, and longer than a page", () => {
    const m = machine();
    const long = new Uint8Array(10_000).map((_, i) => 0x20 + i % 95);
    m.memory.writeBytes(STRING - 5, ascii("page-crossing\0"));
    m.memory.writeBytes(STRING + 0x1_0003, withNul(long));
    const report = m.run(() => {
      strictEqual(CStr.fromPtr(STRING - 5).toStr(), "page-crossing");
      deepStrictEqual(CStr.fromPtr(STRING + 0x1_0003).toBytes(), long);
    });
    strictEqual(report.reason, "returned");
  });

  await t.step(
    "a page that maps no RAM reads as 0xFF bytes, as readBytes",
    () => {
      const virtual = 0xffff_9000_0000_0000n;
      const m = machine();
      const report = m.run((boot) => {
        const frames = new FrameAllocator(boot.memoryMap);
        const mapper = new Mapper();
        const flags = new PageTableFlags().present().writable();
        const beyondRam = PhysFrame.containingAddress(0x1000_0000);
        const inRam = frames.allocate()!;
        mapper.mapTo(Page.containingAddress(virtual), beyondRam, flags, frames)
          .flush();
        mapper.mapTo(
          Page.containingAddress(virtual + 0x1000n),
          inRam,
          flags,
          frames,
        ).flush();
        writeBytes(virtual + 0x1000n, ascii("z\0"));
        deepStrictEqual([...CStr.fromPtr(virtual + 0xffen).toBytes()], [
          ...readBytes(virtual + 0xffen, 3),
        ]);
        deepStrictEqual(
          [...CStr.fromPtr(virtual + 0x10n).toBytes()].slice(0, 2),
          [0xff, 0xff],
        );
        strictEqual(CStr.fromPtr(virtual).length, 0x1001);
      });
      strictEqual(report.reason, "returned");
    },
  );

  await t.step("the same bytes as fromBytesUntilNul, anywhere", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 0x2000 }),
        (bytes, offset) => {
          const m = machine();
          const address = STRING + offset;
          m.memory.writeBytes(address, withNul(bytes));
          m.run(() => {
            deepStrictEqual(
              CStr.fromPtr(address).toBytesWithNul(),
              CStr.fromBytesUntilNul(withNul(bytes)).toBytesWithNul(),
            );
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  await t.step("outside Machine.run is a NoCpuError", () => {
    throws(() => CStr.fromPtr(STRING), NoCpuError);
  });
});

// A page of the first 2 MiB, which the boot tables map with 4 KiB pages:
// the tests unmap it.
const UNMAPPED = 0x18_0000;

// Unmaps the page at `address` in the boot tables (inside run).
function unmap(address: number): void {
  const [, flush] = new Mapper().unmap(Page.containingAddress(address));
  flush.flush();
}

Deno.test("CStr.fromPtr faults where a byte-by-byte strlen would", async (t) => {
  await t.step("a null pointer is a #PF at 0", () => {
    const report = machine().run(() => CStr.fromPtr(0));
    strictEqual(report.tripleFault?.vector, 14);
    strictEqual(report.tripleFault?.cr2, 0n);
  });

  await t.step("a non-canonical pointer is a #GP(0)", () => {
    const report = machine().run(() => CStr.fromPtr(0x0000_8000_0000_0000n));
    strictEqual(report.tripleFault?.vector, 13);
    strictEqual(report.tripleFault?.errorCode, 0);
  });

  await t.step("a string that ends just before an unmapped page reads", () => {
    const m = machine();
    const end = UNMAPPED;
    m.memory.writeBytes(end - 4, ascii("end\0"));
    m.memory.writeBytes(end - 0x1004, ascii("long"));
    m.memory.writeBytes(end - 0x1000, new Uint8Array(0xffc).fill(0x61));
    const report = m.run(() => {
      unmap(end);
      strictEqual(CStr.fromPtr(end - 4).toStr(), "end");
      strictEqual(CStr.fromPtr(end - 0x1004).length, 0x1003);
    });
    strictEqual(report.reason, "returned");
  });

  await t.step(
    "a string that runs into an unmapped page: #PF at its first byte",
    () => {
      const m = machine();
      const end = UNMAPPED;
      m.memory.writeBytes(end - 3, ascii("abc"));
      const report = m.run(() => {
        unmap(end);
        CStr.fromPtr(end - 3);
      });
      strictEqual(report.tripleFault?.vector, 14);
      strictEqual(report.tripleFault?.cr2, BigInt(end));
      // A supervisor read of a page that is not present.
      strictEqual(report.tripleFault?.errorCode, 0);
    },
  );

  await t.step(
    "a #PF handler that maps the page lets the read go on",
    () => {
      const heap = 0xffff_9000_0000_0000n;
      const faults: bigint[] = [];
      const m = machine();
      const report = m.run((boot) => {
        const frames = new FrameAllocator(boot.memoryMap);
        const mapper = new Mapper();
        const flags = new PageTableFlags().present().writable();
        // The first page holds "Hello, "; the second is mapped on demand
        // to a frame that already holds "world".
        const first = frames.allocate()!;
        const second = frames.allocate()!;
        mapper.mapTo(Page.containingAddress(heap), first, flags, frames)
          .flush();
        writeBytes(heap + 0xff9n, ascii("Hello, "));
        m.memory.writeBytes(second.startAddress().value, ascii("world\0"));
        const interrupts = new InterruptManager();
        interrupts.registerHandler(14, (context) => {
          faults.push(registers.readCr2());
          strictEqual(new PageFaultErrorCode(context.errorCode!).bits, 0);
          mapper.mapTo(
            Page.containingAddress(registers.readCr2()),
            second,
            flags,
            frames,
          )
            .flush();
        });
        interrupts.load();
        strictEqual(CStr.fromPtr(heap + 0xff9n).toStr(), "Hello, world");
      });
      strictEqual(report.reason, "returned");
      deepStrictEqual(faults, [heap + 0x1000n]);
    },
  );
});

Deno.test("CStr.fromPtr stops at maxLength", async (t) => {
  await t.step("a string of maxLength bytes reads; one more throws", () => {
    const m = machine();
    m.memory.writeBytes(STRING, ascii("0123456789\0"));
    m.run(() => {
      strictEqual(CStr.fromPtr(STRING, { maxLength: 10 }).length, 10);
      throws(() => CStr.fromPtr(STRING, { maxLength: 9 }), {
        name: "CStrTooLongError",
        message:
          "C string at 0x0000_0000_0020_0000 is longer than 9 bytes: no nul byte in its first 10 bytes (raise options.maxLength to read a longer one)",
      });
      strictEqual(CStr.fromPtr(STRING + 10, { maxLength: 0 }).isEmpty(), true);
    });
  });

  await t.step("reads no byte past address + maxLength", () => {
    const m = machine();
    const end = UNMAPPED;
    m.memory.writeBytes(end - 16, new Uint8Array(16).fill(0x61));
    const report = m.run(() => {
      unmap(end);
      // 16 bytes read, all in the mapped page, no nul: too long, no #PF.
      throws(() => CStr.fromPtr(end - 16, { maxLength: 15 }), CStrTooLongError);
    });
    strictEqual(report.reason, "returned");
  });

  await t.step("1 MiB by default, also across 2 MiB pages", () => {
    strictEqual(CStr.DEFAULT_MAX_LENGTH, 1 << 20);
    const m = machine();
    m.memory.fill(0x10_0000, 2 << 20, 0x61); // then a nul at 0x30_0000
    m.run(() => {
      throws(() => CStr.fromPtr(0x10_0000), (e: unknown) => {
        strictEqual((e as CStrTooLongError).maxLength, 1 << 20);
        strictEqual((e as CStrTooLongError).address, 0x10_0000n);
        return true;
      });
      strictEqual(CStr.fromPtr(0x30_0000 - (1 << 20)).length, 1 << 20);
    });
  });

  await t.step("a bad maxLength is a RangeError", () => {
    machine().run(() => {
      for (const maxLength of [-1, 1.5, NaN, 2 ** 53]) {
        throws(() => CStr.fromPtr(STRING, { maxLength }), {
          name: "RangeError",
          message:
            `Invalid maxLength ${maxLength}: expected a non-negative integer`,
        });
      }
    });
  });
});
