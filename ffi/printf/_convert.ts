// The conversions of glibc 2.36's vfprintf (vfprintf-process-arg.c):
// integers, characters, strings, pointers, `%%` and unknown conversions.
// Floating point is in _float.ts.
import type { PrintfArguments, ReadCString } from "./printf_arguments.ts";
import { PrintfError } from "./printf_error.ts";
import type { ByteSink } from "./_sink.ts";
import { Char, type Spec } from "./_spec.ts";
import { writeFloat, writeHexFloat } from "./_float.ts";

const NULL_TEXT = "(null)";
const NIL_TEXT = "(nil)";

/**
 * glibc's `LABEL (number)`: `digits` (the magnitude in `base`, cased) with
 * sign, `0x`/`0b` marker, precision zeros and padding. `sign` is `-`, `+`,
 * a space or "".
 */
function writeNumber(
  sink: ByteSink,
  spec: Spec,
  digits: string,
  isZero: boolean,
  sign: string,
  base: number,
  marker: number,
): void {
  let prec = spec.prec;
  let pad = spec.pad;
  if (prec < 0) prec = 1;
  else pad = Char.Space; // the 0 flag is ignored with a precision
  if (prec === 0 && isZero) digits = base === 8 && spec.alt ? "0" : "";
  // The octal marker: a leading 0 unless the precision already gives one.
  if (prec <= digits.length && !isZero && spec.alt && base === 8) {
    digits = "0" + digits;
  }
  const zeros = Math.max(0, prec - digits.length);
  const prefix = !isZero && spec.alt && (base === 16 || base === 2);
  let width = spec.width - digits.length - zeros - (prefix ? 2 : 0) -
    sign.length;
  if (!spec.left) {
    if (pad === Char.Space) {
      sink.fill(Char.Space, width);
      width = 0;
    }
    if (sign !== "") sink.text(sign);
    if (prefix) {
      sink.byte(Char.Zero);
      sink.byte(marker);
    }
    sink.fill(Char.Zero, width + zeros);
    sink.text(digits);
  } else {
    if (sign !== "") sink.text(sign);
    if (prefix) {
      sink.byte(Char.Zero);
      sink.byte(marker);
    }
    sink.fill(Char.Zero, zeros);
    sink.text(digits);
    sink.fill(Char.Space, width);
  }
}

function signOf(spec: Spec, negative: boolean): string {
  return negative ? "-" : spec.showsign ? "+" : spec.space ? " " : "";
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
    const digits = (negative ? -v : v).toString();
    writeNumber(sink, spec, digits, v === 0n, signOf(spec, negative), 10, 0);
    return;
  }
  let v = args.i32();
  if (spec.isChar) v = v << 24 >> 24;
  else if (spec.isShort) v = v << 16 >> 16;
  const digits = (v < 0 ? -v : v).toString();
  writeNumber(sink, spec, digits, v === 0, signOf(spec, v < 0), 10, 0);
}

/** `%u %o %x %X %b %B`: unsigned, with no sign even for `+` or a space. */
function writeUnsigned(
  sink: ByteSink,
  spec: Spec,
  args: PrintfArguments,
): void {
  const c = spec.conversion;
  const base = BASES[c]!;
  let digits: string;
  let isZero: boolean;
  if (spec.isLong) {
    const v = args.u64();
    digits = v.toString(base);
    isZero = v === 0n;
  } else {
    let v = args.u32();
    if (spec.isChar) v &= 0xff;
    else if (spec.isShort) v &= 0xffff;
    digits = v.toString(base);
    isZero = v === 0;
  }
  if (c === 0x58) digits = digits.toUpperCase();
  writeNumber(sink, spec, digits, isZero, "", base, c);
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
  writeNumber(sink, spec, p.toString(16), false, signOf(spec, false), 16, 0x78);
  spec.alt = alt;
}

/** Text padded with spaces to the width (strings, `(nil)`, characters). */
function writePadded(
  sink: ByteSink,
  spec: Spec,
  text: string | Uint8Array,
): void {
  const width = spec.width - text.length;
  if (!spec.left) sink.fill(Char.Space, width);
  if (typeof text === "string") sink.text(text);
  else sink.copy(text, 0, text.length);
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
  let bytes = readString(p, limit);
  let length = Math.min(bytes.length, limit);
  const nul = bytes.subarray(0, length).indexOf(0);
  if (nul >= 0) length = nul;
  if (length < bytes.length) bytes = bytes.subarray(0, length);
  writePadded(sink, spec, bytes);
}

const charByte = new Uint8Array(1);

/** `%c`: the `int` argument converted to `unsigned char`. */
function writeChar(sink: ByteSink, spec: Spec, args: PrintfArguments): void {
  charByte[0] = args.i32();
  writePadded(sink, spec, charByte);
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
  charByte[0] = c;
  writePadded(sink, spec, charByte);
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

function refuse(spec: Spec, what: string): never {
  throw new PrintfError(what, "ENOTSUP", spec.start);
}

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
  switch (spec.conversion) {
    case 0x25: // %
      sink.byte(Char.Percent);
      return true;
    case 0x64: // d
    case 0x69: // i
      writeSigned(sink, spec, args);
      return true;
    case 0x75: // u
    case 0x6f: // o
    case 0x78: // x
    case 0x58: // X
    case 0x62: // b
    case 0x42: // B
      writeUnsigned(sink, spec, args);
      return true;
    case 0x65: // e
    case 0x45: // E
    case 0x66: // f
    case 0x46: // F
    case 0x67: // g
    case 0x47: // G
    case 0x61: // a
    case 0x41: // A
      if (spec.isLongDouble) {
        refuse(
          spec,
          "long double is not supported: the L, ll and q modifiers make a floating-point conversion read a long double",
        );
      }
      if (spec.conversion === 0x61 || spec.conversion === 0x41) {
        writeHexFloat(sink, spec, args.f64());
      } else {
        writeFloat(sink, spec, args.f64());
      }
      return true;
    case 0x63: // c
      if (spec.isLong) writeWideChar(sink, spec, args);
      else writeChar(sink, spec, args);
      return true;
    case 0x43: // C
      writeWideChar(sink, spec, args);
      return true;
    case 0x73: // s
    case 0x53: // S
      writeString(sink, spec, args, readString);
      return true;
    case 0x70: // p
      writePointer(sink, spec, args);
      return true;
    case 0x6e: // n
      refuse(
        spec,
        "%n is not supported: it writes the count of bytes printed to memory",
      );
      break;
    case 0x6d: // m
      refuse(
        spec,
        "%m is not supported: it prints strerror(errno), and there is no errno here",
      );
      break;
  }
  return false;
}
