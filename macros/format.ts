import {
  type Count,
  DebugHex,
  parseTemplate,
  type Placeholder,
  type Template,
  Trait,
} from "./_template.ts";
import { type Options, rustTypeName, write } from "./_write.ts";
import { FormatError } from "./format_error.ts";
import { NamedArguments } from "./named.ts";
import { Typed } from "./typed.ts";

// Parsed format strings, and for each the argument count last seen valid.
const templates = new Map<string, Template>();
const checkedCounts = new WeakMap<Template, number>();

const TRAIT_NAMES = [
  "Display",
  "Debug",
  "LowerHex",
  "UpperHex",
  "Octal",
  "Binary",
  "LowerExp",
  "UpperExp",
  "Pointer",
];

// The options of the placeholder being formatted (one shared object).
const options: Options = {
  fill: " ",
  align: 0,
  plus: false,
  alternate: false,
  zero: false,
  width: -1,
  precision: -1,
  debugHex: DebugHex.None,
};
const PLAIN: Options = Object.freeze({ ...options });

/**
 * Formats like Rust's `format!`: the `std::fmt` format-string language with
 * Rust's exact output.
 *
 * Placeholders: `{}` Display, `{:?}` Debug, `{:#?}` pretty Debug, `{:x}`
 * `{:X}` `{:o}` `{:b}` (with `#` for the `0x`/`0o`/`0b` prefix), `{:x?}`,
 * `{:e}` `{:E}`; fill and alignment (`{:*^9}`), `+`, `#`, `0`, width,
 * precision, counts from arguments (`{:1$}`, `{:.*}`, `{:w$}`), positions
 * (`{0}`), names (`{name}`, given with {@linkcode named}), `{{` and `}}`.
 *
 * Values take the Rust type that fits them: a `bigint` is an `i64` when
 * negative and a `u64` otherwise; an integral `number` is an `i64`; any
 * other `number` (and `-0`, `NaN`, infinities) an `f64`; a `string` a
 * `&str`; a `boolean` a `bool`; `undefined` and `null` are `None` for
 * Debug. Arrays, typed arrays and `Set`s print as lists, plain objects and
 * `Map`s as maps, and class instances as structs (`Point { x: 1, y: 2 }`)
 * for `{:?}`; a class with its own `toString` has Display. The helpers
 * {@linkcode u8} … {@linkcode char} give any other Rust type.
 *
 * A format string is parsed once and cached.
 *
 * @param fmt The format string.
 * @param args The arguments, then optionally `named({...})`.
 * @returns The formatted text.
 * @throws {FormatError} Where rustc rejects the format string or the
 *   arguments: unbalanced braces, an unknown trait, missing or unused
 *   arguments, a trait the value does not implement, a count over 65535.
 *
 * @example Rust's output, exactly
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { i32 } from "./typed.ts";
 *
 * strictEqual(format("cr3 = {:#x}", 0x1000), "cr3 = 0x1000");
 * strictEqual(format("{:>8.3}|{:<5}|{:^7}|", 3.14159, true, "mid"), "   3.142|true |  mid  |");
 * strictEqual(format("{:x} {:?} {:e}", i32(-1), 1.0e-7, 1234.5), "ffffffff 1e-7 1.2345e3");
 * strictEqual(format("{:?}", { a: [1, 2], b: "x\n" }), '{"a": [1, 2], "b": "x\\n"}');
 * ```
 */
