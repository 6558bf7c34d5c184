import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { currentCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { MemorySink } from "../machine/serial_sink.ts";
import { readGccVaCases, runGccVaCases, SCRATCH } from "./_va_fixture.ts";
import { kprintf, sprintf, vsnprintfAt } from "./c_printf.ts";
import { ArgumentList } from "./printf/argument_list.ts";
import { PrintfError } from "./printf/printf_error.ts";
import { VaList } from "./va_list.ts";
import { VaListBuilder } from "./va_list_builder.ts";

const data = await readGccVaCases();

Deno.test(`vsnprintf over a VaList gives glibc's bytes and return value for ${data.cases.length} gcc calls (format, strings and va_list in machine memory)`, () => {
  let checked = 0;
  const report = runGccVaCases(data.cases, (c) => {
    const cpu = currentCpu();
    const { size, output, returned } = c.printf;
    cpu.writeBytes(
      Number(BigInt.asIntN(64, SCRATCH)),
      new Uint8Array(size + 1).fill(0xee),
    );
    const n = vsnprintfAt(SCRATCH, size, c.printf.format, VaList.at(c.vaList));
    strictEqual(n, returned, `case ${c.id}: ${c.printf.text}`);
    const stored = cpu.readBytes(Number(BigInt.asIntN(64, SCRATCH)), size + 1);
    if (size > 0) {
      deepStrictEqual(
        stored.subarray(0, output.length),
        output,
        `case ${c.id}: ${c.printf.text}`,
      );
      strictEqual(stored[output.length], 0, `case ${c.id}: the NUL`);
    }
    strictEqual(stored[size], 0xee, `case ${c.id}: nothing past size`);
    checked++;
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(checked, data.cases.length);
});

Deno.test("the seed's my_printf: args.usize() then args.i32() from a va_list laid out as a variadic call", () => {
  const m = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
  m.run(() => {
    const args = new VaListBuilder().arg("size_t", 4096n).arg("int", -7).build(
      0x20_0000,
    );
    // unsafe extern "C" fn my_printf(format: *const u8, mut args: VaList)
    const arg1 = args.usize();
    const arg2 = args.i32();
    strictEqual(arg1, 4096n);
    strictEqual(arg2, -7);
  });
});

Deno.test("kprintf prints to COM1 with \\r\\n line ends, and %n is refused with a PrintfError", () => {
  const sink = new MemorySink();
  const report = new Machine({ ramSize: 4 << 20, sink }).run(() => {
    strictEqual(
      kprintf("%5.1f|%-4d|%c\n", new ArgumentList([2.25, 42, 0x41])),
      13,
    );
    throws(() => sprintf("%n", new ArgumentList([0n])), PrintfError);
  });
  strictEqual(report.reason, "returned");
  strictEqual(sink.text(), "  2.2|42  |A\r\n");
});
