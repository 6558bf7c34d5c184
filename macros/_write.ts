// Formats one value for one trait, as Rust's core::fmt does: Formatter::pad,
// pad_integral and pad_formatted_parts, the integer and float impls, and the
// Debug builders (debug_list, debug_map, debug_struct) with PadAdapter.
import { fixed, scientific, shortest } from "./_decimal.ts";
import { escapeDebug } from "./_escape.ts";
import { Align, DebugHex, Trait } from "./_template.ts";
import { Typed } from "./typed.ts";

/** The options of the placeholder being formatted, with resolved counts. */
export interface Options {
  fill: string;
  align: Align;
  plus: boolean;
  alternate: boolean;
  zero: boolean;
  width: number; // -1: none
  precision: number; // -1: none
  debugHex: DebugHex;
}

const TWO_63 = 2 ** 63;
const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

/** The Rust type of a JS value that has no explicit type, for messages. */
export function rustTypeName(value: unknown): string {
  switch (typeof value) {
    case "number":
      return isI64(value) ? "i64" : "f64";
    case "bigint":
      return value < 0n ? "i64" : "u64";
    case "string":
      return "&str";
    case "boolean":
      return "bool";
    case "undefined":
      return "Option<_> (undefined)";
    case "object":
      if (value === null) return "Option<_> (null)";
      if (value instanceof Typed) return value.type;
      if (Array.isArray(value) || ArrayBuffer.isView(value)) return "Vec<_>";
      if (value instanceof Map || isPlainObject(value)) return "a map";
      if (value instanceof Set) return "a set";
      return (value as object).constructor?.name ?? "an object";
    default:
      return typeof value;
  }
}

function isI64(x: number): boolean {
  return Number.isInteger(x) && x >= -TWO_63 && x < TWO_63 && !Object.is(x, -0);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Formats `value` for `trait`, or returns `undefined` when the value's Rust
 * type does not implement the trait.
 */
export function write(
  value: unknown,
  trait: Trait,
  o: Options,
): string | undefined {
  switch (typeof value) {
    case "number":
      return isI64(value)
        ? integer(value, 64, true, trait, o)
        : float(value, trait, o);
    case "bigint":
      if (value < I64_MIN || value > U64_MAX) {
        throw new RangeError(
          `Invalid integer ${value}: a bigint formats as i64 or u64, from -2^63 to 2^64 - 1`,
        );
      }
      return integer(value, 64, value < 0n, trait, o);
    case "string":
      return trait === Trait.Display
        ? pad(value, o, Align.Left)
        : trait === Trait.Debug
        ? escapeDebug(value, '"')
        : undefined;
    case "boolean":
      return trait === Trait.Display || trait === Trait.Debug
        ? pad(value ? "true" : "false", o, Align.Left)
        : undefined;
    case "undefined":
      return trait === Trait.Debug ? "None" : undefined;
    case "object":
      return value === null
        ? (trait === Trait.Debug ? "None" : undefined)
        : object(value, trait, o);
    default:
      return undefined;
  }
}

function object(value: object, trait: Trait, o: Options): string | undefined {
  if (value instanceof Typed) return typed(value, trait, o);
  if (trait !== Trait.Debug) {
    // A class may give itself Display through its own toString().
    if (
      trait === Trait.Display && !isPlainObject(value) &&
      typeof (value as { toString?: unknown }).toString === "function" &&
      (value as { toString: unknown }).toString !== Object.prototype.toString &&
      !Array.isArray(value) && !ArrayBuffer.isView(value)
    ) {
      return pad(String(value), o, Align.Left);
    }
    return undefined;
  }
  if (Array.isArray(value)) return list("[", "]", value, o);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return list(
      "[",
      "]",
      Array.from(value as unknown as ArrayLike<unknown>),
      o,
    );
  }
  if (value instanceof Set) return list("{", "}", [...value], o);
  if (value instanceof Map) return map([...value], o, false);
  if (isPlainObject(value)) return map(Object.entries(value), o, true);
  const name = value.constructor?.name ?? "Object";
  return struct(name, Object.entries(value), o);
}

