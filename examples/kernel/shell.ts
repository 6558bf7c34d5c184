/**
 * The kernel's shell on COM1: a line discipline (echo, backspace, Ctrl-C,
 * Ctrl-U, end of input) over the bytes the console's interrupt handler
 * queues, and the commands:
 *
 * | command       | what it prints                                                  |
 * | ------------- | --------------------------------------------------------------- |
 * | `help`        | the commands                                                    |
 * | `mem`         | free and used frames, the heap's figures, the memory map        |
 * | `pt <vaddr>`  | the walk of CR3's tables for an address, entry by entry         |
 * | `tlb`         | this CPU's live TLB entries by page size, and its PCID          |
 * | `ps`          | the threads: tid, state, priority, CPU, runs, name              |
 * | `regs`        | this CPU's registers                                            |
 * | `ipc`         | IPC call + reply (`ipc.ts`); round trips to another CPU         |
 * | `bench`       | syscalls, context switches, heap, IPC calls, cross-CPU calls    |
 * | `halt`        | stops every CPU (the machine then ends, exit status 0)          |
 *
 * Output goes to COM1 through `kprintln`.
 *
 * @module
 */
import { currentCpu } from "@exo-kernel/core/machine";
import { Cr4Flags, readCr3, readCr4 } from "@exo-kernel/core/arch/x86_64";
import {
  type FrameAllocator,
  type Heap,
  readU64,
} from "@exo-kernel/core/memory";
import { kprint, kprintln } from "@exo-kernel/core/macros";
import type { Mutex } from "@exo-kernel/core/sync";
import { directMap, KERNEL_REGIONS } from "./memory_layout.ts";
import {
  formatWalk,
  hex16,
  parseVirtualAddress,
  walkPageTables,
} from "./page_walk.ts";
import {
  timeContextSwitches,
  timeHeap,
  timeIpcCalls,
  timeIpiRoundTrips,
  timeMailboxRoundTrips,
  timeSyscalls,
  type Timing,
} from "./timings.ts";

/** The prompt. */
export const PROMPT = "exo> ";

/** A row of `ps`. */
export interface ThreadRow {
  /** The thread id. */
  readonly tid: number;
  /** `running`, `ready` or `blocked`. */
  readonly state: string;
  /** The priority, 0 (lowest) to 31. */
  readonly priority: number;
  /** The CPU it runs on, is queued on or last ran on. */
  readonly cpu: number;
  /** How many times it was dispatched. */
  readonly runs: number;
  /** Its name. */
  readonly name: string;
}

/** The threads `ps` lists: some rows, and how many there are in all. */
export interface ThreadList {
  /** The first rows, by tid. */
  readonly rows: readonly ThreadRow[];
  /** The live threads in all. */
  readonly live: number;
}

/** What the shell needs from the kernel. */
export interface ShellKernel {
  /** The number of CPUs online. */
  readonly cpus: number;
  /** The frame allocator. */
  readonly frames: FrameAllocator;
  /** The kernel heap. */
  readonly heap: Heap;
  /** Its lock. */
  readonly heapLock: Mutex<undefined>;
  /** The kernel's PML4 (physical). */
  readonly pml4: number;
  /** The threads, for `ps`. */
  threads(): ThreadList;
  /** Where `ps` gets them from, for its title. */
  readonly threadSource: string;
  /** Stops every CPU; does not return. */
  halt(): never;
}

/** A command: its usage line and what it does. */
export interface Command {
  /** The usage, as `help` lists it. */
  readonly usage: string;
  /** A line of help. */
  readonly help: string;
  /** Runs it with its arguments. */
  readonly run: (kernel: ShellKernel, args: readonly string[]) => void;
}

/** A parsed command line. */
export interface CommandLine {
  /** The command's name (the first word), or "" for an empty line. */
  readonly name: string;
  /** The other words. */
  readonly args: readonly string[];
}

/**
 * Splits a command line into words (runs of spaces and tabs between).
 *
 * @param line The line, without its end.
 * @returns The name and the arguments.
 */
export function parseCommand(line: string): CommandLine {
  const words = line.trim().split(/[ \t]+/).filter((w) => w !== "");
  return { name: words[0] ?? "", args: words.slice(1) };
}

function mib(bytes: number): string {
  if (bytes < 2 ** 20) return `${bytes / 1024} KiB`;
  const m = bytes / 2 ** 20;
  return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
}

function timing(t: Timing): void {
  const each = Number.isNaN(t.ns)
    ? "no answer"
    : t.ns >= 10_000
    ? `${(t.ns / 1000).toFixed(1)} µs`
    : `${t.ns.toFixed(1)} ns`;
  kprintln("  {:<58} {:>6} × {:>10} each", t.what, t.count, each);
}

