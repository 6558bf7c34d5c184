/**
 * A periodic local-APIC timer: a handler counts the ticks while the main
 * loop halts between them, and after ten ticks the kernel reports how many
 * TSC cycles went by and stops. Run it with `deno task timer`.
 *
 * @module
 */
import { Machine } from "@exo-kernel/core/machine";
import { InterruptManager, registers } from "@exo-kernel/core/arch/x86_64";
import { kprintln } from "@exo-kernel/core/macros";
import { writeU32 } from "@exo-kernel/core/memory";

// The local APIC's registers (SDM 3A chapter 11), mapped by the boot tables.
const APIC = 0xfee0_0000;
const EOI = APIC + 0xb0;
const SPURIOUS = APIC + 0xf0;
const LVT_TIMER = APIC + 0x320;
const INITIAL_COUNT = APIC + 0x380;
const DIVIDE = APIC + 0x3e0;

const TIMER_VECTOR = 0x30;
const PERIODIC = 1 << 17;
const TICKS = 10;

const report = new Machine().run(() => {
  let ticks = 0;
  const interrupts = new InterruptManager();
  interrupts.registerHandler(TIMER_VECTOR, () => {
    ticks++;
    writeU32(EOI, 0);
  });
  interrupts.registerHandler(0xff, () => {}); // spurious: no EOI
  interrupts.load();

  writeU32(SPURIOUS, 0x100 | 0xff); // APIC on, spurious vector 0xFF
  writeU32(DIVIDE, 0b0011); // count every 16 TSC ticks
  writeU32(LVT_TIMER, PERIODIC | TIMER_VECTOR);
  const start = registers.readTsc();
  writeU32(INITIAL_COUNT, 62_500); // 62,500 × 16 = 1,000,000 ticks: 0.5 ms at 2 GHz

  registers.sti();
  while (ticks < TICKS) registers.hlt(); // each hlt sleeps until the next tick
  registers.cli();
  kprintln(
    "{} timer ticks in {} TSC cycles",
    ticks,
    registers.readTsc() - start,
  );
  registers.hlt();
});
if (report.reason !== "halted") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
