// Debug escapes of `str` and `char` (Rust's char::escape_debug_ext): \0 \t \r
// \n \\ and the quote are backslash escapes; grapheme extenders and
// characters that are not printable (general categories Cc Cf Cs Co Cn Zl
// Zp Zs, except the space) become \u{hex}.

const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const ESCAPED =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{Grapheme_Extend}]/u;

// Code points that Unicode 17 assigned as printable characters, which
// Rust 1.95's tables print as they are but this engine's Unicode data still
// calls unassigned (Cn): [first, last] pairs, sorted.
const UNICODE_17_PRINTABLE: readonly number[] = [
  0x88f,
  0x88f,
  0xc5c,
  0xc5c,
  0xcdc,
  0xcdc,
  0x20c1,
  0x20c1,
  0x2b96,
  0x2b96,
  0xa7ce,
  0xa7cf,
  0xa7d2,
  0xa7d2,
  0xa7d4,
  0xa7d4,
  0xa7f1,
  0xa7f1,
  0xfbc3,
  0xfbd2,
  0xfd90,
  0xfd91,
  0xfdc8,
  0xfdce,
  0x10940,
  0x10959,
  0x10ec5,
  0x10ec7,
  0x10ed0,
  0x10ed8,
  0x11b61,
  0x11b61,
  0x11b65,
  0x11b65,
  0x11b67,
  0x11b67,
  0x11db0,
  0x11ddb,
  0x11de0,
  0x11de9,
  0x16ea0,
  0x16eb8,
  0x16ebb,
  0x16ed3,
  0x16ff2,
  0x16ff6,
  0x187f8,
  0x187ff,
  0x18d09,
  0x18d1e,
  0x18d80,
  0x18df2,
  0x1ccfa,
  0x1ccfc,
  0x1ceba,
  0x1ced0,
  0x1cee0,
  0x1cef0,
  0x1e6c0,
  0x1e6de,
  0x1e6e0,
  0x1e6e2,
  0x1e6e4,
  0x1e6e5,
  0x1e6e7,
  0x1e6ed,
  0x1e6f0,
  0x1e6f4,
  0x1e6fe,
  0x1e6ff,
  0x1f6d8,
  0x1f6d8,
  0x1f777,
  0x1f77a,
  0x1f8d0,
  0x1f8d8,
  0x1fa54,
  0x1fa57,
  0x1fa8a,
  0x1fa8a,
  0x1fa8e,
  0x1fa8e,
  0x1fac8,
  0x1fac8,
  0x1facd,
  0x1facd,
  0x1faea,
  0x1faea,
  0x1faef,
  0x1faef,
  0x1fbfa,
  0x1fbfa,
  0x2b73a,
  0x2b73f,
  0x2cea2,
  0x2cead,
  0x323b0,
  0x33479,
];

function newlyPrintable(code: number): boolean {
  let lo = 0;
  let hi = UNICODE_17_PRINTABLE.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (code < UNICODE_17_PRINTABLE[2 * mid]!) hi = mid - 1;
    else if (code > UNICODE_17_PRINTABLE[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The Debug form of a string (`quote` `"`) or a char (`quote` `'`), quoted:
 * a string escapes `"` but not `'`, a char the other way round.
 */
export function escapeDebug(s: string, quote: '"' | "'"): string {
  if (quote === '"' && PLAIN_STRING.test(s)) return `"${s}"`;
  let out = quote;
  for (const c of s) {
    const code = c.codePointAt(0)!;
    switch (code) {
      case 0x00:
        out += "\\0";
        continue;
      case 0x09:
        out += "\\t";
        continue;
      case 0x0a:
        out += "\\n";
        continue;
      case 0x0d:
        out += "\\r";
        continue;
      case 0x5c:
        out += "\\\\";
        continue;
      case 0x22:
      case 0x27:
        out += c === quote ? `\\${c}` : c;
        continue;
    }
    if (code >= 0x20 && code < 0x7f) out += c;
    else if (
      code === 0x7f || code < 0x20 || (ESCAPED.test(c) && !newlyPrintable(code))
    ) {
      out += `\\u{${code.toString(16)}}`;
    } else out += c;
  }
  return out + quote;
}
