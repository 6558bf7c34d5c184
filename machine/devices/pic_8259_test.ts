import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { IoBus } from "../io_bus.ts";
import { ScriptedSource } from "../serial_source.ts";
import { PIC1, PIC2, Pic8259Pair } from "./pic_8259.ts";
import { COM1, Uart16550 } from "./uart_16550.ts";

// Ports (8259A datasheet: A0 = 0 command, A0 = 1 data; PC/AT addresses).
const MASTER_COMMAND = 0x20, MASTER_DATA = 0x21;
const SLAVE_COMMAND = 0xa0, SLAVE_DATA = 0xa1;

// Commands every PC kernel uses (OSDev "8259 PIC").
const EOI = 0x20; // OCW2 non-specific EOI
const READ_IRR = 0x0a; // OCW3
const READ_ISR = 0x0b; // OCW3

interface Rig {
  bus: IoBus;
  pic: Pic8259Pair;
}

function rig(): Rig {
  const bus = new IoBus();
  const pic = new Pic8259Pair();
  pic.attach(bus);
  return { bus, pic };
}

// The remap of OSDev's PIC_remap and the pic8259 crate: ICW1 0x11 (edge,
// cascade, ICW4), ICW2 offsets, ICW3 0x04 / 0x02, ICW4 `icw4`.
function remap(bus: IoBus, master = 0x20, slave = 0x28, icw4 = 0x01): void {
  bus.write8(MASTER_COMMAND, 0x11);
  bus.write8(SLAVE_COMMAND, 0x11);
  bus.write8(MASTER_DATA, master);
  bus.write8(SLAVE_DATA, slave);
  bus.write8(MASTER_DATA, 0x04);
  bus.write8(SLAVE_DATA, 0x02);
  bus.write8(MASTER_DATA, icw4);
  bus.write8(SLAVE_DATA, icw4);
}

// The end of a handler for `irq`, as OSDev's PIC_sendEOI does it.
function endOfInterrupt(bus: IoBus, irq: number): void {
  if (irq >= 8) bus.write8(SLAVE_COMMAND, EOI);
  bus.write8(MASTER_COMMAND, EOI);
}

function readIsr(bus: IoBus): number {
  bus.write8(MASTER_COMMAND, READ_ISR);
  bus.write8(SLAVE_COMMAND, READ_ISR);
  return bus.read8(MASTER_COMMAND) | bus.read8(SLAVE_COMMAND) << 8;
}

function readIrr(bus: IoBus): number {
  bus.write8(MASTER_COMMAND, READ_IRR);
  bus.write8(SLAVE_COMMAND, READ_IRR);
  return bus.read8(MASTER_COMMAND) | bus.read8(SLAVE_COMMAND) << 8;
}

