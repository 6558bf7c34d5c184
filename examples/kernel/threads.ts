/**
 * The kernel's threads, on the scheduler of `scheduler.ts` (TCBs and
 * per-CPU run queues in the scheduler's region, which every CPU sees):
 * the first threads' code, the dispatcher, each CPU's idle step, and the
 * names `ps` shows.
 *
 * Threads are run-to-yield: the scheduler calls a thread's entry for one
 * step, and the step's return is its yield. A thread's entry is a code
 * address in the kernel text where every CPU's kernel image registers its
 * code (any CPU may run any thread: an idle CPU steals ready threads); the
 * dispatcher calls it as a System V function, `entry(arg, tid)`, with
 * `arg` in RDI and `tid` in RSI, and with interrupts on.
 *
 * The first threads: `init` (priority 31) spawns a `kworker/N` for each
 * CPU and then blocks, as an init waiting for its children does; each
 * `kworker/N` (priority 8) does one pass of housekeeping and blocks, and
 * its CPU wakes it every {@linkcode KWORKER_PERIOD} timer ticks. The
 * timer's handler only marks the pass due; the CPU's idle step, with
 * interrupts off, unblocks the worker, so that no handler takes a
 * scheduler lock that the interrupted code may hold.
 *
 * @module
 */
import { type CodeSpace, currentCpu, Reg } from "@exo-kernel/core/machine";
import { cli, sti } from "@exo-kernel/core/arch/x86_64";
import { readU32, writeU32 } from "@exo-kernel/core/memory";
import { kprintln } from "@exo-kernel/core/macros";
import { perCpu } from "./interrupts.ts";
import {
  KERNEL_TEXT,
  kernelVirtual,
  PerCpu,
  perCpuPage,
  SCHEDULER,
  SCHEDULER_SIZE,
} from "./memory_layout.ts";
import { Scheduler, type ThreadInfo } from "./scheduler.ts";

/** The first threads' entries, in the kernel text. */
export const ThreadEntry = {
  /** `init`. */
  INIT: kernelVirtual(KERNEL_TEXT + 0x2000),
  /** `kworker/N`, with N as its argument. */
  KWORKER: kernelVirtual(KERNEL_TEXT + 0x2010),
} as const;

/** The most threads alive at once: 2^20, over a million TCBs. */
export const MAX_THREADS = 1 << 20;
/** Timer ticks between two passes of a CPU's kworker (10 per second). */
export const KWORKER_PERIOD = 100;
/** The priorities of the first threads (0 lowest, 31 highest). */
export const Priority = { INIT: 31, KWORKER: 8 } as const;

const NONE = 0xffff_ffff;

// This CPU's view of the scheduler (each CPU is a Worker of its own; the
// BSP makes a new one at each boot).
let view: Scheduler | undefined;

/**
 * Formats the scheduler's region (on the BSP at boot, before the APs
 * start) and makes it this CPU's view.
 *
 * @param cpus The CPU count.
 * @returns The scheduler.
 */
export function createScheduler(cpus: number): Scheduler {
  const size = Scheduler.requiredSize(cpus, MAX_THREADS);
  if (size > SCHEDULER_SIZE) {
    throw new RangeError(
      `The scheduler needs ${size} bytes: more than its region`,
    );
  }
  view = new Scheduler(currentCpu().memory, {
    base: SCHEDULER,
    size,
    cpus,
    maxThreads: MAX_THREADS,
  });
  return view;
}

/**
 * Attaches this CPU (an AP) to the scheduler the BSP formatted.
 *
 * @returns The scheduler.
 */
export function attachScheduler(): Scheduler {
  view = Scheduler.attach(currentCpu().memory, SCHEDULER);
  return view;
}

/**
 * This CPU's view of the scheduler.
 *
 * @returns The scheduler.
 * @throws {Error} Before {@linkcode createScheduler} or
 *   {@linkcode attachScheduler}.
 */
export function scheduler(): Scheduler {
  if (view === undefined) throw new Error("No scheduler on this CPU yet");
  return view;
}

/**
 * The name `ps` shows for a thread, from its entry and argument.
 *
 * @param thread The thread's fields.
 * @returns Its name.
 */
