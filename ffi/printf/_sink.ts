// The output of one printf call: counts every byte, keeps at most `limit`.
import { PrintfError } from "./printf_error.ts";

const INT_MAX = 0x7fff_ffff;
const EMPTY = new Uint8Array(0);

/** Bytes produced by a printf call; the count goes on past the limit. */
export class ByteSink {
  /** The kept bytes are `bytes[0 .. kept)`. */
  bytes: Uint8Array = EMPTY;
  /** How many bytes are kept. */
  kept = 0;
  /** How many bytes were produced (C's return value). */
  length = 0;
  /** The most bytes kept. */
  limit = 0;
  /** Whether `bytes` may be replaced by a larger array. */
  growable = false;
  /** The format offset of the conversion being written (for errors). */
  at = 0;

  /** Starts over, keeping at most `limit` bytes in `bytes`. */
  reset(bytes: Uint8Array, limit: number, growable: boolean): this {
    this.bytes = bytes;
    this.limit = limit;
    this.growable = growable;
    this.kept = this.length = this.at = 0;
    return this;
  }

  /**
   * Counts `n` more bytes and returns how many of them to keep, making
   * room. Past INT_MAX the caller stores what it keeps and then throws
   * EOVERFLOW: glibc fills the buffer before it fails.
   */
  #room(n: number): number {
    this.length += n;
    const keep = Math.min(n, this.limit - this.kept);
    if (keep > 0 && this.kept + keep > this.bytes.length) this.#grow(keep);
    return keep;
  }

  #grow(keep: number): void {
    if (!this.growable) throw new RangeError("ByteSink buffer too small");
    let size = Math.max(this.bytes.length * 2, 256);
    while (size < this.kept + keep) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.limit));
    grown.set(this.bytes.subarray(0, this.kept));
    this.bytes = grown;
  }

  /** Throws EOVERFLOW where the count has passed INT_MAX. */
  #checkLength(): void {
    if (this.length > INT_MAX) {
      throw new PrintfError(
        `Output too long: ${this.length} bytes is over INT_MAX (2147483647), which snprintf returns as an int`,
        "EOVERFLOW",
        this.at,
      );
    }
  }

  /** Checks that `n` more bytes would not take the count over INT_MAX. */
  check(n: number): void {
    if (this.length + n > INT_MAX) {
      this.length += n;
      this.#checkLength();
    }
  }

  /** Appends one byte. */
  byte(b: number): void {
    if (this.#room(1) === 1) this.bytes[this.kept++] = b;
    this.#checkLength();
  }

  /** Appends a string of code units below 256, one byte each. */
  text(s: string): void {
    const keep = this.#room(s.length);
    const bytes = this.bytes;
    let at = this.kept;
    for (let i = 0; i < keep; i++) bytes[at++] = s.charCodeAt(i);
    this.kept = at;
    this.#checkLength();
  }

  /** Appends `source[start .. end)`. */
  copy(source: Uint8Array, start: number, end: number): void {
    const keep = this.#room(end - start);
    if (keep > 32) {
      this.bytes.set(source.subarray(start, start + keep), this.kept);
      this.kept += keep;
    } else {
      // A view for set() costs more than a short loop.
      const bytes = this.bytes;
      let at = this.kept;
      for (let i = start; i < start + keep; i++) bytes[at++] = source[i]!;
      this.kept = at;
    }
    this.#checkLength();
  }

  /** Appends `n` copies of byte `b` (nothing when `n` ≤ 0). */
  fill(b: number, n: number): void {
    if (n <= 0) return;
    const keep = this.#room(n);
    if (keep > 0) {
      this.bytes.fill(b, this.kept, this.kept + keep);
      this.kept += keep;
    }
    this.#checkLength();
  }
}

// One sink and buffer for the calls that do not nest (a readString that
// prints gets fresh ones): allocating a typed array costs 300-600 ns.
let idle: ByteSink | undefined = new ByteSink();
let scratch: Uint8Array = new Uint8Array(256);

/**
 * Runs `body` with a sink that keeps up to `limit` bytes in a growable
 * buffer of its own, and returns what `done` makes of the sink.
 */
export function withScratchSink<T>(
  limit: number,
  body: (sink: ByteSink) => void,
  done: (sink: ByteSink) => T,
): T {
  const sink = idle ?? new ByteSink();
  const own = sink === idle;
  idle = undefined;
  try {
    sink.reset(own ? scratch : new Uint8Array(64), limit, true);
    body(sink);
    return done(sink);
  } finally {
    if (own) {
      if (sink.bytes.length <= 1 << 16) scratch = sink.bytes;
      sink.bytes = scratch;
      idle = sink;
    }
  }
}

// Small results are views into a shared pool, as Node.js does for small
// Buffers: a view costs 25 ns where a new typed array costs 300-600 ns.
const POOL_SIZE = 8192;
const POOLED_MAX = 1024;
let pool = new Uint8Array(POOL_SIZE);
let poolUsed = 0;

/** A copy of `bytes[0 .. length)` of its own (a view into a pool if small). */
export function copyOut(bytes: Uint8Array, length: number): Uint8Array {
  if (length > POOLED_MAX) return bytes.slice(0, length);
  if (poolUsed + length > POOL_SIZE) {
    pool = new Uint8Array(POOL_SIZE);
    poolUsed = 0;
  }
  const start = poolUsed;
  if (length > 64) pool.set(bytes.subarray(0, length), start);
  else for (let i = 0; i < length; i++) pool[start + i] = bytes[i]!;
  poolUsed = (start + length + 7) & ~7;
  return pool.subarray(start, start + length);
}
