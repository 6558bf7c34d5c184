import { currentCpu } from "../../machine/current_cpu.ts";
import { cli, interruptsEnabled, sti } from "./instructions.ts";

/**
 * A breakpoint (`int3`): delivers vector 3 (#BP) through its gate.
 *
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example A breakpoint handler
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { InterruptManager } from "./interrupt_manager.ts";
 *
 * let hits = 0;
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   const idt = new InterruptManager();
 *   idt.registerHandler(3, () => hits++);
 *   idt.load();
 *   int3();
 *   int3();
 * });
 * strictEqual(hits, 2);
 * ```
 */
export function int3(): void {
  currentCpu().softwareInterrupt(3);
}

/**
 * A software interrupt (`int n`): delivers vector `n` through its gate,
 * which raises #GP when the gate's DPL is below the CPL.
 *
 * @param vector The vector, 0 to 255.
 * @throws {NoCpuError} Outside `Machine.run`.
 * @throws {RangeError} If the vector is not an integer from 0 to 255.
 *
 * @example A system-call gate
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { InterruptManager } from "./interrupt_manager.ts";
 *
 * let called = false;
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   const idt = new InterruptManager();
 *   idt.registerHandler(0x80, () => called = true, { dpl: 3 });
 *   idt.load();
 *   softwareInterrupt(0x80);
 * });
 * strictEqual(called, true);
 * ```
 */
export function softwareInterrupt(vector: number): void {
  if (!Number.isInteger(vector) || vector < 0 || vector > 255) {
    throw new RangeError(
      `Invalid vector ${vector}: expected an integer from 0 to 255`,
    );
  }
  currentCpu().softwareInterrupt(vector);
}

/**
 * Runs `fn` with interrupts disabled, then enables them again only if they
 * were enabled before (the `x86_64` crate's `without_interrupts`).
 *
 * @param fn The critical section.
 * @returns What `fn` returns.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Interrupts stay as they were
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { interruptsEnabled, sti } from "./instructions.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   withoutInterrupts(() => strictEqual(interruptsEnabled(), false));
 *   strictEqual(interruptsEnabled(), false); // they were off
 *   sti();
 *   withoutInterrupts(() => strictEqual(interruptsEnabled(), false));
 *   strictEqual(interruptsEnabled(), true);
 * });
 * ```
 */
export function withoutInterrupts<T>(fn: () => T): T {
  const enabled = interruptsEnabled();
  if (enabled) cli();
  try {
    return fn();
  } finally {
    if (enabled) sti();
  }
}
