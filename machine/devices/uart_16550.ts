import { hex } from "../_hex.ts";
import type { IoBus, IoDevice } from "../io_bus.ts";
import { DiscardSink, type SerialSink } from "../serial_sink.ts";
import type { SerialSource } from "../serial_source.ts";

/**
 * The base port of COM1, the first PC serial port; it raises IRQ 4.
 *
 * @example The registers of COM1
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(COM1, 0x3f8);
 * strictEqual(COM1 + 5, 0x3fd); // its line status register
 * ```
 */
export const COM1 = 0x3f8;

/**
 * The base port of COM2, the second PC serial port; it raises IRQ 3.
 *
 * @example The base of COM2
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(COM2, 0x2f8);
 * ```
 */
export const COM2 = 0x2f8;

/**
 * The base port of COM3, the third PC serial port; it shares IRQ 4 with
 * COM1.
 *
 * @example The base of COM3
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(COM3, 0x3e8);
 * ```
 */
export const COM3 = 0x3e8;

/**
 * The base port of COM4, the fourth PC serial port; it shares IRQ 3 with
 * COM2.
 *
 * @example The base of COM4
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(COM4, 0x2e8);
 * ```
 */
export const COM4 = 0x2e8;

/** The input clock divided by 16: the baud rate of divisor 1 (1.8432 MHz). */
const BAUD_BASE = 115200;

/** The receive FIFO's depth in FIFO mode. */
const FIFO_SIZE = 16;

// Register offsets from the base port.
const DATA = 0; // RBR / THR, or DLL with DLAB
const IER = 1; // or DLM with DLAB
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

// IER bits.
const IER_ERBFI = 0x01; // received data available
const IER_ETBEI = 0x02; // transmitter holding register empty
const IER_ELSI = 0x04; // receiver line status
const IER_EDSSI = 0x08; // modem status

// IIR values (bits 3..0).
const IIR_NONE = 0x01;
const IIR_LINE_STATUS = 0x06;
const IIR_RX_DATA = 0x04;
const IIR_RX_TIMEOUT = 0x0c;
const IIR_THR_EMPTY = 0x02;
const IIR_MODEM_STATUS = 0x00;
const IIR_FIFOS_ENABLED = 0xc0;

// FCR bits.
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;

// LCR and MCR bits.
const LCR_DLAB = 0x80;
const MCR_MASK = 0x1f;
const MCR_LOOP = 0x10;

// LSR bits.
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

// MSR bits.
const MSR_RI = 0x40;
const MSR_TERI = 0x04;
/** CTS, DSR and DCD asserted, RI clear: the line of a connected terminal. */
const MSR_LINE_UP = 0xb0;

/** The receive trigger levels selected by FCR bits 7..6. */
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

const STANDARD_NAMES: ReadonlyMap<number, string> = new Map([
  [COM1, "COM1"],
  [COM2, "COM2"],
  [COM3, "COM3"],
  [COM4, "COM4"],
]);

/**
 * Options for {@linkcode Uart16550}: its name and the two ends of its line.
 *
 * @example A console on COM2 with scripted input
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { MemorySink } from "../serial_sink.ts";
 * import { ScriptedSource } from "../serial_source.ts";
 *
 * const options: Uart16550Options = {
 *   name: "console",
 *   sink: new MemorySink(),
 *   source: new ScriptedSource("y"),
 * };
 * const uart = new Uart16550(COM2, options);
 * strictEqual(uart.name, "console");
 * strictEqual(uart.read8(COM2), 0x79); // RBR
 * ```
 */
export interface Uart16550Options {
  /**
   * A name for diagnostics; by default `"COM1"` to `"COM4"` for the standard
   * bases, else `"UART@"` and the base in hex.
   */
  name?: string;
  /** Where transmitted bytes go; by default a {@linkcode DiscardSink}. */
  sink?: SerialSink;
  /** Where received bytes come from; by default nothing ever arrives. */
  source?: SerialSource;
}

