import { strictEqual, throws } from "node:assert/strict";
import {
  char,
  f64,
  i16,
  i32,
  i64,
  i8,
  isize,
  u16,
  u32,
  u64,
  u8,
  usize,
} from "./typed.ts";

// The ranges of Rust's primitive types (The Rust Reference, "Numeric
// types"; usize and isize are 64 bits on x86_64) and of `char` (a Unicode
// scalar value: not a surrogate).

Deno.test("typed helpers accept exactly their Rust type's range", async (t) => {
  const cases = [
    [u8, 0, 255],
    [u16, 0, 65535],
    [u32, 0, 2 ** 32 - 1],
    [i8, -128, 127],
    [i16, -32768, 32767],
    [i32, -(2 ** 31), 2 ** 31 - 1],
  ] as const;
  for (const [helper, min, max] of cases) {
    await t.step(helper.name, () => {
      strictEqual(helper(min).value, min);
      strictEqual(helper(max).value, max);
      throws(() => helper(min - 1), RangeError);
      throws(() => helper(max + 1), RangeError);
      throws(() => helper(0.5), RangeError);
    });
  }

  await t.step("64-bit helpers take bigints and safe integers", () => {
    strictEqual(u64(2n ** 64n - 1n).value, 2n ** 64n - 1n);
    strictEqual(usize(4096).value, 4096n);
    strictEqual(i64(-(2n ** 63n)).value, -(2n ** 63n));
    strictEqual(isize(-1).value, -1n);
    throws(() => u64(-1), RangeError);
    throws(() => u64(2n ** 64n), RangeError);
    throws(() => i64(2n ** 63n), RangeError);
    throws(() => i64(2 ** 60), RangeError); // not a safe integer: use a bigint
  });

  await t.step("f64 takes any number", () => {
    strictEqual(Number.isNaN(f64(Number.NaN).value), true);
    // @ts-expect-error: not a number
    throws(() => f64("1"), RangeError);
  });

  await t.step("char takes one Unicode scalar value", () => {
    strictEqual(char("é").value, "é");
    strictEqual(char("🦀").value, "🦀");
    throws(() => char(""), RangeError);
    throws(() => char("ab"), RangeError);
    throws(() => char("\ud800"), RangeError);
    throws(() => char("e\u0301"), RangeError);
  });
});
