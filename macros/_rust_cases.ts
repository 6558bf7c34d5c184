// Turns the arguments recorded by testdata/gen_rust_format.py into the JS
// values that `format` maps to the same Rust types.
import { NamedArguments } from "./named.ts";
import * as t from "./typed.ts";

/** An argument as the generator records it. */
export type RustArg =
  | { type: string; value: string }
  | { type: "vec"; items: RustArg[]; elem?: string }
  | { type: "map"; entries: [string, RustArg][] }
  | { type: "struct"; name: string; fields: [string, RustArg][] };

/** One recorded `format!` call. */
export interface RustCase {
  fmt: string;
  args: RustArg[];
  named?: Record<string, RustArg>;
  out?: string;
  rustc_error?: string;
}

function f64FromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt("0x" + hex));
  return view.getFloat64(0);
}

/** The argument with its exact Rust type (typed helpers for scalars). */
export function typedValue(arg: RustArg): unknown {
  if ("items" in arg) return arg.items.map(typedValue);
  if ("entries" in arg) {
    const entries = arg.entries.map(([k, v]) => [k, typedValue(v)] as const);
    // Integer-like keys would be reordered in a plain object: use a Map.
    return entries.some(([k]) => /^\d+$/.test(k))
      ? new Map(entries)
      : Object.fromEntries(entries);
  }
  if ("fields" in arg) {
    const Class = { [arg.name]: class {} }[arg.name]!;
    const object = new Class() as Record<string, unknown>;
    for (const [k, v] of arg.fields) object[k] = typedValue(v);
    return object;
  }
  const v = arg.value;
  switch (arg.type) {
    case "u8":
    case "u16":
    case "u32":
    case "i8":
    case "i16":
    case "i32":
      return t[arg.type](Number(v));
    case "u64":
    case "usize":
    case "i64":
    case "isize":
      return t[arg.type](BigInt(v));
    case "f64":
      return t.f64(f64FromBits(v));
    case "char":
      return t.char(v);
    case "str":
      return v;
    case "bool":
      return v === "true";
  }
  throw new Error(`unknown argument type ${arg.type}`);
}

/**
 * The same argument as a plain JS value that `format` types the same way,
 * or `undefined` when there is none (u8 … i32, char, and f64 values that
 * are integral, which a plain number would make an i64).
 */
export function plainValue(arg: RustArg): unknown {
  if (!("value" in arg)) return undefined;
  const v = arg.value;
  switch (arg.type) {
    case "u64":
    case "usize":
    case "i64":
    case "isize":
      return BigInt(v);
    case "f64": {
      const x = f64FromBits(v);
      const integral = Number.isInteger(x) && !Object.is(x, -0) &&
        Math.abs(x) < 2 ** 63;
      return integral ? undefined : x;
    }
    case "str":
      return v;
    case "bool":
      return v === "true";
  }
  return undefined;
}

/** The arguments of a case, typed, with the named ones last. */
export function caseArguments(
  c: RustCase,
  convert: (a: RustArg) => unknown = typedValue,
): unknown[] {
  const args = c.args.map(convert);
  if (c.named) {
    args.push(
      new NamedArguments(
        Object.fromEntries(
          Object.entries(c.named).map(([k, v]) => [k, convert(v)]),
        ),
      ),
    );
  }
  return args;
}