/**
 * A National Semiconductor 16550A UART: eight byte registers from a base
 * port, as the PC16550D datasheet lays them out (+0 RBR/THR or DLL, +1 IER
 * or DLM, +2 IIR/FCR, +3 LCR, +4 MCR, +5 LSR, +6 MSR, +7 SCR).
 *
 * The transmitter is as fast as QEMU's: a byte written to THR reaches the
 * sink at once, so LSR.THRE and LSR.TEMT read 1 again right after the
 * write. A driver must still poll LSR.THRE (bit 5) before each write, as on
 * real hardware. Word length, stop bits, parity and the baud rate are
 * recorded in LCR and the divisor latch but, as in QEMU, do not change the
 * bytes; there are no parity, framing or break errors.
 *
 * The receiver pulls bytes from the source one at a time, as the line
 * delivers them, whenever its FIFO (16 bytes, or the 1-byte holding
 * register when FIFOs are off) has room and the CPU reads RBR, LSR or IIR
 * (or the interrupt controller looks at {@linkcode Uart16550.interruptPending}).
 * Since it pulls only into room, input from the source never overruns; a
 * byte that the transmitter loops back into a full FIFO does.
 *
 * In loopback (MCR bit 4) a transmitted byte goes to the receive FIFO and
 * not to the sink, the source is not read, and MSR reports the MCR outputs:
 * CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. Otherwise MSR reports CTS,
 * DSR and DCD asserted (0xB0), as QEMU does.
 *
 * {@linkcode Uart16550.interruptPending} is the chip's INTR output. On a PC
 * the board passes it to the interrupt controller (IRQ 4 for COM1 and COM3,
 * IRQ 3 for COM2 and COM4) only while MCR.OUT2 (bit 3) is set.
 *
 * @example Printing through COM1
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { IoBus } from "../io_bus.ts";
 * import { MemorySink } from "../serial_sink.ts";
 *
 * const bus = new IoBus();
 * const sink = new MemorySink();
 * const uart = new Uart16550(COM1, { sink });
 * uart.attach(bus);
 * for (const byte of new TextEncoder().encode("hi\n")) {
 *   while ((bus.read8(COM1 + 5) & 0x20) === 0) {} // wait for LSR.THRE
 *   bus.write8(COM1, byte);
 * }
 * strictEqual(sink.text(), "hi\n");
 * strictEqual(uart.name, "COM1");
 * ```
 */
export class Uart16550 implements IoDevice {
  #base: number;
  #name: string;
  #sink: SerialSink;
  #source: SerialSource | undefined;

  #ier = 0;
  #lcr = 0;
  #mcr = 0;
  #scr = 0;
  #dll = 0;
  #dlm = 0;
  // DLAB = 0 and no loopback: a write to the base port is a plain transmit.
  #plainTransmit = true;

  #fifoEnabled = false;
  #triggerLevel = 1;
  #rx = new Uint8Array(FIFO_SIZE);
  #rxHead = 0;
  #rxCount = 0;

  // LSR bits 4..1 (only OE ever sets here); cleared by reading LSR.
  #lineErrors = 0;
  // The THR-empty interrupt source, armed when THR empties.
  #thrEmptyPending = false;
  // MSR bits 3..0; cleared by reading MSR.
  #msrDeltas = 0;

  /**
   * Builds a UART in its power-on state: IER 0, IIR 0x01, LCR 0, MCR 0,
   * LSR 0x60 (THRE and TEMT), divisor 0, FIFOs off.
   *
   * @param base The first of its eight ports, such as {@linkcode COM1}.
   * @param options The name, the sink and the source.
   * @throws {RangeError} If `base` is not an integer with `base + 7` at most
   *   0xFFFF.
   */
  constructor(base: number, options: Uart16550Options = {}) {
    if (!Number.isInteger(base) || base < 0 || base + 7 > 0xffff) {
      throw new RangeError(
        `Invalid UART base port ${base}: expected an integer from 0 to 0xFFF8`,
      );
    }
    this.#base = base;
    this.#name = options.name ?? STANDARD_NAMES.get(base) ??
      `UART@${hex(base, 4)}`;
    this.#sink = options.sink ?? new DiscardSink();
    this.#source = options.source;
  }

  /**
   * The name used in diagnostics.
   *
   * @returns The name, such as `"COM1"`.
   *
   * @example Names from the base
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new Uart16550(COM2).name, "COM2");
   * strictEqual(new Uart16550(0x100).name, "UART@0x0100");
   * strictEqual(new Uart16550(COM1, { name: "console" }).name, "console");
   * ```
   */
  get name(): string {
    return this.#name;
  }

  /**
   * The 16-bit divisor latch, DLM:DLL.
   *
   * @returns The divisor, 0 to 0xFFFF (0 after reset).
   *
   * @example Setting 38400 baud
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const uart = new Uart16550(COM1);
   * uart.write8(COM1 + 3, 0x80); // LCR.DLAB
   * uart.write8(COM1, 3); // DLL
   * uart.write8(COM1 + 1, 0); // DLM
   * strictEqual(uart.divisor, 3);
   * ```
   */
  get divisor(): number {
    return this.#dlm << 8 | this.#dll;
  }

  /**
   * The baud rate the divisor selects from the PC's 1.8432 MHz clock:
   * 115200 / divisor.
   *
   * @returns The rate in bits per second (a fraction when the divisor does
   *   not divide 115200), or `undefined` while the divisor is 0.
   *
   * @example Rates from divisors
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const uart = new Uart16550(COM1);
   * strictEqual(uart.baud, undefined);
   * uart.write8(COM1 + 3, 0x80);
   * uart.write8(COM1, 12);
   * strictEqual(uart.baud, 9600);
   * ```
   */
  get baud(): number | undefined {
    const divisor = this.divisor;
    return divisor === 0 ? undefined : BAUD_BASE / divisor;
  }

