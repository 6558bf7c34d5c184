import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { caseArguments, plainValue, type RustCase } from "./_rust_cases.ts";
import { format } from "./format.ts";
import { FormatError } from "./format_error.ts";
import { char } from "./typed.ts";

type RustCases = { rustc: string; cases: RustCase[] };

async function readCases(name: string): Promise<RustCases> {
  return JSON.parse(
    await Deno.readTextFile(new URL(`./testdata/${name}`, import.meta.url)),
  );
}

// Reference outputs of rustc's `format!`: systematic ones made by
// testdata/gen_rust_format.py, random ones by testdata/gen_rust_format_fuzz.py.
const cases = await readCases("rust_format_cases.json");
const fuzz = await readCases("rust_format_fuzz.json");
const errors: { rustc: string; errors: RustCase[] } = JSON.parse(
  await Deno.readTextFile(
    new URL("./testdata/rust_format_errors.json", import.meta.url),
  ),
);

function attempt(c: RustCase, args: unknown[]): string {
  try {
    return format(c.fmt, ...args);
  } catch (error) {
    return `<threw ${(error as Error).message}>`;
  }
}

// Formats every case with typed arguments and compares with rustc's output.
function checkCases(data: RustCases): void {
  const mismatches: string[] = [];
  for (const c of data.cases) {
    const got = attempt(c, caseArguments(c));
    if (got !== c.out) {
      mismatches.push(
        `${JSON.stringify(c.fmt)} ${JSON.stringify(c.args)}${
          c.named ? " " + JSON.stringify(c.named) : ""
        }\n  rust: ${JSON.stringify(c.out)}\n  ours: ${JSON.stringify(got)}`,
      );
    }
  }
  deepStrictEqual(
    mismatches.slice(0, 40),
    [],
    `${mismatches.length} mismatches`,
  );
}

Deno.test(`format matches ${cases.rustc} on ${cases.cases.length} cases`, () => {
  checkCases(cases);
});

Deno.test(`format matches ${fuzz.rustc} on ${fuzz.cases.length} random cases`, () => {
  checkCases(fuzz);
});

Deno.test("plain JS values format as the Rust types they map to", () => {
  const mismatches: string[] = [];
  let checked = 0;
  for (const c of cases.cases) {
    if (c.named || c.args.length === 0) continue;
    const args = c.args.map(plainValue);
    if (args.some((a) => a === undefined)) continue;
    checked++;
    const got = attempt(c, args);
    if (got !== c.out) {
      mismatches.push(
        `${JSON.stringify(c.fmt)} ${JSON.stringify(c.args)}: rust ${
          JSON.stringify(c.out)
        }, ours ${JSON.stringify(got)}`,
      );
    }
  }
  strictEqual(checked > 1000, true);
  deepStrictEqual(
    mismatches.slice(0, 40),
    [],
    `${mismatches.length} mismatches`,
  );
});

Deno.test(`format rejects the ${errors.errors.length} format strings that rustc rejects`, () => {
  const accepted: string[] = [];
  for (const c of errors.errors) {
    try {
      format(c.fmt, ...caseArguments(c));
      accepted.push(
        `${JSON.stringify(c.fmt)} ${
          JSON.stringify(c.args)
        } (rustc: ${c.rustc_error})`,
      );
    } catch (error) {
      if (!(error instanceof FormatError)) {
        accepted.push(
          `${JSON.stringify(c.fmt)} threw ${
            (error as Error).name
          }, not FormatError`,
        );
      }
    }
  }
  deepStrictEqual(accepted, []);
});

Deno.test("a FormatError names the position and the reason", () => {
  throws(() => format("ab}c"), {
    name: "FormatError",
    message:
      'Invalid format string "ab}c" at position 2: unmatched `}` found; write `}}` for a literal `}`',
  });
  throws(() => format("{} {}", 1), (e: FormatError) => e.position === 3);
});

Deno.test("characters new in Unicode 17 print as rustc 1.95 prints them", () => {
  // rustc 1.95's tables know these as assigned and printable; an engine on
  // older Unicode data sees them as unassigned.
  for (const code of [0x088f, 0x20c1, 0x1fa8a, 0x1e6c0, 0x323b0]) {
    const c = String.fromCodePoint(code);
    strictEqual(format("{:?}", char(c)), `'${c}'`);
  }
  strictEqual(format("{:?}", "\u{0378}"), '"\\u{378}"'); // still unassigned
});