export function format(fmt: string, ...args: unknown[]): string {
  let template = templates.get(fmt);
  if (template === undefined) {
    template = parseTemplate(fmt);
    templates.set(fmt, template);
  }
  let count = args.length;
  const last = args[count - 1];
  const named = last instanceof NamedArguments ? last : undefined;
  if (named !== undefined) count--;
  if (named !== undefined || checkedCounts.get(template) !== count) {
    checkArguments(template, args, count, named);
    if (named === undefined) checkedCounts.set(template, count);
  }
  const literals = template.literals;
  const placeholders = template.placeholders;
  let out = literals[0]!;
  for (let i = 0; i < placeholders.length; i++) {
    const p = placeholders[i]!;
    const value = p.name === ""
      ? argument(args, count, named, p.index)
      : named!.values[p.name];
    let text: string | undefined;
    if (!p.plain) {
      options.fill = p.fill;
      options.align = p.align;
      options.plus = p.plus;
      options.alternate = p.alternate;
      options.zero = p.zero;
      options.width = countValue(template, p, p.width, args, count, named);
      options.precision = countValue(
        template,
        p,
        p.precision,
        args,
        count,
        named,
      );
      options.debugHex = p.debugHex;
      text = write(value, p.trait, options);
    } else if (typeof value === "string" && p.trait === Trait.Display) {
      text = value;
    } else {
      text = write(value, p.trait, PLAIN);
    }
    if (text === undefined) {
      throw new FormatError(
        fmt,
        p.position,
        `\`{:${p.traitText}}\` needs ${TRAIT_NAMES[p.trait]}, which ${
          rustTypeName(value)
        } does not implement`,
      );
    }
    out += text + literals[i + 1]!;
  }
  return out;
}

// Positional arguments first, then the named ones in order (Rust lets a
// position refer to a named argument).
function argument(
  args: readonly unknown[],
  count: number,
  named: NamedArguments | undefined,
  index: number,
): unknown {
  return index < count
    ? args[index]
    : named!.values[named!.names[index - count]!];
}

function countValue(
  template: Template,
  p: Placeholder,
  c: Count,
  args: readonly unknown[],
  count: number,
  named: NamedArguments | undefined,
): number {
  if (c.literal >= 0) return c.literal;
  if (c.index < 0 && c.name === "") return -1;
  const v = c.name !== ""
    ? named!.values[c.name]
    : argument(args, count, named, c.index);
  const n = typeof v === "number"
    ? v
    : typeof v === "bigint"
    ? Number(v)
    : v instanceof Typed && v.type === "usize"
    ? Number(v.value)
    : Number.NaN;
  if (!Number.isInteger(n) || n < 0) {
    throw new FormatError(
      template.source,
      p.position,
      `a width or precision argument must be a usize, found ${
        rustTypeName(v)
      } ${String(v)}`,
    );
  }
  if (n > 0xffff) {
    throw new FormatError(
      template.source,
      p.position,
      `width or precision ${n} is out of range: at most 65535`,
    );
  }
  return n;
}

function checkArguments(
  t: Template,
  args: readonly unknown[],
  count: number,
  named: NamedArguments | undefined,
): void {
  const names = named?.names ?? [];
  const total = count + names.length;
  const used = new Array<boolean>(total).fill(false);
  const fail = (position: number, reason: string): never => {
    throw new FormatError(t.source, position, reason);
  };
  const there = total === 1
    ? "there is 1 argument"
    : `there are ${total} arguments`;
  const use = (p: Placeholder, index: number, name: string) => {
    if (name !== "") {
      if (named === undefined || !Object.hasOwn(named.values, name)) {
        fail(
          p.position,
          `there is no argument named \`${name}\`; pass it with named({ ${name}: … })`,
        );
      }
      used[count + names.indexOf(name)] = true;
    } else if (index >= 0) {
      if (index >= total) {
        fail(
          p.position,
          index < t.implicitCount
            ? `${t.implicitCount} positional arguments in format string, but ${there}`
            : `invalid reference to positional argument ${index} (${there})`,
        );
      }
      used[index] = true;
    }
  };
  for (const p of t.placeholders) {
    use(p, p.precision.index, p.precision.name);
    use(p, p.index, p.name);
    use(p, p.width.index, p.width.name);
  }
  for (let i = 0; i < total; i++) {
    if (!used[i]) {
      fail(
        t.source.length,
        i < count
          ? `argument ${i} (${rustTypeName(args[i])}) is never used`
          : `named argument \`${names[i - count]}\` is never used`,
      );
    }
  }
}
