import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { IoBus, type IoDevice, PortError } from "./io_bus.ts";

/** A device that records its byte accesses and answers `port & 0xff`. */
class ByteDevice implements IoDevice {
  constructor(readonly name = "byte device") {}
  log: string[] = [];
  read8(port: number): number {
    this.log.push(`in ${port.toString(16)}`);
    return port & 0xff;
  }
  write8(port: number, value: number): void {
    this.log.push(`out ${port.toString(16)}=${value.toString(16)}`);
  }
}

Deno.test("IoBus", async (t) => {
  await t.step("unclaimed ports read all ones at every width", () => {
    const bus = new IoBus();
    strictEqual(bus.read8(0x1234), 0xff);
    strictEqual(bus.read16(0x1234), 0xffff);
    strictEqual(bus.read32(0x1234), 0xffff_ffff);
    strictEqual(bus.read16(0xffff), 0xffff);
    bus.write32(0x1234, 0xdead_beef); // ignored
  });

  await t.step("wide accesses to a byte device split low byte first", () => {
    const bus = new IoBus();
    const device = new ByteDevice();
    bus.claim(device, 0x40, 4);
    strictEqual(bus.read16(0x40), 0x4140);
    strictEqual(bus.read32(0x40), 0x4342_4140);
    device.log = [];
    bus.write16(0x42, 0xbbaa);
    deepStrictEqual(device.log, ["out 42=aa", "out 43=bb"]);
  });

  await t.step("a wide access that runs past a device reads ones there", () => {
    const bus = new IoBus();
    bus.claim(new ByteDevice(), 0x40, 2);
    strictEqual(bus.read32(0x40), 0xffff_4140);
  });

  await t.step("a device with a 32-bit register gets the access whole", () => {
    const bus = new IoBus();
    let written = 0;
    bus.claim(
      {
        name: "dword",
        read8: () => 0,
        write8: () => {},
        read32: () => 0x1234_5678,
        write32: (_port, value) => written = value,
      },
      0xcf8,
      4,
    );
    strictEqual(bus.read32(0xcf8), 0x1234_5678);
    bus.write32(0xcf8, 0x8000_0000);
    strictEqual(written, 0x8000_0000);
  });

  await t.step("overlapping claims are refused with both names", () => {
    const bus = new IoBus();
    bus.claim(new ByteDevice(), 0x60, 1);
    throws(() => bus.claim(new ByteDevice("other"), 0x5f, 2), {
      name: "PortError",
      message:
        "Port 0x0060 is already claimed by byte device: other cannot claim it",
    });
  });

  await t.step("ports outside 0..0xFFFF are rejected", () => {
    const bus = new IoBus();
    for (const port of [-1, 0x10000, 1.5]) {
      throws(() => bus.read8(port), {
        name: "PortError",
        message:
          `Invalid I/O port ${port}: expected an integer from 0 to 0xFFFF`,
      });
    }
    throws(() => bus.claim(new ByteDevice(), 0xfffe, 3), PortError);
  });

  await t.step("values too wide for the port are rejected", () => {
    const bus = new IoBus();
    throws(() => bus.write8(0x80, 0x100), {
      name: "PortError",
      message:
        "Invalid 8-bit value 256 for port 0x0080: expected an integer from 0 to 0xff",
    });
    throws(() => bus.write16(0x80, 0x1_0000), PortError);
    throws(() => bus.write32(0x80, -1), PortError);
  });
});
