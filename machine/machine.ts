import { hex } from "./_hex.ts";
import { Cpu } from "./cpu/cpu.ts";
import { Reg } from "./cpu/register_file.ts";
import type { ClockMode } from "./cpu/time_stamp_counter.ts";
import type { BootInfo } from "./boot_info.ts";
import { BOOT_STACK_TOP } from "./boot_info.ts";
import { buildBootPageTables } from "./boot_page_tables.ts";
import { CodeSpace } from "./code_space.ts";
import { debugExitFor, wireCpu } from "./cpu_wiring.ts";
import type { LocalApic } from "./devices/local_apic.ts";
import { Pic8259Pair } from "./devices/pic_8259.ts";
import { COM1, COM2, COM3, COM4, Uart16550 } from "./devices/uart_16550.ts";
import { IoBus } from "./io_bus.ts";
import type { KernelImage } from "./kernel_image.ts";
import { MachineReport } from "./machine_report.ts";
import { PhysicalMemory } from "./physical_memory.ts";
import { runOnCpu } from "./run_on_cpu.ts";
import { type SerialSink, StdoutSink } from "./serial_sink.ts";
import type { SerialSource } from "./serial_source.ts";
import { ApplicationProcessors } from "./smp/application_processors.ts";
import { Interconnect } from "./smp/interconnect.ts";
import { LogSink } from "./smp/log_sink.ts";

