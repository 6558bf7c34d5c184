/**
 * Where a serial port's transmitted bytes go: the other end of the line.
 * The machine calls `flush` when it stops.
 */
export interface SerialSink {
  /** Takes one transmitted byte, 0 to 255. */
  write(byte: number): void;
  /** Delivers whatever the sink still buffers. */
  flush(): void;
}

const NEWLINE = 0x0a;

/**
 * Sends the bytes to the process's standard output, buffered and flushed at
 * each newline, when the buffer is full, and when the machine stops.
 *
 * @example COM1 to standard output, as a machine has by default
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { Machine } from "./machine.ts";
 *
 * const machine = new Machine({ ramSize: 1 << 20, sink: new StdoutSink() });
 * ok(machine.serial[0]);
 * ```
 */
export class StdoutSink implements SerialSink {
  #buffer = new Uint8Array(4096);
  #length = 0;

  /**
   * Buffers one byte, and writes the buffer out at a newline or when full.
   *
   * @param byte The byte.
   */
  write(byte: number): void {
    this.#buffer[this.#length++] = byte;
    if (byte === NEWLINE || this.#length === this.#buffer.length) this.flush();
  }

  /** Writes out what the buffer holds. */
  flush(): void {
    let done = 0;
    while (done < this.#length) {
      done += Deno.stdout.writeSync(this.#buffer.subarray(done, this.#length));
    }
    this.#length = 0;
  }
}

/**
 * Keeps every byte in memory, for tests.
 *
 * @example Reading back what was sent
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const sink = new MemorySink();
 * sink.write(0x4f);
 * sink.write(0x4b);
 * strictEqual(sink.text(), "OK");
 * ```
 */
export class MemorySink implements SerialSink {
  #bytes: number[] = [];

  /**
   * Keeps one byte.
   *
   * @param byte The byte.
   */
  write(byte: number): void {
    this.#bytes.push(byte);
  }

  /** Does nothing: the bytes are already in memory. */
  flush(): void {}

  /**
   * The bytes received so far.
   *
   * @returns A copy of them, in order.
   */
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  /**
   * The bytes received so far, decoded as UTF-8.
   *
   * @returns The text.
   */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }

  /** Forgets the bytes received so far. */
  clear(): void {
    this.#bytes.length = 0;
  }
}

/**
 * Drops every byte: a line with nothing at the other end, for benchmarks.
 *
 * @example Nothing is kept
 * ```ts
 * new DiscardSink().write(0x41);
 * ```
 */
export class DiscardSink implements SerialSink {
  /** Drops the byte. */
  write(_byte: number): void {}
  /** Does nothing. */
  flush(): void {}
}