function typed(t: Typed, trait: Trait, o: Options): string | undefined {
  const v = t.value;
  switch (t.type) {
    case "u8":
      return integer(v as number, 8, false, trait, o);
    case "u16":
      return integer(v as number, 16, false, trait, o);
    case "u32":
      return integer(v as number, 32, false, trait, o);
    case "i8":
      return integer(v as number, 8, true, trait, o);
    case "i16":
      return integer(v as number, 16, true, trait, o);
    case "i32":
      return integer(v as number, 32, true, trait, o);
    case "u64":
    case "usize":
      return integer(v as bigint, 64, false, trait, o);
    case "i64":
    case "isize":
      return integer(v as bigint, 64, true, trait, o);
    case "f64":
      return float(v as number, trait, o);
    case "char":
      return trait === Trait.Display
        ? pad(v as string, o, Align.Left)
        : trait === Trait.Debug
        ? escapeDebug(v as string, "'")
        : undefined;
  }
}

// ---------------------------------------------------------------- integers

function integer(
  v: number | bigint,
  bits: number,
  signed: boolean,
  trait: Trait,
  o: Options,
): string | undefined {
  if (trait === Trait.Debug) {
    trait = o.debugHex === DebugHex.Lower
      ? Trait.LowerHex
      : o.debugHex === DebugHex.Upper
      ? Trait.UpperHex
      : Trait.Display;
  }
  const negative = signed && v < 0;
  switch (trait) {
    case Trait.Display:
      return padIntegral(
        !negative,
        "",
        negative ? (-v).toString() : v.toString(),
        o,
      );
    case Trait.LowerHex:
      return padIntegral(
        true,
        "0x",
        unsigned(v, bits, negative).toString(16),
        o,
      );
    case Trait.UpperHex:
      return padIntegral(
        true,
        "0x",
        unsigned(v, bits, negative).toString(16).toUpperCase(),
        o,
      );
    case Trait.Octal:
      return padIntegral(
        true,
        "0o",
        unsigned(v, bits, negative).toString(8),
        o,
      );
    case Trait.Binary:
      return padIntegral(
        true,
        "0b",
        unsigned(v, bits, negative).toString(2),
        o,
      );
    case Trait.LowerExp:
    case Trait.UpperExp: {
      const magnitude = BigInt(negative ? -v : v);
      let digits: string;
      let exp: number;
      if (o.precision < 0) {
        // Shortest: the decimal digits without trailing zeros.
        const text = magnitude.toString();
        exp = text.length - 1;
        digits = text.replace(/0+$/, "") || "0";
      } else {
        ({ digits, exp } = scientific(magnitude, o.precision));
      }
      return padParts(
        negative ? "-" : o.plus ? "+" : "",
        exponential(digits, exp, trait),
        o,
      );
    }
    default:
      return undefined;
  }
}

// Two's complement of a negative value at `bits` bits.
function unsigned(
  v: number | bigint,
  bits: number,
  negative: boolean,
): number | bigint {
  if (!negative) return v;
  return typeof v === "number" && bits <= 32
    ? v + 2 ** bits
    : BigInt(v) + (1n << BigInt(bits));
}

// ------------------------------------------------------------------ floats

function float(x: number, trait: Trait, o: Options): string | undefined {
  const isExp = trait === Trait.LowerExp || trait === Trait.UpperExp;
  if (trait !== Trait.Display && trait !== Trait.Debug && !isExp) {
    return undefined;
  }
  if (Number.isNaN(x)) return padParts("", "NaN", o);
  const negative = x < 0 || Object.is(x, -0);
  const sign = negative ? "-" : o.plus ? "+" : "";
  const abs = negative ? -x : x;
  if (abs === Infinity) return padParts(sign, "inf", o);
  let body: string;
  if (o.precision >= 0) {
    if (isExp) {
      const { digits, exp } = scientific(abs, o.precision);
      body = exponential(digits, exp, trait);
    } else {
      body = fixed(abs, o.precision);
    }
  } else if (
    isExp || (trait === Trait.Debug && abs !== 0 && (abs < 1e-4 || abs >= 1e16))
  ) {
    const { digits, exp } = shortest(abs);
    body = exponential(digits, exp, isExp ? trait : Trait.LowerExp);
  } else {
    body = decimal(abs, trait === Trait.Debug);
  }
  return padParts(sign, body, o);
}

