// Decimal digits of f64 and integer values, as Rust's core::fmt::float and
// core::fmt::num produce them: shortest round-trip digits (the same rule as
// ECMAScript's Number::toString: fewest digits, then closest), and exact
// digits for a precision, rounded half to even on the exact binary value.

/** Digits and a decimal exponent: the value is `0.d₁d₂… × 10^(exp + 1)`. */
export interface Digits {
  /** The significant digits, no leading zero (just "0" for zero). */
  digits: string;
  /** The power of ten of the first digit. */
  exp: number;
}

const scratch: Digits = { digits: "", exp: 0 };
const view = new DataView(new ArrayBuffer(8));

/**
 * Shortest round-trip digits of a finite, non-negative `x`.
 * Returns a shared object: read it before the next call.
 */
export function shortest(x: number): Digits {
  if (x === 0) {
    scratch.digits = "0";
    scratch.exp = 0;
    return scratch;
  }
  const text = x.toExponential(); // "d.ddde+N": shortest digits
  const e = text.indexOf("e");
  let digits = text[0]! + text.slice(2, e);
  const exp = Number(text.slice(e + 1));
  // Where x lies exactly halfway between the two nearest shortest
  // candidates, ECMAScript picks the even one and Rust's Dragon4 the upper
  // one. A tie needs x = k × 2^p with k odd, p ≤ -2 and 10^p the place just
  // after the last digit; x then ends in …25 when k ≡ 1 (mod 4), where
  // ECMAScript's last digit is the 2 and Rust's a 3, or in …75, where both
  // pick the 8.
  const p = exp - digits.length;
  if (p <= -2 && x * 2 ** -p % 4 === 1) digits = digits.slice(0, -1) + "3";
  scratch.digits = digits;
  scratch.exp = exp;
  return scratch;
}

/** Splits a finite, non-negative f64 into `mantissa × 2^exponent`. */
function decompose(x: number): [bigint, number] {
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = high >>> 20 & 0x7ff;
  let mantissa = BigInt(high & 0xf_ffff) << 32n | BigInt(low);
  if (biased !== 0) mantissa |= 1n << 52n;
  return [mantissa, (biased === 0 ? 1 : biased) - 1075];
}

// round(num / den) with ties to even.
function divideRounded(num: bigint, den: bigint): bigint {
  const q = num / den;
  const twice = (num - q * den) * 2n;
  return twice > den || (twice === den && (q & 1n) === 1n) ? q + 1n : q;
}

/**
 * `x` (finite, non-negative) with exactly `precision` fraction digits,
 * rounded half to even on its exact value: "2.67" for 2.675 and 2.
 */
export function fixed(x: number, precision: number): string {
  const [mantissa, exp] = decompose(x);
  let scaled: bigint;
  if (exp >= 0) {
    scaled = (mantissa << BigInt(exp)) * 10n ** BigInt(precision);
  } else {
    scaled = divideRounded(
      mantissa * 10n ** BigInt(precision),
      1n << BigInt(-exp),
    );
  }
  const text = scaled.toString().padStart(precision + 1, "0");
  if (precision === 0) return text;
  return `${text.slice(0, -precision)}.${text.slice(-precision)}`;
}

/**
 * `precision + 1` significant digits of `value` (an f64 or an integer as a
 * `bigint`, non-negative) rounded half to even, with the exponent of the
 * first one. Returns a shared object: read it before the next call.
 */
export function scientific(value: number | bigint, precision: number): Digits {
  let mantissa: bigint;
  let exp2: number;
  let exp10: number;
  if (typeof value === "bigint") {
    mantissa = value;
    exp2 = 0;
    exp10 = value === 0n ? 0 : value.toString().length - 1;
  } else {
    [mantissa, exp2] = decompose(value);
    exp10 = value === 0 ? 0 : shortest(value).exp;
  }
  if (mantissa === 0n) {
    scratch.digits = "0".repeat(precision + 1);
    scratch.exp = 0;
    return scratch;
  }
  for (;;) {
    // value × 10^(precision − exp10), as num / den.
    const shift = precision - exp10;
    let num = mantissa * (shift > 0 ? 10n ** BigInt(shift) : 1n);
    let den = shift < 0 ? 10n ** BigInt(-shift) : 1n;
    if (exp2 >= 0) num <<= BigInt(exp2);
    else den <<= BigInt(-exp2);
    const q = divideRounded(num, den);
    const text = q.toString();
    if (text.length === precision + 1) {
      scratch.digits = text;
      scratch.exp = exp10;
      return scratch;
    }
    if (text.length > precision + 1) {
      // Rounded up to the next power of ten, or exp10 was one too small.
      if (num / den >= 10n ** BigInt(precision + 1)) {
        exp10++;
        continue;
      }
      scratch.digits = text.slice(0, precision + 1);
      scratch.exp = exp10 + 1;
      return scratch;
    }
    exp10--; // the shortest form rounded up across a power of ten
  }
}