function crossCpu(kernel: ShellKernel): void {
  if (kernel.cpus < 2) {
    kprintln("  (one CPU: no cross-CPU round trips)");
    return;
  }
  timeMailboxRoundTrips(1, 2000);
  timing(timeIpiRoundTrips(1, 200));
  timing(timeMailboxRoundTrips(1, 20_000));
}

/** The commands, by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map<
  string,
  Command
>([
  ["help", {
    usage: "help",
    help: "this list",
    run() {
      kprintln("commands:");
      for (const command of COMMANDS.values()) {
        kprintln("  {:<12} {}", command.usage, command.help);
      }
    },
  }],
  ["mem", {
    usage: "mem",
    help: "physical frames (FrameAllocator), kernel heap, memory map",
    run(kernel) {
      const f = kernel.frames;
      kprintln(
        "frames: {} free, {} used, of {} usable 4 KiB frames ({} free)",
        f.freeFrames,
        f.usedFrames,
        f.usableFrames,
        mib(f.freeFrames * 4096),
      );
      const h = kernel.heap.stats();
      kprintln(
        "heap: {} at {}: {} B in use in {} allocations, {} B free (largest block {} B), {} B metadata",
        mib(h.size),
        hex16(directMap(kernel.heap.start)),
        h.bytesInUse,
        h.allocations,
        h.bytesFree,
        h.largestFree,
        h.bytesMetadata,
      );
      kprintln("regions:");
      for (const r of KERNEL_REGIONS) {
        kprintln(
          "  {:<12} {}-{} {:>8} at {}  {}",
          r.name,
          hex16(r.start),
          hex16(r.end),
          mib(r.end - r.start),
          hex16(r.virtual),
          r.what,
        );
      }
    },
  }],
  ["pt", {
    usage: "pt <vaddr>",
    help: "walk CR3's page tables for an address, level by level",
    run(_kernel, args) {
      if (args.length !== 1) {
        kprintln("pt: usage: pt <vaddr>, e.g. pt 0xffff800000000000");
        return;
      }
      const address = parseVirtualAddress(args[0]!);
      if ("error" in address) {
        kprintln("pt: {}", address.error);
        return;
      }
      const cr3 = readCr3();
      const pcid = readCr4() & Cr4Flags.PCIDE ? cr3 & 0xfff : 0;
      // The kernel reads the tables through its direct map.
      const walk = walkPageTables(
        (physical) => readU64(directMap(physical)),
        cr3,
        address,
      );
      for (const line of formatWalk(walk, pcid)) kprintln("{}", line);
    },
  }],
  ["tlb", {
    usage: "tlb",
    help: "this CPU's live TLB entries and its PCID",
    run() {
      const cpu = currentCpu();
      const live = cpu.mmu.tlb.live();
      const pcide = (readCr4() & Cr4Flags.PCIDE) !== 0;
      kprintln(
        "cpu{} TLB: {} live entries: {} × 4 KiB, {} × 2 MiB, {} × 1 GiB",
        cpu.id,
        live.small + live.large + live.huge,
        live.small,
        live.large,
        live.huge,
      );
      kprintln(
        "  PCID {} (CR4.PCIDE = {}), CR3 {}",
        cpu.mmu.tlb.pcid,
        pcide ? 1 : 0,
        hex16(readCr3()),
      );
    },
  }],
  ["ps", {
    usage: "ps",
    help: "threads: tid, state, priority, cpu, runs",
    run(kernel) {
      const { rows, live } = kernel.threads();
      kprintln(
        "{:>5}  {:<8} {:>4} {:>4} {:>8}  {}",
        "TID",
        "STATE",
        "PRI",
        "CPU",
        "RUNS",
        "NAME",
      );
      for (const t of rows) {
        kprintln(
          "{:>5}  {:<8} {:>4} {:>4} {:>8}  {}",
          t.tid,
          t.state,
          t.priority,
          t.cpu,
          t.runs,
          t.name,
        );
      }
      if (live > rows.length) kprintln("  ({} more)", live - rows.length);
      kprintln("{} threads ({})", live, kernel.threadSource);
    },
  }],
  ["regs", {
    usage: "regs",
    help: "this CPU's registers",
    run() {
      const cpu = currentCpu();
      const r = cpu.snapshot();
      const row = (names: (keyof typeof r)[]) =>
        kprintln(
          "  {}",
          names.map((n) => `${n.toUpperCase().padEnd(6)} ${hex16(r[n])}`)
            .join("  "),
        );
      kprintln("cpu{} registers:", cpu.id);
      row(["rax", "rbx", "rcx"]);
      row(["rdx", "rsi", "rdi"]);
      row(["rbp", "rsp", "r8"]);
      row(["r9", "r10", "r11"]);
      row(["r12", "r13", "r14"]);
      row(["r15", "rip", "rflags"]);
      row(["cr0", "cr2", "cr3"]);
      row(["cr4", "cr8", "efer"]);
      kprintln(
        "  CS {:#06x}  SS {:#06x}  DS {:#06x}  TR {:#06x}  TSC {}",
        r.cs,
        r.ss,
        r.ds,
        r.tr,
        r.tsc,
      );
      kprintln(
        "  GDTR {}/{:#x}  IDTR {}/{:#x}  GS_BASE {}",
        hex16(r.gdtr_base),
        r.gdtr_limit,
        hex16(r.idtr_base),
        r.idtr_limit,
        hex16(r.gs_base),
      );
      kprintln(
        "  STAR {}  LSTAR {}  FMASK {}",
        hex16(r.star),
        hex16(r.lstar),
        hex16(r.fmask),
      );
    },
  }],
  ["ipc", {
    usage: "ipc",
    help: "IPC call + reply (ipc.ts); round trips to another CPU",
    run(kernel) {
      kprintln("ipc: time per operation (TSC on the host clock):");
      timeIpcCalls(kernel, 500);
      timing(timeIpcCalls(kernel, 5000));
      crossCpu(kernel);
    },
  }],
  ["bench", {
    usage: "bench",
    help:
      "in-machine timings: syscalls, context switches, heap, IPC, cross-CPU",
    run(kernel) {
      kprintln(
        "bench: time per operation (TSC on the host clock), after a warm-up round:",
      );
      timeSyscalls(kernel, 500);
      timing(timeSyscalls(kernel, 5000));
      timeContextSwitches(kernel, 200);
      timing(timeContextSwitches(kernel, 2000));
      timeHeap(kernel, 500);
      timing(timeHeap(kernel, 5000));
      timeIpcCalls(kernel, 500);
      timing(timeIpcCalls(kernel, 5000));
      crossCpu(kernel);
    },
  }],
  ["halt", {
    usage: "halt",
    help: "stop every CPU and end the machine",
    run(kernel) {
      kernel.halt();
    },
  }],
]);

/** What the line discipline made of a byte. */
export type LineEvent =
  | { readonly kind: "none" }
  | { readonly kind: "line"; readonly line: string }
  | { readonly kind: "end" };

