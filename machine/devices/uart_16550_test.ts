import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { IoBus, PortError } from "../io_bus.ts";
import { MemorySink } from "../serial_sink.ts";
import { ScriptedSource, type SerialSource } from "../serial_source.ts";
import { COM1, COM2, COM3, COM4, Uart16550 } from "./uart_16550.ts";

// Register ports of COM1 (PC16550D datasheet, table II).
const RBR = COM1, THR = COM1, DLL = COM1;
const IER = COM1 + 1, DLM = COM1 + 1;
const IIR = COM1 + 2, FCR = COM1 + 2;
const LCR = COM1 + 3, MCR = COM1 + 4, LSR = COM1 + 5, MSR = COM1 + 6;
const SCR = COM1 + 7;

interface Rig {
  bus: IoBus;
  uart: Uart16550;
  sink: MemorySink;
}

function rig(input: string | Uint8Array | SerialSource = ""): Rig {
  const bus = new IoBus();
  const sink = new MemorySink();
  const source = typeof input === "object" && "read" in input
    ? input
    : new ScriptedSource(input);
  const uart = new Uart16550(COM1, { sink, source });
  uart.attach(bus);
  return { bus, uart, sink };
}

// A ScriptedSource that counts how many bytes were taken from it.
class CountingSource implements SerialSource {
  taken = 0;
  #inner: ScriptedSource;
  constructor(input: string) {
    this.#inner = new ScriptedSource(input);
  }
  read(): number | undefined {
    const byte = this.#inner.read();
    if (byte !== undefined) this.taken++;
    return byte;
  }
}

function send(bus: IoBus, text: string): void {
  for (const byte of new TextEncoder().encode(text)) {
    while ((bus.read8(LSR) & 0x20) === 0) { /* wait for THRE */ }
    bus.write8(THR, byte);
  }
}

function receiveAll(bus: IoBus): string {
  const bytes: number[] = [];
  while (bus.read8(LSR) & 0x01) bytes.push(bus.read8(RBR));
  return String.fromCharCode(...bytes);
}

// SerialPort::init of the uart_16550 crate (rust-osdev), in order.
function crateInit(bus: IoBus): void {
  bus.write8(IER, 0x00); // disable interrupts
  bus.write8(LCR, 0x80); // enable DLAB
  bus.write8(DLL, 0x03); // 38400 baud
  bus.write8(DLM, 0x00);
  bus.write8(LCR, 0x03); // 8 bits, no parity, one stop bit
  bus.write8(FCR, 0xc7); // FIFOs on, cleared, 14-byte trigger
  bus.write8(MCR, 0x0b); // DTR, RTS, OUT2
  bus.write8(IER, 0x01); // received data available interrupt
}

Deno.test("Uart16550 construction", async (t) => {
  await t.step("standard bases and IRQ names", () => {
    strictEqual(COM1, 0x3f8);
    strictEqual(COM2, 0x2f8);
    strictEqual(COM3, 0x3e8);
    strictEqual(COM4, 0x2e8);
    strictEqual(new Uart16550(COM1).name, "COM1");
    strictEqual(new Uart16550(COM2).name, "COM2");
    strictEqual(new Uart16550(COM3).name, "COM3");
    strictEqual(new Uart16550(COM4).name, "COM4");
    strictEqual(new Uart16550(0x100).name, "UART@0x0100");
    strictEqual(new Uart16550(COM1, { name: "tty" }).name, "tty");
  });

  await t.step("rejects a base whose eight ports leave 0..0xFFFF", () => {
    throws(() => new Uart16550(0xfff9), RangeError);
    throws(() => new Uart16550(-1), RangeError);
    throws(() => new Uart16550(0x3f8 + 0.5), RangeError);
    strictEqual(new Uart16550(0xfff8).name, "UART@0xfff8");
  });

  await t.step("attach claims exactly base..base+7", () => {
    const { bus, uart } = rig();
    strictEqual(bus.deviceAt(COM1 - 1), undefined);
    strictEqual(bus.deviceAt(COM1), uart);
    strictEqual(bus.deviceAt(COM1 + 7), uart);
    strictEqual(bus.deviceAt(COM1 + 8), undefined);
    throws(() => new Uart16550(COM1 + 4).attach(bus), PortError);
  });
});

Deno.test("Uart16550 initialised as the uart_16550 crate does", async (t) => {
  const { bus, uart, sink } = rig();
  crateInit(bus);

  await t.step("divisor 3 gives 38400 baud", () => {
    strictEqual(uart.divisor, 3);
    strictEqual(uart.baud, 38400);
  });

  await t.step("LCR reads back 0x03 and MCR 0x0B", () => {
    strictEqual(bus.read8(LCR), 0x03);
    strictEqual(bus.read8(MCR), 0x0b);
    strictEqual(bus.read8(IER), 0x01);
  });

  await t.step("IIR bits 7..6 report FIFOs enabled, nothing pending", () => {
    strictEqual(bus.read8(IIR), 0xc1);
  });

  await t.step("bytes written to THR reach the sink in order", () => {
    send(bus, "Hello, kernel!\n");
    strictEqual(sink.text(), "Hello, kernel!\n");
  });
});

