import { Port, PortReadOnly } from "../arch/x86_64/port.ts";
import { pause } from "../arch/x86_64/instructions.ts";

/** LSR bit 0: data ready. */
const LSR_DATA_READY = 1 << 0;
/** LSR bit 5: the transmitter holding register is empty. */
const LSR_THR_EMPTY = 1 << 5;

/**
 * A driver for a 16550 UART, like the `uart_16550` crate's `SerialPort`:
 * it talks to the chip only through its eight I/O ports, so it works on
 * whichever machine the calling code runs on.
 *
 * @example Initialising COM1 and sending a line
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine, MemorySink } from "../machine/mod.ts";
 *
 * const sink = new MemorySink();
 * new Machine({ ramSize: 1 << 20, sink }).run(() => {
 *   const com1 = new SerialPort(0x3f8);
 *   com1.init();
 *   for (const byte of new TextEncoder().encode("ok\n")) com1.send(byte);
 * });
 * strictEqual(sink.text(), "ok\r\n");
 * ```
 */
export class SerialPort {
  /** The base port, such as 0x3F8 for COM1. */
  readonly base: number;
  #data: Port;
  #interruptEnable: Port;
  #fifoControl: Port;
  #lineControl: Port;
  #modemControl: Port;
  #lineStatus: PortReadOnly;

  /**
   * Names the UART at `base`; it touches no port until used.
   *
   * @param base The base port: 0x3F8 (COM1), 0x2F8, 0x3E8 or 0x2E8.
   * @throws {PortError} If `base + 7` is not a port.
   */
  constructor(base: number) {
    this.base = base;
    this.#data = new Port(base);
    this.#interruptEnable = new Port(base + 1);
    this.#fifoControl = new Port(base + 2);
    this.#lineControl = new Port(base + 3);
    this.#modemControl = new Port(base + 4);
    this.#lineStatus = new PortReadOnly(base + 5);
    new PortReadOnly(base + 7); // checks the last port
  }

  /**
   * Programs the chip as the `uart_16550` crate does: interrupts off,
   * 38400 baud (divisor 3), 8 data bits, no parity, one stop bit, FIFOs
   * enabled and cleared with a 14-byte trigger, DTR RTS and OUT2 set, then
   * the receive interrupt enabled.
   *
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  init(): void {
    this.#interruptEnable.write(0x00);
    this.#lineControl.write(0x80); // DLAB: +0 and +1 are the divisor latch
    this.#data.write(0x03); // divisor low byte: 115200 / 3 = 38400 baud
    this.#interruptEnable.write(0x00); // divisor high byte
    this.#lineControl.write(0x03); // 8N1, DLAB off
    this.#fifoControl.write(0xc7);
    this.#modemControl.write(0x0b);
    this.#interruptEnable.write(0x01);
  }

  /**
   * Whether the line is set up for 8-bit data (LCR bits 1..0 = 11), the
   * sign that someone has initialised the port.
   *
   * @returns `true` when LCR says 8 data bits.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  isInitialised(): boolean {
    return (this.#lineControl.read() & 0x03) === 0x03;
  }

  /**
   * Sends a byte as a terminal expects it: `\n` as `\r\n`, and backspace or
   * DEL as backspace, space, backspace.
   *
   * @param byte The byte.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  send(byte: number): void {
    if (byte === 0x0a) {
      this.sendRaw(0x0d);
      this.sendRaw(0x0a);
    } else if (byte === 0x08 || byte === 0x7f) {
      this.sendRaw(0x08);
      this.sendRaw(0x20);
      this.sendRaw(0x08);
    } else {
      this.sendRaw(byte);
    }
  }

  /**
   * Sends a byte as it is, once the transmitter holding register is empty.
   *
   * @param byte The byte.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  sendRaw(byte: number): void {
    while ((this.#lineStatus.read() & LSR_THR_EMPTY) === 0) pause();
    this.#data.write(byte);
  }

  /**
   * Takes a received byte if one is waiting.
   *
   * @returns The byte, or `undefined` when none has arrived.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  tryReceive(): number | undefined {
    return this.#lineStatus.read() & LSR_DATA_READY
      ? this.#data.read()
      : undefined;
  }
}
