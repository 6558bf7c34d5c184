import type { SerialSink } from "../serial_sink.ts";
import type { Interconnect } from "./interconnect.ts";

/**
 * The COM1 sink of a CPU of an SMP machine: it collects a line and appends
 * it whole to the machine's shared serial log, so that lines of different
 * CPUs never mix; the machine copies the log to its real sink.
 */
export class LogSink implements SerialSink {
  #link: Interconnect;
  #line = new Uint8Array(4096);
  #length = 0;
  #afterLine: () => void;

  /**
   * Creates the sink.
   *
   * @param link What the machine's CPUs share.
   * @param afterLine Called after each line is appended (the BSP copies
   *   the log out there).
   */
  constructor(link: Interconnect, afterLine: () => void = () => {}) {
    this.#link = link;
    this.#afterLine = afterLine;
  }

  /**
   * Adds a byte; a newline (or a full buffer) sends the line.
   *
   * @param byte The byte.
   */
  write(byte: number): void {
    this.#line[this.#length++] = byte;
    if (byte === 0x0a || this.#length === this.#line.length) this.flush();
  }

  /** Sends what has been collected, even without a newline. */
  flush(): void {
    if (this.#length === 0) return;
    this.#link.appendLog(this.#line.subarray(0, this.#length));
    this.#length = 0;
    this.#afterLine();
  }
}
