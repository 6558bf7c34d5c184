// glibc 2.36's vfprintf: the sequential mode (its jump-table parser, which
// reads arguments as it goes) and the switch to positional mode.
import type { PrintfArguments, ReadCString } from "./printf_arguments.ts";
import { PrintfError } from "./printf_error.ts";
import { Recorder } from "./_arguments.ts";
import { convert } from "./_convert.ts";
import { runPositional } from "./_positional.ts";
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

function overflow(what: string, start: number): never {
  throw new PrintfError(
    `${what} is over INT_MAX (2147483647)`,
    "EOVERFLOW",
    start,
  );
}

/**
 * Looks after a `*` (at `at`) for a positional `N$`: returns -1 for one
 * (positional mode takes over), else `at`. `start` is the `%`.
 */
function starArgument(
  format: Uint8Array,
  at: number,
  end: number,
  start: number,
): number {
  if (at < end && isDigit(format[at]!)) {
    const n = readInt(format, at, end);
    if (n === -1) overflow("A positional argument number", start);
    if (n > 0 && scan.end < end && format[scan.end] === Char.Dollar) return -1;
  }
  return at;
}

/**
 * Parses and writes the conversion at `start` (a `%`) as glibc's
 * sequential mode does; returns the offset after it, or -1 where glibc
 * switches to positional mode (`%N$`, `*N$`, or a conversion it does not
 * know) before writing anything for it.
 */
function sequential(
  format: Uint8Array,
  start: number,
  end: number,
  spec: Spec,
  args: PrintfArguments,
  readString: ReadCString | undefined,
  sink: ByteSink,
): number {
  spec.reset(start);
  let at = parseFlags(format, start + 1, end, spec);
  let c = at < end ? format[at]! : 0;
  if (c === Char.Star) {
    at = starArgument(format, at + 1, end, start);
    if (at < 0) return -1;
    const width = args.i32();
    if (width < 0) {
      // -INT_MIN is 2^31 as glibc pads it, more than an int can count.
      spec.width = -width;
      spec.left = true;
      spec.pad = Char.Space;
    } else {
      spec.width = width;
    }
  } else if (isDigit(c)) {
    spec.width = readInt(format, at, end);
    if (spec.width === -1) overflow("The width", start);
    at = scan.end;
    if (at < end && format[at] === Char.Dollar) return -1;
  }
  if (at < end && format[at] === Char.Dot) {
    c = ++at < end ? format[at]! : 0;
    if (c === Char.Star) {
      at = starArgument(format, at + 1, end, start);
      if (at < 0) return -1;
      const prec = args.i32();
      spec.prec = prec < 0 ? -1 : prec;
    } else if (isDigit(c)) {
      spec.prec = readInt(format, at, end);
      if (spec.prec === -1) overflow("The precision", start);
      at = scan.end;
    } else {
      spec.prec = 0;
    }
  }
  at = parseLength(format, at, end, spec, true);
  spec.conversion = at < end ? format[at]! : 0;
  if (spec.conversion === 0) {
    throw new PrintfError(
      "The format ends inside a conversion: expected a conversion character such as d or s",
      "EINVAL",
      start,
    );
  }
  spec.end = at + 1;
  return convert(sink, spec, args, readString) ? spec.end : -1;
}

const encoder = new TextEncoder();

/**
 * Formats the C format string `text` (up to its first NUL, if it has one;
 * a string is encoded as UTF-8) into `sink`, reading arguments from
 * `source` and strings with `readString`.
 */
export function printf(
  text: Uint8Array | string,
  source: PrintfArguments,
  readString: ReadCString | undefined,
  sink: ByteSink,
): void {
  const format = typeof text === "string" ? encoder.encode(text) : text;
  let end = 0;
  while (end < format.length && format[end] !== 0) end++;
  // The spec and recorder of a call that does not nest are reused.
  const spec = idleSpec ?? new Spec();
  const args = (idleRecorder ?? new Recorder(source)).reset(source);
  const own = spec === idleSpec;
  idleSpec = idleRecorder = undefined;
  try {
    let i = 0;
    for (;;) {
      let j = i;
      while (j < end && format[j] !== Char.Percent) j++;
      if (j > i) sink.copy(format, i, j);
      if (j === end) return;
      sink.at = j;
      const next = sequential(format, j, end, spec, args, readString, sink);
      if (next < 0) {
        runPositional(format, end, j, args, readString, sink);
        return;
      }
      i = next;
    }
  } finally {
    if (own) {
      idleSpec = spec;
      idleRecorder = args.reset(args.source);
    }
  }
}

let idleSpec: Spec | undefined = new Spec();
let idleRecorder: Recorder | undefined;
