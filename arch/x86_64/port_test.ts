import { strictEqual, throws } from "node:assert/strict";
import { MemorySink, ScriptedSource } from "../../machine/mod.ts";
import { run } from "./_testing.ts";
import { Port, PortReadOnly, PortWriteOnly } from "./port.ts";

const COM1 = 0x3f8;

Deno.test("Port", async (t) => {
  await t.step("unclaimed ports read 0xFF, 0xFFFF and 0xFFFF_FFFF", () => {
    run(() => {
      strictEqual(new Port(0x100).read(), 0xff);
      strictEqual(new Port(0x100, 16).read(), 0xffff);
      strictEqual(new PortReadOnly(0x100, 32).read(), 0xffff_ffff);
    });
  });

  await t.step(
    "COM1 set up as the uart_16550 crate does sends bytes in order",
    () => {
      const sink = new MemorySink();
      run(() => {
        const data = new Port(COM1);
        const ier = new Port(COM1 + 1);
        const lcr = new Port(COM1 + 3);
        const lsr = new PortReadOnly(COM1 + 5);
        ier.write(0x00);
        lcr.write(0x80);
        data.write(0x03);
        ier.write(0x00);
        lcr.write(0x03);
        new PortWriteOnly(COM1 + 2).write(0xc7);
        new Port(COM1 + 4).write(0x0b);
        strictEqual(lcr.read(), 0x03);
        for (const byte of new TextEncoder().encode("abc\n")) {
          while ((lsr.read() & 0x20) === 0) { /* wait for THRE */ }
          data.write(byte);
        }
      }, { sink });
      strictEqual(sink.text(), "abc\n");
    },
  );

  await t.step("COM1 receives from the machine's source", () => {
    run(() => {
      const lsr = new PortReadOnly(COM1 + 5);
      strictEqual(lsr.read() & 1, 1); // DR
      strictEqual(new Port(COM1).read(), 0x79);
    }, { source: new ScriptedSource("y") });
  });

  await t.step("the debug-exit port stops with (v << 1) | 1", () => {
    strictEqual(run(() => new PortWriteOnly(0xf4).write(0)).exitStatus, 1);
    strictEqual(
      run(() => new PortWriteOnly(0xf4).write(0x31)).exitStatus,
      0x63,
    );
    const wide = run(() => new PortWriteOnly(0xf4, 32).write(0x1234_5678));
    strictEqual(wide.reason, "debug-exit");
    strictEqual(wide.exitStatus, 0x1234_5678 * 2 + 1);
  });

  await t.step("bad ports, widths and values get a PortError", () => {
    throws(() => new Port(0x10000), { name: "PortError" });
    throws(() => new Port(-1), { name: "PortError" });
    // @ts-expect-error: 64 is not a port width
    throws(() => new Port(0x80, 64), { name: "PortError" });
    run(() => {
      throws(() => new Port(0x80).write(0x100), {
        name: "PortError",
        message:
          "Invalid 8-bit value 256 for port 0x0080: expected an integer from 0 to 0xff",
      });
      throws(() => new Port(0x80, 16).write(0x10000), { name: "PortError" });
    });
  });

  await t.step("outside Machine.run there is no CPU", () => {
    throws(() => new Port(COM1).read(), { name: "NoCpuError" });
  });
});
