/**
 * The seed's macros: `format` with Rust's exact `std::fmt` output, and
 * `kprint`/`kprintln`, which print it on the serial port COM1 through the
 * 16550 protocol.
 *
 * @example The seed's "Hello, Kernel!"
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine, MemorySink } from "@exo-kernel/core/machine";
 * import { registers } from "@exo-kernel/core/arch/x86_64";
 * import { kprintln } from "@exo-kernel/core/macros";
 *
 * const sink = new MemorySink();
 * new Machine({ ramSize: 1 << 20, sink }).run(() => {
 *   kprintln("The kernel is running!");
 *   kprintln("CR3: {:#x}", registers.readCr3());
 *   for (;;) registers.hlt();
 * });
 * strictEqual(sink.text(), "The kernel is running!\r\nCR3: 0x1000\r\n");
 * ```
 *
 * @module
 */
export * from "./format.ts";
export * from "./format_error.ts";
export * from "./named.ts";
export * from "./typed.ts";
export * from "./kprint.ts";
export * from "./serial_port.ts";
export { Lazy, lazyStatic } from "../sync/lazy.ts";
