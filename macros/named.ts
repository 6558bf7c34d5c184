/**
 * Named arguments for {@linkcode format}, the `name = value` part of a Rust
 * `format!` call. Pass it as the last argument.
 */
export class NamedArguments {
  /** The arguments by name, in the order given. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The names, in the order given. */
  readonly names: readonly string[];

  /**
   * Wraps the arguments; use {@linkcode named}.
   *
   * @param values The arguments by name.
   */
  constructor(values: Readonly<Record<string, unknown>>) {
    this.values = values;
    this.names = Object.keys(values);
  }
}

/**
 * Names arguments for `{name}`, `{:width$}` and `{:.prec$}`, as Rust's
 * `format!("{name:>w$}", name = x, w = 8)` does. It goes last, after the
 * positional arguments.
 *
 * @param values The arguments by name.
 * @returns The named arguments.
 *
 * @example A named value and a named width
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { format } from "./format.ts";
 *
 * strictEqual(format("[{name:>w$}]", named({ name: "cr3", w: 5 })), "[  cr3]");
 * ```
 */
export function named(
  values: Readonly<Record<string, unknown>>,
): NamedArguments {
  return new NamedArguments(values);
}
