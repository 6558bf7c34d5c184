// The conversions of glibc 2.36's vfprintf (vfprintf-process-arg.c):
// integers, characters, strings, pointers, `%%` and unknown conversions.
// Floating point is in _float.ts.
import type { PrintfArguments, ReadCString } from "./printf_arguments.ts";
import { PrintfError } from "./printf_error.ts";
import type { ByteSink } from "./_sink.ts";
import { Char, Conversion, conversionOf, type Spec } from "./_spec.ts";
import { writeFloat, writeHexFloat } from "./_float.ts";

const NULL_TEXT = "(null)";
const NIL_TEXT = "(nil)";

// Integer digits are written backwards into this buffer, ending at its
// end: `digits[start ..)`. No user code runs while it is in use.
const DIGITS_END = 72;
const digits = new Uint8Array(DIGITS_END);
const LOWER = new TextEncoder().encode("0123456789abcdef");
const UPPER = new TextEncoder().encode("0123456789ABCDEF");

/** Writes `value` (a safe integer ≥ 0) in `base`; returns the start. */
function putDigits(value: number, base: number, upper: boolean): number {
  const table = upper ? UPPER : LOWER;
  let at = DIGITS_END;
  if (value <= 0xffff_ffff && base !== 10) {
    const shift = base === 16 ? 4 : base === 8 ? 3 : 1;
    const mask = base - 1;
    do {
      digits[--at] = table[value & mask]!;
      value >>>= shift;
    } while (value !== 0);
  } else {
    do {
      const rest = value % base;
      digits[--at] = table[rest]!;
      value = (value - rest) / base;
    } while (value !== 0);
  }
  return at;
}

/** Writes a 64-bit `value` (≥ 0) in `base`; returns the start. */
function putBigDigits(value: bigint, base: number, upper: boolean): number {
  if (value <= 0x1f_ffff_ffff_ffffn) {
    return putDigits(Number(value), base, upper);
  }
  if (base === 16) {
    // In two halves: bigint.toString(16) costs more than two BigInt steps.
    const table = upper ? UPPER : LOWER;
    let low = Number(value & 0xffff_ffffn);
    let at = DIGITS_END;
    for (let i = 0; i < 8; i++, low >>>= 4) digits[--at] = table[low & 15]!;
    let high = Number(value >> 32n);
    do {
      digits[--at] = table[high & 15]!;
      high >>>= 4;
    } while (high !== 0);
    return at;
  }
  const text = upper
    ? value.toString(base).toUpperCase()
    : value.toString(base);
  const at = DIGITS_END - text.length;
  for (let i = 0; i < text.length; i++) digits[at + i] = text.charCodeAt(i);
  return at;
}

/**
 * glibc's `LABEL (number)`: the magnitude in `digits[start ..)` with sign,
 * `0x`/`0b` marker, precision zeros and padding. `sign` is `-`, `+`, a
 * space, or 0 for none.
 */
function writeNumber(
  sink: ByteSink,
  spec: Spec,
  start: number,
  isZero: boolean,
  sign: number,
  base: number,
  marker: number,
): void {
  let prec = spec.prec;
  let pad = spec.pad;
  if (prec < 0) prec = 1;
  else pad = Char.Space; // the 0 flag is ignored with a precision
  if (prec === 0 && isZero) {
    start = DIGITS_END;
    if (base === 8 && spec.alt) digits[--start] = Char.Zero;
  }
  let length = DIGITS_END - start;
  // The octal marker: a leading 0 unless the precision already gives one.
  if (prec <= length && !isZero && spec.alt && base === 8) {
    digits[--start] = Char.Zero;
    length++;
  }
  const zeros = Math.max(0, prec - length);
  const prefix = !isZero && spec.alt && (base === 16 || base === 2);
  let width = spec.width - length - zeros - (prefix ? 2 : 0) -
    (sign === 0 ? 0 : 1);
  if (!spec.left && pad === Char.Space) {
    sink.fill(Char.Space, width);
    width = 0;
  }
  if (sign !== 0) sink.byte(sign);
  if (prefix) {
    sink.byte(Char.Zero);
    sink.byte(marker);
  }
  if (!spec.left) {
    sink.fill(Char.Zero, width + zeros);
    sink.copy(digits, start, DIGITS_END);
  } else {
    sink.fill(Char.Zero, zeros);
    sink.copy(digits, start, DIGITS_END);
    sink.fill(Char.Space, width);
  }
}

