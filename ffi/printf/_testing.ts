// Test helpers: the glibc reference corpus made by
// testdata/gen_glibc_printf.py, and an argument source that checks that the
// engine reads each argument as the C type the caller passed.
import type { PrintfArguments, ReadCString } from "./printf_arguments.ts";

/**
 * An argument as the generator records it: `[type, value]`, the value a
 * decimal integer, the bits of a double in hex, or the bytes of a string in
 * base64 (`null` for NULL; type `bytes` for an array with no NUL).
 */
export type GlibcArg = [string, string | null];

/** One snprintf call and its result. */
export interface GlibcCase {
  fmt: string;
  args: GlibcArg[];
  out: string;
  ret: number;
}

/** snprintf(buf, 16, …) that glibc fails with -1. */
export interface GlibcError {
  fmt: string;
  args: GlibcArg[];
  ret: number;
  errno: string;
  size: number;
  /** The first size + 4 bytes of the 0xaa-filled buffer after the call. */
  buf: string;
}

/** snprintf(buf, size, …) into a buffer of 0xaa bytes (or NULL). */
export interface GlibcTruncation {
  fmt: string;
  args: GlibcArg[];
  size: number;
  null: boolean;
  ret: number;
  /** The first size + 4 bytes of the buffer after the call. */
  buf: string;
}

/** The whole corpus. */
export interface GlibcCorpus {
  glibc: string;
  gcc: string;
  cases: GlibcCase[];
  errors: GlibcError[];
  truncation: GlibcTruncation[];
}

/** Reads testdata/glibc_printf_cases.json. */
export async function readCorpus(): Promise<GlibcCorpus> {
  return JSON.parse(
    await Deno.readTextFile(
      new URL("./testdata/glibc_printf_cases.json", import.meta.url),
    ),
  );
}

/** Bytes of a base64 string. */
export function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < out.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Bytes shown as a JS string literal, one code unit a byte. */
export function show(bytes: Uint8Array): string {
  return JSON.stringify(String.fromCharCode(...bytes));
}

const WIDE = new Set([
  "long",
  "ulong",
  "llong",
  "ullong",
  "size_t",
  "ssize_t",
  "ptrdiff_t",
  "intmax_t",
  "uintmax_t",
  "ptr",
  "str",
  "bytes",
]);

/**
 * The arguments of a case as a C callee sees them, with the strings in a
 * memory of their own: `args` reads them in order and throws where the
 * engine reads one as a type the C ABI does not make it (a `double` from
 * an integer register, 64 bits of an `int`); `readString` throws where the
 * engine would read past an unterminated string.
 */
export class CaseArguments implements PrintfArguments {
  readonly #args: GlibcArg[];
  readonly #strings = new Map<bigint, GlibcArg>();
  #next = 0;

  constructor(args: GlibcArg[]) {
    this.#args = args;
  }

  /** How many arguments were read. */
  get consumed(): number {
    return this.#next;
  }

  #take(wanted: string): GlibcArg {
    const arg = this.#args[this.#next++];
    if (arg === undefined) {
      throw new Error(`Argument ${this.#next} (${wanted}) was not passed`);
    }
    return arg;
  }

  #integer(wanted: string, wide: boolean): bigint {
    const arg = this.#take(wanted);
    const [type, value] = arg;
    if (type === "double") {
      throw new Error(`Argument ${this.#next} is a double, read as ${wanted}`);
    }
    if (wide && !WIDE.has(type)) {
      throw new Error(
        `Argument ${this.#next} is an ${type}, read as ${wanted}`,
      );
    }
    if (type === "str" || type === "bytes") {
      if (value === null) return 0n;
      const address = 0x10_0000n + BigInt(this.#next) * 0x1000n;
      this.#strings.set(address, arg);
      return address;
    }
    return BigInt(value!);
  }

  i32(): number {
    return Number(BigInt.asIntN(32, this.#integer("int", false)));
  }
  u32(): number {
    return Number(BigInt.asUintN(32, this.#integer("unsigned int", false)));
  }
  i64(): bigint {
    return BigInt.asIntN(64, this.#integer("long", true));
  }
  u64(): bigint {
    return BigInt.asUintN(64, this.#integer("unsigned long", true));
  }
  ptr(): bigint {
    return BigInt.asUintN(64, this.#integer("pointer", true));
  }
  f64(): number {
    const [type, value] = this.#take("double");
    if (type !== "double") {
      throw new Error(`Argument ${this.#next} is an ${type}, read as double`);
    }
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt("0x" + value));
    return view.getFloat64(0);
  }

  /** Reads a string this source handed out as a pointer. */
  readString: ReadCString = (pointer, limit) => {
    const arg = this.#strings.get(pointer);
    if (arg === undefined) {
      throw new Error(`No string at 0x${pointer.toString(16)}`);
    }
    const bytes = base64Bytes(arg[1]!);
    if (arg[0] === "bytes" && limit > bytes.length) {
      throw new Error(
        `Read of ${limit} bytes past the unterminated string of ${bytes.length}`,
      );
    }
    return bytes;
  };
}
