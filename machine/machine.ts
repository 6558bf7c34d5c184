import { hex } from "./_hex.ts";
import { Cpu } from "./cpu/cpu.ts";
import { Reg } from "./cpu/register_file.ts";
import type { ClockMode } from "./cpu/time_stamp_counter.ts";
import type { BootInfo } from "./boot_info.ts";
import { buildBootPageTables } from "./boot_page_tables.ts";
import { CodeSpace } from "./code_space.ts";
import { bindCpu } from "./current_cpu.ts";
import { DebugExit } from "./devices/debug_exit.ts";
import { LocalApic } from "./devices/local_apic.ts";
import { Pic8259Pair } from "./devices/pic_8259.ts";
import { COM1, COM2, COM3, COM4, Uart16550 } from "./devices/uart_16550.ts";
import { IoBus } from "./io_bus.ts";
import { type MachineReport, MachineStopped } from "./machine_report.ts";
import { PhysicalMemory } from "./physical_memory.ts";
import { type SerialSink, StdoutSink } from "./serial_sink.ts";
import type { SerialSource } from "./serial_source.ts";

/**
 * The top of the boot stack: RSP at entry. The 64 KiB below it, in the
 * reserved first MiB, are the stack a boot loader leaves the kernel.
 */
export const BOOT_STACK_TOP = 0x7_0000;

/** The settings of a {@linkcode Machine}; every one has a default. */
export interface MachineOptions {
  /** The RAM size in bytes, a multiple of 4096, at least 1 MiB; 64 MiB by default. */
  readonly ramSize?: number;
  /** The number of CPUs; 1 (SMP comes with the `sync` module). */
  readonly cpus?: number;
  /**
   * MAXPHYADDR, the physical-address width that CPUID leaf 0x8000_0008
   * reports and that bounds CR3 and page-table addresses: 36 to 52, 46 by
   * default.
   */
  readonly maxPhysAddr?: number;
  /** Where COM1's output goes: standard output by default. */
  readonly sink?: SerialSink;
  /** Where COM1's input comes from: nothing by default. */
  readonly source?: SerialSource;
  /**
   * How the TSC advances: `"virtual"` (the default) counts the machine's
   * own work, so runs are repeatable; `"host"` follows the host clock.
   */
  readonly clock?: ClockMode;
  /** The TSC's nominal frequency in cycles per second; 2 GHz by default. */
  readonly tscHz?: number;
}

/** The settings of one {@linkcode Machine.run}. */
export interface RunOptions {
  /** The code address the entry function runs at (RIP); 0x10_0000 by default. */
  readonly entryAddress?: number;
}

/**
 * A simulated x86_64 PC: RAM, CPUs, the I/O bus, four 16550 UARTs (COM1 to
 * the sink, by default standard output) and a debug-exit port at 0xF4.
 *
 * Kernel code runs on it through {@linkcode Machine.run}, which binds the
 * entry function to CPU 0 so that the `arch` functions act on that CPU.
 *
 * The machine starts as a 64-bit boot loader leaves a PC: long mode, and
 * page tables at 0x1000 (CR3) that identity-map all of RAM, writable and
 * supervisor-only, except page 0, which is unmapped so that a null pointer
 * faults. RSP is {@linkcode BOOT_STACK_TOP}, with a 64 KiB stack below it.
 * The entry function receives the memory map: below 1 MiB is reserved (the
 * tables, the boot stack and the legacy PC area), the rest is usable.
 *
 * @example Running a kernel entry until it halts
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { MemorySink } from "./serial_sink.ts";
 * import { currentCpu } from "./current_cpu.ts";
 *
 * const sink = new MemorySink();
 * const machine = new Machine({ ramSize: 1 << 20, sink });
 * const report = machine.run(() => {
 *   const cpu = currentCpu();
 *   for (const byte of new TextEncoder().encode("hi\n")) cpu.out8(0x3f8, byte);
 *   cpu.hlt();
 * });
 * strictEqual(report.reason, "halted");
 * strictEqual(sink.text(), "hi\n");
 * ```
 */
export class Machine {
  /** The RAM. */
  readonly memory: PhysicalMemory;
  /** The I/O bus. */
  readonly io: IoBus = new IoBus();
  /** The CPUs; CPU 0 is the bootstrap processor. */
  readonly cpus: readonly Cpu[];
  /** The serial ports COM1..COM4. */
  readonly serial: readonly Uart16550[];
  /** The 8259 PIC pair; COM1 raises IRQ 4 and COM2 IRQ 3 on it. */
  readonly pic: Pic8259Pair = new Pic8259Pair();
  /** Each CPU's local APIC, by CPU number, at physical 0xFEE0_0000. */
  readonly localApics: readonly LocalApic[];
  /** The code the CPUs run: interrupt handlers and entry points. */
  readonly code: CodeSpace = new CodeSpace();
  /** What the entry function receives: the memory map and the RAM size. */
  readonly bootInfo: BootInfo;
  #sinks: SerialSink[];
  #ran = false;

