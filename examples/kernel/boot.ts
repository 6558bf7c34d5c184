/**
 * The example kernel: boots a 2-CPU PC with 1 GiB of RAM to a shell on
 * COM1. Run it with `deno task boot` (`deno run --allow-read
 * examples/kernel/boot.ts`; the APs' Workers need `--allow-read`).
 *
 * The BSP, in order: COM1 (115200 8N1, FIFOs); a frame allocator over the
 * RAM outside the kernel's regions; the kernel's page tables (a direct map
 * of all RAM at 0xffff_8000_0000_0000, the kernel image at
 * 0xffff_ffff_8010_0000, an identity map of low memory) and CR3, with
 * PCIDs, SMEP and SMAP on; the IDT (exceptions, the APIC timer, COM1's IRQ
 * 4, spurious vectors, IPIs); its GDT (kernel code and data, user data and
 * code in `sysret`'s order, a TSS with RSP0 and a #DF stack), `syscall`,
 * and a periodic local-APIC timer; the kernel heap behind a
 * `Mutex.inMemory` at its lock word; the PIC, remapped, with IRQ 4 open
 * and COM1's receive interrupt on; then INIT and STARTUP to each AP, which
 * sets itself up from the kernel image (`kernel_image.ts`) and idles in
 * `hlt`; the first threads; and the prompt, with the time the boot took
 * since the machine was made.
 *
 * Input: standard input reaches COM1's receiver through `StdinSource`,
 * whose reader thread takes bytes as they come — all of a pipe, or the
 * lines typed on a terminal (the terminal edits and echoes a line itself,
 * and sends it on Enter; the shell echoes it too, after the prompt). The
 * BSP waits for input in `hlt`: each timer tick (1 ms) lets the UART look
 * at the line, and a received byte raises IRQ 4. At the end of input the
 * source sends EOT, and the shell halts the machine, as `halt` does: the
 * process exits with status 0.
 *
 * The machine runs on the host clock, so that a CPU idle in `hlt` sleeps
 * until its next timer tick instead of fast-forwarding through ticks.
 *
 * @module
 */
import {
  type BootInfo,
  currentCpu,
  Machine,
  type MachineReport,
  type SerialSink,
  type SerialSource,
  StdinSource,
} from "@exo-kernel/core/machine";
import {
  cli,
  cpuid,
  Cr4Flags,
  hlt,
  readCr4,
  readTsc,
  sti,
  writeCr3,
  writeCr4,
} from "@exo-kernel/core/arch/x86_64";
import { FrameAllocator, Heap, writeU32 } from "@exo-kernel/core/memory";
import { Mutex } from "@exo-kernel/core/sync";
import { kprintln } from "@exo-kernel/core/macros";
import image, { markOnline } from "./kernel_image.ts";
import { COM1_IRQ, Console } from "./console.ts";
import { setUpCpu, SYSCALL_ENTRY } from "./cpu_setup.ts";
import {
  createScheduler,
  idleStep,
  MAX_THREADS,
  Priority,
  ThreadEntry,
  threadName,
  timerTick,
} from "./threads.ts";
import {
  HANDLER_BASE,
  IDT_VIRTUAL,
  kernelHandlers,
  onTimerTick,
  Vector,
  writeIdt,
} from "./interrupts.ts";
import {
  APIC_VIRTUAL,
  BOOT_PARAMS,
  BootParams,
  DEFAULT_CPUS,
  DIRECT_MAP,
  directMap,
  HEAP,
  HEAP_SIZE,
  kernelMemoryMap,
  kernelVirtual,
  PerCpu,
  perCpuPage,
  RAM_SIZE,
  SCHEDULER,
  TIMER_HZ,
  TSC_HZ,
} from "./memory_layout.ts";
import { buildKernelPageTables } from "./paging.ts";
import { initPic } from "./pic.ts";
import { Scheduler } from "./scheduler.ts";
import { Shell, type ShellKernel, type ThreadRow } from "./shell.ts";
import { startAps, stopOtherCpus, writeBootParams } from "./smp.ts";

/** The settings of one {@linkcode boot}. */
export interface BootOptions {
  /** CPUs, 1 to 8; 2 by default. */
  readonly cpus?: number;
  /** COM1's output; standard output by default. */
  readonly sink?: SerialSink;
  /** COM1's input; nothing by default. */
  readonly source?: SerialSource;
  /** Called once, right after the first prompt is printed (for benches). */
  readonly onPrompt?: () => void;
}

