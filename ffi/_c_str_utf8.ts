// UTF-8 the way Rust's core checks and repairs it: where the first invalid
// sequence starts and how long it is (`run_utf8_validation`, which gives
// `Utf8Error`), and the lossy decoding that puts one U+FFFD for each
// maximal invalid subpart (`Utf8Chunks`, which `String::from_utf8_lossy`
// uses). The well-formed sequences are those of The Unicode Standard
// §3.9, table 3-7. The WHATWG decoder replaces the same maximal subparts,
// so a TextDecoder does the lossy decoding — once told to keep a leading
// byte-order mark, which Rust keeps and WHATWG strips (c_str_test.ts checks
// both against rustc on every recorded case).

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of a string; `what` names it in the error.
 *
 * @throws {TypeError} If the string holds a lone surrogate, which UTF-8
 *   cannot encode (TextEncoder would put U+FFFD in its place).
 */
export function utf8Bytes(value: string, what: string): Uint8Array {
  if (!value.isWellFormed()) {
    let i = 0;
    for (; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const next = value.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
        else break;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) break;
    }
    throw new TypeError(
      `Invalid ${what}: lone surrogate U+${
        value.charCodeAt(i).toString(16).toUpperCase()
      } at index ${i}, which UTF-8 cannot encode (pass the bytes instead)`,
    );
  }
  return encoder.encode(value);
}

// ignoreBOM: a leading U+FEFF is text to Rust, not a mark to strip.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Checks `bytes[start, end)`. Returns -1 when it is UTF-8; else the offset
 * of the first invalid sequence times 4 plus its length in bytes (1 to 3,
 * Rust's `error_len`), or plus 0 when the input ends inside a sequence
 * that more bytes could complete (Rust's `None`).
 */
export function firstInvalid(
  bytes: Uint8Array,
  start: number,
  end: number,
): number {
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // C0 and C1 could only start overlong forms; F5..FF code points above
    // U+10FFFF (or no UTF-8 at all).
    if (b < 0xc2 || b > 0xf4) return i * 4 + 1;
    if (i + 1 >= end) return i * 4;
    const b1 = bytes[i + 1]!;
    if (b < 0xe0) {
      if ((b1 & 0xc0) !== 0x80) return i * 4 + 1;
      i += 2;
      continue;
    }
    // The second byte's range shuts out overlong forms (E0, F0), the
    // surrogates D800..DFFF (ED) and code points above U+10FFFF (F4).
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (b1 < low || b1 > high) return i * 4 + 1;
    if (i + 2 >= end) return i * 4;
    if ((bytes[i + 2]! & 0xc0) !== 0x80) return i * 4 + 2;
    if (b < 0xf0) {
      i += 3;
      continue;
    }
    if (i + 3 >= end) return i * 4;
    if ((bytes[i + 3]! & 0xc0) !== 0x80) return i * 4 + 3;
    i += 4;
  }
  return -1;
}

/**
 * The text of `bytes[start, end)`, with each maximal invalid subpart
 * replaced by one U+FFFD, as Rust's `String::from_utf8_lossy`.
 */
export function decode(bytes: Uint8Array, start: number, end: number): string {
  return decoder.decode(bytes.subarray(start, end));
}