function signOf(spec: Spec, negative: boolean): number {
  return negative
    ? Char.Minus
    : spec.showsign
    ? Char.Plus
    : spec.space
    ? Char.Space
    : 0;
}

const BASES: Record<number, number> = {
  0x75: 10, // u
  0x6f: 8, // o
  0x78: 16, // x
  0x58: 16, // X
  0x62: 2, // b
  0x42: 2, // B
};

/** `%d`/`%i`: a C `int` (or `signed char`, `short`, `long`). */
function writeSigned(sink: ByteSink, spec: Spec, args: PrintfArguments): void {
  if (spec.isLong) {
    const v = args.i64();
    const negative = v < 0n;
    const start = putBigDigits(negative ? -v : v, 10, false);
    writeNumber(sink, spec, start, v === 0n, signOf(spec, negative), 10, 0);
    return;
  }
  let v = args.i32();
  if (spec.isChar) v = v << 24 >> 24;
  else if (spec.isShort) v = v << 16 >> 16;
  const start = putDigits(v < 0 ? -v : v, 10, false);
  writeNumber(sink, spec, start, v === 0, signOf(spec, v < 0), 10, 0);
}

/** `%u %o %x %X %b %B`: unsigned, with no sign even for `+` or a space. */
function writeUnsigned(
  sink: ByteSink,
  spec: Spec,
  args: PrintfArguments,
): void {
  const c = spec.conversion;
  const base = BASES[c]!;
  const upper = c === 0x58;
  if (spec.isLong) {
    const v = args.u64();
    const start = putBigDigits(v, base, upper);
    writeNumber(sink, spec, start, v === 0n, 0, base, c);
    return;
  }
  let v = args.u32();
  if (spec.isChar) v &= 0xff;
  else if (spec.isShort) v &= 0xffff;
  writeNumber(sink, spec, putDigits(v, base, upper), v === 0, 0, base, c);
}

/** `%p`: `(nil)` for null, else `%#lx` that keeps the `+` and space flags. */
function writePointer(sink: ByteSink, spec: Spec, args: PrintfArguments): void {
  const p = args.ptr();
  if (p === 0n) {
    writePadded(sink, spec, NIL_TEXT);
    return;
  }
  const alt = spec.alt;
  spec.alt = true;
  const start = putBigDigits(p, 16, false);
  writeNumber(sink, spec, start, false, signOf(spec, false), 16, 0x78);
  spec.alt = alt;
}

/** Text padded with spaces to the width (`(null)`, `(nil)`). */
function writePadded(sink: ByteSink, spec: Spec, text: string): void {
  const width = spec.width - text.length;
  if (!spec.left) sink.fill(Char.Space, width);
  sink.text(text);
  if (spec.left) sink.fill(Char.Space, width);
}

/** One byte padded with spaces to the width (`%c`). */
function writeByte(sink: ByteSink, spec: Spec, byte: number): void {
  const width = spec.width - 1;
  if (!spec.left) sink.fill(Char.Space, width);
  sink.byte(byte);
  if (spec.left) sink.fill(Char.Space, width);
}

/** `%s`: the bytes of a C string, at most the precision of them. */
function writeString(
  sink: ByteSink,
  spec: Spec,
  args: PrintfArguments,
  readString: ReadCString | undefined,
): void {
  const p = args.ptr();
  const prec = spec.prec;
  if (p === 0n) {
    writePadded(sink, spec, prec === -1 || prec >= 6 ? NULL_TEXT : "");
    return;
  }
  if (spec.isLong || spec.conversion === 0x53) {
    throw new PrintfError(
      `Wide strings are not supported: %${
        String.fromCharCode(spec.conversion)
      } with the wchar_t string at 0x${p.toString(16)}`,
      "ENOTSUP",
      spec.start,
    );
  }
  if (readString === undefined) {
    throw new PrintfError(
      `%s needs options.readString to read the C string at 0x${p.toString(16)}`,
      "ENOTSUP",
      spec.start,
    );
  }
  const limit = prec === -1 ? Infinity : prec;
  const bytes = readString(p, limit);
  const end = Math.min(bytes.length, limit);
  let length = 0;
  while (length < end && bytes[length] !== 0) length++;
  const width = spec.width - length;
  if (!spec.left) sink.fill(Char.Space, width);
  sink.copy(bytes, 0, length);
  if (spec.left) sink.fill(Char.Space, width);
}

