/**
 * Thrown by `Machine.run` when an application processor's Worker fails:
 * it cannot load (no read permission, a bad kernel image), or the kernel's
 * code on it threw a JS error — a bug, not a simulated fault.
 *
 * @example The message names the CPU
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const error = new ApError(1, "TypeError: x is undefined");
 * strictEqual(error.message, "CPU 1 failed: TypeError: x is undefined");
 * ```
 */
export class ApError extends Error {
  /** The CPU whose Worker failed. */
  readonly cpu: number;

  /**
   * Builds the error.
   *
   * @param cpu The CPU.
   * @param detail What went wrong, with the Worker's stack if any.
   */
  constructor(cpu: number, detail: string) {
    super(`CPU ${cpu} failed: ${detail}`);
    this.name = "ApError";
    this.cpu = cpu;
  }
}
