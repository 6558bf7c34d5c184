/**
 * The seed's "Hello, Kernel!": the first debug lines of a kernel, on the
 * serial port, then the page-table root from CR3, then a halt that nothing
 * will end. Run it with `deno task hello`.
 *
 * @module
 */
import { Machine } from "@exo-kernel/core/machine";
import { registers } from "@exo-kernel/core/arch/x86_64";
import { kprintln } from "@exo-kernel/core/macros";

function start(): void {
  // kprintln goes to COM1, which the machine wires to standard output.
  kprintln("Exo-Kernel Core Library - Initialising...");
  kprintln("The kernel is running!");

  // The low-level abstractions are there too.
  const cr3 = registers.readCr3();
  kprintln("Page table root (CR3): {:#x}", cr3);

  for (;;) {
    // A kernel never returns.
    registers.hlt();
  }
}

const report = new Machine().run(start);
if (report.reason !== "halted") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
