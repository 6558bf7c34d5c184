// glibc 2.36's positional mode (printf_positional with parse_one_spec):
// every conversion is parsed first, then every argument is read in order
// by the type its last conversion gives, then the conversions are written.
import type { ReadCString } from "./printf_arguments.ts";
import { PrintfError } from "./printf_error.ts";
import { Kind, type Recorder, Slots } from "./_arguments.ts";
import { convert, writeUnknown } from "./_convert.ts";
import type { ByteSink } from "./_sink.ts";
import {
  Char,
  isDigit,
  parseFlags,
  parseLength,
  readInt,
  scan,
  Spec,
} from "./_spec.ts";

const NONE = -1;

/** The type glibc reads a conversion's value as, or NONE. */
function dataKind(spec: Spec): Kind | typeof NONE {
  switch (spec.conversion) {
    case 0x64: // d
    case 0x69: // i
    case 0x75: // u
    case 0x6f: // o
    case 0x78: // x
    case 0x58: // X
    case 0x62: // b
    case 0x42: // B
      return spec.isLong ? Kind.Int64 : Kind.Int32;
    case 0x65: // e
    case 0x45: // E
    case 0x66: // f
    case 0x46: // F
    case 0x67: // g
    case 0x47: // G
    case 0x61: // a
    case 0x41: // A
      if (spec.isLongDouble) {
        throw new PrintfError(
          "long double is not supported: the L, ll and q modifiers make a floating-point conversion read a long double",
          "ENOTSUP",
          spec.start,
        );
      }
      return Kind.Double;
    case 0x63: // c
    case 0x43: // C
      return Kind.Int32;
    case 0x73: // s
    case 0x53: // S
    case 0x70: // p
      return Kind.Pointer;
    case 0x6e: // n
      throw new PrintfError(
        "%n is not supported: it writes the count of bytes printed to memory",
        "ENOTSUP",
        spec.start,
      );
    default:
      return NONE;
  }
}

/** Parses `*` or `*N$` at `at`; returns [argument index, next offset]. */
class Counter {
  /** The next sequential argument (glibc's `posn`). */
  next = 0;
  /** The highest `N` of an `N$` (glibc's `max_ref_arg`). */
  maxRef = 0;

  /** An `N$` at `at`: its index and `scan.end` after the `$`, or -1. */
  positional(format: Uint8Array, at: number, end: number): number {
    if (at >= end || !isDigit(format[at]!)) return -1;
    const n = readInt(format, at, end);
    if (n <= 0 || scan.end >= end || format[scan.end] !== Char.Dollar) {
      return -1;
    }
    scan.end++;
    if (n > this.maxRef) this.maxRef = n;
    return n - 1;
  }

  /** The argument of a `*` whose `*` is at `at - 1`; sets `scan.end`. */
  star(format: Uint8Array, at: number, end: number): number {
    const index = this.positional(format, at, end);
    if (index >= 0) return index;
    scan.end = at;
    return this.next++;
  }
}

/** glibc's `parse_one_spec` of the conversion at `start` (a `%`). */
function parseOne(
  format: Uint8Array,
  start: number,
  end: number,
  counter: Counter,
): Spec {
  const spec = new Spec();
  spec.reset(start);
  let at = start + 1;
  const index = counter.positional(format, at, end);
  if (index >= 0) {
    spec.dataArg = index;
    at = scan.end;
  }
  at = parseFlags(format, at, end, spec);
  if (at < end && format[at] === Char.Star) {
    spec.widthArg = counter.star(format, at + 1, end);
    at = scan.end;
  } else if (at < end && isDigit(format[at]!)) {
    const width = readInt(format, at, end);
    if (width !== -1) spec.width = width;
    at = scan.end;
  }
  if (at < end && format[at] === Char.Dot) {
    at++;
    if (at < end && format[at] === Char.Star) {
      spec.precArg = counter.star(format, at + 1, end);
      at = scan.end;
    } else if (at < end && isDigit(format[at]!)) {
      const prec = readInt(format, at, end);
      if (prec !== -1) spec.prec = prec;
      at = scan.end;
    } else {
      spec.prec = 0;
    }
  }
  at = parseLength(format, at, end, spec, false);
  spec.conversion = at < end ? format[at]! : 0;
  spec.end = spec.conversion === 0 ? end : at + 1;
  if (spec.dataArg < 0 && dataKind(spec) !== NONE) {
    spec.dataArg = counter.next++;
  }
  return spec;
}

const GENERAL = [true, true, true, false]; // Kind → in a general register

/**
 * Formats the rest of `format[0 .. end)` from the conversion at `from`
 * in positional mode: the specs before it were written already, and the
 * arguments they read are in `recorded`.
 */
export function runPositional(
  format: Uint8Array,
  end: number,
  from: number,
  recorded: Recorder,
  readString: ReadCString | undefined,
  sink: ByteSink,
): void {
  const counter = new Counter();
  const specs: Spec[] = [];
  for (let i = format.indexOf(Char.Percent); i >= 0 && i < end;) {
    const spec = parseOne(format, i, end, counter);
    specs.push(spec);
    i = format.indexOf(Char.Percent, spec.end);
  }
  // Each argument's type is the last one a conversion gives it; an
  // argument no conversion names is read as an int.
  const count = Math.max(counter.next, counter.maxRef);
  const kinds: Kind[] = new Array(count).fill(Kind.Int32);
  for (const spec of specs) {
    if (spec.widthArg >= 0) kinds[spec.widthArg] = Kind.Int32;
    if (spec.precArg >= 0) kinds[spec.precArg] = Kind.Int32;
    const kind = dataKind(spec);
    if (kind !== NONE) kinds[spec.dataArg] = kind;
  }
  const values: (number | bigint)[] = [];
  for (let k = 0; k < count; k++) {
    const kind = kinds[k]!;
    if (k < recorded.count) {
      // Read already in sequential mode: glibc reads it again from the
      // start of the va_list, which can only be matched in the same
      // register file.
      const had = recorded.kinds[k]!;
      if (GENERAL[had] !== GENERAL[kind]) {
        throw new PrintfError(
          `Argument ${k + 1} was read as ${
            GENERAL[had] ? "an integer" : "a double"
          } before a positional conversion reads it as ${
            GENERAL[kind] ? "an integer" : "a double"
          }`,
          "ENOTSUP",
          from,
        );
      }
      values.push(recorded.values[k]!);
      kinds[k] = had === Kind.Int32 ? Kind.Int32 : kind;
      continue;
    }
    const source = recorded.source;
    values.push(
      kind === Kind.Int32
        ? source.i32()
        : kind === Kind.Int64
        ? source.i64()
        : kind === Kind.Pointer
        ? source.ptr()
        : source.f64(),
    );
  }
  const slots = new Slots(values, kinds);
  let cursor = from;
  for (const spec of specs) {
    if (spec.start < from) continue;
    sink.copy(format, cursor, spec.start);
    sink.at = slots.at = spec.start;
    if (spec.widthArg >= 0) {
      slots.slot = spec.widthArg;
      const width = slots.i32();
      spec.width = width < 0 ? -width : width;
      // glibc keeps the 0 flag's padding here.
      if (width < 0) spec.left = true;
    }
    if (spec.precArg >= 0) {
      slots.slot = spec.precArg;
      const prec = slots.i32();
      spec.prec = prec < 0 ? -1 : prec;
    }
    slots.slot = spec.dataArg;
    if (!convert(sink, spec, slots, readString)) writeUnknown(sink, spec);
    cursor = spec.end;
  }
  sink.copy(format, cursor, end);
}
