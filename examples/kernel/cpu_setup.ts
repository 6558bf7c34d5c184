/**
 * What each CPU does for itself once it runs on the kernel's page tables,
 * the BSP at boot and each AP from its trampoline: its own GDT and TSS
 * (RSP0 and IST1 on its own stacks), the shared IDT, GS base at its
 * per-CPU page, the `syscall` MSRs, and its local APIC with a periodic
 * timer.
 *
 * @module
 */
import { currentCpu, Reg } from "@exo-kernel/core/machine";
import {
  GlobalDescriptorTable,
  KERNEL_CODE_SEGMENT,
  KERNEL_DATA_SEGMENT,
  loadTss,
  Msr,
  setSegments,
  SystemCalls,
  TaskStateSegment,
  USER_CODE_SEGMENT,
  USER_DATA_SEGMENT,
  wrmsr,
} from "@exo-kernel/core/arch/x86_64";
import { readU32, writeU32 } from "@exo-kernel/core/memory";
import {
  directMap,
  doubleFaultStackTop,
  KERNEL_TEXT,
  kernelStackTop,
  kernelVirtual,
  PerCpu,
  perCpuPage,
  TIMER_HZ,
  TSC_HZ,
} from "./memory_layout.ts";
import {
  Apic,
  apicRead,
  apicWrite,
  IDT_VIRTUAL,
  Vector,
} from "./interrupts.ts";

/** The selectors of every CPU's GDT, in the order `syscall`/`sysret` need. */
export const Selector = {
  KERNEL_CODE: 0x08,
  KERNEL_DATA: 0x10,
  USER_DATA: 0x1b,
  USER_CODE: 0x23,
  TSS: 0x28,
} as const;

/** The code address of the `syscall` entry (LSTAR), in the kernel text. */
export const SYSCALL_ENTRY: number = kernelVirtual(KERNEL_TEXT + 0x1000);

/** System-call numbers (Linux's). */
export const Syscall = {
  SCHED_YIELD: 24,
  GETPID: 39,
  EXIT: 60,
} as const;

/** The timer's divide configuration: ÷16 (SDM 3A figure 11-10: 0b0011). */
const DIVIDE_BY_16 = 0b0011;
/** LVT timer mode bit 17: periodic. */
const PERIODIC = 1 << 17;
/** LVT delivery mode ExtINT (0b111 << 8), unmasked: the PIC's INTR. */
const EXT_INT = 0x700;

// This CPU's system-call table (each CPU is a Worker; the BSP makes a new
// one at each boot).
let table: SystemCalls | undefined;

/**
 * The current CPU's system-call table, which {@linkcode setUpCpu} loaded:
 * more calls (IPC's) can be added to it.
 *
 * @returns The table.
 * @throws {Error} Before {@linkcode setUpCpu}.
 */
export function systemCalls(): SystemCalls {
  if (table === undefined) throw new Error("No system calls on this CPU yet");
  return table;
}

/** Counts per timer period: TSC ticks ÷ 16 per 1/TIMER_HZ s. */
export const TIMER_COUNT: number = TSC_HZ / 16 / TIMER_HZ;

/**
 * Sets up the current CPU: GDT, TSS, segments, IDT, GS base, `syscall`,
 * and its local APIC and timer. Interrupts stay off.
 *
 * @param id The CPU number.
 * @param bsp Whether it is the BSP, whose APIC keeps LINT0 for the PIC.
 */
export function setUpCpu(id: number, bsp: boolean): void {
  const page = kernelVirtual(perCpuPage(id));
  const cpu = currentCpu();

  // A stack of its own: RSP moves to the top of its kernel stack.
  cpu.registers.set(
    Reg.RSP,
    BigInt.asUintN(64, BigInt(directMap(kernelStackTop(id)))),
  );

  const tss = new TaskStateSegment(page + PerCpu.TSS);
  tss.setPrivilegeStack(0, directMap(kernelStackTop(id)));
  tss.setInterruptStack(1, directMap(doubleFaultStackTop(id)));
  const gdt = new GlobalDescriptorTable(page + PerCpu.GDT);
  gdt.addEntry(KERNEL_CODE_SEGMENT);
  gdt.addEntry(KERNEL_DATA_SEGMENT);
  gdt.addEntry(USER_DATA_SEGMENT);
  gdt.addEntry(USER_CODE_SEGMENT);
  gdt.addEntry(tss.descriptor());
  gdt.load();
  loadTss(Selector.TSS);
  setSegments(Selector.KERNEL_CODE, Selector.KERNEL_DATA);

  cpu.lidt(IDT_VIRTUAL, 4095);
  wrmsr(Msr.IA32_GS_BASE, BigInt.asUintN(64, BigInt(page)));

  writeU32(page + PerCpu.ID, id);

  const calls = new SystemCalls({ entry: SYSCALL_ENTRY });
  calls.register(Syscall.GETPID, () => readU32(page + PerCpu.CURRENT));
  calls.register(Syscall.SCHED_YIELD, () => 0);
  calls.register(Syscall.EXIT, () => currentCpu().endUserRun());
  calls.load();
  table = calls;

  // The local APIC: enabled with the spurious vector, the timer periodic.
  apicWrite(Apic.SVR, 0x100 | Vector.SPURIOUS);
  apicWrite(Apic.TPR, 0);
  if (bsp) apicWrite(Apic.LVT_LINT0, EXT_INT); // virtual wire: the PIC
  writeU32(page + PerCpu.APIC_ID, apicRead(Apic.ID) >>> 24);
  apicWrite(Apic.DIVIDE, DIVIDE_BY_16);
  apicWrite(Apic.LVT_TIMER, PERIODIC | Vector.TIMER);
  apicWrite(Apic.INITIAL_COUNT, TIMER_COUNT);
}