  /**
   * Whether an interrupt is pending: the chip's INTR output, set exactly
   * when a read of IIR would report a source (bit 0 clear). Like a read of
   * IIR, looking lets waiting bytes arrive from the source; unlike one, it
   * clears nothing.
   *
   * @returns `true` while an enabled interrupt source is pending.
   *
   * @example Received data raises INTR
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { ScriptedSource } from "../serial_source.ts";
   *
   * const uart = new Uart16550(COM1, { source: new ScriptedSource("a") });
   * strictEqual(uart.interruptPending, false);
   * uart.write8(COM1 + 1, 0x01); // IER.ERBFI
   * strictEqual(uart.interruptPending, true);
   * uart.read8(COM1); // RBR
   * strictEqual(uart.interruptPending, false);
   * ```
   */
  get interruptPending(): boolean {
    if (this.#ier === 0) return false;
    this.#pull();
    return this.#interruptId() !== IIR_NONE;
  }

  /**
   * Claims the UART's eight ports, base to base + 7, on `bus`.
   *
   * @param bus The I/O bus.
   * @throws {PortError} If another device owns one of the ports.
   *
   * @example Attaching COM1
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { IoBus } from "../io_bus.ts";
   *
   * const bus = new IoBus();
   * const uart = new Uart16550(COM1);
   * uart.attach(bus);
   * strictEqual(bus.deviceAt(COM1 + 7), uart);
   * strictEqual(bus.read8(COM1 + 5), 0x60); // LSR after reset
   * ```
   */
  attach(bus: IoBus): void {
    bus.claim(this, this.#base, 8);
  }

  /**
   * Reads a register (the `in al, dx` instruction on one of its ports).
   *
   * @param port The port, base to base + 7.
   * @returns The register's value; 0xFF for a port outside the eight.
   *
   * @example Reading the scratch register back
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const uart = new Uart16550(COM1);
   * uart.write8(COM1 + 7, 0xa5);
   * strictEqual(uart.read8(COM1 + 7), 0xa5);
   * ```
   */
  read8(port: number): number {
    switch (port - this.#base) {
      case DATA:
        return this.#lcr & LCR_DLAB ? this.#dll : this.#readRbr();
      case IER:
        return this.#lcr & LCR_DLAB ? this.#dlm : this.#ier;
      case IIR_FCR:
        return this.#readIir();
      case LCR:
        return this.#lcr;
      case MCR:
        return this.#mcr;
      case LSR:
        return this.#readLsr();
      case MSR: {
        const value = this.#modemLines() | this.#msrDeltas;
        this.#msrDeltas = 0;
        return value;
      }
      case SCR:
        return this.#scr;
      default:
        return 0xff;
    }
  }

  /**
   * Writes a register (the `out dx, al` instruction on one of its ports).
   * Writes to LSR and MSR are ignored, as are writes outside the eight
   * ports.
   *
   * @param port The port, base to base + 7.
   * @param value The byte, 0 to 0xFF.
   *
   * @example Transmitting a byte
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemorySink } from "../serial_sink.ts";
   *
   * const sink = new MemorySink();
   * const uart = new Uart16550(COM1, { sink });
   * uart.write8(COM1, 0x41);
   * strictEqual(sink.text(), "A");
   * strictEqual(uart.read8(COM1 + 5) & 0x60, 0x60); // THRE and TEMT again
   * ```
   */
  write8(port: number, value: number): void {
    if (port === this.#base && this.#plainTransmit) {
      this.#sink.write(value);
      this.#thrEmptyPending = true; // the byte left: THR is empty again
      return;
    }
    value &= 0xff;
    switch (port - this.#base) {
      case DATA:
        if (this.#lcr & LCR_DLAB) this.#dll = value;
        else this.#transmit(value);
        break;
      case IER:
        if (this.#lcr & LCR_DLAB) this.#dlm = value;
        else this.#writeIer(value);
        break;
      case IIR_FCR:
        this.#writeFcr(value);
        break;
      case LCR:
        this.#lcr = value;
        this.#updatePlainTransmit();
        break;
      case MCR:
        this.#writeMcr(value);
        break;
      case SCR:
        this.#scr = value;
        break;
      default:
        break; // LSR (factory test), MSR and foreign ports
    }
  }

  // THR, in loopback or through the slow path: the byte leaves at once.
  #transmit(value: number): void {
    if (this.#mcr & MCR_LOOP) this.#receive(value);
    else this.#sink.write(value);
    this.#thrEmptyPending = true;
  }

  #writeIer(value: number): void {
    const enabled = value & ~this.#ier;
    this.#ier = value & 0x0f;
    // THR is always empty here, so enabling ETBEI raises the interrupt at
    // once; disabling it drops the pending source, as QEMU does.
    if (enabled & IER_ETBEI) this.#thrEmptyPending = true;
    else if (!(value & IER_ETBEI)) this.#thrEmptyPending = false;
  }

  #writeFcr(value: number): void {
    const enable = (value & FCR_ENABLE) !== 0;
    // Changing between FIFO and non-FIFO mode clears the FIFOs.
    if (enable !== this.#fifoEnabled) {
      this.#fifoEnabled = enable;
      this.#clearRx();
    }
    // FCR0 must be 1 for the other bits to be programmed. Bit 2 (clear the
    // transmit FIFO) has nothing to do: transmitted bytes leave at once.
    if (!enable) return;
    if (value & FCR_CLEAR_RX) this.#clearRx();
    this.#triggerLevel = TRIGGER_LEVELS[value >>> 6]!;
  }

  #writeMcr(value: number): void {
    const before = this.#modemLines();
    this.#mcr = value & MCR_MASK;
    const after = this.#modemLines();
    // DCTS, DDSR and DDCD record any change; TERI only RI going off.
    this.#msrDeltas |= (before ^ after) >>> 4 & 0x0b;
    if (before & ~after & MSR_RI) this.#msrDeltas |= MSR_TERI;
    this.#updatePlainTransmit();
  }

  #updatePlainTransmit(): void {
    this.#plainTransmit = (this.#lcr & LCR_DLAB) === 0 &&
      (this.#mcr & MCR_LOOP) === 0;
  }

  // MSR bits 7..4: the modem inputs, or the MCR outputs in loopback.
  #modemLines(): number {
    const mcr = this.#mcr;
    if (!(mcr & MCR_LOOP)) return MSR_LINE_UP;
    return (mcr & 0x02) << 3 | (mcr & 0x01) << 5 | (mcr & 0x0c) << 4;
  }

