// The kernel image of the scheduler's two-CPU tests: the BSP formats a
// scheduler and spawns the threads, then it and CPU 1 (started by a
// STARTUP IPI) each run `runCpu`, picking from the shared queues until no
// thread is left. Every CPU's Worker loads this module, so the thread code
// is registered at its entry in every CPU's code space, and each CPU makes
// its own view of the scheduler from machine memory.
import { type Cpu, kernelImage } from "@exo-kernel/core/machine";
import { codeDispatch, Scheduler, threadArg, threadId } from "./scheduler.ts";

/** Where the scheduler lives. */
export const BASE = 0x40_0000;
/** One u32 counter per thread: its steps, incremented by its code. */
export const COUNTERS = 0x200_0000;
/** Where the CPUs meet, where CPU 1 says it is done, and the test's mode. */
const BARRIER = 0x30_0000;
const DONE = 0x30_0004;
const MODE = 0x30_0008;
/** Set once CPU 1 has run a thread. */
const CPU1_RAN = 0x30_000c;
/** Threads run by each CPU (u32 per CPU). */
export const RAN = 0x30_0010;
/** Per sleeper thread: set by its waker before it unblocks the sleeper. */
export const EVENTS = 0x300_0000;
/** The code of every thread. */
export const THREAD_ENTRY = 0x20_0000;
/** The STARTUP vector of CPU 1's entry (0x8000). */
export const AP_VECTOR = 0x08;

/** What the threads do. */
export const Mode = {
  /** Each thread runs one step and exits. */
  once: 1,
  /**
   * By tid mod 4: 0 blocks until thread tid + 1 wakes it, then runs a
   * second step; 1 wakes thread tid − 1; 2 runs three steps, yielding
   * between them; 3 runs one step.
   */
  mixed: 2,
} as const;

/** The steps a thread of `Mode.mixed` runs, by tid mod 4. */
export const MIXED_STEPS: readonly number[] = [2, 1, 3, 1];

function words(cpu: Cpu): Int32Array {
  return new Int32Array(cpu.memory.buffer, 0, cpu.memory.size / 4);
}

// This Worker's view of the scheduler, made by `runCpu`.
let view: Scheduler | undefined;
// Whether CPU 0 has waited for CPU 1 to run a thread.
let waited = false;

function runThread(cpu: Cpu): void {
  const scheduler = view!;
  const w = words(cpu);
  const tid = threadId(cpu);
  const counter = threadArg(cpu);
  Atomics.add(w, counter / 4, 1);
  if (cpu.id === 1) Atomics.store(w, CPU1_RAN / 4, 1);
  if (Atomics.load(w, MODE / 4) === Mode.once) {
    if (cpu.id === 0 && !waited) {
      // Hold CPU 0 here until CPU 1 has stolen a thread, so that both
      // CPUs surely run some (bounded, so that a broken AP cannot hang).
      waited = true;
      const deadline = performance.now() + 20_000;
      while (Atomics.load(w, CPU1_RAN / 4) === 0) {
        if (performance.now() > deadline) break;
        cpu.pause();
      }
    }
    scheduler.exit(tid);
    return;
  }
  const step = scheduler.resumePoint(tid);
  switch (tid % 4) {
    case 0: // a sleeper: asks to block, then looks for its event
      if (step === 0) {
        scheduler.setResumePoint(tid, 1);
        scheduler.block(tid);
        if (Atomics.load(w, EVENTS / 4 + tid) !== 0) scheduler.unblock(tid);
      } else {
        scheduler.exit(tid);
      }
      return;
    case 1: // its waker
      Atomics.store(w, EVENTS / 4 + tid - 1, 1);
      scheduler.unblock(tid - 1);
      scheduler.exit(tid);
      return;
    case 2: // three steps, yielding in between
      if (step === 2) scheduler.exit(tid);
      else scheduler.setResumePoint(tid, step + 1);
      return;
    default:
      scheduler.exit(tid);
  }
}

/** Sets the mode of the threads, before the CPUs run them. */
export function setMode(cpu: Cpu, mode: number): void {
  Atomics.store(words(cpu), MODE / 4, mode);
}

/**
 * Runs threads on the calling CPU until none is left alive: after both
 * CPUs have met, `runOnce` in a loop; when no thread is ready anywhere,
 * checks whether any is still alive (running or blocked elsewhere).
 */
export function runCpu(cpu: Cpu): void {
  const w = words(cpu);
  const scheduler = Scheduler.attach(cpu.memory, BASE);
  view = scheduler;
  const dispatch = codeDispatch(cpu);
  Atomics.add(w, BARRIER / 4, 1);
  while (Atomics.load(w, BARRIER / 4) < 2) cpu.pause();
  const deadline = performance.now() + 60_000;
  let ran = 0;
  for (;;) {
    if (scheduler.runOnce(cpu.id, dispatch) >= 0) {
      ran++;
    } else if (scheduler.stats().live === 0 || performance.now() > deadline) {
      break;
    } else {
      cpu.pause();
    }
  }
  Atomics.store(w, RAN / 4 + cpu.id, ran);
}

/** Waits on the BSP until CPU 1 has finished `runCpu`. */
export function waitForCpu1(cpu: Cpu): void {
  const w = words(cpu);
  while (Atomics.load(w, DONE / 4) === 0) cpu.pause();
}

export default kernelImage(import.meta.url, (code) => {
  code.register(THREAD_ENTRY, runThread);
  code.register(AP_VECTOR * 0x1000, (cpu) => {
    runCpu(cpu);
    Atomics.store(words(cpu), DONE / 4, 1);
  });
});