/** What one boot gave. */
export interface BootResult {
  /** How the machine stopped. */
  readonly report: MachineReport;
  /** Milliseconds from the machine's creation to the first prompt (TSC). */
  readonly promptMs: number;
}

const hex = (value: number) =>
  `0x${BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, "0")}`;

/**
 * The BSP's kernel: boots, then runs the shell until `halt` or the end of
 * input.
 *
 * @param boot The machine's boot information.
 * @param cpus The CPU count (what the firmware's MP table would say).
 * @param poweredOn The TSC when the machine was made (the firmware's
 *   word: the TSC runs on the host clock from the process's start).
 * @param onPrompt Called after the first prompt.
 */
function kernelMain(
  boot: BootInfo,
  cpus: number,
  poweredOn: number,
  onPrompt: () => void,
): void {
  const console = new Console();
  console.init();
  kprintln(
    "exo-kernel: booting on {} CPUs with {} MiB of RAM",
    cpus,
    boot.ramSize / 2 ** 20,
  );

  // Frames: the RAM that the kernel's regions leave free.
  const frames = new FrameAllocator(kernelMemoryMap(boot.memoryMap));
  kprintln(
    "memory: {} free 4 KiB frames ({} MiB) outside the kernel's regions",
    frames.freeFrames,
    frames.freeFrames / 256,
  );

  // Paging: the kernel's tables, then CR3; PCIDs, SMEP, SMAP.
  const memory = currentCpu().memory;
  const tables = buildKernelPageTables(memory, boot.ramSize);
  writeCr3(tables.pml4);
  const features = cpuid(7, 0).ebx;
  let cr4 = readCr4() | Cr4Flags.PCIDE;
  if (features & 1 << 7) cr4 |= Cr4Flags.SMEP;
  if (features & 1 << 20) cr4 |= Cr4Flags.SMAP;
  writeCr4(cr4);
  kprintln(
    "paging: {} tables from {}; direct map at {}, kernel at {}, identity map below 2 MiB; CR3 {}, CR4 {:#x} (PCIDE SMEP SMAP)",
    tables.tables,
    hex(tables.pml4),
    hex(DIRECT_MAP),
    hex(kernelVirtual(0x10_0000)),
    hex(tables.pml4),
    readCr4(),
  );

  // Interrupts: the IDT, shared by every CPU; COM1's IRQ on the BSP.
  const idt = writeIdt();
  idt.registerHandler(Vector.COM1, console.interrupt);
  setUpCpu(0, true);
  onTimerTick(timerTick);
  kprintln(
    "cpu0: GDT and TSS at {}, IDT of {} gates at {}, handlers from {}, syscall entry {}, APIC timer {} Hz",
    hex(kernelVirtual(perCpuPage(0))),
    kernelHandlers().length + 1,
    hex(IDT_VIRTUAL),
    hex(HANDLER_BASE),
    hex(SYSCALL_ENTRY),
    TIMER_HZ,
  );

  // The kernel heap, its lock word first.
  const heap = Heap.create(memory, {
    start: HEAP,
    size: HEAP_SIZE,
    virtualOffset: DIRECT_MAP,
  });
  const heapLock = Mutex.inMemory(memory, HEAP, undefined, {
    name: "kernel heap",
  });
  kprintln(
    "heap: {} MiB at {} behind a Mutex.inMemory at its lock word",
    HEAP_SIZE / 2 ** 20,
    hex(directMap(HEAP)),
  );

  // COM1's receiver: IRQ 4 through the PIC and LINT0 (virtual wire).
  initPic([COM1_IRQ]);
  kprintln(
    "com1: 115200 8N1, FIFOs on, receive interrupts on IRQ 4 (vector {:#x}); APIC at {}",
    Vector.COM1,
    hex(APIC_VIRTUAL),
  );

  // The scheduler, and the first thread: init, which spawns the others.
  const scheduler = createScheduler(cpus);
  for (let id = 0; id < cpus; id++) {
    const page = kernelVirtual(perCpuPage(id));
    writeU32(page + PerCpu.CURRENT, 0xffff_ffff);
    writeU32(page + PerCpu.KWORKER, 0xffff_ffff);
  }
  const init = scheduler.spawn(ThreadEntry.INIT, 0, {
    priority: Priority.INIT,
    cpu: 0,
  });
  kprintln(
    "sched: run queues and TCBs for {} threads at {} ({} MiB); init is thread {}",
    MAX_THREADS,
    hex(directMap(SCHEDULER)),
    Scheduler.requiredSize(cpus, MAX_THREADS) >>> 20,
    init,
  );

  // init's first step, here on the BSP: it spawns the kworkers.
  cli();
  idleStep(0);

  // The APs: INIT, STARTUP to the trampoline; each comes online and idles.
  writeBootParams(tables.pml4, readCr4(), cpus);
  markOnline();
  if (cpus > 1) {
    kprintln(
      "smp: INIT and STARTUP (vector 0x08) to {}",
      cpus === 2 ? "cpu1" : `cpu1..cpu${cpus - 1}`,
    );
    const late = startAps(cpus);
    for (const id of late) kprintln("smp: cpu{} did not come online", id);
  }

  const kernel: ShellKernel = {
    cpus,
    frames,
    heap,
    heapLock,
    pml4: tables.pml4,
    threads() {
      const rows: ThreadRow[] = [];
      for (const t of scheduler.threads()) {
        rows.push({ ...t, name: threadName(t) });
        if (rows.length === 64) break;
      }
      return { rows, live: scheduler.stats().live };
    },
    threadSource: "examples/kernel/scheduler.ts",
    halt(): never {
      const stopped = stopOtherCpus(cpus);
      kprintln(
        "halt: {} of {} other CPUs stopped; cpu0 halts",
        stopped,
        cpus - 1,
      );
      cli();
      for (;;) hlt();
    },
  };
  const shell = new Shell(kernel);

  sti();
  const tsc = readTsc();
  const params = kernelVirtual(BOOT_PARAMS);
  writeU32(params + BootParams.PROMPT_TSC_LOW, Number(tsc & 0xffff_ffffn));
  writeU32(params + BootParams.PROMPT_TSC_HIGH, Number(tsc >> 32n));
  kprintln(
    "boot: {} ms from machine creation to the prompt",
    ((Number(tsc) - poweredOn) / (TSC_HZ / 1000)).toFixed(1),
  );
  shell.prompt();
  onPrompt();

  // The shell: take what COM1's handler queued, with interrupts off so
  // that the check and the `sti; hlt` cannot miss it; when there is none,
  // run a ready thread, or idle in hlt.
  for (;;) {
    cli();
    const byte = console.take();
    if (byte === undefined) {
      if (idleStep(0)) continue;
      sti();
      hlt();
      continue;
    }
    sti();
    const event = shell.receive(byte);
    if (event.kind === "end") {
      kprintln("end of input: halting");
      kernel.halt();
    }
    if (event.kind === "line") {
      shell.execute(event.line);
      shell.prompt();
    }
  }
}