const DEVICE_IRQS = [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

Deno.test("Pic8259Pair on the I/O bus", async (t) => {
  await t.step("claims exactly 0x20-0x21 and 0xA0-0xA1", () => {
    const { bus, pic } = rig();
    strictEqual(PIC1, 0x20);
    strictEqual(PIC2, 0xa0);
    for (const port of [0x20, 0x21, 0xa0, 0xa1]) {
      strictEqual(bus.deviceAt(port), pic);
    }
    for (const port of [0x1f, 0x22, 0x9f, 0xa2]) {
      strictEqual(bus.deviceAt(port), undefined);
    }
  });

  await t.step(
    "unclaimed neighbours float high on the bus, not in the PIC",
    () => {
      const { bus, pic } = rig();
      strictEqual(bus.read8(0x22), 0xff);
      strictEqual(bus.read8(0xa2), 0xff);
      bus.write8(0x22, 0x11); // reaches no device: no initialisation starts
      strictEqual(bus.read8(MASTER_DATA), 0xfb);
      strictEqual(pic.read8(0x60), 0xff); // a port that is not the PIC's
    },
  );

  await t.step("a 16-bit read at 0x20 is the two byte registers", () => {
    const { bus, pic } = rig();
    bus.write8(MASTER_DATA, 0x00);
    pic.raise(3);
    strictEqual(bus.read16(MASTER_COMMAND), 0x0008); // IRR 0x08, IMR 0x00
    bus.write8(MASTER_DATA, 0xf0);
    strictEqual(bus.read16(MASTER_COMMAND), 0xf008);
  });

  await t.step("a second pair cannot claim the same ports", () => {
    const { bus } = rig();
    throws(() => new Pic8259Pair().attach(bus), { name: "PortError" });
  });
});

Deno.test("Pic8259Pair initialisation (ICW1..ICW4)", async (t) => {
  await t.step("before any ICW1: BIOS vectors 0x08.. and 0x70..", () => {
    const { bus, pic } = rig();
    strictEqual(bus.read8(MASTER_DATA), 0xfb); // all masked but the cascade
    strictEqual(bus.read8(SLAVE_DATA), 0xff);
    bus.write8(MASTER_DATA, 0x00);
    bus.write8(SLAVE_DATA, 0x00);
    pic.raise(0);
    strictEqual(pic.acknowledge(), 0x08); // the BIOS timer vector
    endOfInterrupt(bus, 0);
    pic.raise(8);
    strictEqual(pic.acknowledge(), 0x70); // the BIOS RTC vector
  });

  await t.step("the remap 0x11/0x20/0x04/0x01 gives vectors 32..47", () => {
    const { bus, pic } = rig();
    remap(bus);
    for (const irq of DEVICE_IRQS) {
      pic.raise(irq);
      strictEqual(pic.interruptRequested, true, `IRQ ${irq}`);
      strictEqual(pic.acknowledge(), 32 + irq, `IRQ ${irq}`);
      pic.lower(irq);
      endOfInterrupt(bus, irq);
      strictEqual(readIsr(bus), 0, `IRQ ${irq}`);
    }
  });

  await t.step("ICW1 clears IMR, IRR and ISR", () => {
    const { bus, pic } = rig();
    bus.write8(MASTER_DATA, 0x00);
    pic.raise(1);
    pic.raise(4);
    pic.acknowledge(); // IRQ 1 in service, IRQ 4 still requested
    remap(bus);
    strictEqual(bus.read8(MASTER_DATA), 0x00);
    strictEqual(bus.read8(SLAVE_DATA), 0x00);
    strictEqual(readIrr(bus), 0);
    strictEqual(readIsr(bus), 0);
  });

  await t.step(
    "ICW1 resets the edge sense: a high line must rise again",
    () => {
      const { bus, pic } = rig();
      pic.raise(5);
      remap(bus);
      strictEqual(pic.interruptRequested, false);
      pic.lower(5);
      pic.raise(5);
      strictEqual(pic.acknowledge(), 37);
    },
  );

  await t.step("ICW2 bits 2..0 are not part of the offset in 8086 mode", () => {
    const { bus, pic } = rig();
    remap(bus, 0x27, 0x2f);
    pic.raise(1);
    strictEqual(pic.acknowledge(), 0x21);
    endOfInterrupt(bus, 1);
    pic.raise(10);
    strictEqual(pic.acknowledge(), 0x2a);
  });

  await t.step(
    "reads of the data port during initialisation return IMR",
    () => {
      const { bus } = rig();
      bus.write8(MASTER_COMMAND, 0x11);
      strictEqual(bus.read8(MASTER_DATA), 0x00);
      bus.write8(MASTER_DATA, 0x20);
      bus.write8(MASTER_DATA, 0x04);
      bus.write8(MASTER_DATA, 0x01);
      bus.write8(MASTER_DATA, 0xfd); // OCW1 now
      strictEqual(bus.read8(MASTER_DATA), 0xfd);
    },
  );

  await t.step("without IC4 no ICW4 is expected, and AEOI is off", () => {
    const { bus, pic } = rig();
    bus.write8(MASTER_COMMAND, 0x10); // ICW1: cascade, no ICW4
    bus.write8(MASTER_DATA, 0x30); // ICW2
    bus.write8(MASTER_DATA, 0x04); // ICW3
    bus.write8(MASTER_DATA, 0xfe); // OCW1: only IRQ 0 unmasked
    strictEqual(bus.read8(MASTER_DATA), 0xfe);
    pic.raise(0);
    strictEqual(pic.acknowledge(), 0x30);
    bus.write8(MASTER_COMMAND, READ_ISR);
    strictEqual(bus.read8(MASTER_COMMAND), 0x01); // not AEOI: in service
  });

  await t.step("single mode (SNGL) skips ICW3 and IR2 is a plain input", () => {
    const { bus, pic } = rig();
    bus.write8(MASTER_COMMAND, 0x13); // ICW1: single, ICW4
    bus.write8(MASTER_DATA, 0x40); // ICW2
    bus.write8(MASTER_DATA, 0x01); // ICW4 (no ICW3)
    bus.write8(MASTER_DATA, 0x00); // OCW1
    strictEqual(bus.read8(MASTER_DATA), 0x00);
    bus.write8(SLAVE_DATA, 0x00);
    pic.raise(8); // the slave still drives IR2, but nobody cascades
    strictEqual(pic.acknowledge(), 0x42);
  });

  await t.step("a new ICW1 mid-sequence restarts initialisation", () => {
    const { bus, pic } = rig();
    bus.write8(MASTER_COMMAND, 0x11);
    bus.write8(MASTER_DATA, 0x50);
    remap(bus);
    pic.raise(0);
    strictEqual(pic.acknowledge(), 0x20);
  });
});

Deno.test("Pic8259Pair masking (OCW1)", async (t) => {
  await t.step("a masked IRQ is recorded in IRR but not requested", () => {
    const { bus, pic } = rig();
    remap(bus);
    bus.write8(MASTER_DATA, 0x10); // mask IRQ 4
    pic.raise(4);
    strictEqual(pic.interruptRequested, false);
    strictEqual(readIrr(bus), 0x0010);
    bus.write8(MASTER_DATA, 0x00);
    strictEqual(pic.interruptRequested, true);
    strictEqual(pic.acknowledge(), 36);
  });

  await t.step("masking IRQ 1 lets IRQ 3 through", () => {
    const { bus, pic } = rig();
    remap(bus);
    bus.write8(MASTER_DATA, 0x02);
    pic.raise(1);
    pic.raise(3);
    strictEqual(pic.acknowledge(), 35);
  });

  await t.step("masking the master's IR2 silences the whole slave", () => {
    const { bus, pic } = rig();
    remap(bus);
    bus.write8(MASTER_DATA, 0x04);
    pic.raise(12);
    strictEqual(pic.interruptRequested, false);
    bus.write8(MASTER_DATA, 0x00);
    strictEqual(pic.acknowledge(), 44);
  });

  await t.step("the slave's IMR masks IRQ 8..15 by line", () => {
    const { bus, pic } = rig();
    remap(bus);
    bus.write8(SLAVE_DATA, 0x01); // mask IRQ 8
    pic.raise(8);
    strictEqual(pic.interruptRequested, false);
    pic.raise(9);
    strictEqual(pic.acknowledge(), 41);
  });

  await t.step("IMR reads back on each data port", () => {
    const { bus } = rig();
    remap(bus);
    bus.write8(MASTER_DATA, 0xa5);
    bus.write8(SLAVE_DATA, 0x5a);
    strictEqual(bus.read8(MASTER_DATA), 0xa5);
    strictEqual(bus.read8(SLAVE_DATA), 0x5a);
  });
});

Deno.test("Pic8259Pair priority and EOI (OCW2)", async (t) => {
  await t.step("fixed order 0 > 1 > 8..15 (at IR2) > 3..7", () => {
    const { bus, pic } = rig();
    remap(bus);
    for (const irq of DEVICE_IRQS) pic.raise(irq);
    const order: number[] = [];
    while (pic.interruptRequested) {
      const irq = pic.acknowledge() - 32;
      order.push(irq);
      endOfInterrupt(bus, irq);
    }
    deepStrictEqual(order, [0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 3, 4, 5, 6, 7]);
  });

  await t.step("a lower-priority request waits for EOI", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(3);
    strictEqual(pic.acknowledge(), 35);
    pic.raise(5);
    strictEqual(pic.interruptRequested, false);
    bus.write8(MASTER_COMMAND, EOI);
    strictEqual(pic.interruptRequested, true);
    strictEqual(pic.acknowledge(), 37);
  });

  await t.step("a higher-priority request nests inside a lower one", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(3);
    pic.acknowledge();
    pic.raise(1);
    strictEqual(pic.acknowledge(), 33);
    strictEqual(readIsr(bus), 0x000a);
    bus.write8(MASTER_COMMAND, EOI); // ends the highest: IRQ 1
    strictEqual(readIsr(bus), 0x0008);
  });

  await t.step("the same level does not re-interrupt itself before EOI", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(4);
    pic.acknowledge();
    pic.lower(4);
    pic.raise(4); // a second edge while in service
    strictEqual(pic.interruptRequested, false);
    bus.write8(MASTER_COMMAND, EOI);
    strictEqual(pic.acknowledge(), 36);
  });

  await t.step("specific EOI 0x60 | level ends that level only", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(5);
    pic.acknowledge();
    pic.raise(0);
    pic.acknowledge();
    bus.write8(MASTER_COMMAND, 0x65); // specific EOI for IR5
    strictEqual(readIsr(bus), 0x0001);
  });

  await t.step(
    "a slave IRQ in service holds back IRQ 3..7 but not 0 and 1",
    () => {
      const { bus, pic } = rig();
      remap(bus);
      pic.raise(12);
      strictEqual(pic.acknowledge(), 44);
      pic.raise(4);
      strictEqual(pic.interruptRequested, false);
      pic.raise(14); // lower priority inside the slave
      strictEqual(pic.interruptRequested, false);
      pic.raise(0);
      strictEqual(pic.acknowledge(), 32);
      bus.write8(MASTER_COMMAND, EOI); // ends IRQ 0
      endOfInterrupt(bus, 12);
      strictEqual(pic.acknowledge(), 44 + 2); // IRQ 14, through IR2
    },
  );

  await t.step("a higher slave IRQ waits for the master's EOI of IR2", () => {
    // Without special fully nested mode, IR2 in service blocks the master's
    // own IR2 input, whatever the slave ranks.
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(12);
    pic.acknowledge();
    pic.raise(8);
    strictEqual(pic.interruptRequested, false);
    endOfInterrupt(bus, 12);
    strictEqual(pic.acknowledge(), 40);
  });

  await t.step(
    "rotate on non-specific EOI makes the ended level lowest",
    () => {
      const { bus, pic } = rig();
      remap(bus);
      pic.raise(1);
      strictEqual(pic.acknowledge(), 33);
      bus.write8(MASTER_COMMAND, 0xa0); // OCW2: rotate on non-specific EOI
      pic.lower(1);
      pic.raise(1);
      pic.raise(5);
      strictEqual(pic.acknowledge(), 37); // IR2..IR7 now outrank IR1
    },
  );

  await t.step("set priority 0xC0 | level makes that level the lowest", () => {
    const { bus, pic } = rig();
    remap(bus);
    bus.write8(MASTER_COMMAND, 0xc3); // IR3 lowest: IR4 highest
    pic.raise(0);
    pic.raise(6);
    strictEqual(pic.acknowledge(), 38);
    bus.write8(MASTER_COMMAND, 0xc7); // back to fixed priority
    bus.write8(MASTER_COMMAND, EOI);
    pic.raise(7);
    strictEqual(pic.acknowledge(), 32);
  });
});