// The shortest decimal form, with ".0" added for Debug when it is integral.
function decimal(abs: number, forceFraction: boolean): string {
  const { digits, exp } = shortest(abs);
  let text: string;
  if (exp < 0) {
    text = "0." + "0".repeat(-exp - 1) + digits;
  } else if (digits.length <= exp + 1) {
    text = digits + "0".repeat(exp + 1 - digits.length);
    if (forceFraction) text += ".0";
  } else {
    text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return text;
}

function exponential(digits: string, exp: number, trait: Trait): string {
  const mantissa = digits.length > 1
    ? `${digits[0]}.${digits.slice(1)}`
    : digits;
  return `${mantissa}${trait === Trait.UpperExp ? "E" : "e"}${exp}`;
}

// ----------------------------------------------------------------- padding

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function fillOut(
  s: string,
  length: number,
  o: Options,
  defaultAlign: Align,
): string {
  const missing = o.width - length;
  if (missing <= 0) return s;
  const align = o.align === Align.Unknown ? defaultAlign : o.align;
  const before = align === Align.Left
    ? 0
    : align === Align.Right
    ? missing
    : missing >> 1;
  return o.fill.repeat(before) + s + o.fill.repeat(missing - before);
}

/** Formatter::pad: precision truncates to that many chars, then width pads. */
export function pad(s: string, o: Options, defaultAlign: Align): string {
  if (o.width < 0 && o.precision < 0) return s;
  let length = codePoints(s);
  if (o.precision >= 0 && length > o.precision) {
    s = String.fromCodePoint(
      ...[...s].slice(0, o.precision).map((c) => c.codePointAt(0)!),
    );
    length = o.precision;
  }
  return fillOut(s, length, o, defaultAlign);
}

// Formatter::pad_integral: sign, then the `#` prefix, then the digits; the
// `0` flag pads between them and the digits, ignoring fill and alignment.
function padIntegral(
  nonNegative: boolean,
  prefix: string,
  digits: string,
  o: Options,
): string {
  const sign = nonNegative ? (o.plus ? "+" : "") : "-";
  const head = o.alternate ? sign + prefix : sign;
  if (o.width < 0) return head + digits;
  const length = head.length + digits.length;
  if (o.zero) {
    return length >= o.width
      ? head + digits
      : head + "0".repeat(o.width - length) + digits;
  }
  return fillOut(head + digits, length, o, Align.Right);
}

// Formatter::pad_formatted_parts: the sign, then the number; the `0` flag
// pads between them.
function padParts(sign: string, body: string, o: Options): string {
  if (o.width < 0) return sign + body;
  const length = sign.length + body.length;
  if (o.zero) {
    return length >= o.width
      ? sign + body
      : sign + "0".repeat(o.width - length) + body;
  }
  return fillOut(sign + body, length, o, Align.Right);
}

// ----------------------------------------------------------- Debug builders

function inner(value: unknown, o: Options): string {
  const text = write(value, Trait.Debug, o);
  if (text === undefined) {
    throw new TypeError(`Cannot format ${rustTypeName(value)} with Debug`);
  }
  return text;
}

// PadAdapter: every line of a pretty-printed entry is indented by 4.
function indent(text: string): string {
  return "    " + text.replaceAll("\n", "\n    ");
}

function list(
  open: string,
  close: string,
  items: readonly unknown[],
  o: Options,
): string {
  if (items.length === 0) return open + close;
  if (o.alternate) {
    let out = open + "\n";
    for (const item of items) out += indent(inner(item, o)) + ",\n";
    return out + close;
  }
  let out = open;
  for (let i = 0; i < items.length; i++) {
    out += (i ? ", " : "") + inner(items[i], o);
  }
  return out + close;
}

function map(
  entries: readonly [unknown, unknown][],
  o: Options,
  stringKeys: boolean,
): string {
  if (entries.length === 0) return "{}";
  const key = (k: unknown) =>
    stringKeys ? escapeDebug(k as string, '"') : inner(k, o);
  if (o.alternate) {
    let out = "{\n";
    for (const [k, v] of entries) {
      out += indent(`${key(k)}: ${inner(v, o)}`) + ",\n";
    }
    return out + "}";
  }
  let out = "{";
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i]!;
    out += `${i ? ", " : ""}${key(k)}: ${inner(v, o)}`;
  }
  return out + "}";
}

function struct(
  name: string,
  fields: readonly [string, unknown][],
  o: Options,
): string {
  if (fields.length === 0) return name;
  if (o.alternate) {
    let out = name + " {\n";
    for (const [k, v] of fields) out += indent(`${k}: ${inner(v, o)}`) + ",\n";
    return out + "}";
  }
  let out = name + " { ";
  for (let i = 0; i < fields.length; i++) {
    const [k, v] = fields[i]!;
    out += `${i ? ", " : ""}${k}: ${inner(v, o)}`;
  }
  return out + " }";
}
