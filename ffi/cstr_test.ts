import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { NulError } from "./c_str_errors.ts";
import { cstr } from "./cstr.ts";

Deno.test("cstr", async (t) => {
  await t.step('the UTF-8 bytes of the literal and a nul, as c"…"', () => {
    // rustc: c"Exo-Kernel".to_bytes_with_nul() is b"Exo-Kernel\0";
    // c"é" is [0xc3, 0xa9, 0].
    deepStrictEqual(
      [...cstr("Exo-Kernel").toBytesWithNul()],
      [...new TextEncoder().encode("Exo-Kernel"), 0],
    );
    deepStrictEqual([...cstr("é").toBytesWithNul()], [0xc3, 0xa9, 0]);
    strictEqual(cstr("").isEmpty(), true);
  });

  await t.step("an interior nul throws a NulError with the bytes", () => {
    throws(() => cstr("é\0x"), (error: unknown) => {
      strictEqual(error instanceof NulError, true);
      const e = error as NulError;
      strictEqual(
        e.message,
        'Invalid C string literal "é\\u0000x": nul byte at byte position 2, where a C string would end',
      );
      strictEqual(e.position, 2);
      deepStrictEqual([...e.bytes], [0xc3, 0xa9, 0, 0x78]);
      return true;
    });
  });

  await t.step("a lone surrogate is a TypeError", () => {
    throws(() => cstr("\udfff"), {
      name: "TypeError",
      message:
        "Invalid C string literal: lone surrogate U+DFFF at index 0, which UTF-8 cannot encode (pass the bytes instead)",
    });
  });
});
