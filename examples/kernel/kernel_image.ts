/**
 * The example kernel's image: the code every CPU loads. Each application
 * processor's Worker imports this module and installs it; so does the
 * BSP's machine. It registers the interrupt handlers at the addresses the
 * IDT's gates hold, the first threads' code (any CPU may run any thread),
 * and the APs' entry at the trampoline page 0x8000 (STARTUP vector 0x08).
 *
 * An AP starts there on the machine's boot tables, as a real trampoline
 * leaves it in long mode. It reads the kernel's CR3 and CR4 from the boot
 * parameters the BSP left, moves to the kernel's tables, sets itself up
 * (its own GDT, TSS and stacks, the shared IDT, its APIC timer), attaches
 * to the scheduler, says it is online, and idles: it runs ready threads
 * (its own, or ones it steals), else waits in `hlt` for an interrupt — a
 * timer tick (which may make its kworker due), or an IPI that asks it for
 * work (a ping, the mailbox, a stop).
 *
 * @module
 */
import { currentCpu, kernelImage } from "@exo-kernel/core/machine";
import {
  cli,
  hlt,
  sti,
  writeCr3,
  writeCr4,
} from "@exo-kernel/core/arch/x86_64";
import { readU32, writeU32 } from "@exo-kernel/core/memory";
import { kprintln } from "@exo-kernel/core/macros";
import { setUpCpu } from "./cpu_setup.ts";
import {
  Apic,
  apicRead,
  installHandlerCode,
  onTimerTick,
  perCpu,
} from "./interrupts.ts";
import {
  AP_TRAMPOLINE,
  BOOT_PARAMS,
  BootParams,
  PerCpu,
  TIMER_HZ,
} from "./memory_layout.ts";
import {
  attachScheduler,
  idleStep,
  installThreadCode,
  timerTick,
} from "./threads.ts";

/** The STARTUP IPI's vector: the trampoline page number. */
export const AP_STARTUP_VECTOR: number = AP_TRAMPOLINE >> 12;

/**
 * Says that this CPU is online: its per-CPU flag, and one more in the
 * boot parameters' count (an atomic add, as `lock xadd`).
 */
export function markOnline(): void {
  writeU32(perCpu() + PerCpu.ONLINE, 1);
  const words = new Int32Array(currentCpu().memory.buffer);
  Atomics.add(words, (BOOT_PARAMS + BootParams.CPUS_ONLINE) / 4, 1);
}

/**
 * A CPU's idle loop: with interrupts off, run a ready thread if there is
 * one (the scheduler's idle step); else `sti; hlt` until an interrupt (a
 * timer tick, an IPI), which `sti`'s shadow cannot miss.
 *
 * @param cpu The CPU.
 */
export function idle(cpu: number): never {
  const page = perCpu();
  for (;;) {
    cli();
    if (idleStep(cpu)) continue;
    sti();
    hlt();
    writeU32(page + PerCpu.WAKEUPS, (readU32(page + PerCpu.WAKEUPS) + 1) >>> 0);
  }
}

// An AP's entry, on the boot tables.
function apEntry(): void {
  const cr3 = readU32(BOOT_PARAMS + BootParams.KERNEL_CR3);
  const cr4 = readU32(BOOT_PARAMS + BootParams.KERNEL_CR4);
  writeCr3(cr3);
  writeCr4(cr4);
  const id = apicRead(Apic.ID) >>> 24;
  setUpCpu(id, false);
  onTimerTick(timerTick);
  const scheduler = attachScheduler();
  kprintln(
    "cpu{}: online: APIC ID {}, GDT/TSS/IDT loaded, timer at {} Hz, scheduler attached ({} threads)",
    id,
    id,
    TIMER_HZ,
    scheduler.stats().live,
  );
  markOnline();
  idle(id);
}

export default kernelImage(import.meta.url, (code) => {
  installHandlerCode(code);
  installThreadCode(code);
  code.register(AP_TRAMPOLINE, apEntry);
});