Deno.test("Pic8259Pair register reads (OCW3)", async (t) => {
  await t.step("the command port reads IRR by default", () => {
    const { bus, pic } = rig();
    remap(bus);
    bus.write8(MASTER_DATA, 0xff); // IRR records masked lines too
    pic.raise(6);
    pic.raise(11);
    strictEqual(bus.read8(MASTER_COMMAND), 0x44); // IR6 and IR2 (cascade)
    strictEqual(bus.read8(SLAVE_COMMAND), 0x08);
  });

  await t.step(
    "0x0B selects ISR, 0x0A IRR again, and the choice sticks",
    () => {
      const { bus, pic } = rig();
      remap(bus);
      pic.raise(3);
      pic.acknowledge();
      pic.raise(5);
      bus.write8(MASTER_COMMAND, READ_ISR);
      strictEqual(bus.read8(MASTER_COMMAND), 0x08);
      strictEqual(bus.read8(MASTER_COMMAND), 0x08);
      bus.write8(MASTER_COMMAND, READ_IRR);
      strictEqual(bus.read8(MASTER_COMMAND), 0x20);
    },
  );

  await t.step("each chip keeps its own selection", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(9);
    pic.acknowledge();
    bus.write8(SLAVE_COMMAND, READ_ISR);
    strictEqual(bus.read8(SLAVE_COMMAND), 0x02);
    strictEqual(bus.read8(MASTER_COMMAND), 0x00); // master still reads IRR
  });

  await t.step("the poll command acknowledges by a read", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(6);
    bus.write8(MASTER_COMMAND, 0x0c); // OCW3: poll
    strictEqual(bus.read8(MASTER_COMMAND), 0x86); // I = 1, level 6
    bus.write8(MASTER_COMMAND, READ_ISR);
    strictEqual(bus.read8(MASTER_COMMAND), 0x40);
    bus.write8(MASTER_COMMAND, 0x0c);
    strictEqual(bus.read8(MASTER_COMMAND), 0x00); // nothing requesting
  });

  await t.step(
    "special mask mode lets lower levels past a masked one in service",
    () => {
      const { bus, pic } = rig();
      remap(bus);
      pic.raise(3);
      pic.acknowledge();
      bus.write8(MASTER_DATA, 0x08); // mask IR3 (in service)
      pic.raise(5);
      strictEqual(pic.interruptRequested, false);
      bus.write8(MASTER_COMMAND, 0x68); // OCW3: set special mask mode
      strictEqual(pic.acknowledge(), 37);
      bus.write8(MASTER_COMMAND, 0x48); // OCW3: reset special mask mode
      strictEqual(readIsr(bus), 0x0028);
    },
  );
});

