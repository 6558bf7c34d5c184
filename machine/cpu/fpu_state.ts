/**
 * The x87 FPU and SSE state of a CPU, kept in the 512-byte layout that
 * FXSAVE writes in 64-bit mode (SDM 1 §10.5.1, table 10-2; the REX.W form
 * with 64-bit FIP and FDP):
 *
 * | bytes | field |
 * |---|---|
 * | 0–1 | FCW |
 * | 2–3 | FSW |
 * | 4 | abridged FTW (one bit per register, 1 = valid) |
 * | 6–7 | FOP |
 * | 8–15 | FIP |
 * | 16–23 | FDP |
 * | 24–27 | MXCSR |
 * | 28–31 | MXCSR_MASK |
 * | 32–159 | ST0/MM0 … ST7/MM7, 16 bytes each (80 bits used) |
 * | 160–415 | XMM0 … XMM15, 16 bytes each |
 *
 * The CPU executes no x87 or SSE arithmetic; code reads and writes these
 * registers through this object (as an `fxsave`/`fxrstor` or a compiler's
 * spill would), and a context switch saves and restores them whole.
 * `bytes` is for reading: write through the methods, which track whether
 * the state is still the initial one (as XSAVE's init optimization does,
 * so that a context switch can skip the 512 bytes of a thread that never
 * used the FPU).
 *
 * @example The state after reset (SDM 3A table 9-1)
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const fpu = new FpuState();
 * strictEqual(fpu.fcw, 0x037f);
 * strictEqual(fpu.mxcsr, 0x1f80);
 * fpu.setXmm(3, 0x1122_3344_5566_7788n, 0x99aa_bbcc_ddee_ff00n);
 * strictEqual(fpu.xmm(3).low, 0x1122_3344_5566_7788n);
 * ```
 */
export class FpuState {
  /** The 512 bytes, in FXSAVE64 layout: read them, write through the methods. */
  readonly bytes: Uint8Array = new Uint8Array(FXSAVE_SIZE);
  #view = new DataView(this.bytes.buffer);
  #words = new Int32Array(this.bytes.buffer);
  #initial = true;

  /** Creates the state a CPU has after RESET or INIT. */
  constructor() {
    this.reset();
  }

  /** Sets the state of RESET/INIT: FCW 0x037F, MXCSR 0x1F80, the rest 0. */
  reset(): void {
    this.bytes.fill(0);
    this.#view.setUint16(0, 0x037f, true);
    this.#view.setUint32(24, 0x1f80, true);
    this.#view.setUint32(28, MXCSR_MASK, true);
    this.#initial = true;
  }

  /**
   * Loads an FXSAVE image from 32-bit words — a context in machine memory —
   * as FXRSTOR does: bytes 0..27 and 32..415 (MXCSR_MASK and the rest
   * keep their values). The caller has checked MXCSR against MXCSR_MASK.
   *
   * @param words The words, such as RAM as an `Int32Array`.
   * @param at The index of the image's first word.
   */
  loadWords(words: Int32Array, at: number): void {
    const own = this.#words;
    for (let i = 0; i < 7; i++) own[i] = words[at + i]!;
    for (let i = 8; i < 104; i++) own[i] = words[at + i]!;
    this.#initial = false;
  }

  /**
   * Stores the image (bytes 0..463, what FXSAVE writes) as 32-bit words.
   *
   * @param words The words, such as RAM as an `Int32Array`.
   * @param at The index of the image's first word.
   */
  storeWords(words: Int32Array, at: number): void {
    const own = this.#words;
    for (let i = 0; i < 116; i++) words[at + i] = own[i]!;
  }

  /**
   * Whether the state is the one of RESET/INIT, untouched since.
   *
   * @returns `true` until a write.
   */
  get initial(): boolean {
    return this.#initial;
  }

  /**
   * Writes raw bytes of the FXSAVE image (as FXRSTOR does); bytes 28..31
   * (MXCSR_MASK) and 464..511 keep their values.
   *
   * @param offset Where, 0 to 511.
   * @param data The bytes.
   * @throws {RangeError} If the bytes do not fit in the 512.
   */
  write(offset: number, data: ArrayLike<number>): void {
    if (!(offset >= 0 && offset + data.length <= FXSAVE_SIZE)) {
      throw new RangeError(
        `Invalid FXSAVE range ${offset}+${data.length}: expected bytes within 0..511`,
      );
    }
    const mask = this.#view.getUint32(28, true);
    this.bytes.set(data, offset);
    this.#view.setUint32(28, mask, true);
    this.#initial = false;
  }

  /** The x87 control word. */
  get fcw(): number {
    return this.#view.getUint16(0, true);
  }

  /** MXCSR, the SSE control and status register. */
  get mxcsr(): number {
    return this.#view.getUint32(24, true);
  }

  /**
   * XMM register `n`.
   *
   * @param n 0 to 15.
   * @returns Its low and high 64 bits.
   */
  xmm(n: number): { low: bigint; high: bigint } {
    const at = XMM_OFFSET + 16 * n;
    return {
      low: this.#view.getBigUint64(at, true),
      high: this.#view.getBigUint64(at + 8, true),
    };
  }

  /**
   * Sets XMM register `n`.
   *
   * @param n 0 to 15.
   * @param low Bits 63..0.
   * @param high Bits 127..64.
   */
  setXmm(n: number, low: bigint, high: bigint): void {
    const at = XMM_OFFSET + 16 * n;
    this.#view.setBigUint64(at, BigInt.asUintN(64, low), true);
    this.#view.setBigUint64(at + 8, BigInt.asUintN(64, high), true);
    this.#initial = false;
  }
}

/** The size of an FXSAVE area, which must be 16-byte aligned. */
export const FXSAVE_SIZE = 512;
/**
 * The MXCSR bits this CPU supports (MXCSR_MASK at byte 28 of the FXSAVE
 * area): 0xFFFF, all 16 defined bits, DAZ included. FXRSTOR of an MXCSR
 * with any other bit set raises #GP(0).
 */
export const MXCSR_MASK = 0xffff;
/** Where the FXSAVE area holds XMM0. */
export const XMM_OFFSET = 160;
