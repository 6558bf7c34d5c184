import type { PrintfArguments } from "./printf_arguments.ts";

/**
 * {@linkcode PrintfArguments} over a list of values, for calling the printf
 * engine from TypeScript: each value stands for one 64-bit argument
 * register, and the accessor gives the C type, as `va_arg` does. `i32()`
 * takes the low 32 bits of an integer value, `u64()` the value modulo
 * 2^64; `f64()` needs a `number`; pointers are integers (`0` is `NULL`).
 *
 * @example `printf("%s=%#x", name, value)` with the string at 0x1000
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ArgumentList, formatPrintf } from "./mod.ts";
 *
 * const name = new TextEncoder().encode("cr3");
 * const out = formatPrintf("%s=%#x %.2f", new ArgumentList([0x1000n, 0x5000, 2.5]), {
 *   readString: (pointer, limit) => name.subarray(0, limit),
 * });
 * strictEqual(new TextDecoder().decode(out), "cr3=0x5000 2.50");
 * ```
 */
export class ArgumentList implements PrintfArguments {
  readonly #values: readonly (number | bigint)[];
  #next = 0;

  /**
   * Makes the list; the engine reads it from the first value on.
   *
   * @param values One value per argument: an integer (`number` or
   *   `bigint`) for integer and pointer arguments, a `number` for a
   *   `double`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const args = new ArgumentList([-1, 1.5]);
   * strictEqual(args.u32(), 0xffff_ffff);
   * strictEqual(args.f64(), 1.5);
   * ```
   */
  constructor(values: readonly (number | bigint)[]) {
    this.#values = values;
  }

  /**
   * How many values were read so far.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const args = new ArgumentList([1, 2]);
   * args.i32();
   * strictEqual(args.consumed, 1);
   * ```
   */
  get consumed(): number {
    return this.#next;
  }

  #take(type: string): number | bigint {
    if (this.#next >= this.#values.length) {
      throw new RangeError(
        `Too few printf arguments: argument ${
          this.#next + 1
        } (${type}) was read, but the list holds ${this.#values.length}`,
      );
    }
    return this.#values[this.#next++]!;
  }

  #integer(type: string): number | bigint {
    const value = this.#take(type);
    if (typeof value === "number" && !Number.isInteger(value)) {
      throw new TypeError(
        `Printf argument ${this.#next} is read as ${type}: expected an integer, got ${value}`,
      );
    }
    return value;
  }

  /**
   * The next value as a C `int`: its low 32 bits, signed.
   *
   * @returns A number in [-2^31, 2^31).
   * @throws {RangeError} When the list is used up.
   * @throws {TypeError} When the value is not an integer.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new ArgumentList([0x1_8000_0000n]).i32(), -0x8000_0000);
   * ```
   */
  i32(): number {
    const v = this.#integer("int");
    return typeof v === "number" && Math.abs(v) <= 2 ** 53
      ? v | 0
      : Number(BigInt.asIntN(32, BigInt(v)));
  }

  /**
   * The next value as a C `unsigned int`: its low 32 bits.
   *
   * @returns A number in [0, 2^32).
   * @throws {RangeError} When the list is used up.
   * @throws {TypeError} When the value is not an integer.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new ArgumentList([-2]).u32(), 0xffff_fffe);
   * ```
   */
  u32(): number {
    const v = this.#integer("unsigned int");
    return typeof v === "number" && Math.abs(v) <= 2 ** 53
      ? v >>> 0
      : Number(BigInt.asUintN(32, BigInt(v)));
  }

  /**
   * The next value as a C `long`: modulo 2^64, signed.
   *
   * @returns A bigint in [-2^63, 2^63).
   * @throws {RangeError} When the list is used up.
   * @throws {TypeError} When the value is not an integer.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new ArgumentList([2n ** 64n - 1n]).i64(), -1n);
   * ```
   */
  i64(): bigint {
    return BigInt.asIntN(64, BigInt(this.#integer("long")));
  }

  /**
   * The next value as a C `unsigned long`: modulo 2^64.
   *
   * @returns A bigint in [0, 2^64).
   * @throws {RangeError} When the list is used up.
   * @throws {TypeError} When the value is not an integer.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new ArgumentList([-1]).u64(), 2n ** 64n - 1n);
   * ```
   */
  u64(): bigint {
    return BigInt.asUintN(64, BigInt(this.#integer("unsigned long")));
  }

  /**
   * The next value as a C `double`.
   *
   * @returns The number.
   * @throws {RangeError} When the list is used up.
   * @throws {TypeError} When the value is a `bigint`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new ArgumentList([0.1]).f64(), 0.1);
   * ```
   */
  f64(): number {
    const value = this.#take("double");
    if (typeof value !== "number") {
      throw new TypeError(
        `Printf argument ${this.#next} is read as double: expected a number, got the bigint ${value}`,
      );
    }
    return value;
  }

  /**
   * The next value as a pointer: modulo 2^64, unsigned.
   *
   * @returns A bigint in [0, 2^64).
   * @throws {RangeError} When the list is used up.
   * @throws {TypeError} When the value is not an integer.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new ArgumentList([0xb8000]).ptr(), 0xb8000n);
   * ```
   */
  ptr(): bigint {
    return BigInt.asUintN(64, BigInt(this.#integer("pointer")));
  }
}
