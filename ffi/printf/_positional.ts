// glibc 2.36's positional mode (printf_positional with parse_one_spec):
// every conversion is parsed first, then every argument is read in order
// by the type its last conversion gives, then the conversions are written.
import type { ReadCString } from "./printf_arguments.ts";
import { PrintfError } from "./printf_error.ts";
import { Kind, type Recorder, Slots } from "./_arguments.ts";
import { convert, refuse, writeUnknown } from "./_convert.ts";
import type { ByteSink } from "./_sink.ts";
import {
  Char,
  Conversion,
  conversionOf,
  isDigit,
  parseFlags,
  parseLength,
  readInt,
  scan,
  Spec,
} from "./_spec.ts";

const NONE = -1;
const NO_NUMBER = -2;

/** The type glibc reads a conversion's value as, or NONE. */
function dataKind(spec: Spec): Kind | typeof NONE {
  switch (conversionOf(spec.conversion)) {
    case Conversion.Signed:
    case Conversion.Unsigned:
      return spec.isLong ? Kind.Int64 : Kind.Int32;
    case Conversion.Float:
    case Conversion.HexFloat:
      if (spec.isLongDouble) refuse(spec, "long double");
      return Kind.Double;
    case Conversion.Char:
    case Conversion.WideChar:
      return Kind.Int32;
    case Conversion.String:
    case Conversion.Pointer:
      return Kind.Pointer;
    case Conversion.Count:
      refuse(spec, "%n");
      break;
  }
  return NONE;
}

/** glibc's count of the arguments a format names, in positional mode. */
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

  /** The argument of the last {@linkcode Counter.field}'s `*`, or -1. */
  arg = -1;
  /** Its digits' value: -1 over INT_MAX, NO_NUMBER without digits. */
  number = NO_NUMBER;

  /**
   * A width or precision at `at`: `*`, `*N$` (the argument goes to `arg`)
   * or digits (their value to `number`). Returns the offset after it.
   */
  field(format: Uint8Array, at: number, end: number): number {
    this.arg = -1;
    this.number = NO_NUMBER;
    if (at < end && format[at] === Char.Star) {
      this.arg = this.positional(format, at + 1, end);
      if (this.arg >= 0) return scan.end;
      this.arg = this.next++;
      return at + 1;
    }
    if (at < end && isDigit(format[at]!)) {
      this.number = readInt(format, at, end);
      return scan.end;
    }
    return at;
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
  at = counter.field(format, parseFlags(format, at, end, spec), end);
  spec.widthArg = counter.arg;
  if (counter.number >= 0) spec.width = counter.number;
  if (at < end && format[at] === Char.Dot) {
    at = counter.field(format, at + 1, end);
    spec.precArg = counter.arg;
    // Digits over INT_MAX are ignored here; no digits at all mean 0.
    if (counter.number >= 0) spec.prec = counter.number;
    else if (counter.number === NO_NUMBER && counter.arg < 0) spec.prec = 0;
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
      // An int read then has only its low 32 bits to give.
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
