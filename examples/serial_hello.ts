/**
 * Says hello on COM1 the way a kernel's first serial driver does: it
 * programs the 16550 through its ports as the `uart_16550` crate does, then
 * sends each byte once the transmitter holding register is empty, and
 * halts. Run it with `deno task serial_hello`.
 *
 * @module
 */
import { Machine } from "@exo-kernel/core/machine";
import { Port, PortReadOnly, registers } from "@exo-kernel/core/arch/x86_64";

const COM1 = 0x3f8;
const data = new Port(COM1); // THR on write, RBR on read, DLL with DLAB
const interruptEnable = new Port(COM1 + 1); // IER, DLM with DLAB
const fifoControl = new Port(COM1 + 2); // FCR on write
const lineControl = new Port(COM1 + 3); // LCR
const modemControl = new Port(COM1 + 4); // MCR
const lineStatus = new PortReadOnly(COM1 + 5); // LSR
const THRE = 1 << 5; // LSR: transmitter holding register empty

function initSerial(): void {
  interruptEnable.write(0x00); // no interrupts
  lineControl.write(0x80); // DLAB = 1: +0 and +1 are the divisor latch
  data.write(0x03); // divisor 3: 115200 / 3 = 38400 baud
  interruptEnable.write(0x00); // divisor high byte
  lineControl.write(0x03); // DLAB = 0; 8 data bits, no parity, 1 stop bit
  fifoControl.write(0xc7); // enable and clear the FIFOs, 14-byte trigger
  modemControl.write(0x0b); // DTR, RTS, OUT2
}

function sendByte(byte: number): void {
  while ((lineStatus.read() & THRE) === 0) registers.pause();
  data.write(byte);
}

function kernelMain(): void {
  initSerial();
  for (const byte of new TextEncoder().encode("Hello from COM1\n")) {
    sendByte(byte);
  }
  for (;;) registers.hlt();
}

const report = new Machine().run(kernelMain);
if (report.reason !== "halted") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