  /**
   * Builds the machine.
   *
   * @param options The settings.
   * @throws {RangeError} If a setting is out of range.
   */
  constructor(options: MachineOptions = {}) {
    const {
      ramSize = 64 * 2 ** 20,
      cpus = 1,
      maxPhysAddr = 46,
      clock = "virtual",
      tscHz = 2e9,
    } = options;
    if (
      !Number.isInteger(maxPhysAddr) || maxPhysAddr < 36 || maxPhysAddr > 52
    ) {
      throw new RangeError(
        `Invalid MAXPHYADDR ${maxPhysAddr}: expected an integer from 36 to 52`,
      );
    }
    if (cpus !== 1) {
      throw new RangeError(
        `Invalid CPU count ${cpus}: this machine has 1 CPU until SMP support lands`,
      );
    }
    if (clock !== "virtual" && clock !== "host") {
      throw new RangeError(
        `Invalid clock "${clock}": expected "virtual" or "host"`,
      );
    }
    if (!(tscHz > 0 && Number.isFinite(tscHz))) {
      throw new RangeError(
        `Invalid TSC frequency ${tscHz}: expected a positive number`,
      );
    }
    if (ramSize < 2 ** 20) {
      throw new RangeError(
        `Invalid RAM size ${ramSize}: a PC has at least 1 MiB (1048576 bytes)`,
      );
    }
    this.memory = new PhysicalMemory(ramSize);
    if (this.memory.size > 2 ** maxPhysAddr) {
      throw new RangeError(
        `RAM of ${
          hex(ramSize, 1)
        } bytes does not fit ${maxPhysAddr} physical-address bits`,
      );
    }
    this.cpus = [
      new Cpu({
        id: 0,
        memory: this.memory,
        io: this.io,
        maxPhysAddr,
        clock,
        tscHz,
        code: this.code,
      }),
    ];
    const boot = buildBootPageTables(this.memory);
    for (const cpu of this.cpus) {
      cpu.registers.setHalves(Reg.CR3, boot.cr3, 0);
      cpu.registers.setHalves(Reg.RSP, BOOT_STACK_TOP, 0);
    }
    this.bootInfo = Object.freeze({
      memoryMap: Object.freeze(boot.memoryMap.map((r) => Object.freeze(r))),
      ramSize: this.memory.size,
    });
    const com1Sink = options.sink ?? new StdoutSink();
    this.serial = [COM1, COM2, COM3, COM4].map((base, i) =>
      new Uart16550(
        base,
        i === 0 && options.source !== undefined
          ? { sink: com1Sink, source: options.source }
          : i === 0
          ? { sink: com1Sink }
          : {},
      )
    );
    for (const uart of this.serial) uart.attach(this.io);
    this.pic.attach(this.io);
    // A UART's interrupt reaches the PIC only while MCR.OUT2 is set, as on
    // the PC's serial cards.
    const line = (uart: Uart16550, base: number) => () =>
      uart.interruptPending && (uart.read8(base + 4) & 0x08) !== 0;
    this.pic.connect(4, line(this.serial[0]!, COM1));
    this.pic.connect(3, line(this.serial[1]!, COM2));
    const pic = this.pic;
    this.localApics = this.cpus.map((cpu) => {
      // The BSP's APIC starts in virtual-wire mode, as a BIOS leaves it.
      const apic = new LocalApic({
        id: cpu.id,
        now: () => cpu.tsc.read(),
        virtualWire: cpu.id === 0,
      });
      // IA32_APIC_BASE places the registers (bits 51..12) and turns the
      // APIC on or off (bit 11); with it off, the PIC drives INTR itself.
      const regs = cpu.registers;
      const enabled = () => (regs.low(Reg.APIC_BASE) & 0x800) !== 0;
      const offset = (pa: number) =>
        enabled()
          ? pa -
            (regs.high(Reg.APIC_BASE) * 2 ** 32 +
              ((regs.low(Reg.APIC_BASE) & 0xffff_f000) >>> 0))
          : -1;
      cpu.mmio = {
        read32: (pa) => {
          const at = offset(pa);
          return at >= 0 && at < 0x1000 ? apic.read32(at) : undefined;
        },
        write32: (pa, value) => {
          const at = offset(pa);
          if (at >= 0 && at < 0x1000) apic.write32(at, value);
        },
      };
      cpu.interrupts = {
        take(): number {
          if (!enabled()) {
            return pic.interruptRequested ? pic.acknowledge() : -1;
          }
          const vector = apic.pendingVector();
          if (vector >= 0) return apic.acknowledge(vector);
          return apic.acceptsExtInt && pic.interruptRequested
            ? pic.acknowledge()
            : -1;
        },
        nextEvent: () => enabled() ? apic.nextEvent() : undefined,
      };
      return apic;
    });
    this.#sinks = [com1Sink];
    new DebugExit((status) =>
      this.cpus[0]!.stop({
        reason: "debug-exit",
        exitStatus: status,
        message: `debug exit with value ${hex((status - 1) / 2, 1)}`,
      })
    ).attach(this.io);
  }

  /**
   * Runs `entry` on CPU 0 until the machine stops: `hlt` with nothing to
   * wake it, a debug exit, a triple fault, or `entry` returning. The serial
   * sinks are flushed when it stops.
   *
   * @param entry The kernel's entry point, like the seed's `_start`; it
   *   receives the boot information.
   * @param options Where the entry runs.
   * @returns Why and how the machine stopped.
   * @throws {Error} If the machine has already run, or whatever a bug in
   *   `entry` throws (simulated faults never reach the host this way).
   */
  run(
    entry: (boot: BootInfo) => void,
    options: RunOptions = {},
  ): MachineReport {
    if (this.#ran) {
      throw new Error(
        "This machine has already run: create a new Machine to run again",
      );
    }
    this.#ran = true;
    const cpu = this.cpus[0]!;
    cpu.registers.set(Reg.RIP, BigInt(options.entryAddress ?? 0x10_0000));
    const previous = bindCpu(cpu);
    try {
      entry(this.bootInfo);
      cpu.stop({
        reason: "returned",
        exitStatus: 0,
        message: "the entry function returned",
      });
    } catch (error) {
      if (!(error instanceof MachineStopped) || error.report !== cpu.report) {
        throw error;
      }
    } finally {
      bindCpu(previous);
      for (const sink of this.#sinks) sink.flush();
    }
    return cpu.report!;
  }
}
