/**
 * Where a serial port's received bytes come from: the other end of the
 * line. The UART asks for a byte whenever its receive FIFO has room.
 */
export interface SerialSource {
  /**
   * The next byte that has arrived on the line.
   *
   * @returns A byte, 0 to 255, or `undefined` when none has arrived.
   */
  read(): number | undefined;
}

/**
 * Delivers a fixed sequence of bytes, then nothing: scripted input.
 *
 * @example Scripted input
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const source = new ScriptedSource("ok");
 * strictEqual(source.read(), 0x6f);
 * strictEqual(source.read(), 0x6b);
 * strictEqual(source.read(), undefined);
 * ```
 */
export class ScriptedSource implements SerialSource {
  #bytes: Uint8Array;
  #next = 0;

  /**
   * Prepares the bytes to deliver.
   *
   * @param input The bytes, or a string sent as UTF-8.
   */
  constructor(input: string | Uint8Array) {
    this.#bytes = typeof input === "string"
      ? new TextEncoder().encode(input)
      : input.slice();
  }

  /**
   * The next scripted byte.
   *
   * @returns The byte, or `undefined` once all were delivered.
   */
  read(): number | undefined {
    return this.#bytes[this.#next++];
  }
}

/**
 * Delivers the process's standard input when it is a pipe or a file.
 *
 * Reads are synchronous: when the pipe is empty the machine waits for its
 * writer. A terminal delivers nothing, since a synchronous read would stop
 * the machine until a line is typed.
 *
 * @example Using standard input
 * ```ts
 * const source = new StdinSource();
 * ```
 */
export class StdinSource implements SerialSource {
  #chunk = new Uint8Array(4096);
  #length = 0;
  #next = 0;
  #ended: boolean;

  /** Prepares to read standard input. */
  constructor() {
    this.#ended = Deno.stdin.isTerminal();
  }

  /**
   * The next byte of standard input.
   *
   * @returns The byte, or `undefined` at the end of input (or on a terminal).
   */
  read(): number | undefined {
    if (this.#next === this.#length) {
      if (this.#ended) return undefined;
      const count = Deno.stdin.readSync(this.#chunk);
      if (count === null || count === 0) {
        this.#ended = true;
        return undefined;
      }
      this.#length = count;
      this.#next = 0;
    }
    return this.#chunk[this.#next++];
  }
}
