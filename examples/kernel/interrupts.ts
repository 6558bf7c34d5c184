/**
 * The kernel's interrupt vectors and the handlers every CPU shares:
 * exceptions that print what happened, the local-APIC timer, the APIC's
 * and the PIC's spurious interrupts, and the IPIs (wake, ping, stop).
 *
 * The handlers' code addresses are in the kernel text (vector v at
 * {@linkcode HANDLER_BASE} + 16·v): the BSP writes the IDT's gates, once,
 * and every CPU's kernel image registers the same functions at the same
 * addresses, so that the APs load the same IDT.
 *
 * @module
 */
import { type CodeSpace, currentCpu } from "@exo-kernel/core/machine";
import {
  cli,
  type GateOptions,
  hlt,
  InterruptContext,
  type InterruptHandler,
  InterruptManager,
  Msr,
  PageFaultErrorCode,
  PortWriteOnly,
  rdmsr,
  readCr2,
} from "@exo-kernel/core/arch/x86_64";
import { readU32, writeU32 } from "@exo-kernel/core/memory";
import { kprintln } from "@exo-kernel/core/macros";
import {
  APIC_VIRTUAL,
  IDT,
  KERNEL_TEXT,
  kernelVirtual,
  PerCpu,
} from "./memory_layout.ts";

/** The kernel's interrupt vectors. */
export const Vector = {
  /** #BP, `int3`: printed, and the kernel goes on. */
  BREAKPOINT: 3,
  /** #DF: on IST1, the CPU's known-good stack. */
  DOUBLE_FAULT: 8,
  /** #PF. */
  PAGE_FAULT: 14,
  /** The PIC's IRQ 0 after the remap (IRQ n at 0x20 + n). */
  PIC_BASE: 0x20,
  /** COM1's IRQ 4. */
  COM1: 0x24,
  /** The master PIC's spurious IRQ 7. */
  PIC_SPURIOUS: 0x27,
  /** The slave PIC's spurious IRQ 15. */
  PIC_SPURIOUS_SLAVE: 0x2f,
  /** The local-APIC timer. */
  TIMER: 0x30,
  /** IPI: wake from `hlt` to look for work. */
  WAKE: 0xf0,
  /** IPI: answer a ping (the `ipc` command's round trip). */
  PING: 0xf1,
  /** IPI: serve the mailbox by polling until told to stop. */
  POLL: 0xf2,
  /** IPI: stop this CPU (`halt`). */
  STOP: 0xf3,
  /** The local APIC's spurious vector (SVR bits 7..0). */
  SPURIOUS: 0xff,
} as const;

/** The code address of vector 0's handler; vector v's is at +16·v. */
export const HANDLER_BASE: number = kernelVirtual(KERNEL_TEXT);
/** The IDT's virtual address (kernel data). */
export const IDT_VIRTUAL: number = kernelVirtual(IDT);

/** The local APIC's registers (SDM 3A table 11-1), by offset. */
export const Apic = {
  ID: 0x20,
  TPR: 0x80,
  EOI: 0xb0,
  SVR: 0xf0,
  ICR_LOW: 0x300,
  ICR_HIGH: 0x310,
  LVT_TIMER: 0x320,
  LVT_LINT0: 0x350,
  INITIAL_COUNT: 0x380,
  CURRENT_COUNT: 0x390,
  DIVIDE: 0x3e0,
} as const;

/**
 * Reads a local-APIC register of the current CPU.
 *
 * @param register Its offset.
 * @returns Its value.
 */
export function apicRead(register: number): number {
  return readU32(APIC_VIRTUAL + register);
}

/**
 * Writes a local-APIC register of the current CPU.
 *
 * @param register Its offset.
 * @param value The value.
 */
export function apicWrite(register: number, value: number): void {
  writeU32(APIC_VIRTUAL + register, value);
}

/** Signals the end of the interrupt being handled to the local APIC. */
export function endOfInterrupt(): void {
  writeU32(APIC_VIRTUAL + Apic.EOI, 0);
}

