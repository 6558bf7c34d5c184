import { utf8Bytes } from "./_c_str_utf8.ts";
import { CStr } from "./c_str.ts";
import { NulError } from "./c_str_errors.ts";

/**
 * A {@linkcode CStr} from a string literal, encoded as UTF-8 with a nul
 * added: the seed's `cstr!("…")` (Rust's `c"…"` literal). Where rustc
 * rejects a literal with a nul in it at compile time, this throws.
 *
 * @param literal The text, without a nul.
 * @returns The C string.
 * @throws {NulError} If the text holds a nul, with its byte position.
 * @throws {TypeError} If the text holds a lone surrogate, which UTF-8
 *   cannot encode.
 *
 * @example The seed's example, and an interior nul
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 *
 * const name = cstr("Exo-Kernel");
 * strictEqual(name.length, 10);
 * strictEqual(name.toStr(), "Exo-Kernel");
 * throws(() => cstr("Exo\0Kernel"), {
 *   name: "NulError",
 *   message: 'Invalid C string literal "Exo\\u0000Kernel": nul byte at byte position 3, where a C string would end',
 *   position: 3,
 * });
 * ```
 */
export function cstr(literal: string): CStr {
  const bytes = utf8Bytes(literal, "C string literal");
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new NulError(
      nul,
      bytes,
      `Invalid C string literal ${
        JSON.stringify(literal)
      }: nul byte at byte position ${nul}, where a C string would end`,
    );
  }
  const withNul = new Uint8Array(bytes.length + 1);
  withNul.set(bytes);
  return CStr.fromBytesWithNul(withNul);
}
