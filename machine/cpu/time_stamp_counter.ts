import { Reg, type RegisterFile } from "./register_file.ts";

// The TSC slot's byte offsets in the register file, as constants: a load
// of `Reg.TSC` on each advance costs more than the advance.
const TSC_LOW = Reg.TSC * 8;
const TSC_HIGH = TSC_LOW + 4;

/**
 * How the TSC advances: `"virtual"` counts the machine's own work in fixed
 * cycle costs, so the same program reads the same TSC values on every run;
 * `"host"` follows the host's monotonic clock at the nominal frequency.
 */
export type ClockMode = "virtual" | "host";

const TWO_32 = 2 ** 32;

/**
 * A CPU's time-stamp counter, stored in its register file as a 64-bit
 * value (SDM 3B §18.17): it counts up from 0 at reset and a write to
 * IA32_TSC sets it.
 *
 * @example A virtual clock counts only what it is told
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { RegisterFile } from "./register_file.ts";
 *
 * const tsc = new TimeStampCounter(new RegisterFile(), "virtual", 2e9);
 * tsc.advance(25);
 * tsc.advance(100);
 * strictEqual(tsc.read(), 125);
 * ```
 */
export class TimeStampCounter {
  /** How the counter advances. */
  readonly mode: ClockMode;
  /** The nominal frequency, in cycles per second. */
  readonly hz: number;
  #view: DataView;
  #hostStart = 0;
  #hostBase = 0;

  /**
   * Creates the counter over a register file's TSC slot.
   *
   * @param registers The CPU's register file.
   * @param mode How the counter advances.
   * @param hz The nominal frequency, in cycles per second.
   */
  constructor(registers: RegisterFile, mode: ClockMode, hz: number) {
    this.mode = mode;
    this.hz = hz;
    this.#view = registers.view;
    if (mode === "host") this.write(this.read());
  }

  /**
   * Adds the cost of an operation on a virtual clock; does nothing on a
   * host clock, where time passes by itself.
   *
   * @param cycles The cost in cycles, a non-negative integer below 2^32.
   */
  advance(cycles: number): void {
    if (this.mode !== "virtual") return;
    const low = this.#view.getUint32(TSC_LOW, true) + cycles;
    if (low < TWO_32) {
      this.#view.setUint32(TSC_LOW, low, true);
    } else {
      this.#view.setUint32(TSC_LOW, low - TWO_32, true);
      const high = this.#view.getUint32(TSC_HIGH, true);
      this.#view.setUint32(TSC_HIGH, (high + 1) >>> 0, true);
    }
  }

  /**
   * The counter's value, as a whole number of cycles (exact below 2^53,
   * some 52 days at 2 GHz).
   *
   * @returns The cycle count.
   */
  read(): number {
    if (this.mode === "host") {
      const elapsed = (performance.now() - this.#hostStart) * this.hz / 1000;
      this.#store(this.#hostBase + Math.floor(elapsed));
    }
    return this.#view.getUint32(TSC_HIGH, true) * TWO_32 +
      this.#view.getUint32(TSC_LOW, true);
  }

  /**
   * Sets the counter (a WRMSR to IA32_TSC).
   *
   * @param cycles The new value, a whole number of cycles.
   */
  write(cycles: number): void {
    this.#hostStart = performance.now();
    this.#hostBase = cycles;
    this.#store(cycles);
  }

  #store(cycles: number): void {
    this.#view.setUint32(TSC_LOW, cycles % TWO_32, true);
    this.#view.setUint32(TSC_HIGH, Math.floor(cycles / TWO_32), true);
  }
}
