import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { ArgumentList } from "./argument_list.ts";
import { formatPrintf } from "./format_printf.ts";
import { PrintfError, type PrintfErrorCode } from "./printf_error.ts";
import {
  base64Bytes,
  CaseArguments,
  type GlibcArg,
  readCorpus,
  show,
} from "./_testing.ts";

// Reference outputs of glibc's snprintf, made by
// testdata/gen_glibc_printf.py: the arguments go through CaseArguments,
// which throws where the engine reads one as another C type.
const corpus = await readCorpus();

function run(fmt: Uint8Array, c: { args: GlibcArg[] }): string {
  const args = new CaseArguments(c.args);
  try {
    return show(formatPrintf(fmt, args, { readString: args.readString }));
  } catch (error) {
    return `<${(error as Error).name}: ${(error as Error).message}>`;
  }
}

Deno.test(`formatPrintf matches glibc ${corpus.glibc} on ${corpus.cases.length} snprintf calls`, () => {
  const mismatches: string[] = [];
  for (const c of corpus.cases) {
    const fmt = base64Bytes(c.fmt);
    const want = base64Bytes(c.out);
    strictEqual(want.length, c.ret);
    const got = run(fmt, c);
    if (got !== show(want)) {
      mismatches.push(
        `${show(fmt)} ${JSON.stringify(c.args)}\n  glibc: ${
          show(want)
        }\n  ours:  ${got}`,
      );
    }
  }
  deepStrictEqual(
    mismatches.slice(0, 30),
    [],
    `${mismatches.length} mismatches`,
  );
});

Deno.test("formatPrintf throws PrintfError with glibc's errno where snprintf returns -1", () => {
  // The EOVERFLOW calls would make 2 GiB before failing: vsnprintf_test.ts
  // checks them without storing the output.
  const mismatches: string[] = [];
  let checked = 0;
  for (const c of corpus.errors) {
    if (c.errno === "EOVERFLOW") continue;
    checked++;
    const args = new CaseArguments(c.args);
    let got = "no error";
    try {
      formatPrintf(base64Bytes(c.fmt), args, { readString: args.readString });
    } catch (error) {
      got = error instanceof PrintfError ? error.code : String(error);
    }
    if (got !== c.errno) {
      mismatches.push(
        `${show(base64Bytes(c.fmt))}: glibc ${c.errno}, ours ${got}`,
      );
    }
  }
  deepStrictEqual(mismatches, []);
  strictEqual(checked >= 15, true);
});

const text = (format: string, ...values: (number | bigint)[]) =>
  new TextDecoder().decode(formatPrintf(format, new ArgumentList(values)));

function refused(
  format: string,
  values: (number | bigint)[],
  code: PrintfErrorCode,
  offset: number,
  message: RegExp,
): void {
  throws(
    () => formatPrintf(format, new ArgumentList(values)),
    (error: unknown) => {
      strictEqual(error instanceof PrintfError, true);
      const e = error as PrintfError;
      strictEqual(e.name, "PrintfError");
      strictEqual(e.code, code);
      strictEqual(e.offset, offset);
      strictEqual(message.test(e.message), true, e.message);
      return true;
    },
  );
}

Deno.test("%n is refused with a named error, in every form and mode", () => {
  for (const n of ["%n", "%hhn", "%hn", "%ln", "%lln", "%zn", "%jn"]) {
    refused(`ab${n}`, [0x1000n], "ENOTSUP", 2, /^%n is not supported/);
  }
  refused("%2$n %1$d", [1, 0x1000n], "ENOTSUP", 0, /^%n is not supported/);
  refused("%y %n", [0x1000n], "ENOTSUP", 3, /^%n is not supported/);
});

Deno.test("long double conversions are refused: L, ll and q on a floating-point conversion", () => {
  for (const f of ["%Lf", "%LE", "%llg", "%qa", "%La"]) {
    refused(`x${f}`, [1.5], "ENOTSUP", 1, /^long double is not supported/);
  }
  refused("%1$Lf", [1.5], "ENOTSUP", 0, /^long double is not supported/);
  // L and q on integers are long long, as in glibc (sequential mode).
  strictEqual(
    text("%Ld %qx", 2n ** 40n, -1n),
    "1099511627776 ffffffffffffffff",
  );
});

Deno.test("%m is refused (it prints strerror(errno))", () => {
  refused("%m", [], "ENOTSUP", 0, /^%m is not supported/);
  // %1$ makes glibc read an int it does not print.
  refused("%1$m", [0], "ENOTSUP", 0, /^%m is not supported/);
});

Deno.test("wide strings are refused unless null, which prints (null) as in glibc", () => {
  refused("%ls", [0x1000n], "ENOTSUP", 0, /^Wide strings are not supported/);
  refused("%S", [0x1000n], "ENOTSUP", 0, /^Wide strings are not supported/);
  strictEqual(text("[%ls|%8S|%.3ls]", 0, 0, 0), "[(null)|  (null)|]");
});

Deno.test("%s without readString is refused; a null %s needs none", () => {
  refused("%s", [0x1000n], "ENOTSUP", 0, /needs options\.readString/);
  strictEqual(text("%s", 0), "(null)");
});

Deno.test("positional arguments read as two types are refused", () => {
  refused("%1$d %1$f", [1.5], "ENOTSUP", 0, /read as int here but as double/);
  refused("%1$ld %1$d", [5], "ENOTSUP", 0, /read as long here but as int/);
  refused("%d %1$f", [1, 1.5], "ENOTSUP", 3, /read as an integer before/);
  // The same size and register file is fine, as in glibc.
  strictEqual(
    text("%1$d %1$ld %1$#lx", 2n ** 32n + 5n),
    "5 4294967301 0x100000005",
  );
});

Deno.test("the format is a C string: it ends at its first NUL", () => {
  const format = new TextEncoder().encode("%d!\0%d");
  strictEqual(show(formatPrintf(format, new ArgumentList([7, 8]))), '"7!"');
});

Deno.test("%s reads at most the precision, and nothing past a NUL", () => {
  const limits: number[] = [];
  const bytes = new TextEncoder().encode("abc\0def");
  const readString = (_pointer: bigint, limit: number) => {
    limits.push(limit);
    return bytes;
  };
  const out = formatPrintf(
    "[%s|%.2s|%.*s|%.9s]",
    new ArgumentList([1, 1, 5, 1, 1]),
    {
      readString,
    },
  );
  strictEqual(show(out), '"[abc|ab|abc|abc]"');
  deepStrictEqual(limits, [Infinity, 2, 5, 9]);
});

Deno.test("readString may call printf itself", () => {
  const readString = (pointer: bigint) =>
    formatPrintf("<%d>", new ArgumentList([Number(pointer)]));
  strictEqual(
    show(formatPrintf("%s %s", new ArgumentList([1, 2]), { readString })),
    '"<1> <2>"',
  );
});

Deno.test("a format as a string is encoded as UTF-8", () => {
  strictEqual(text("é%dé", 1), "é1é");
});
