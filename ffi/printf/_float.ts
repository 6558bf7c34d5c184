// %f %F %e %E %g %G (glibc's printf_fp) and %a %A (printf_fphex) for
// doubles: exact decimal digits, rounded half to even on the exact binary
// value as glibc does in the default rounding mode.
import { fixed, scientific } from "../../macros/_decimal.ts";
import type { ByteSink } from "./_sink.ts";
import { Char, type Spec } from "./_spec.ts";

const view = new DataView(new ArrayBuffer(8));

// 2^k for -1100 ≤ k ≤ 1100, exact (0 below 2^-1074, Infinity above 2^1023).
const POW2 = new Float64Array(2201);
POW2[1100] = 1;
for (let k = 1; k <= 1100; k++) {
  POW2[1100 + k] = POW2[1099 + k]! * 2;
  POW2[1100 - k] = POW2[1101 - k]! / 2;
}

// A double has at most 1074 fraction digits and 767 significant digits:
// past these, the exact expansion goes on in zeros.
const MAX_FRACTION_DIGITS = 1074;
const MAX_SIGNIFICANT_DIGITS = 767;

/**
 * Whether `x` (≥ 0) lies exactly halfway between two multiples of
 * 2^-(k-1): x·2^k is an odd integer. A decimal rounding tie at the place
 * 10^-(k-1) needs this (x·10^(k-1) = n + ½ makes x·2^k = (2n+1)/5^(k-1)).
 */
function oddAt(x: number, k: number): boolean {
  const scaled = x * POW2[1100 + k]!;
  return Number.isInteger(scaled) && !Number.isInteger(scaled / 2);
}

/** `x` (finite, ≥ 0) with exactly `prec` fraction digits: "12.340". */
function fixedText(x: number, prec: number): string {
  if (x < 1e21 && prec <= 100) {
    // toFixed is exact but takes the larger candidate on a tie; glibc
    // takes the even one, and the larger one is odd then.
    const text = x.toFixed(prec);
    if (oddAt(x, prec + 1)) {
      const last = text.charCodeAt(text.length - 1);
      if (last & 1) {
        return text.slice(0, -1) + String.fromCharCode(last - 1);
      }
    }
    return text;
  }
  if (prec <= MAX_FRACTION_DIGITS) return fixed(x, prec);
  return fixed(x, MAX_FRACTION_DIGITS) +
    "0".repeat(prec - MAX_FRACTION_DIGITS);
}

/** The digits and exponent {@linkcode exponentDigits} found last. */
const decimal = { digits: "", exp: 0 };

/**
 * `prec + 1` significant digits of `x` (finite, ≥ 0) and the power of ten
 * of the first one, into {@linkcode decimal}.
 */
function exponentDigits(x: number, prec: number): void {
  if (x === 0) {
    decimal.digits = "0".repeat(prec + 1);
    decimal.exp = 0;
    return;
  }
  if (prec <= 100) {
    // toExponential is exact but for ties, which need x·2^(prec-exp+1) odd.
    const text = x.toExponential(prec);
    const e = text.indexOf("e");
    const exp = Number(text.slice(e + 1));
    if (!oddAt(x, prec - exp + 1)) {
      decimal.digits = prec === 0 ? text[0]! : text[0] + text.slice(2, e);
      decimal.exp = exp;
      return;
    }
  }
  const exact = Math.min(prec, MAX_SIGNIFICANT_DIGITS);
  const d = scientific(x, exact);
  decimal.digits = exact < prec
    ? d.digits + "0".repeat(prec - exact)
    : d.digits;
  decimal.exp = d.exp;
}

const HEX = "0123456789abcdef";

/** `value` (below 2^32) as exactly `count` hex digits. */
function hexDigits(value: number, count: number): string {
  let text = "";
  for (let i = 0; i < count; i++, value >>>= 4) text = HEX[value & 15] + text;
  return text;
}

/** The sign bit, which NaN has too (`-nan`). */
function signBit(x: number): boolean {
  view.setFloat64(0, x);
  return view.getUint8(0) >= 0x80;
}

function exponentText(upper: boolean, exp: number): string {
  const magnitude = exp < 0 ? -exp : exp;
  return (upper ? "E" : "e") + (exp < 0 ? "-" : "+") +
    (magnitude < 10 ? "0" : "") + magnitude;
}

/** %e: one digit, the point, `prec` digits, and an exponent of 2+ digits. */
function exponentBody(x: number, prec: number, spec: Spec, upper: boolean) {
  exponentDigits(x, prec);
  const digits = decimal.digits;
  return digits[0]! + (prec > 0 || spec.alt ? "." : "") + digits.slice(1) +
    exponentText(upper, decimal.exp);
}

/** %g: %e or %f by the exponent, trailing zeros removed unless `#`. */
function generalBody(x: number, prec: number, spec: Spec, upper: boolean) {
  const p = prec === 0 ? 1 : prec;
  exponentDigits(x, p - 1);
  const digits = decimal.digits;
  const exp = decimal.exp;
  let whole: string;
  let fraction: string;
  let suffix = "";
  if (exp < p && exp >= -4) {
    if (exp >= 0) {
      whole = digits.slice(0, exp + 1);
      fraction = digits.slice(exp + 1);
    } else {
      whole = "0";
      fraction = "0".repeat(-exp - 1) + digits;
    }
  } else {
    whole = digits[0]!;
    fraction = digits.slice(1);
    suffix = exponentText(upper, exp);
  }
  if (!spec.alt) {
    let end = fraction.length;
    while (end > 0 && fraction.charCodeAt(end - 1) === Char.Zero) end--;
    fraction = fraction.slice(0, end);
  }
  return whole + (fraction !== "" || spec.alt ? "." + fraction : "") + suffix;
}

