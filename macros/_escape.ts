// Debug escapes of `str` and `char` (Rust's char::escape_debug_ext): \0 \t \r
// \n \\ and the quote are backslash escapes; grapheme extenders and
// characters that are not printable (general categories Cc Cf Cs Co Cn Zl
// Zp Zs, except the space) become \u{hex}.

const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const ESCAPED =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{Grapheme_Extend}]/u;

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
    else if (code === 0x7f || code < 0x20 || ESCAPED.test(c)) {
      out += `\\u{${code.toString(16)}}`;
    } else out += c;
  }
  return out + quote;
}
