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

/** The settings of a {@linkcode StdinSource}. */
export interface StdinSourceOptions {
  /**
   * A byte to deliver once after the last byte of input, as a terminal
   * sends EOT (0x04) for Ctrl-D; by default none: the line just goes quiet.
   */
  readonly endOfInput?: number;
}

// The reader thread: it reads standard input in chunks into the ring, and
// waits while the ring is full. Header words: [0] bytes written (total),
// [1] bytes read (total), [2] 1 at the end of input.
const READER = `
self.onmessage = async ({ data: shared }) => {
  const header = new Int32Array(shared, 0, 4);
  const ring = new Uint8Array(shared, 16);
  const chunk = new Uint8Array(Math.min(ring.length, 16384));
  for (;;) {
    let count = null;
    try { count = await Deno.stdin.read(chunk); } catch { count = null; }
    if (count === null) break;
    let done = 0;
    while (done < count) {
      const written = Atomics.load(header, 0);
      const room = ring.length - (written - Atomics.load(header, 1));
      if (room === 0) {
        await Atomics.waitAsync(header, 1, Atomics.load(header, 1)).value;
        continue;
      }
      const n = Math.min(room, count - done);
      for (let i = 0; i < n; i++) ring[(written + i) % ring.length] = chunk[done + i];
      done += n;
      Atomics.store(header, 0, written + n);
      Atomics.notify(header, 0);
    }
  }
  Atomics.store(header, 2, 1);
  Atomics.notify(header, 0);
};
`;

/** The ring's size: 64 KiB of input can wait for the machine. */
const RING_BYTES = 1 << 16;

/**
 * Delivers the process's standard input — a pipe, a file or a terminal —
 * as bytes arrive on a serial line: a reader thread (a Worker) reads
 * standard input into a shared ring as it comes, and {@linkcode read}
 * takes the next byte that has arrived, never waiting. So the machine
 * keeps running while the input is quiet, and a kernel that waits for
 * input does so in `hlt`, with its timer, as on a real PC.
 *
 * A terminal stays in its own (cooked) mode: it edits and echoes a line
 * and delivers it when Enter is pressed; Ctrl-D ends the input. With the
 * `endOfInput` option, the end of input is delivered as one more byte
 * (EOT, 0x04, as a terminal in raw mode sends for Ctrl-D), which tells
 * the kernel that the line has gone quiet for good.
 *
 * The reader keeps the process alive while it waits for input: call
 * {@linkcode StdinSource.close} (or use `using`) when the machine has
 * stopped.
 *
 * @example Using standard input, ended by EOT
 * ```ts ignore
 * import { Machine, StdinSource } from "@exo-kernel/core/machine";
 *
 * using source = new StdinSource({ endOfInput: 0x04 });
 * new Machine({ source }).run(() => {});
 * ```
 */
export class StdinSource implements SerialSource, Disposable {
  #header: Int32Array;
  #ring: Uint8Array;
  #read = 0;
  #endOfInput: number | undefined;
  #worker: Worker | undefined;

  /**
   * Starts reading standard input.
   *
   * @param options The end-of-input byte.
   * @throws {RangeError} If `endOfInput` is not a byte.
   */
  constructor(options: StdinSourceOptions = {}) {
    const eot = options.endOfInput;
    if (
      eot !== undefined && !(Number.isInteger(eot) && eot >= 0 && eot <= 255)
    ) {
      throw new RangeError(
        `Invalid end-of-input byte ${eot}: expected an integer from 0 to 255`,
      );
    }
    this.#endOfInput = eot;
    const shared = new SharedArrayBuffer(16 + RING_BYTES);
    this.#header = new Int32Array(shared, 0, 4);
    this.#ring = new Uint8Array(shared, 16);
    const url = URL.createObjectURL(
      new Blob([READER], { type: "text/javascript" }),
    );
    this.#worker = new Worker(url, { type: "module", name: "stdin" });
    URL.revokeObjectURL(url);
    this.#worker.postMessage(shared);
  }

  /**
   * The next byte that has arrived, without waiting for one.
   *
   * @returns The byte; the end-of-input byte once, after the last one;
   *   else `undefined` (nothing has arrived, or the input has ended).
   */
  read(): number | undefined {
    const h = this.#header;
    if (this.#read !== Atomics.load(h, 0)) {
      const byte = this.#ring[this.#read % RING_BYTES]!;
      this.#read++;
      Atomics.store(h, 1, this.#read);
      Atomics.notify(h, 1);
      return byte;
    }
    if (Atomics.load(h, 2) === 1 && this.#read === Atomics.load(h, 0)) {
      const eot = this.#endOfInput;
      this.#endOfInput = undefined;
      this.close();
      return eot;
    }
    return undefined;
  }

  /**
   * Whether the input has ended and every byte of it (and the
   * end-of-input byte) has been read.
   *
   * @returns `true` at the end.
   */
  get ended(): boolean {
    const h = this.#header;
    return Atomics.load(h, 2) === 1 && this.#read === Atomics.load(h, 0) &&
      this.#endOfInput === undefined;
  }

  /**
   * Waits until a byte has arrived or the input has ended, for at most
   * `timeoutMs` (for a host that has nothing else to do meanwhile).
   *
   * @param timeoutMs How long at most, in milliseconds.
   * @returns `true` if a byte (or the end) is there to read.
   */
  wait(timeoutMs: number): boolean {
    const h = this.#header;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const written = Atomics.load(h, 0);
      if (written !== this.#read || Atomics.load(h, 2) === 1) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(h, 0, written, left);
    }
  }

  /** Stops the reader thread; what has not arrived yet is not read. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  /** Stops the reader thread, as {@linkcode StdinSource.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