Deno.test("Uart16550 line status register", async (t) => {
  await t.step("after reset: THRE and TEMT (0x60)", () => {
    const { bus } = rig();
    strictEqual(bus.read8(LSR), 0x60);
  });

  await t.step("after a write: THRE and TEMT set again", () => {
    const { bus, sink } = rig();
    bus.write8(THR, 0x41);
    strictEqual(bus.read8(LSR) & 0x60, 0x60);
    deepStrictEqual(sink.bytes(), Uint8Array.of(0x41));
  });

  await t.step("DR while data waits, clear after the last byte", () => {
    const { bus } = rig("ab");
    bus.write8(FCR, 0x01);
    strictEqual(bus.read8(LSR), 0x61);
    strictEqual(bus.read8(RBR), 0x61);
    strictEqual(bus.read8(LSR), 0x61);
    strictEqual(bus.read8(RBR), 0x62);
    strictEqual(bus.read8(LSR), 0x60);
  });

  await t.step("DR with FIFOs off: one byte at a time", () => {
    const { bus } = rig("xyz");
    strictEqual(receiveAll(bus), "xyz");
    strictEqual(bus.read8(LSR), 0x60);
  });

  await t.step("the 17th byte into a full 16-byte FIFO overruns", () => {
    const { bus } = rig();
    bus.write8(FCR, 0x07);
    bus.write8(MCR, 0x10); // loopback: transmitted bytes are received
    send(bus, "0123456789abcdef");
    strictEqual(bus.read8(LSR), 0x61); // full, no overrun yet
    bus.write8(THR, 0x67); // "g"
    strictEqual(bus.read8(LSR), 0x63); // OE and DR
    strictEqual(bus.read8(LSR), 0x61); // reading LSR cleared OE
    strictEqual(receiveAll(bus), "0123456789abcdef"); // "g" was lost
  });

  await t.step("FIFOs off: a second byte overruns and replaces RBR", () => {
    const { bus } = rig();
    bus.write8(MCR, 0x10);
    bus.write8(THR, 0x31);
    strictEqual(bus.read8(LSR), 0x61);
    bus.write8(THR, 0x32);
    strictEqual(bus.read8(LSR), 0x63);
    strictEqual(bus.read8(RBR), 0x32);
    strictEqual(bus.read8(LSR), 0x60);
  });

  await t.step("writes to LSR are ignored", () => {
    const { bus } = rig();
    bus.write8(LSR, 0x1f);
    strictEqual(bus.read8(LSR), 0x60);
  });

  await t.step("RBR reads 0 when nothing was received", () => {
    const { bus } = rig();
    bus.write8(FCR, 0x01);
    strictEqual(bus.read8(RBR), 0);
  });
});

Deno.test("Uart16550 receiver", async (t) => {
  await t.step("takes at most a FIFO's worth from the source", () => {
    const source = new CountingSource("abcdefghijklmnopqrstuvwxyz");
    const { bus } = rig(source);
    bus.write8(FCR, 0x01);
    bus.read8(LSR);
    strictEqual(source.taken, 16);
    strictEqual(bus.read8(RBR), 0x61);
    strictEqual(source.taken, 16);
    bus.read8(LSR);
    strictEqual(source.taken, 17);
    strictEqual(receiveAll(bus), "bcdefghijklmnopqrstuvwxyz");
  });

  await t.step("takes one byte at a time with FIFOs off", () => {
    const source = new CountingSource("abc");
    const { bus } = rig(source);
    bus.read8(LSR);
    bus.read8(IIR);
    strictEqual(source.taken, 1);
    strictEqual(bus.read8(RBR), 0x61);
    strictEqual(source.taken, 1);
  });
});