Deno.test("Pic8259Pair spurious interrupts", async (t) => {
  await t.step("a request gone before INTA gives IRQ 7 with no ISR bit", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(1);
    strictEqual(pic.interruptRequested, true);
    pic.lower(1); // before the INTA cycle
    strictEqual(pic.acknowledge(), 39);
    strictEqual(readIsr(bus), 0); // the handler must not send EOI
    pic.raise(4);
    strictEqual(pic.acknowledge(), 36); // nothing left blocked
  });

  await t.step("a real IRQ 7 has its ISR bit set", () => {
    const { bus, pic } = rig();
    remap(bus);
    pic.raise(7);
    strictEqual(pic.acknowledge(), 39);
    strictEqual(readIsr(bus), 0x0080);
  });

  await t.step(
    "a vanished slave request gives IRQ 15 with IR2 in service",
    () => {
      const { bus, pic } = rig();
      remap(bus);
      pic.raise(9);
      strictEqual(pic.interruptRequested, true);
      pic.lower(9);
      strictEqual(pic.acknowledge(), 47);
      strictEqual(readIsr(bus), 0x0004); // master IR2 only: EOI the master
      bus.write8(MASTER_COMMAND, EOI);
      strictEqual(readIsr(bus), 0);
    },
  );

  await t.step("a sampled line that drops before INTA is spurious too", () => {
    const { bus, pic } = rig();
    remap(bus);
    let high = true;
    pic.connect(6, () => high);
    strictEqual(pic.interruptRequested, true);
    high = false;
    strictEqual(pic.acknowledge(), 39);
  });

  await t.step("INTA with nothing requested returns the master's IR7", () => {
    const { bus, pic } = rig();
    remap(bus, 0x50, 0x58);
    strictEqual(pic.acknowledge(), 0x57);
  });
});

