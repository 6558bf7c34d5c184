// The parser of Rust's format-string language (the grammar of the `std::fmt`
// module docs, with the corner cases of rustc's `rustc_parse_format`).
import { FormatError } from "./format_error.ts";

/** A formatting trait: what `{:?}`, `{:x}`, … ask of a value. */
export const enum Trait {
  Display,
  Debug,
  LowerHex,
  UpperHex,
  Octal,
  Binary,
  LowerExp,
  UpperExp,
  Pointer,
}

/** Alignment of padded output. */
export const enum Align {
  Unknown,
  Left,
  Center,
  Right,
}

/** Hex flavour of `{:x?}` / `{:X?}`. */
export const enum DebugHex {
  None,
  Lower,
  Upper,
}

/**
 * A width or precision: a literal, or taken from an argument by index or by
 * name (`1$`, `w$`, `.*`). -1 means absent.
 */
export interface Count {
  /** The literal value, or -1 when the count is absent or an argument. */
  readonly literal: number;
  /** The argument index, or -1. */
  index: number;
  /** The argument name, or "". */
  readonly name: string;
}

/** One `{…}` of a format string. */
export interface Placeholder {
  /** Offset of its `{` in the format string. */
  readonly position: number;
  /** The argument index (resolved later for names), or -1 for a name. */
  index: number;
  /** The argument name, or "". */
  readonly name: string;
  /** The trait. */
  readonly trait: Trait;
  /** The name of the trait as written, for messages. */
  readonly traitText: string;
  /** The fill character (one code point). */
  readonly fill: string;
  /** The alignment. */
  readonly align: Align;
  /** The `+` flag. */
  readonly plus: boolean;
  /** The `#` flag. */
  readonly alternate: boolean;
  /** The `0` flag. */
  readonly zero: boolean;
  /** `{:x?}` or `{:X?}`. */
  readonly debugHex: DebugHex;
  /** The width. */
  readonly width: Count;
  /** The precision. */
  readonly precision: Count;
  /** True when nothing but the trait is set: the fast path. */
  readonly plain: boolean;
}

/** A parsed format string: literal text around placeholders. */
export interface Template {
  /** The format string. */
  readonly source: string;
  /** `literals[i]` comes before `placeholders[i]`; one more literal ends it. */
  readonly literals: readonly string[];
  /** The placeholders, in order. */
  readonly placeholders: readonly Placeholder[];
  /** How many positional arguments the implicit `{}` and `.*` consume. */
  readonly implicitCount: number;
  /** The highest explicit argument index used (by value, width or precision), or -1. */
  readonly maxExplicit: number;
  /** The names used, in order of first use. */
  readonly names: readonly string[];
}

const TRAITS: Record<string, Trait> = {
  "": Trait.Display,
  "?": Trait.Debug,
  "x": Trait.LowerHex,
  "X": Trait.UpperHex,
  "o": Trait.Octal,
  "b": Trait.Binary,
  "e": Trait.LowerExp,
  "E": Trait.UpperExp,
  "p": Trait.Pointer,
};

const NO_COUNT: Count = Object.freeze({ literal: -1, index: -1, name: "" });
const ID_START = /[\p{XID_Start}_]/u;
const ID_CONTINUE = /\p{XID_Continue}/u;
const WHITE_SPACE = /\p{White_Space}/u;
const U16_MAX = 0xffff;

/** Parses a format string; throws {@linkcode FormatError} where rustc would. */
export function parseTemplate(source: string): Template {
  return new Parser(source).parse();
}

class Parser {
  readonly source: string;
  pos = 0;
  implicit = 0;
  maxExplicit = -1;
  names: string[] = [];

  constructor(source: string) {
    this.source = source;
  }

  fail(position: number, reason: string): never {
    throw new FormatError(this.source, position, reason);
  }