/**
 * Sends a fixed IPI.
 *
 * @param apicId The destination APIC ID.
 * @param vector The vector.
 */
export function sendIpi(apicId: number, vector: number): void {
  apicWrite(Apic.ICR_HIGH, apicId << 24);
  apicWrite(Apic.ICR_LOW, vector);
}

/**
 * The current CPU's per-CPU page (GS base holds its virtual address).
 *
 * @returns The page's virtual address.
 */
export function perCpu(): number {
  return Number(BigInt.asIntN(64, rdmsr(Msr.IA32_GS_BASE)));
}

/** The exceptions' mnemonics (SDM 3A table 6-1). */
export const EXCEPTIONS: Readonly<Record<number, string>> = Object.freeze({
  0: "#DE divide error",
  1: "#DB debug",
  2: "NMI",
  3: "#BP breakpoint",
  4: "#OF overflow",
  5: "#BR bound range exceeded",
  6: "#UD invalid opcode",
  7: "#NM device not available",
  8: "#DF double fault",
  9: "coprocessor segment overrun",
  10: "#TS invalid TSS",
  11: "#NP segment not present",
  12: "#SS stack-segment fault",
  13: "#GP general protection",
  14: "#PF page fault",
  16: "#MF x87 floating-point error",
  17: "#AC alignment check",
  18: "#MC machine check",
  19: "#XM SIMD floating-point exception",
  20: "#VE virtualization exception",
  21: "#CP control protection",
  28: "#HV hypervisor injection",
  29: "#VC VMM communication",
  30: "#SX security exception",
});

/**
 * Stops the machine after a fatal error: a debug exit with value 1 (exit
 * status 3), which ends every CPU.
 */
export function panic(): never {
  new PortWriteOnly(0xf4).write(1);
  throw new Error("unreachable: the debug exit stops the machine");
}

function cpuNumber(): number {
  return readU32(perCpu() + PerCpu.ID);
}

/**
 * The exception handler: prints the exception, the CPU, RIP, the error
 * code (decoded for #PF, with CR2) and the interrupted CS; a breakpoint
 * returns, anything else is fatal.
 *
 * @param context The interrupted state.
 */
function exception(context: InterruptContext): void {
  const v = context.vector;
  const code = context.errorCode;
  let detail = code === undefined ? "" : `, error code ${hexN(code)}`;
  if (v === Vector.PAGE_FAULT) {
    detail += ` (${new PageFaultErrorCode(code ?? 0)}), CR2 ${
      hex64(readCr2())
    }`;
  }
  kprintln(
    "cpu{}: EXCEPTION {} ({}) at RIP {}, CS {:#x}{}",
    cpuNumber(),
    EXCEPTIONS[v] ?? "reserved",
    v,
    hex64(context.rip),
    context.cs,
    detail,
  );
  if (v === Vector.BREAKPOINT) return;
  kprintln("cpu{}: kernel panic: stopping the machine", cpuNumber());
  panic();
}

function hexN(value: number): string {
  return `0x${value.toString(16)}`;
}

