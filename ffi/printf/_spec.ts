// One conversion specification (`%-#08.3lx`) as glibc 2.36 keeps it.

/** The code units the parsers compare with. */
export const enum Char {
  Nul = 0x00,
  Space = 0x20,
  Hash = 0x23,
  Dollar = 0x24,
  Percent = 0x25,
  Quote = 0x27,
  Star = 0x2a,
  Plus = 0x2b,
  Minus = 0x2d,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  I = 0x49,
}

/** What a conversion byte asks glibc 2.36 for. */
export const enum Conversion {
  /** Not a conversion glibc knows: it prints itself back. */
  Unknown,
  /** `%%` */
  Percent,
  /** `d i` */
  Signed,
  /** `u o x X b B` */
  Unsigned,
  /** `e E f F g G` */
  Float,
  /** `a A` */
  HexFloat,
  /** `c` (wide with `l`) */
  Char,
  /** `C` */
  WideChar,
  /** `s` (wide with `l`) and `S` */
  String,
  /** `p` */
  Pointer,
  /** `n`, refused */
  Count,
  /** `m`, refused */
  Errno,
}

const CONVERSIONS = new Uint8Array(256);
for (
  const [bytes, conversion] of [
    ["%", Conversion.Percent],
    ["di", Conversion.Signed],
    ["uoxXbB", Conversion.Unsigned],
    ["eEfFgG", Conversion.Float],
    ["aA", Conversion.HexFloat],
    ["c", Conversion.Char],
    ["C", Conversion.WideChar],
    ["sS", Conversion.String],
    ["p", Conversion.Pointer],
    ["n", Conversion.Count],
    ["m", Conversion.Errno],
  ] as const
) {
  for (const c of bytes) CONVERSIONS[c.charCodeAt(0)] = conversion;
}

/** The kind of the conversion byte `c`. */
export function conversionOf(c: number): Conversion {
  return CONVERSIONS[c]!;
}

/** A conversion's flags, width, precision, length and conversion byte. */
export class Spec {
  /** Offset of the `%`. */
  start = 0;
  /** Offset after the conversion byte (the format's end if it has none). */
  end = 0;
  alt = false;
  space = false;
  left = false;
  showsign = false;
  group = false;
  i18n = false;
  /** The padding byte: `0x20`, or `0x30` for the `0` flag without `-`. */
  pad: number = Char.Space;
  width = 0;
  /** -1 where no precision is given. */
  prec = -1;
  /** Positional mode: the argument index of a `*` width, else -1. */
  widthArg = -1;
  /** Positional mode: the argument index of a `.*` precision, else -1. */
  precArg = -1;
  /** Positional mode: the argument index of the value, else -1. */
  dataArg = -1;
  isChar = false;
  isShort = false;
  isLong = false;
  isLongDouble = false;
  /** The conversion byte (`d`, `x`, …), 0 where the format ended first. */
  conversion = 0;

  /** Clears everything for a new `%` at `start`. */
  reset(start: number): void {
    this.start = start;
    this.end = start;
    this.alt =
      this.space =
      this.left =
      this.showsign =
        false;
    this.group = this.i18n = false;
    this.pad = Char.Space;
    this.width = 0;
    this.prec = -1;
    this.widthArg = this.precArg = this.dataArg = -1;
    this.isChar =
      this.isShort =
      this.isLong =
      this.isLongDouble =
        false;
    this.conversion = 0;
  }
}

/** Whether `c` is an ASCII digit. */
export function isDigit(c: number): boolean {
  return c >= Char.Zero && c <= Char.Nine;
}

/** Where {@linkcode readInt} stopped: the offset after the number. */
export const scan = { end: 0 };

/**
 * glibc's `read_int`: the decimal number at `format[at]` (a digit), or -1
 * where it is over INT_MAX. Sets `scan.end` to the offset after it.
 */
export function readInt(format: Uint8Array, at: number, end: number): number {
  let value = format[at]! - Char.Zero;
  while (++at < end && isDigit(format[at]!)) {
    if (value >= 0) {
      value = value * 10 + format[at]! - Char.Zero;
      if (value > 0x7fff_ffff) value = -1;
    }
  }
  scan.end = at;
  return value;
}

/**
 * Reads the flags ` +-#0'I` from `at` into `spec`; returns the offset after
 * them. `0` pads with zeros only where no `-` is given.
 */
export function parseFlags(
  format: Uint8Array,
  at: number,
  end: number,
  spec: Spec,
): number {
  let zero = false;
  for (; at < end; at++) {
    const c = format[at]!;
    if (c === Char.Space) spec.space = true;
    else if (c === Char.Plus) spec.showsign = true;
    else if (c === Char.Minus) spec.left = true;
    else if (c === Char.Hash) spec.alt = true;
    else if (c === Char.Zero) zero = true;
    else if (c === Char.Quote) spec.group = true;
    else if (c === Char.I) spec.i18n = true;
    else break;
  }
  if (zero && !spec.left) spec.pad = Char.Zero;
  return at;
}

/**
 * Reads a length modifier (`hh h l ll L q j z Z t`) from `at` into `spec`;
 * returns the offset after it. `fast` gives the flags of glibc's
 * sequential parser, where `L` and `q` also set `isLong` (so `%Ld` reads a
 * `long long` and `%Lc` a wide character); the positional parser
 * (`parse_one_spec`) sets only `isLongDouble` for them.
 */
export function parseLength(
  format: Uint8Array,
  at: number,
  end: number,
  spec: Spec,
  fast: boolean,
): number {
  const c = at < end ? format[at]! : 0;
  const next = at + 1 < end ? format[at + 1]! : 0;
  switch (c) {
    case 0x68: // h, hh
      if (next === 0x68) {
        spec.isChar = true;
        return at + 2;
      }
      spec.isShort = true;
      return at + 1;
    case 0x6c: // l, ll
      spec.isLong = true;
      if (next === 0x6c) {
        spec.isLongDouble = true;
        return at + 2;
      }
      return at + 1;
    case 0x4c: // L
    case 0x71: // q
      spec.isLongDouble = true;
      spec.isLong = fast;
      return at + 1;
    case 0x6a: // j
    case 0x7a: // z
    case 0x5a: // Z
    case 0x74: // t
      spec.isLong = true;
      return at + 1;
    default:
      return at;
  }
}