/** Writes `inf`/`nan` with its sign, padded with spaces. */
function writeSpecial(sink: ByteSink, spec: Spec, sign: string, text: string) {
  const width = spec.width - text.length - sign.length;
  if (!spec.left) sink.fill(Char.Space, width);
  sink.text(sign);
  sink.text(text);
  if (spec.left) sink.fill(Char.Space, width);
}

function signText(spec: Spec, x: number): string {
  return signBit(x) ? "-" : spec.showsign ? "+" : spec.space ? " " : "";
}

/** `%f %F %e %E %g %G` of a double, as glibc's `__printf_fp`. */
export function writeFloat(sink: ByteSink, spec: Spec, x: number): void {
  const c = spec.conversion;
  const upper = c < 0x60;
  const sign = signText(spec, x);
  if (!Number.isFinite(x)) {
    const text = x !== x ? "nan" : "inf";
    writeSpecial(sink, spec, sign, upper ? text.toUpperCase() : text);
    return;
  }
  const magnitude = Math.abs(x);
  const prec = spec.prec < 0 ? 6 : spec.prec;
  // The longest body: 309 integer digits, a point, the precision, e-308.
  sink.check(prec + 320);
  let body: string;
  if (c === 0x66 || c === 0x46) {
    body = fixedText(magnitude, prec);
    if (prec === 0 && spec.alt) body += ".";
  } else if (c === 0x65 || c === 0x45) {
    body = exponentBody(magnitude, prec, spec, upper);
  } else {
    body = generalBody(magnitude, prec, spec, upper);
  }
  writeBody(sink, spec, spec.width, sign, "", body);
}

/**
 * Sign, prefix (`0x`), zeros or spaces, body, to `width` bytes:
 * right-justified pads before the sign with spaces, or after the prefix
 * with zeros for the `0` flag; left-justified appends the padding byte
 * (zeros where a negative `*` width meets the `0` flag in positional mode).
 */
function writeBody(
  sink: ByteSink,
  spec: Spec,
  fieldWidth: number,
  sign: string,
  prefix: string,
  body: string,
): void {
  const width = fieldWidth - sign.length - prefix.length - body.length;
  const zero = spec.pad === Char.Zero;
  if (!spec.left && !zero) sink.fill(Char.Space, width);
  sink.text(sign);
  sink.text(prefix);
  if (!spec.left && zero) sink.fill(Char.Zero, width);
  sink.text(body);
  if (spec.left) sink.fill(spec.pad, width);
}

/** `%a %A` of a double, as glibc's `__printf_fphex`. */
export function writeHexFloat(sink: ByteSink, spec: Spec, x: number): void {
  const upper = spec.conversion === 0x41;
  const sign = signText(spec, x);
  if (!Number.isFinite(x)) {
    const text = x !== x ? "nan" : "inf";
    writeSpecial(sink, spec, sign, upper ? text.toUpperCase() : text);
    return;
  }
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = high >>> 20 & 0x7ff;
  const mantissaHigh = high & 0xf_ffff;
  const zero = mantissaHigh === 0 && low === 0;
  let leading = biased === 0 ? 0 : 1;
  const exp = biased === 0 ? (zero ? 0 : -1022) : biased - 1023;
  const prec = spec.prec;
  sink.check(prec + 32);
  let fraction: string;
  if (zero) {
    fraction = prec > 0 ? "0".repeat(prec) : "";
  } else if (prec < 0 || prec >= 13) {
    fraction = hexDigits(mantissaHigh, 5) + hexDigits(low, 8);
    if (prec < 0) {
      let end = 13;
      while (fraction.charCodeAt(end - 1) === Char.Zero) end--;
      fraction = fraction.slice(0, end);
    } else {
      fraction += "0".repeat(prec - 13);
    }
  } else {
    // Keep 4·prec bits after the leading digit, rounding half to even; the
    // 53-bit value and every step are exact in a double. A carry makes
    // the leading digit 2 (or 1 for a subnormal): glibc does not
    // renormalise.
    const value = leading * 2 ** 52 + mantissaHigh * 2 ** 32 + low;
    const unit = POW2[1100 + 52 - 4 * prec]!;
    let kept = Math.floor(value / unit);
    const rest = value - kept * unit;
    if (rest > unit / 2 || (rest === unit / 2 && kept % 2 === 1)) kept++;
    const scale = POW2[1100 + 4 * prec]!;
    leading = Math.floor(kept / scale);
    const bits = kept - leading * scale; // below 2^48
    fraction = prec > 8
      ? hexDigits(Math.floor(bits / 2 ** 32), prec - 8) +
        hexDigits(bits >>> 0, 8)
      : hexDigits(bits, prec);
  }
  let body = leading + (fraction !== "" || spec.alt ? "." : "") + fraction +
    "p" + (exp < 0 ? "-" : "+") + (exp < 0 ? -exp : exp);
  if (upper) body = body.toUpperCase();
  // Left-justified with zero padding (a negative `*` width with `0` in
  // positional mode), glibc pads %a with nothing.
  const width = spec.left && spec.pad === Char.Zero ? 0 : spec.width;
  writeBody(sink, spec, width, sign, upper ? "0X" : "0x", body);
}