Deno.test("Pic8259Pair automatic EOI (ICW4 bit 1)", async (t) => {
  await t.step("INTA leaves nothing in service", () => {
    const { bus, pic } = rig();
    remap(bus, 0x20, 0x28, 0x03);
    pic.raise(3);
    strictEqual(pic.acknowledge(), 35);
    strictEqual(readIsr(bus), 0);
  });

  await t.step("a lower-priority request follows without EOI", () => {
    const { bus, pic } = rig();
    remap(bus, 0x20, 0x28, 0x03);
    pic.raise(3);
    pic.acknowledge();
    pic.raise(6);
    strictEqual(pic.acknowledge(), 38);
  });

  await t.step("a slave IRQ clears both chips' ISR bits", () => {
    const { bus, pic } = rig();
    remap(bus, 0x20, 0x28, 0x03);
    pic.raise(8);
    pic.raise(13);
    strictEqual(pic.acknowledge(), 40);
    strictEqual(readIsr(bus), 0);
    strictEqual(pic.acknowledge(), 45); // the next slave request goes on
  });
});

Deno.test("Pic8259Pair input lines", async (t) => {
  await t.step("edge-triggered: one request per 0-to-1 transition", () => {
    const { bus, pic } = rig();
    remap(bus);
    let high = false;
    pic.connect(5, () => high);
    strictEqual(pic.interruptRequested, false);
    high = true;
    strictEqual(pic.acknowledge(), 37);
    bus.write8(MASTER_COMMAND, EOI);
    strictEqual(pic.interruptRequested, false); // still high: no new edge
    high = false;
    strictEqual(pic.interruptRequested, false);
    high = true;
    strictEqual(pic.interruptRequested, true);
  });

  await t.step(
    "level-triggered (LTIM): requests while the line is high",
    () => {
      const { bus, pic } = rig();
      bus.write8(MASTER_COMMAND, 0x19); // ICW1: LTIM, cascade, ICW4
      bus.write8(MASTER_DATA, 0x20);
      bus.write8(MASTER_DATA, 0x04);
      bus.write8(MASTER_DATA, 0x01);
      let high = true;
      pic.connect(5, () => high);
      strictEqual(pic.acknowledge(), 37);
      bus.write8(MASTER_COMMAND, EOI);
      strictEqual(pic.interruptRequested, true); // the level is still there
      high = false;
      strictEqual(pic.interruptRequested, false);
    },
  );

  await t.step("two lines on one IRQ are wired-OR", () => {
    const { bus, pic } = rig();
    remap(bus);
    let a = false, b = false;
    pic.connect(3, () => a);
    pic.connect(3, () => b);
    b = true;
    strictEqual(pic.interruptRequested, true);
    a = true;
    b = false; // still high through a: no edge, no loss
    strictEqual(pic.acknowledge(), 35);
  });

  await t.step("a UART's INTR on IRQ 4", () => {
    const { bus, pic } = rig();
    remap(bus);
    const uart = new Uart16550(COM1, { source: new ScriptedSource("k") });
    uart.attach(bus);
    pic.connect(4, () => uart.interruptPending);
    strictEqual(pic.interruptRequested, false);
    bus.write8(COM1 + 1, 0x01); // IER: received data available
    strictEqual(pic.acknowledge(), 36);
    strictEqual(bus.read8(COM1), 0x6b); // the handler reads the byte
    bus.write8(MASTER_COMMAND, EOI);
    strictEqual(pic.interruptRequested, false);
  });

  await t.step(
    "IRQ numbers outside 0..15, and the cascade IRQ 2, throw",
    () => {
      const pic = new Pic8259Pair();
      for (const irq of [-1, 16, 1.5, NaN]) {
        throws(() => pic.raise(irq), RangeError);
        throws(() => pic.lower(irq), RangeError);
        throws(() => pic.connect(irq, () => true), RangeError);
      }
      throws(() => pic.raise(2), /cascade/);
      throws(() => pic.connect(2, () => true), /IRQ 9/);
    },
  );
});
