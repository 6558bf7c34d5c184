// A kernel image for the SMP tests: entry points that application
// processors start at, and an IPI handler. Loaded by every CPU's Worker.
import { kernelImage } from "../kernel_image.ts";
import type { Cpu } from "../cpu/cpu.ts";

/** Where `countTo` counts: a u32 per CPU. */
export const COUNTERS = 0x20_0000;
/** STARTUP vector 0x08: each AP adds 1 to its counter 1,000 times, then halts. */
export const COUNT_ENTRY = 0x8000;
/** STARTUP vector 0x09: writes to the debug-exit port (value 5). */
export const EXIT_ENTRY = 0x9000;
/**
 * STARTUP vector 0x0A: enables its APIC (SVR bit 8) and interrupts, and
 * halts until an IPI comes.
 */
export const IDLE_ENTRY = 0xa000;
/** STARTUP vector 0x0B: throws a JS error (a bug in kernel code). */
export const BUG_ENTRY = 0xb000;
/** STARTUP vector 0x0C: prints a line on COM1 and returns. */
export const HELLO_ENTRY = 0xc000;

/** STARTUP vector 0x0D: stores its TSC (u64) at `TSC_SEEN`. */
export const TSC_ENTRY = 0xd000;
export const TSC_SEEN = 0x20_1000;

function print(cpu: Cpu, text: string): void {
  for (const byte of new TextEncoder().encode(text)) cpu.out8(0x3f8, byte);
}

export default kernelImage(import.meta.url, (code) => {
  code.register(COUNT_ENTRY, (cpu) => {
    for (let i = 0; i < 1000; i++) {
      const at = COUNTERS + cpu.id * 4;
      cpu.memory.writeU32(at, cpu.memory.readU32(at) + 1);
    }
    cpu.hlt();
  });
  code.register(EXIT_ENTRY, (cpu) => cpu.out32(0xf4, 5));
  code.register(IDLE_ENTRY, (cpu) => {
    cpu.writeU32(0xfee0_00f0, 0x1ff);
    cpu.sti();
    for (;;) cpu.hlt();
  });
  code.register(BUG_ENTRY, () => {
    throw new TypeError("a bug on the AP");
  });
  code.register(TSC_ENTRY, (cpu) => {
    cpu.memory.writeU64(TSC_SEEN, cpu.rdtsc());
  });
  code.register(HELLO_ENTRY, (cpu) => print(cpu, `hello from CPU ${cpu.id}\n`));
});
