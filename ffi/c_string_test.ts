import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink, PhysicalAddressError } from "../machine/mod.ts";
import { Mapper, Page, readBytes } from "../memory/mod.ts";
import { CStr } from "./c_str.ts";
import { NulError } from "./c_str_errors.ts";
import { CString } from "./c_string.ts";
import { fromHex, rust } from "./testdata/rust_cstr_cases.ts";

const hex = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

Deno.test(`CString.new matches ${rust.rustc} on ${rust.nul.length} byte strings`, () => {
  const mismatches: string[] = [];
  for (const c of rust.nul) {
    const bytes = fromHex(c.bytes);
    let ours: number | null;
    try {
      const s = CString.new(bytes);
      strictEqual(hex(s.intoBytes()), c.bytes);
      strictEqual(hex(s.intoBytesWithNul()), c.bytes + "00");
      ours = null;
    } catch (error) {
      if (!(error instanceof NulError)) throw error;
      strictEqual(hex(error.bytes), c.bytes); // Rust's into_vec()
      ours = error.position;
    }
    if (ours !== c.cstringNew) {
      mismatches.push(`${c.bytes}: rust ${c.cstringNew}, ours ${ours}`);
    }
  }
  deepStrictEqual(mismatches.slice(0, 20), [], `${mismatches.length} differ`);
});

Deno.test("CString from text", async (t) => {
  await t.step("encodes UTF-8", () => {
    // U+00FC is C3 BC, U+00DF is C3 9F, U+1F600 is F0 9F 98 80.
    strictEqual(hex(CString.new("Grüße").intoBytes()), "4772c3bcc39f65");
    strictEqual(hex(new CString("😀").intoBytesWithNul()), "f09f988000");
    strictEqual(CString.new("😀").length, 4);
  });

  await t.step("a nul in text is a NulError at its byte position", () => {
    throws(() => CString.new("é\0"), {
      name: "NulError",
      message: "Nul byte found in provided data at position: 2",
      position: 2,
    });
  });

  await t.step("a lone surrogate is a TypeError", () => {
    throws(() => CString.new("ab\ud800c"), {
      name: "TypeError",
      message:
        "Invalid C string: lone surrogate U+D800 at index 2, which UTF-8 cannot encode (pass the bytes instead)",
    });
    throws(() => CString.new("😀\udc00"), {
      message: /lone surrogate U\+DC00 at index 2/,
    });
  });

  await t.step("holds a copy of the bytes given", () => {
    const bytes = Uint8Array.of(0x61, 0x62);
    const s = CString.new(bytes);
    bytes[0] = 0x7a;
    s.intoBytes()[1] = 0x7a;
    strictEqual(s.asCStr().toStr(), "ab");
    strictEqual(`${s}`, "ab");
  });

  await t.step("asCStr is the same CStr each time", () => {
    const s = CString.new("x");
    strictEqual(s.asCStr(), s.asCStr());
    strictEqual(
      s.asCStr().equals(CStr.fromBytesWithNul(Uint8Array.of(0x78, 0))),
      true,
    );
  });
});

function machine(): Machine {
  return new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
}

Deno.test("CString into machine memory", async (t) => {
  await t.step("writeTo goes through the MMU, nul included", () => {
    const m = machine();
    m.memory.fill(0x20_0000, 16, 0xaa);
    const report = m.run(() => {
      const there = CString.new("tty").writeTo(0x20_0ffe);
      strictEqual(there.toStr(), "tty");
      deepStrictEqual([...readBytes(0x20_0ffe, 5)], [0x74, 0x74, 0x79, 0, 0]);
    });
    strictEqual(report.reason, "returned");
    deepStrictEqual([...m.memory.readBytes(0x20_0ffe, 4)], [
      0x74,
      0x74,
      0x79,
      0,
    ]);
  });

  await t.step("a write into an unmapped page is a #PF with W/R set", () => {
    const unmapped = 0x18_0000; // mapped with 4 KiB pages at boot
    const report = machine().run(() => {
      const [, flush] = new Mapper().unmap(Page.containingAddress(unmapped));
      flush.flush();
      CString.new("abc").writeTo(unmapped - 2);
    });
    strictEqual(report.tripleFault?.vector, 14);
    strictEqual(report.tripleFault?.cr2, BigInt(unmapped));
    strictEqual(report.tripleFault?.errorCode, 0b10); // write, not present
  });

  await t.step("writeToPhysical needs no CPU and checks RAM", () => {
    const m = machine();
    const s = CString.new("root=/dev/sda1");
    strictEqual(s.writeToPhysical(m.memory, 0x20_0000), s.asCStr());
    strictEqual(
      CStr.fromBytesUntilNul(m.memory.readBytes(0x20_0000, 32)).toStr(),
      "root=/dev/sda1",
    );
    throws(
      () => s.writeToPhysical(m.memory, (4 << 20) - 4),
      PhysicalAddressError,
    );
  });
});
