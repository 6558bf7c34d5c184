/**
 * The simulated x86_64 PC that the library runs on: RAM as a
 * `SharedArrayBuffer` seen through `DataView`, a CPU with the SDM's
 * registers, MSRs and faults, a deterministic TSC, the I/O bus, four 16550
 * UARTs with COM1 wired to standard output, and a debug-exit port.
 *
 * It knows nothing of the library; the `arch` module is the safe API over
 * it.
 *
 * @example Writing to COM1 and halting
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { currentCpu, Machine, MemorySink } from "@exo-kernel/core/machine";
 *
 * const sink = new MemorySink();
 * const report = new Machine({ ramSize: 1 << 20, sink }).run(() => {
 *   for (const byte of new TextEncoder().encode("ok\n")) currentCpu().out8(0x3f8, byte);
 *   currentCpu().hlt();
 * });
 * strictEqual(report.reason, "halted");
 * strictEqual(sink.text(), "ok\n");
 * ```
 *
 * @module
 */
export * from "./machine.ts";
export * from "./machine_report.ts";
export * from "./boot_info.ts";
export { BOOT_PML4 } from "./boot_page_tables.ts";
export { boundCpu, currentCpu, NoCpuError } from "./current_cpu.ts";
export * from "./physical_memory.ts";
export * from "./io_bus.ts";
export * from "./serial_sink.ts";
export * from "./serial_source.ts";
export * from "./cpu/cpu.ts";
export * from "./cpu/register_file.ts";
export * from "./cpu/time_stamp_counter.ts";
export * from "./cpu/exceptions.ts";
export * from "./cpu/cpuid.ts";
export * from "./cpu/fpu_state.ts";
export * from "./cpu/mmu.ts";
export * from "./cpu/tlb.ts";
export { Msr } from "./cpu/msr.ts";
export * from "./devices/uart_16550.ts";
export * from "./devices/debug_exit.ts";
export * from "./devices/pic_8259.ts";
export * from "./devices/local_apic.ts";
export * from "./code_space.ts";
export * from "./kernel_image.ts";
export { ApError } from "./smp/ap_error.ts";
