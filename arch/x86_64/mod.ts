/**
 * The x86_64 architecture layer, like the Rust `x86_64` crate: control
 * registers, MSRs, RFLAGS, the TSC, `hlt`/`cli`/`sti`/`pause`, typed I/O
 * ports and the SDM's flag names. Every function acts on the CPU that the
 * calling code runs on, so call them inside `Machine.run`.
 *
 * The functions are also grouped as the seed's `registers` namespace.
 *
 * @example Reading CR3 and halting, as the seed's "Hello, Kernel!" does
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "@exo-kernel/core/machine";
 * import { registers } from "@exo-kernel/core/arch/x86_64";
 *
 * const report = new Machine({ ramSize: 1 << 20 }).run(() => {
 *   strictEqual(registers.readCr3(), 0x1000); // the boot page tables
 *   for (;;) registers.hlt();
 * });
 * strictEqual(report.reason, "halted");
 * ```
 *
 * @module
 */
export * as registers from "./registers.ts";
export * from "./registers.ts";
export * from "./port.ts";
export * from "./interrupt_manager.ts";
export * from "./interrupt_context.ts";
export * from "./interrupts.ts";
export * from "./page_fault_error_code.ts";
export * from "./gdt.ts";
export * from "./system_calls.ts";
export * from "./context.ts";