  parse(): Template {
    const s = this.source;
    const literals: string[] = [];
    const placeholders: Placeholder[] = [];
    let text = "";
    let start = 0;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x7b /* { */) {
        if (s.charCodeAt(this.pos + 1) === 0x7b) {
          text += s.slice(start, this.pos + 1);
          this.pos += 2;
          start = this.pos;
          continue;
        }
        text += s.slice(start, this.pos);
        literals.push(text);
        text = "";
        placeholders.push(this.placeholder());
        start = this.pos;
      } else if (c === 0x7d /* } */) {
        if (s.charCodeAt(this.pos + 1) !== 0x7d) {
          this.fail(
            this.pos,
            "unmatched `}` found; write `}}` for a literal `}`",
          );
        }
        text += s.slice(start, this.pos + 1);
        this.pos += 2;
        start = this.pos;
      } else {
        this.pos++;
      }
    }
    literals.push(text + s.slice(start));
    return {
      source: s,
      literals,
      placeholders,
      implicitCount: this.implicit,
      maxExplicit: this.maxExplicit,
      names: this.names,
    };
  }

  // At `{`: parses up to and past the matching `}`.
  placeholder(): Placeholder {
    const position = this.pos++;
    let index = -1;
    let name = "";
    const digits = this.integer();
    if (digits !== undefined) {
      index = digits;
      this.maxExplicit = Math.max(this.maxExplicit, index);
    } else {
      name = this.word();
      if (name === "_") this.fail(position + 1, "invalid argument name `_`");
      if (name !== "") this.useName(name);
    }
    this.skipWhitespace();
    let fill = " ";
    let align = Align.Unknown;
    let plus = false;
    let alternate = false;
    let zero = false;
    let width: Count = NO_COUNT;
    let precision: Count = NO_COUNT;
    let traitText = "";
    let debugHex = DebugHex.None;
    if (this.eat(":")) {
      const s = this.source;
      const first = s.codePointAt(this.pos);
      if (first !== undefined) {
        const next = s[this.pos + (first > 0xffff ? 2 : 1)];
        if (next === "<" || next === "^" || next === ">") {
          fill = String.fromCodePoint(first);
          this.pos += first > 0xffff ? 2 : 1;
        }
      }
      if (this.eat("<")) align = Align.Left;
      else if (this.eat("^")) align = Align.Center;
      else if (this.eat(">")) align = Align.Right;
      if (this.eat("+")) plus = true;
      else this.eat("-");
      if (this.eat("#")) alternate = true;
      let haveWidth = false;
      if (this.peek("0")) {
        if (this.source[this.pos + 1] === "$") {
          this.pos += 2;
          width = this.indexCount(0);
          haveWidth = true;
        } else {
          this.pos++;
          zero = true;
        }
      }
      if (!haveWidth) width = this.count(false);
      if (this.eat(".")) {
        if (this.eat("*")) {
          precision = { literal: -1, index: this.implicit++, name: "" };
        } else {
          precision = this.count(true);
        }
      }
      if (this.eat("x")) {
        if (this.eat("?")) debugHex = DebugHex.Lower, traitText = "x?";
        else traitText = "x";
      } else if (this.eat("X")) {
        if (this.eat("?")) debugHex = DebugHex.Upper, traitText = "X?";
        else traitText = "X";
      } else if (this.eat("?")) {
        traitText = "?";
      } else {
        const at = this.pos;
        traitText = this.word();
        if (traitText !== "" && !(traitText in TRAITS)) {
          this.fail(at, `unknown format trait \`${traitText}\``);
        }
      }
    }
    this.skipWhitespace();
    if (this.pos >= this.source.length) {
      this.fail(
        position,
        "expected `}` but the string ended; write `{{` for a literal `{`",
      );
    }
    if (this.source[this.pos] !== "}") {
      this.fail(
        this.pos,
        `expected \`}\`, found \`${
          String.fromCodePoint(this.source.codePointAt(this.pos)!)
        }\``,
      );
    }
    this.pos++;
    if (index === -1 && name === "") index = this.implicit++;
    const trait = debugHex !== DebugHex.None ? Trait.Debug : TRAITS[traitText]!;
    return {
      position,
      index,
      name,
      trait,
      traitText,
      fill,
      align,
      plus,
      alternate,
      zero,
      debugHex,
      width,
      precision,
      plain: fill === " " && align === Align.Unknown && !plus && !alternate &&
        !zero && width === NO_COUNT && precision === NO_COUNT &&
        debugHex === DebugHex.None,
    };
  }

  // count := integer | integer '$' | identifier '$' | (nothing)
  count(isPrecision: boolean): Count {
    const at = this.pos;
    const value = this.integer();
    if (value !== undefined) {
      if (this.eat("$")) return this.indexCount(value);
      if (value > U16_MAX) {
        this.fail(
          at,
          `${
            isPrecision ? "precision" : "width"
          } ${value} does not fit into the type \`u16\``,
        );
      }
      return { literal: value, index: -1, name: "" };
    }
    const name = this.word();
    if (name !== "" && this.eat("$")) {
      if (name === "_") this.fail(at, "invalid argument name `_`");
      this.useName(name);
      return { literal: -1, index: -1, name };
    }
    this.pos = at;
    return NO_COUNT;
  }

  indexCount(index: number): Count {
    this.maxExplicit = Math.max(this.maxExplicit, index);
    return { literal: -1, index, name: "" };
  }

  useName(name: string): void {
    if (!this.names.includes(name)) this.names.push(name);
  }

  integer(): number | undefined {
    const s = this.source;
    let end = this.pos;
    while (
      end < s.length && s.charCodeAt(end) >= 0x30 && s.charCodeAt(end) <= 0x39
    ) end++;
    if (end === this.pos) return undefined;
    const value = Number(s.slice(this.pos, end));
    this.pos = end;
    return value;
  }

  word(): string {
    const s = this.source;
    const first = s.codePointAt(this.pos);
    if (first === undefined || !ID_START.test(String.fromCodePoint(first))) {
      return "";
    }
    let end = this.pos + (first > 0xffff ? 2 : 1);
    for (;;) {
      const c = s.codePointAt(end);
      if (c === undefined || !ID_CONTINUE.test(String.fromCodePoint(c))) break;
      end += c > 0xffff ? 2 : 1;
    }
    const word = s.slice(this.pos, end);
    this.pos = end;
    return word;
  }

  // rustc skips any char::is_whitespace (White_Space, all in the BMP)
  // after the argument and before the closing `}`: `{0 :x\t}`.
  skipWhitespace(): void {
    const s = this.source;
    while (this.pos < s.length && WHITE_SPACE.test(s[this.pos]!)) this.pos++;
  }

  peek(c: string): boolean {
    return this.source[this.pos] === c;
  }

  eat(c: string): boolean {
    if (this.source[this.pos] !== c) return false;
    this.pos++;
    return true;
  }
}
