import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { ArgumentList } from "./argument_list.ts";
import { PrintfError } from "./printf_error.ts";
import { vsnprintf } from "./vsnprintf.ts";
import { base64Bytes, CaseArguments, readCorpus, show } from "./_testing.ts";

// snprintf(buf, n, …) of glibc into a buffer of 0xaa bytes, and
// snprintf(NULL, 0, …): testdata/gen_glibc_printf.py.
const corpus = await readCorpus();

Deno.test(`vsnprintf stores and returns what glibc's snprintf does for small sizes (${corpus.truncation.length} calls)`, () => {
  const mismatches: string[] = [];
  for (const t of corpus.truncation) {
    const args = new CaseArguments(t.args);
    const readString = args.readString;
    const fmt = base64Bytes(t.fmt);
    const want = show(base64Bytes(t.buf));
    let got = want;
    let ret: number;
    if (t.null) {
      ret = vsnprintf(fmt, args, { readString });
    } else {
      const buffer = new Uint8Array(t.size + 4).fill(0xaa);
      ret = vsnprintf(fmt, args, { into: buffer, size: t.size, readString });
      got = show(buffer);
    }
    if (ret !== t.ret || got !== want) {
      mismatches.push(
        `${
          show(fmt)
        } size ${t.size}: glibc ${t.ret} ${want}, ours ${ret} ${got}`,
      );
    }
  }
  deepStrictEqual(mismatches, []);
});

Deno.test(`vsnprintf throws PrintfError with glibc's errno where snprintf returns -1, after storing what glibc stores (${corpus.errors.length} calls)`, () => {
  const mismatches: string[] = [];
  for (const c of corpus.errors) {
    strictEqual(c.ret, -1);
    const args = new CaseArguments(c.args);
    const buffer = new Uint8Array(c.size + 4).fill(0xaa);
    let got = "no error";
    try {
      vsnprintf(base64Bytes(c.fmt), args, {
        into: buffer,
        size: c.size,
        readString: args.readString,
      });
    } catch (error) {
      got = error instanceof PrintfError ? error.code : String(error);
    }
    const want = show(base64Bytes(c.buf));
    if (got !== c.errno || show(buffer) !== want) {
      mismatches.push(
        `${show(base64Bytes(c.fmt))}: glibc ${c.errno} ${want}, ours ${got} ${
          show(buffer)
        }`,
      );
    }
  }
  deepStrictEqual(mismatches, []);
});

Deno.test("vsnprintf of every size stores a prefix of formatPrintf's output and a NUL, and returns its length (C11 7.21.6.5)", () => {
  let checked = 0;
  for (const c of corpus.cases.slice(0, 4000)) {
    const fmt = base64Bytes(c.fmt);
    const whole = base64Bytes(c.out);
    for (
      const size of [
        0,
        1,
        2,
        Math.floor(whole.length / 2),
        whole.length,
        whole.length + 1,
      ]
    ) {
      const buffer = new Uint8Array(size + 1).fill(0xaa);
      const args = new CaseArguments(c.args);
      const ret = vsnprintf(fmt, args, {
        into: buffer,
        size,
        readString: args.readString,
      });
      strictEqual(ret, c.ret);
      const kept = Math.max(0, Math.min(whole.length, size - 1));
      const want = new Uint8Array(size + 1).fill(0xaa);
      want.set(whole.subarray(0, kept));
      if (size > 0) want[kept] = 0;
      deepStrictEqual(buffer, want, show(fmt));
      checked++;
    }
  }
  strictEqual(checked, 24_000);
});

Deno.test("vsnprintf into a function gets the stored bytes and the NUL once", () => {
  const calls: string[] = [];
  const args = () => new ArgumentList([-42]);
  strictEqual(
    vsnprintf("%5d", args(), { into: (b) => calls.push(show(b)), size: 4 }),
    5,
  );
  strictEqual(
    vsnprintf("%5d", args(), { into: (b) => calls.push(show(b)), size: 0 }),
    5,
  );
  strictEqual(
    vsnprintf("%5d", args(), { into: (b) => calls.push(show(b)), size: 100 }),
    5,
  );
  deepStrictEqual(calls, ['"  -\\u0000"', '"  -42\\u0000"']);
});

Deno.test("vsnprintf keeps only size - 1 bytes however long the output", () => {
  const buffer = new Uint8Array(4);
  strictEqual(
    vsnprintf("%200000000d", new ArgumentList([1]), { into: buffer }),
    200_000_000,
  );
  deepStrictEqual([...buffer], [0x20, 0x20, 0x20, 0]);
});

Deno.test("vsnprintf refuses a bad size with RangeError", () => {
  const args = () => new ArgumentList([1]);
  for (const size of [-1, 1.5, NaN]) {
    throws(
      () => vsnprintf("%d", args(), { into: new Uint8Array(8), size }),
      RangeError,
    );
  }
  throws(
    () => vsnprintf("%d", args(), { into: new Uint8Array(2), size: 3 }),
    /over the buffer's 2 bytes/,
  );
  throws(
    () => vsnprintf("%d", args(), { into: () => {} }),
    /needs options\.size/,
  );
});

Deno.test("vsnprintf into a function gets what came before a failure, then throws", () => {
  const calls: string[] = [];
  throws(
    () =>
      vsnprintf("ab%5c%lc", new ArgumentList([0, 0xe9]), {
        into: (b) => calls.push(show(b)),
        size: 5,
      }),
    (e: unknown) => e instanceof PrintfError && e.code === "EILSEQ",
  );
  deepStrictEqual(calls, ['"ab  \\u0000"']);
});
