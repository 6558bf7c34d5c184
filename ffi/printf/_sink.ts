// The output of one printf call: counts every byte, keeps at most `limit`.
import { PrintfError } from "./printf_error.ts";

const INT_MAX = 0x7fff_ffff;

/** Bytes produced by a printf call; the count goes on past the limit. */
export class ByteSink {
  /** The kept bytes are `bytes[0 .. kept)`. */
  bytes: Uint8Array;
  /** How many bytes are kept. */
  kept = 0;
  /** How many bytes were produced (C's return value). */
  length = 0;
  /** The most bytes kept. */
  readonly limit: number;
  /** The format offset of the conversion being written (for errors). */
  at = 0;

  constructor(limit: number) {
    this.limit = limit;
    this.bytes = new Uint8Array(Math.min(limit, 128));
  }

  /** Counts `n` more bytes; returns how many of them to keep. */
  #room(n: number): number {
    const length = this.length + n;
    if (length > INT_MAX) {
      throw new PrintfError(
        `Output too long: ${length} bytes is over INT_MAX (2147483647), which snprintf returns as an int`,
        "EOVERFLOW",
        this.at,
      );
    }
    this.length = length;
    const keep = Math.min(n, this.limit - this.kept);
    if (keep > 0 && this.kept + keep > this.bytes.length) {
      let size = Math.max(this.bytes.length * 2, 64);
      while (size < this.kept + keep) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.limit));
      grown.set(this.bytes.subarray(0, this.kept));
      this.bytes = grown;
    }
    return keep;
  }

  /** Checks that `n` more bytes would not take the count over INT_MAX. */
  check(n: number): void {
    if (this.length + n > INT_MAX) this.#room(n);
  }

  /** Appends one byte. */
  byte(b: number): void {
    if (this.#room(1) === 1) this.bytes[this.kept++] = b;
  }

  /** Appends a string of code units below 256, one byte each. */
  text(s: string): void {
    const keep = this.#room(s.length);
    const bytes = this.bytes;
    let at = this.kept;
    for (let i = 0; i < keep; i++) bytes[at++] = s.charCodeAt(i);
    this.kept = at;
  }

  /** Appends `source[start .. end)`. */
  copy(source: Uint8Array, start: number, end: number): void {
    const keep = this.#room(end - start);
    if (keep > 0) {
      this.bytes.set(source.subarray(start, start + keep), this.kept);
      this.kept += keep;
    }
  }

  /** Appends `n` copies of byte `b` (nothing when `n` ≤ 0). */
  fill(b: number, n: number): void {
    if (n <= 0) return;
    const keep = this.#room(n);
    if (keep > 0) {
      this.bytes.fill(b, this.kept, this.kept + keep);
      this.kept += keep;
    }
  }
}