/** `%c`: the `int` argument converted to `unsigned char`. */
function writeChar(sink: ByteSink, spec: Spec, args: PrintfArguments): void {
  writeByte(sink, spec, args.i32() & 0xff);
}

/**
 * `%lc`/`%C`: `wcrtomb` in the C locale, which encodes only ASCII; glibc
 * fails the call with EILSEQ for anything else.
 */
function writeWideChar(
  sink: ByteSink,
  spec: Spec,
  args: PrintfArguments,
): void {
  const c = args.i32();
  if (c < 0 || c > 0x7f) {
    throw new PrintfError(
      `Wide character ${c} (0x${
        (c >>> 0).toString(16)
      }) has no encoding in the C locale, which is ASCII: glibc fails with EILSEQ`,
      "EILSEQ",
      spec.start,
    );
  }
  writeByte(sink, spec, c);
}

/**
 * glibc's `printf_unknown`: an unknown conversion prints itself back, its
 * flags in a fixed order, the width and precision as numbers (from `*`
 * arguments too) and no length modifier.
 */
export function writeUnknown(sink: ByteSink, spec: Spec): void {
  let text = "%";
  if (spec.alt) text += "#";
  if (spec.group) text += "'";
  if (spec.showsign) text += "+";
  else if (spec.space) text += " ";
  if (spec.left) text += "-";
  if (spec.pad === Char.Zero) text += "0";
  if (spec.i18n) text += "I";
  if (spec.width !== 0) text += spec.width;
  if (spec.prec !== -1) text += "." + spec.prec;
  sink.text(text);
  if (spec.conversion !== 0) sink.byte(spec.conversion);
}

/** Refuses what glibc prints but this engine does not. */
export function refuse(spec: Spec, what: "%n" | "%m" | "long double"): never {
  throw new PrintfError(REFUSALS[what], "ENOTSUP", spec.start);
}

const REFUSALS = {
  "%n": "%n is not supported: it writes the count of bytes printed to memory",
  "%m":
    "%m is not supported: it prints strerror(errno), and there is no errno here",
  "long double":
    "long double is not supported: the L, ll and q modifiers make a floating-point conversion read a long double",
};

/**
 * Writes the conversion `spec` names, reading its argument from `args`.
 * Returns false, having read and written nothing, for a conversion glibc
 * does not know (the caller prints it back, as glibc does, or changes
 * mode first).
 */
export function convert(
  sink: ByteSink,
  spec: Spec,
  args: PrintfArguments,
  readString: ReadCString | undefined,
): boolean {
  switch (conversionOf(spec.conversion)) {
    case Conversion.Percent:
      sink.byte(Char.Percent);
      return true;
    case Conversion.Signed:
      writeSigned(sink, spec, args);
      return true;
    case Conversion.Unsigned:
      writeUnsigned(sink, spec, args);
      return true;
    case Conversion.Float:
      if (spec.isLongDouble) refuse(spec, "long double");
      writeFloat(sink, spec, args.f64());
      return true;
    case Conversion.HexFloat:
      if (spec.isLongDouble) refuse(spec, "long double");
      writeHexFloat(sink, spec, args.f64());
      return true;
    case Conversion.Char:
      if (spec.isLong) writeWideChar(sink, spec, args);
      else writeChar(sink, spec, args);
      return true;
    case Conversion.WideChar:
      writeWideChar(sink, spec, args);
      return true;
    case Conversion.String:
      writeString(sink, spec, args, readString);
      return true;
    case Conversion.Pointer:
      writePointer(sink, spec, args);
      return true;
    case Conversion.Count:
      refuse(spec, "%n");
      break;
    case Conversion.Errno:
      refuse(spec, "%m");
      break;
  }
  return false;
}