Deno.test("Uart16550 loopback", async (t) => {
  await t.step("returns what was sent and sends nothing out", () => {
    const { bus, sink } = rig();
    bus.write8(FCR, 0x01);
    bus.write8(MCR, 0x10);
    send(bus, "ping");
    strictEqual(receiveAll(bus), "ping");
    strictEqual(sink.bytes().length, 0);
  });

  await t.step("does not take external input", () => {
    const { bus } = rig("x");
    bus.write8(MCR, 0x10);
    strictEqual(bus.read8(LSR), 0x60);
    bus.write8(MCR, 0x00);
    strictEqual(bus.read8(LSR), 0x61);
    strictEqual(bus.read8(RBR), 0x78);
  });

  await t.step("MSR reports CTS, DSR and DCD outside loopback", () => {
    const { bus } = rig();
    strictEqual(bus.read8(MSR), 0xb0);
  });

  await t.step("MSR mirrors MCR: CTS=RTS DSR=DTR RI=OUT1 DCD=OUT2", () => {
    const { bus } = rig();
    bus.write8(MCR, 0x10);
    bus.read8(MSR); // clear the deltas of entering loopback
    const cases: [number, number][] = [
      [0x02, 0x10], // RTS -> CTS
      [0x01, 0x20], // DTR -> DSR
      [0x04, 0x40], // OUT1 -> RI
      [0x08, 0x80], // OUT2 -> DCD
      [0x0f, 0xf0],
      [0x00, 0x00],
    ];
    for (const [outputs, inputs] of cases) {
      bus.write8(MCR, 0x10 | outputs);
      strictEqual(bus.read8(MSR) & 0xf0, inputs, `MCR ${outputs}`);
    }
  });

  await t.step("delta bits record changes; reading MSR clears them", () => {
    const { bus } = rig();
    bus.write8(MCR, 0x10);
    bus.read8(MSR);
    bus.write8(MCR, 0x12); // RTS on: CTS changes
    strictEqual(bus.read8(MSR), 0x11); // CTS, DCTS
    strictEqual(bus.read8(MSR), 0x10);
    bus.write8(MCR, 0x19); // RTS off, DTR and OUT2 on
    strictEqual(bus.read8(MSR), 0xa0 | 0x0b); // DSR, DCD; DCTS DDSR DDCD
    bus.write8(MCR, 0x14); // DTR, OUT2 off, OUT1 on: RI rises, no TERI
    strictEqual(bus.read8(MSR), 0x40 | 0x02 | 0x08); // RI; DDSR, DDCD
    bus.write8(MCR, 0x10); // OUT1 off: RI trailing edge sets TERI
    strictEqual(bus.read8(MSR), 0x04);
  });
});

Deno.test("Uart16550 divisor latch access", async (t) => {
  await t.step("DLAB turns +0/+1 into DLL/DLM", () => {
    const { bus, uart, sink } = rig();
    bus.write8(IER, 0x05);
    bus.write8(LCR, 0x83);
    bus.write8(DLL, 0x0c);
    bus.write8(DLM, 0x01);
    strictEqual(sink.bytes().length, 0); // DLL is not THR
    strictEqual(bus.read8(DLL), 0x0c);
    strictEqual(bus.read8(DLM), 0x01);
    strictEqual(uart.divisor, 0x010c);
    bus.write8(LCR, 0x03);
    strictEqual(bus.read8(IER), 0x05); // IER kept its value
    bus.write8(LCR, 0x83);
    bus.write8(DLM, 0x00);
    strictEqual(uart.baud, 9600);
  });

  await t.step("reset divisor is 0: no baud rate", () => {
    const { uart } = rig();
    strictEqual(uart.divisor, 0);
    strictEqual(uart.baud, undefined);
  });

  await t.step("a byte read while DLAB=1 does not pop the FIFO", () => {
    const { bus } = rig("q");
    bus.write8(LCR, 0x80);
    bus.write8(DLL, 0x01);
    strictEqual(bus.read8(RBR), 0x01);
    bus.write8(LCR, 0x00);
    strictEqual(bus.read8(RBR), 0x71);
  });
});

Deno.test("Uart16550 register widths", async (t) => {
  await t.step("IER bits 7..4 read 0", () => {
    const { bus } = rig();
    bus.write8(IER, 0xff);
    strictEqual(bus.read8(IER), 0x0f);
  });

  await t.step("LCR reads back all 8 bits", () => {
    const { bus } = rig();
    bus.write8(LCR, 0x5f);
    strictEqual(bus.read8(LCR), 0x5f);
  });

  await t.step("MCR bits 7..5 read 0", () => {
    const { bus } = rig();
    bus.write8(MCR, 0xef);
    strictEqual(bus.read8(MCR), 0x0f);
  });

  await t.step("scratch register reads back", () => {
    const { bus } = rig();
    for (const value of [0x00, 0x55, 0xaa, 0xff]) {
      bus.write8(SCR, value);
      strictEqual(bus.read8(SCR), value);
    }
  });
});