function hex64(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16).padStart(16, "0")}`;
}

/** The hook each timer tick calls, per CPU (a Worker each). */
let tickHook: (ticks: number) => void = () => {};

/**
 * Sets what the timer interrupt calls on this CPU, after counting the
 * tick.
 *
 * @param hook Called with the CPU's tick count.
 */
export function onTimerTick(hook: (ticks: number) => void): void {
  tickHook = hook;
}

function timer(): void {
  const page = perCpu();
  const ticks = (readU32(page + PerCpu.TICKS) + 1) >>> 0;
  writeU32(page + PerCpu.TICKS, ticks);
  tickHook(ticks);
  endOfInterrupt();
}

function countIpi(page: number): void {
  writeU32(page + PerCpu.IPIS, (readU32(page + PerCpu.IPIS) + 1) >>> 0);
}

function wake(): void {
  countIpi(perCpu());
  endOfInterrupt();
}

function ping(): void {
  const page = perCpu();
  countIpi(page);
  writeU32(page + PerCpu.PONG, readU32(page + PerCpu.PING));
  endOfInterrupt();
}

// The mailbox: while POLL is 1, answer each new PING by copying it to
// PONG, spinning with pause (interrupts stay off in the handler).
function poll(): void {
  const page = perCpu();
  countIpi(page);
  endOfInterrupt();
  const cpu = currentCpu();
  const words = new Int32Array(cpu.memory.buffer);
  // The mailbox words' physical addresses, for Atomics: the page is in the
  // kernel data, whose physical address is its virtual one less the base.
  const ping = (page - kernelVirtual(0) + PerCpu.PING) / 4;
  const pong = (page - kernelVirtual(0) + PerCpu.PONG) / 4;
  const on = (page - kernelVirtual(0) + PerCpu.POLL) / 4;
  while (Atomics.load(words, on) === 1) {
    const request = Atomics.load(words, ping);
    if (request !== Atomics.load(words, pong)) {
      Atomics.store(words, pong, request);
    } else cpu.pause();
  }
}

function stop(): void {
  const page = perCpu();
  countIpi(page);
  writeU32(page + PerCpu.STOPPED, 1);
  endOfInterrupt();
  cli();
  for (;;) hlt();
}

function apicSpurious(): void {
  // No EOI for a spurious interrupt (SDM 3A §11.9).
}

// A spurious IRQ 7 or 15 from the PIC: no IRQ is in service, so no EOI
// to the chip that sent it (IRQ 15 still needs one to the master for the
// cascade).
function picSpurious(context: InterruptContext): void {
  if (context.vector === Vector.PIC_SPURIOUS_SLAVE) {
    new PortWriteOnly(0x20).write(0x20);
  }
}

/** A handler and its gate's options. */
export interface KernelHandler {
  /** The vector. */
  readonly vector: number;
  /** The handler. */
  readonly handler: InterruptHandler;
  /** The gate's options (IST, DPL, trap). */
  readonly options?: GateOptions;
}

/**
 * The handlers every CPU has, the same on each.
 *
 * @returns The vector, handler and gate options of each.
 */
export function kernelHandlers(): KernelHandler[] {
  const handlers: KernelHandler[] = [];
  for (const v of Object.keys(EXCEPTIONS).map(Number)) {
    handlers.push({
      vector: v,
      handler: exception,
      options: v === Vector.DOUBLE_FAULT
        ? { ist: 1 }
        : v === Vector.BREAKPOINT
        ? { dpl: 3 }
        : {},
    });
  }
  handlers.push(
    { vector: Vector.TIMER, handler: timer },
    { vector: Vector.WAKE, handler: wake },
    { vector: Vector.PING, handler: ping },
    { vector: Vector.POLL, handler: poll },
    { vector: Vector.STOP, handler: stop },
    { vector: Vector.SPURIOUS, handler: apicSpurious },
    { vector: Vector.PIC_SPURIOUS, handler: picSpurious },
    { vector: Vector.PIC_SPURIOUS_SLAVE, handler: picSpurious },
  );
  return handlers;
}

/**
 * Registers the handlers' code in a CPU's code space, at the addresses the
 * IDT's gates hold (what the kernel image does on every CPU).
 *
 * @param code The CPU's code space.
 */
export function installHandlerCode(code: CodeSpace): void {
  for (const { vector, handler } of kernelHandlers()) {
    code.register(HANDLER_BASE + vector * 16, (cpu) => {
      handler(new InterruptContext(cpu, vector, cpu.deliveryHasErrorCode));
    });
  }
}

/**
 * Writes the IDT (on the BSP, once) with every shared handler, and loads
 * it on this CPU. More handlers (COM1's) go through the manager returned.
 *
 * @returns The manager, to register more handlers.
 */
export function writeIdt(): InterruptManager {
  const manager = new InterruptManager({
    idtAddress: IDT_VIRTUAL,
    handlerBase: HANDLER_BASE,
  });
  for (const { vector, handler, options } of kernelHandlers()) {
    manager.registerHandler(vector, handler, options);
  }
  manager.load();
  return manager;
}