/**
 * Boots the kernel on a new machine and runs it until it stops.
 *
 * @param options CPUs, COM1's two ends, and a hook at the first prompt.
 * @returns The machine's report and the time to the first prompt.
 */
export function boot(options: BootOptions = {}): BootResult {
  const cpus = options.cpus ?? DEFAULT_CPUS;
  const machine = new Machine({
    cpus,
    image,
    ramSize: RAM_SIZE,
    clock: "host",
    tscHz: TSC_HZ,
    ...(options.sink === undefined ? {} : { sink: options.sink }),
    ...(options.source === undefined ? {} : { source: options.source }),
  });
  const poweredOn = machine.cpus[0]!.tsc.read();
  const report = machine.run((info) =>
    kernelMain(info, cpus, poweredOn, options.onPrompt ?? (() => {}))
  );
  const m = machine.memory;
  const tsc = m.readU32(BOOT_PARAMS + BootParams.PROMPT_TSC_HIGH) * 2 ** 32 +
    m.readU32(BOOT_PARAMS + BootParams.PROMPT_TSC_LOW);
  return { report, promptMs: (tsc - poweredOn) / (TSC_HZ / 1000) };
}

if (import.meta.main) {
  using source = new StdinSource({ endOfInput: 0x04 });
  const { report } = boot({ source });
  source.close();
  if (report.reason !== "halted") {
    console.error(report.toString());
    Deno.exit(report.exitStatus === 0 ? 1 : report.exitStatus);
  }
  Deno.exit(0);
}