export function threadName(thread: ThreadInfo): string {
  if (thread.entry === ThreadEntry.INIT) return "init";
  if (thread.entry === ThreadEntry.KWORKER) return `kworker/${thread.arg}`;
  return `thread at 0x${BigInt.asUintN(64, BigInt(thread.entry)).toString(16)}`;
}

// init: spawns a kworker per CPU, then blocks for good.
function initStep(tid: number): void {
  const s = scheduler();
  const cpus = s.cpus;
  const workers: number[] = [];
  for (let cpu = 0; cpu < cpus; cpu++) {
    const worker = s.spawn(ThreadEntry.KWORKER, cpu, {
      priority: Priority.KWORKER,
      cpu,
    });
    writeU32(kernelVirtual(perCpuPage(cpu)) + PerCpu.KWORKER, worker);
    workers.push(worker);
  }
  kprintln(
    "init: thread {} on cpu{}: spawned {}; waiting",
    tid,
    readU32(perCpu() + PerCpu.ID),
    workers.map((w, cpu) => `kworker/${cpu} (${w})`).join(", "),
  );
  s.block(tid);
}

// kworker/N: one pass of housekeeping (counted in its resume word), then
// blocks until its CPU's timer says the next pass is due.
function kworkerStep(tid: number): void {
  const s = scheduler();
  s.setResumePoint(tid, s.resumePoint(tid) + 1);
  s.block(tid);
}

/**
 * Registers the first threads' code in a CPU's code space (every CPU's
 * kernel image does).
 *
 * @param code The code space.
 */
export function installThreadCode(code: CodeSpace): void {
  const tidOf = () => Number(currentCpu().registers.get(Reg.RSI));
  code.register(ThreadEntry.INIT, () => initStep(tidOf()));
  code.register(ThreadEntry.KWORKER, () => kworkerStep(tidOf()));
}

/**
 * Runs one step of a thread: `entry(arg, tid)` with interrupts on, and
 * the per-CPU current thread set for its time (what `getpid` returns).
 *
 * @param tid The thread.
 * @param entry Its code address.
 * @param arg Its argument.
 */
export function dispatch(tid: number, entry: number, arg: number): void {
  const cpu = currentCpu();
  const code = cpu.code.at(entry);
  if (code === undefined) {
    kprintln("sched: thread {} has no code at its entry: it exits", tid);
    scheduler().exit(tid);
    return;
  }
  const page = perCpu();
  cpu.registers.set(Reg.RDI, BigInt.asUintN(64, BigInt(arg)));
  cpu.registers.set(Reg.RSI, BigInt(tid));
  writeU32(page + PerCpu.CURRENT, tid);
  sti();
  try {
    code(cpu);
  } finally {
    cli();
    writeU32(page + PerCpu.CURRENT, NONE);
  }
}

/**
 * The timer's part: preempts the thread running on this CPU — its step
 * sees `shouldYield` and the thread goes to the back of its queue when the
 * step returns (the scheduler takes no lock for that during a step, so the
 * interrupt cannot deadlock with it) — and every
 * {@linkcode KWORKER_PERIOD} ticks marks this CPU's kworker pass due.
 *
 * @param ticks The CPU's tick count.
 */
export function timerTick(ticks: number): void {
  const page = perCpu();
  if (view !== undefined && readU32(page + PerCpu.CURRENT) !== NONE) {
    view.preempt(readU32(page + PerCpu.ID));
  }
  if (ticks % KWORKER_PERIOD === 0) writeU32(page + PerCpu.KWORKER_DUE, 1);
}

/**
 * One idle step of a CPU, with interrupts off: wakes its kworker if a
 * pass is due, then runs one ready thread (its own, or one it steals).
 *
 * @param cpu The CPU.
 * @returns Whether a thread ran; if not, the CPU may `hlt`.
 */
export function idleStep(cpu: number): boolean {
  const s = view;
  if (s === undefined) return false;
  const page = perCpu();
  if (readU32(page + PerCpu.KWORKER_DUE) === 1) {
    writeU32(page + PerCpu.KWORKER_DUE, 0);
    const worker = readU32(page + PerCpu.KWORKER);
    if (worker !== NONE) s.unblock(worker);
  }
  return s.runOnce(cpu, dispatch) >= 0;
}
