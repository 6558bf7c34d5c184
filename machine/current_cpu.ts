import type { Cpu } from "./cpu/cpu.ts";

let current: Cpu | undefined;

/**
 * Thrown when code that needs a CPU — an `arch` function such as
 * `readCr3` — runs outside `Machine.run`.
 */
export class NoCpuError extends Error {
  /** Builds the error. */
  constructor() {
    super(
      "No CPU is running this code: call it from the entry function given to machine.run(entry)",
    );
    this.name = "NoCpuError";
  }
}

/**
 * The CPU that the calling code runs on: the one `Machine.run` bound it to.
 * Each Worker of an SMP machine is one CPU, so this is per thread.
 *
 * @returns The CPU.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Code inside `run` has a CPU
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { Machine } from "./machine.ts";
 *
 * throws(() => currentCpu(), NoCpuError);
 * new Machine().run(() => strictEqual(currentCpu().id, 0));
 * ```
 */
export function currentCpu(): Cpu {
  if (current === undefined) throw new NoCpuError();
  return current;
}

/**
 * The CPU that the calling code runs on, or `undefined` outside
 * `Machine.run`: the non-throwing form of {@linkcode currentCpu}, for hot
 * paths such as a lock's owner tag.
 *
 * @returns The CPU, or `undefined`.
 *
 * @example Outside and inside `run`
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "./machine.ts";
 *
 * strictEqual(boundCpu(), undefined);
 * new Machine().run(() => strictEqual(boundCpu()?.id, 0));
 * ```
 */
export function boundCpu(): Cpu | undefined {
  return current;
}

/**
 * Binds the calling thread to `cpu` (or to none), for `Machine.run`.
 *
 * @param cpu The CPU, or `undefined` to unbind.
 * @returns The CPU bound before, to restore afterwards.
 */
export function bindCpu(cpu: Cpu | undefined): Cpu | undefined {
  const previous = current;
  current = cpu;
  return previous;
}