Deno.test("Uart16550 interrupt identification", async (t) => {
  await t.step("reset: IIR 0x01, no INTR", () => {
    const { bus, uart } = rig();
    strictEqual(bus.read8(IIR), 0x01);
    strictEqual(uart.interruptPending, false);
  });

  await t.step("THRE: raised by enabling ETBEI, cleared by reading IIR", () => {
    const { bus, uart } = rig();
    bus.write8(IER, 0x02);
    strictEqual(uart.interruptPending, true);
    strictEqual(bus.read8(IIR), 0x02);
    strictEqual(bus.read8(IIR), 0x01);
    strictEqual(uart.interruptPending, false);
    bus.write8(THR, 0x41); // THR empties again
    strictEqual(bus.read8(IIR), 0x02);
  });

  await t.step("received data outranks THRE; timeout below trigger", () => {
    const { bus } = rig("abcd");
    bus.write8(FCR, 0x41); // FIFOs on, trigger level 4
    bus.write8(IER, 0x03);
    bus.write8(MCR, 0x10); // loopback holds the source back
    bus.write8(THR, 0x31);
    bus.write8(THR, 0x32);
    strictEqual(bus.read8(IIR), 0xcc); // 2 < 4 bytes: character timeout
    strictEqual(bus.read8(IIR), 0xcc); // not cleared by reading IIR
    bus.write8(THR, 0x33);
    bus.write8(THR, 0x34);
    strictEqual(bus.read8(IIR), 0xc4); // 4 bytes: data available
    strictEqual(receiveAll(bus), "1234");
    strictEqual(bus.read8(IIR), 0xc2); // then the pending THRE source
    strictEqual(bus.read8(IIR), 0xc1);
  });

  await t.step("FIFOs off: one byte is data available", () => {
    const { bus } = rig("a");
    bus.write8(IER, 0x01);
    strictEqual(bus.read8(IIR), 0x04);
    bus.read8(RBR);
    strictEqual(bus.read8(IIR), 0x01);
  });

  await t.step("14-byte trigger of the crate's init", () => {
    const { bus } = rig("abcdefghijklmn");
    crateInit(bus);
    bus.write8(MCR, 0x1b);
    send(bus, "0123456789abc");
    strictEqual(bus.read8(IIR), 0xcc); // 13 bytes
    send(bus, "d");
    strictEqual(bus.read8(IIR), 0xc4); // 14 bytes
  });

  await t.step("line status outranks data; cleared by reading LSR", () => {
    const { bus, uart } = rig();
    bus.write8(MCR, 0x10);
    bus.write8(IER, 0x05);
    bus.write8(THR, 0x31);
    bus.write8(THR, 0x32); // overrun in 16450 mode
    strictEqual(bus.read8(IIR), 0x06);
    strictEqual(bus.read8(LSR), 0x63);
    strictEqual(bus.read8(IIR), 0x04);
    bus.read8(RBR);
    strictEqual(bus.read8(IIR), 0x01);
    strictEqual(uart.interruptPending, false);
  });

  await t.step("modem status is lowest; cleared by reading MSR", () => {
    const { bus } = rig();
    bus.write8(IER, 0x08);
    bus.write8(MCR, 0x10); // entering loopback changes CTS, DSR, DCD
    strictEqual(bus.read8(IIR), 0x00);
    bus.write8(IER, 0x0a);
    strictEqual(bus.read8(IIR), 0x02); // THRE first
    strictEqual(bus.read8(IIR), 0x00);
    strictEqual(bus.read8(MSR), 0x0b);
    strictEqual(bus.read8(IIR), 0x01);
  });

  await t.step("disabled sources do not interrupt", () => {
    const { bus, uart } = rig("a");
    bus.write8(MCR, 0x10);
    bus.write8(THR, 0x31);
    bus.write8(THR, 0x32);
    strictEqual(bus.read8(IIR), 0x01);
    strictEqual(uart.interruptPending, false);
  });
});

Deno.test("Uart16550 FIFO control", async (t) => {
  await t.step("FCR bit 1 empties the receive FIFO", () => {
    const { bus } = rig();
    bus.write8(FCR, 0x01);
    bus.write8(MCR, 0x10);
    send(bus, "abc");
    strictEqual(bus.read8(LSR) & 0x01, 0x01);
    bus.write8(FCR, 0x03);
    strictEqual(bus.read8(LSR), 0x60);
    strictEqual(bus.read8(RBR), 0);
    strictEqual(bus.read8(IIR) & 0xc0, 0xc0); // FIFOs still on
  });

  await t.step("clearing FCR bit 0 disables and empties the FIFOs", () => {
    const { bus } = rig();
    bus.write8(FCR, 0x01);
    bus.write8(MCR, 0x10);
    send(bus, "abc");
    bus.write8(FCR, 0x00);
    strictEqual(bus.read8(IIR), 0x01); // bits 7..6 = 00
    strictEqual(bus.read8(LSR), 0x60);
  });

  await t.step("other bits need FCR bit 0 to be programmed", () => {
    const { bus } = rig();
    bus.write8(MCR, 0x10);
    bus.write8(THR, 0x31);
    bus.write8(FCR, 0x02); // FIFOs off: the clear bit is not taken
    strictEqual(bus.read8(LSR), 0x61);
  });
});