const NONE: LineEvent = Object.freeze({ kind: "none" });
const MAX_LINE = 256;

/**
 * The shell: its line discipline and its commands.
 */
export class Shell {
  #kernel: ShellKernel;
  #line = "";
  #afterCr = false;
  /** Commands run. */
  commands = 0;

  /**
   * A shell over the kernel's services.
   *
   * @param kernel The kernel.
   */
  constructor(kernel: ShellKernel) {
    this.#kernel = kernel;
  }

  /** Prints the prompt. */
  prompt(): void {
    kprint("{}", PROMPT);
  }

  /**
   * The line discipline: takes one received byte, echoes and edits.
   * CR, LF or CR LF end a line; BS or DEL erase a character; Ctrl-U the
   * line; Ctrl-C drops it; EOT (Ctrl-D) on an empty line is the end of
   * input; other control bytes are ignored.
   *
   * @param byte The byte.
   * @returns A line to run, the end of input, or nothing yet.
   */
  receive(byte: number): LineEvent {
    const afterCr = this.#afterCr;
    this.#afterCr = byte === 0x0d;
    if (byte === 0x0a && afterCr) return NONE;
    if (byte === 0x0d || byte === 0x0a) {
      kprint("\n");
      const line = this.#line;
      this.#line = "";
      return { kind: "line", line };
    }
    if (byte === 0x08 || byte === 0x7f) {
      if (this.#line.length > 0) {
        this.#line = this.#line.slice(0, -1);
        kprint("\u0008");
      }
      return NONE;
    }
    if (byte === 0x15) {
      while (this.#line.length > 0) {
        this.#line = this.#line.slice(0, -1);
        kprint("\u0008");
      }
      return NONE;
    }
    if (byte === 0x03) {
      kprint("^C\n");
      this.#line = "";
      return { kind: "line", line: "" };
    }
    if (byte === 0x04) {
      if (this.#line.length > 0) return NONE;
      kprint("\n");
      return { kind: "end" };
    }
    if (byte < 0x20 || byte > 0x7e || this.#line.length >= MAX_LINE) {
      return NONE;
    }
    const c = String.fromCharCode(byte);
    this.#line += c;
    kprint("{}", c);
    return NONE;
  }

  /**
   * Runs a command line; an unknown command prints an error.
   *
   * @param line The line.
   */
  execute(line: string): void {
    const { name, args } = parseCommand(line);
    if (name === "") return;
    const command = COMMANDS.get(name);
    if (command === undefined) {
      kprintln("exo: unknown command: {} (type help for the list)", name);
      return;
    }
    this.commands++;
    command.run(this.#kernel, args);
  }
}
