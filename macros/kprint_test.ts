import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Port } from "../arch/x86_64/port.ts";
import { Machine, MemorySink } from "../machine/mod.ts";
import { kprint, kprintln } from "./kprint.ts";

function machine(sink: MemorySink): Machine {
  return new Machine({ ramSize: 1 << 20, sink });
}

Deno.test("kprint and kprintln", async (t) => {
  await t.step(
    "bytes reach COM1's sink, \\n as \\r\\n as the uart_16550 crate sends it",
    () => {
      const sink = new MemorySink();
      machine(sink).run(() => {
        kprint("a{}", 1);
        kprintln(" b={:?}", "q");
        kprintln();
      });
      strictEqual(sink.text(), 'a1 b="q"\r\n\r\n');
    },
  );

  await t.step("text goes out as UTF-8", () => {
    const sink = new MemorySink();
    machine(sink).run(() => kprint("é→🦀"));
    deepStrictEqual([...sink.bytes()], [...new TextEncoder().encode("é→🦀")]);
  });

  await t.step(
    "backspace and DEL go out as backspace, space, backspace",
    () => {
      const sink = new MemorySink();
      machine(sink).run(() => kprint("x\x7f"));
      deepStrictEqual([...sink.bytes()], [0x78, 8, 0x20, 8]);
    },
  );

  await t.step(
    "the first use initialises COM1 as the uart_16550 crate does",
    () => {
      const m = machine(new MemorySink());
      m.run(() => kprint("x"));
      const com1 = m.serial[0]!;
      strictEqual(com1.divisor, 3);
      strictEqual(com1.baud, 38400);
    },
  );

  await t.step("a COM1 the kernel set up is left as it is", () => {
    const m = machine(new MemorySink());
    m.run(() => {
      new Port(0x3fb).write(0x80); // DLAB
      new Port(0x3f8).write(0x01); // divisor 1: 115200 baud
      new Port(0x3fb).write(0x03); // 8N1
      kprint("x");
    });
    strictEqual(m.serial[0]!.divisor, 1);
  });

  await t.step(
    "outside Machine.run there is no serial port to print to",
    () => {
      throws(() => kprintln("x"), { name: "NoCpuError" });
    },
  );
});