  #readRbr(): number {
    this.#pull();
    if (this.#rxCount === 0) return 0;
    const value = this.#rx[this.#rxHead]!;
    this.#rxHead = (this.#rxHead + 1) % FIFO_SIZE;
    this.#rxCount--;
    return value;
  }

  #readLsr(): number {
    this.#pull();
    const value = LSR_THRE | LSR_TEMT | this.#lineErrors |
      (this.#rxCount > 0 ? LSR_DR : 0);
    this.#lineErrors = 0;
    return value;
  }

  #readIir(): number {
    this.#pull();
    const id = this.#interruptId();
    if (id === IIR_THR_EMPTY) this.#thrEmptyPending = false;
    return this.#fifoEnabled ? id | IIR_FIFOS_ENABLED : id;
  }

  // IIR bits 3..0: the highest-priority enabled source, or 0x01.
  #interruptId(): number {
    const ier = this.#ier;
    if (ier & IER_ELSI && this.#lineErrors !== 0) return IIR_LINE_STATUS;
    if (ier & IER_ERBFI && this.#rxCount > 0) {
      // In FIFO mode below the trigger level, the character timeout is
      // taken to have elapsed already.
      return !this.#fifoEnabled || this.#rxCount >= this.#triggerLevel
        ? IIR_RX_DATA
        : IIR_RX_TIMEOUT;
    }
    if (ier & IER_ETBEI && this.#thrEmptyPending) return IIR_THR_EMPTY;
    if (ier & IER_EDSSI && this.#msrDeltas !== 0) return IIR_MODEM_STATUS;
    return IIR_NONE;
  }

  // Takes what the line has delivered, while the FIFO has room.
  #pull(): void {
    const source = this.#source;
    if (source === undefined || this.#mcr & MCR_LOOP) return;
    const capacity = this.#fifoEnabled ? FIFO_SIZE : 1;
    while (this.#rxCount < capacity) {
      const byte = source.read();
      if (byte === undefined) return;
      this.#rx[(this.#rxHead + this.#rxCount++) % FIFO_SIZE] = byte;
    }
  }

  // A byte completed in the receiver shift register.
  #receive(byte: number): void {
    if (this.#fifoEnabled) {
      // A full FIFO keeps its bytes; the new one is lost.
      if (this.#rxCount === FIFO_SIZE) this.#lineErrors |= LSR_OE;
      else this.#rx[(this.#rxHead + this.#rxCount++) % FIFO_SIZE] = byte;
    } else if (this.#rxCount === 0) {
      this.#rx[this.#rxHead] = byte;
      this.#rxCount = 1;
    } else {
      // 16450 mode: the unread character in RBR is destroyed.
      this.#rx[this.#rxHead] = byte;
      this.#lineErrors |= LSR_OE;
    }
  }

  #clearRx(): void {
    this.#rxHead = 0;
    this.#rxCount = 0;
  }
}
