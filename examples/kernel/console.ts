/**
 * COM1 as the kernel's console: a 16550 driver whose receiver interrupts
 * on IRQ 4. The interrupt handler is the top half: it reads RBR until
 * LSR.DR is clear into the console's input queue and ends the interrupt.
 * The shell's line discipline (echo, editing, running a line) is the
 * bottom half and takes the bytes from the queue when it is ready for
 * them, so type-ahead waits in the queue and a piped session echoes each
 * line just before its output.
 *
 * Output goes through `kprint`, which polls LSR.THRE.
 *
 * @module
 */
import { Port, PortReadOnly } from "@exo-kernel/core/arch/x86_64";
import { picEndOfInterrupt } from "./pic.ts";

/** COM1's base port. */
export const COM1 = 0x3f8;
/** COM1's IRQ line. */
export const COM1_IRQ = 4;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const IER_ERBFI = 0x01;
const MCR_DTR_RTS_OUT2 = 0x0b;

/** The console: COM1's receive side and its input queue. */
export class Console {
  #data = new Port(COM1);
  #ier = new Port(COM1 + 1);
  #fcr = new Port(COM1 + 2);
  #lcr = new Port(COM1 + 3);
  #mcr = new Port(COM1 + 4);
  #lsr = new PortReadOnly(COM1 + 5);
  #queue: number[] = [];
  #head = 0;
  /** Received bytes, all told. */
  received = 0;
  /** Receiver overruns seen (LSR.OE). */
  overruns = 0;
  /** Receive interrupts taken. */
  interrupts = 0;

  /**
   * Programs COM1: 115200 baud (divisor 1), 8N1, FIFOs on and cleared with
   * a trigger level of 1 byte, DTR, RTS and OUT2 (which lets INTR reach
   * the PIC), and the receive-data interrupt (IER.ERBFI).
   */
  init(): void {
    this.#ier.write(0x00);
    this.#lcr.write(0x80); // DLAB
    this.#data.write(0x01); // divisor low: 115200 baud
    this.#ier.write(0x00); // divisor high
    this.#lcr.write(0x03); // 8N1, DLAB off
    this.#fcr.write(0x07); // FIFO on, both cleared, trigger at 1 byte
    this.#mcr.write(MCR_DTR_RTS_OUT2);
    this.#ier.write(IER_ERBFI);
  }

  /**
   * The IRQ 4 handler: drains the receiver into the queue, then ends the
   * interrupt at the PIC.
   */
  readonly interrupt = (): void => {
    this.interrupts++;
    for (;;) {
      const status = this.#lsr.read();
      if (status & LSR_OE) this.overruns++;
      if (!(status & LSR_DR)) break;
      this.#queue.push(this.#data.read());
      this.received++;
    }
    picEndOfInterrupt(COM1_IRQ);
  };

  /**
   * The next received byte, if any. Take it with interrupts off, so that
   * the handler does not run in between.
   *
   * @returns The byte, or `undefined`.
   */
  take(): number | undefined {
    if (this.#head === this.#queue.length) return undefined;
    const byte = this.#queue[this.#head++]!;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    return byte;
  }
}
