// What Rust's std says of many byte strings, recorded by gen_rust_cstr.py
// in rust_cstr_cases.json (see that script for the fields), for the tests.

/** A NUL-free byte string: `to_str` and `to_string_lossy` of its `CStr`. */
export interface Utf8Case {
  bytes: string;
  lossy: string;
  /** `null` for UTF-8, else `[valid_up_to, error_len]` (`null` = `None`). */
  utf8: [number, number | null] | null;
}

/** Any byte string: `from_bytes_with_nul`, `from_bytes_until_nul`, `CString::new`. */
export interface NulCase {
  bytes: string;
  withNul:
    | { ok: number }
    | { err: "InteriorNul"; position: number }
    | { err: "NotNulTerminated" };
  /** `count_bytes` of the CStr, or `null` for `FromBytesUntilNulError`. */
  untilNul: number | null;
  /** `null` when `CString::new` accepts the bytes, else `nul_position()`. */
  cstringNew: number | null;
}

/** The recorded cases. */
export interface RustCStrCases {
  rustc: string;
  utf8: Utf8Case[];
  nul: NulCase[];
  /** Two NUL-free byte strings and `Ord::cmp` of their CStrs. */
  ord: [string, string, -1 | 0 | 1][];
}

/** The cases of rust_cstr_cases.json. */
export const rust: RustCStrCases = JSON.parse(
  await Deno.readTextFile(new URL("./rust_cstr_cases.json", import.meta.url)),
);

/** The bytes of a lowercase hex string. */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

/** The bytes followed by a nul. */
export function withNul(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