/** The settings of a {@linkcode Machine}; every one has a default. */
export interface MachineOptions {
  /** The RAM size in bytes, a multiple of 4096, at least 1 MiB; 64 MiB by default. */
  readonly ramSize?: number;
  /**
   * The number of CPUs, 1 to 8; 1 by default. CPU 0, the bootstrap
   * processor, runs on the calling thread; each other CPU runs in a Worker
   * of its own, which needs `--allow-read` for local modules.
   */
  readonly cpus?: number;
  /**
   * The kernel's code as every CPU loads it; needed with more than one CPU
   * (see {@linkcode KernelImage}).
   */
  readonly image?: KernelImage;
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
 * With `cpus: N` (up to 8) the machine is an SMP PC. CPU 0, the bootstrap
 * processor, runs `entry` on the calling thread; each application
 * processor is a Worker of its own with its own registers, TLB and local
 * APIC, sharing the RAM's `SharedArrayBuffer`. The APs wait for a STARTUP
 * IPI, which the BSP sends through its APIC's ICR as a real kernel does
 * (INIT, then STARTUP with vector `VV`); an AP then runs the code that the
 * {@linkcode KernelImage} registered at `VV × 0x1000`, in the BSP's boot
 * state with a stack of its own ({@linkcode bootStackTop}). Fixed IPIs go
 * to one APIC ID, to all (0xFF), or by shorthand (self, all, all but
 * self), and wake a CPU in `hlt`. The machine stops when every CPU has
 * stopped; a debug exit or triple fault on any CPU stops them all, and
 * when every running CPU waits in `hlt` with nothing that could wake it,
 * the machine halts. Lines written to COM1 by any CPU reach the sink whole,
 * in the order they were completed. Each CPU counts its own virtual TSC.
 * Not modelled: NMI, SMI, logical destinations, INIT of a running CPU,
 * and the PIC or UARTs other than COM1's output from an AP.
 *
 * @example Starting the application processors
 * ```ts ignore
 * import { Machine } from "@exo-kernel/core/machine";
 * import image, { AP_ENTRY } from "./smp_kernel.ts"; // see KernelImage
 *
 * const machine = new Machine({ cpus: 2, image });
 * const report = machine.run(() => {
 *   const cpu = machine.cpus[0]!;
 *   cpu.writeU32(0xfee0_0310, 0); // ICR high: no destination field
 *   cpu.writeU32(0xfee0_0300, 0xc_4500); // INIT, all but self
 *   cpu.writeU32(0xfee0_0300, 0xc_4600 | (AP_ENTRY >> 12)); // STARTUP
 * });
 * console.log(report.cpus.map((r) => r.reason)); // [ "returned", "halted" ]
 * ```
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
  /**
   * The CPUs on this thread: CPU 0, the bootstrap processor. (The
   * application processors live in their Workers.)
   */
  readonly cpus: readonly Cpu[];
  /** The number of CPUs, the application processors included. */
  readonly cpuCount: number;
  /** The serial ports COM1..COM4. */
  readonly serial: readonly Uart16550[];
  /** The 8259 PIC pair; COM1 raises IRQ 4 and COM2 IRQ 3 on it. */
  readonly pic: Pic8259Pair = new Pic8259Pair();
  /** The local APIC of each CPU in {@linkcode Machine.cpus}, at 0xFEE0_0000. */
  readonly localApics: readonly LocalApic[];
  /** The code the CPUs run: interrupt handlers and entry points. */
  readonly code: CodeSpace = new CodeSpace();
  /** What the entry function receives: the memory map and the RAM size. */
  readonly bootInfo: BootInfo;
  #sinks: SerialSink[];
  #ran = false;
  #link: Interconnect;
  #image: KernelImage | undefined;
  #options: {
    maxPhysAddr: number;
    clock: ClockMode;
    tscHz: number;
    powerOn: number;
  };

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
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 8) {
      throw new RangeError(
        `Invalid CPU count ${cpus}: expected an integer from 1 to 8`,
      );
    }
    if (cpus > 1 && options.image === undefined) {
      throw new RangeError(
        `A machine of ${cpus} CPUs needs a kernel image: pass { image } with the module its application processors load (see KernelImage)`,
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
    this.cpuCount = cpus;
    this.#link = new Interconnect(cpus);
    this.#link.running(0);
    this.#image = options.image;
    this.#image?.install(this.code);
    const bsp = new Cpu({
      id: 0,
      memory: this.memory,
      io: this.io,
      maxPhysAddr,
      clock,
      tscHz,
      code: this.code,
    });
    this.cpus = [bsp];
    // The moment the BSP's TSC was 0: the APs' count from there too.
    const powerOn = performance.timeOrigin + performance.now() -
      bsp.tsc.read() * 1000 / tscHz;
    this.#options = { maxPhysAddr, clock, tscHz, powerOn };
    const boot = buildBootPageTables(this.memory);
    bsp.registers.setHalves(Reg.CR3, boot.cr3, 0);
    bsp.registers.setHalves(Reg.RSP, BOOT_STACK_TOP, 0);
    this.bootInfo = Object.freeze({
      memoryMap: Object.freeze(boot.memoryMap.map((r) => Object.freeze(r))),
      ramSize: this.memory.size,
    });
    const com1Sink = options.sink ?? new StdoutSink();
    // With several CPUs, COM1's lines meet in the shared log first, so
    // that lines of different CPUs never mix.
    const com1 = cpus === 1
      ? com1Sink
      : new LogSink(this.#link, () => this.#copyLog());
    this.serial = [COM1, COM2, COM3, COM4].map((base, i) =>
      new Uart16550(
        base,
        i === 0 && options.source !== undefined
          ? { sink: com1, source: options.source }
          : i === 0
          ? { sink: com1 }
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
    this.localApics = [
      wireCpu(bsp, this.#link, this.pic, () => com1.flush()),
    ];
    this.#sinks = com1 === com1Sink ? [com1Sink] : [com1, com1Sink];
    debugExitFor(bsp).attach(this.io);
  }

  /**
   * Runs `entry` on CPU 0 until the machine stops: `hlt` with nothing to
   * wake it, a debug exit, a triple fault, or `entry` returning — and, on
   * an SMP machine, until every other CPU has stopped too. The serial
   * sinks are flushed when it stops.
   *
   * @param entry The kernel's entry point, like the seed's `_start`; it
   *   receives the boot information.
   * @param options Where the entry runs.
   * @returns Why and how the machine stopped.
   * @throws {Error} If the machine has already run, or whatever a bug in
   *   `entry` throws (simulated faults never reach the host this way).
   * @throws {ApError} If an application processor's Worker cannot load, or
   *   a bug in the code it runs throws.
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
    const aps = this.cpuCount === 1 ? undefined : new ApplicationProcessors(
      this.#link,
      this.memory.buffer,
      this.#image!,
      this.#options,
    );
    try {
      const cpu = this.cpus[0]!;
      cpu.registers.set(Reg.RIP, BigInt(options.entryAddress ?? 0x10_0000));
      const bsp = runOnCpu(
        cpu,
        this.#link,
        () => entry(this.bootInfo),
        () => {},
      );
      if (aps === undefined) return bsp;
      const reports = [bsp, ...aps.wait(() => this.#copyLog())];
      const ender = this.#link.endedBy()?.cpu ?? 0;
      return new MachineReport({ ...reports[ender]!, cpus: reports });
    } finally {
      aps?.terminate();
      for (const sink of this.#sinks) sink.flush();
      this.#copyLog();
    }
  }

  // Copies the lines the CPUs wrote to COM1 from the shared log to the sink.
  #copyLog(): void {
    if (this.cpuCount === 1) return;
    const { bytes, lost } = this.#link.takeLog();
    const sink = this.#sinks.at(-1)!;
    for (const byte of bytes) sink.write(byte);
    if (lost > 0) {
      for (
        const byte of new TextEncoder().encode(
          `[${lost} bytes of serial output lost: the CPUs wrote faster than the machine could copy]\n`,
        )
      ) sink.write(byte);
    }
    sink.flush();
  }
}
