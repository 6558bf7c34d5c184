/**
 * exo-kernel core: the building blocks of an x86_64 kernel — control
 * registers, MSRs, port I/O, a 16550 serial port, page tables and spinlocks
 * — running on a simulated PC with the Intel SDM's formats, rules and
 * faults.
 *
 * Each module has its own entry point: `@exo-kernel/core/arch/x86_64`,
 * `/machine`, `/macros`, `/memory` and `/sync`. This one re-exports them
 * all.
 *
 * @example A kernel entry that reads CR3 and halts
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine, registers } from "@exo-kernel/core";
 *
 * const report = new Machine({ ramSize: 1 << 20 }).run(() => {
 *   registers.writeCr3(0x1000);
 *   strictEqual(registers.readCr3(), 0x1000);
 *   registers.hlt();
 * });
 * strictEqual(report.reason, "halted");
 * ```
 *
 * @module
 */
export * from "./arch/x86_64/mod.ts";
export * from "./ffi/mod.ts";
export * from "./machine/mod.ts";
export * from "./macros/mod.ts";
export * from "./memory/mod.ts";
export * from "./sync/mod.ts";
