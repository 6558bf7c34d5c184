// Argument sources inside the engine: the recorder of the sequential mode
// and the slots of the positional mode.
import type { PrintfArguments } from "./printf_arguments.ts";
import { PrintfError } from "./printf_error.ts";

/** The C type an argument is read as. */
export const enum Kind {
  Int32,
  Int64,
  Pointer,
  Double,
}

const KIND_NAMES = ["int", "long", "pointer", "double"];

/**
 * Passes reads through to the caller's source and keeps what was read, so
 * that glibc's switch to positional mode, which reads the arguments again
 * from the start, can reuse them.
 */
export class Recorder implements PrintfArguments {
  /** The values read, `values[0 .. count)`. */
  readonly values: (number | bigint)[] = [];
  /** The type each was read as. */
  readonly kinds: Kind[] = [];
  /** How many were read. */
  count = 0;
  source: PrintfArguments;

  constructor(source: PrintfArguments) {
    this.source = source;
  }

  /** Starts over on `source`. */
  reset(source: PrintfArguments): this {
    this.source = source;
    this.count = 0;
    return this;
  }

  #keep<T extends number | bigint>(value: T, kind: Kind): T {
    this.values[this.count] = value;
    this.kinds[this.count++] = kind;
    return value;
  }

  i32(): number {
    return this.#keep(this.source.i32(), Kind.Int32);
  }
  u32(): number {
    return this.#keep(this.source.u32(), Kind.Int32);
  }
  i64(): bigint {
    return this.#keep(this.source.i64(), Kind.Int64);
  }
  u64(): bigint {
    return this.#keep(this.source.u64(), Kind.Int64);
  }
  f64(): number {
    return this.#keep(this.source.f64(), Kind.Double);
  }
  ptr(): bigint {
    return this.#keep(this.source.ptr(), Kind.Pointer);
  }
}

/**
 * The arguments of positional mode, read up front; `slot` picks the one
 * the next accessor call returns, in the C type it asks for.
 */
export class Slots implements PrintfArguments {
  /** The argument index the accessors read. */
  slot = 0;
  /** The format offset of the conversion reading (for errors). */
  at = 0;
  readonly #values: (number | bigint)[];
  readonly #kinds: Kind[];

  constructor(values: (number | bigint)[], kinds: Kind[]) {
    this.#values = values;
    this.#kinds = kinds;
  }

  #conflict(want: Kind): never {
    throw new PrintfError(
      `Positional argument ${this.slot + 1} is read as ${
        KIND_NAMES[want]
      } here but as ${
        KIND_NAMES[this.#kinds[this.slot]!]
      } by another conversion: glibc then reads a register of the wrong size or kind`,
      "ENOTSUP",
      this.at,
    );
  }

  /** The 64 bits of a 64-bit argument. */
  #wide(): bigint {
    const value = this.#values[this.slot]!;
    if (typeof value !== "bigint") this.#conflict(Kind.Int64);
    return value;
  }

  i32(): number {
    const value = this.#values[this.slot]!;
    if (typeof value === "bigint") return Number(BigInt.asIntN(32, value));
    if (this.#kinds[this.slot] === Kind.Double) this.#conflict(Kind.Int32);
    return value | 0;
  }
  u32(): number {
    return this.i32() >>> 0;
  }
  i64(): bigint {
    return BigInt.asIntN(64, this.#wide());
  }
  u64(): bigint {
    return BigInt.asUintN(64, this.#wide());
  }
  f64(): number {
    if (this.#kinds[this.slot] !== Kind.Double) this.#conflict(Kind.Double);
    return this.#values[this.slot] as number;
  }
  ptr(): bigint {
    return BigInt.asUintN(64, this.#wide());
  }
}
