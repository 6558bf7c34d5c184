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
  /** The 512 bytes, in FXSAVE64 layout. */
  readonly bytes: Uint8Array = new Uint8Array(FXSAVE_SIZE);
  #view = new DataView(this.bytes.buffer);

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
