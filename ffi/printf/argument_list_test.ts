import { strictEqual, throws } from "node:assert/strict";
import { ArgumentList } from "./argument_list.ts";

// va_arg of a 64-bit argument register: an int is its low 32 bits.
Deno.test("ArgumentList reads a value as C reads a register of that type", () => {
  const args = new ArgumentList([
    0xffff_ffff_8000_0001n,
    0xffff_ffff_8000_0001n,
    -1,
    -1,
    2 ** 53 + 2,
    0.5,
  ]);
  strictEqual(args.i32(), -0x7fff_ffff);
  strictEqual(args.u32(), 0x8000_0001);
  strictEqual(args.i64(), -1n);
  strictEqual(args.ptr(), 0xffff_ffff_ffff_ffffn);
  strictEqual(args.u64(), 2n ** 53n + 2n);
  strictEqual(args.f64(), 0.5);
  strictEqual(args.consumed, 6);
});

Deno.test("ArgumentList says which argument is missing or of the wrong kind", () => {
  throws(
    () => new ArgumentList([1n]).f64(),
    /read as double: expected a number/,
  );
  throws(() => new ArgumentList([1.5]).i32(), /expected an integer, got 1\.5/);
  const args = new ArgumentList([1]);
  args.i32();
  throws(
    () => args.u64(),
    /argument 2 \(unsigned long\) was read, but the list holds 1/,
  );
});
