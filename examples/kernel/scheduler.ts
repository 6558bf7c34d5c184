/**
 * The scheduler of the tiny kernel: thread control blocks, per-CPU run
 * queues with O(1) pick-next, work stealing, and a run loop, all in machine
 * memory so that every CPU of an SMP machine (one Worker each, sharing RAM)
 * schedules from the same queues.
 *
 * **Threads are run-to-yield.** JS cannot switch stacks, so a thread is not
 * a stack that is suspended and resumed: it is an entry (a code address
 * where a JS function is registered in the machine's code space) and an
 * argument. Each time the scheduler dispatches the thread, its entry
 * function is called, does one step of work and returns; returning is the
 * yield. A thread that has more to do keeps its state in machine memory —
 * behind its argument (a pointer to its own data), in its TCB's resume
 * word ({@linkcode Scheduler.resumePoint}), or in a 768-byte context saved
 * with `saveContext` whose address its TCB holds — and carries on from
 * there at its next dispatch. During its step a thread may ask to block
 * ({@linkcode Scheduler.block} of itself) or to exit
 * ({@linkcode Scheduler.exit} of itself); the scheduler carries that out
 * when the step returns.
 *
 * @example Three threads, each scheduled once
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "@exo-kernel/core/machine";
 *
 * const memory = new PhysicalMemory(1 << 20);
 * const scheduler = new Scheduler(memory, {
 *   base: 0x1_0000,
 *   size: 0x1_0000,
 *   cpus: 1,
 *   maxThreads: 64,
 * });
 * const ran: number[] = [];
 * for (const arg of [10, 20, 30]) scheduler.spawn(0x20_0000, arg);
 * while (
 *   scheduler.runOnce(0, (tid, _entry, arg) => {
 *     ran.push(arg);
 *     scheduler.exit(tid); // done after one step
 *   }) >= 0
 * );
 * deepStrictEqual(ran, [10, 20, 30]);
 * ```
 *
 * @module
 */
import { type Cpu, type PhysicalMemory, Reg } from "@exo-kernel/core/machine";
import { Mutex, type MutexGuard } from "@exo-kernel/core/sync";

// ------------------------------------------------------------------ layout

/** Bytes of machine memory per thread: its TCB, links included. */
export const TCB_SIZE = 64;
/** Priority levels: priorities run from 0 (lowest) to 31 (highest). */
export const PRIORITY_LEVELS = 32;
/** The highest priority. */
export const MAX_PRIORITY = 31;
/** The priority of a thread spawned without one. */
export const DEFAULT_PRIORITY = 16;
/** The most CPUs a scheduler serves. */
export const MAX_CPUS = 64;
/** Bytes of the header at the start of the region. */
export const SCHEDULER_HEADER_SIZE = 128;
/** Bytes of each CPU's run-queue area, after the header. */
export const CPU_AREA_SIZE = 320;

const NIL = -1;
const MAGIC = 0x5343_4844; // "DHCS" in memory: "SCHD" as a little-endian u32
const VERSION = 1;
const TWO_32 = 4294967296;

// Header words (from the region's base).
const H_MAGIC = 0;
const H_VERSION = 1;
const H_CPUS = 2;
const H_MAX_THREADS = 3;
const H_TCB_OFFSET = 4;
const H_FREE_HEAD = 5;
const H_HIGH_WATER = 6;
const H_LIVE = 7;
const H_FREE_LIST = 9;
const H_CURSOR = 10;
const H_SPAWNED = 11;
const H_EXITED = 12;
const H_LOCK_AT = 64; // bytes: the global Mutex.inMemory (free list)

// CPU area words (from the area's start).
const C_LOCK_AT = 0; // bytes: this CPU's Mutex.inMemory (its queues)
const C_BITMAP = 2;
const C_CURRENT = 3;
const C_READY = 4;
const C_DISPATCHING = 5;
const C_NEED_RESCHED = 6;
const C_DISPATCHED = 7;
const C_STEALS = 8;
const C_STOLEN = 9;
const C_PREEMPTIONS = 10;
const C_BLOCKED = 11;
const C_HEADS = 16;
const C_TAILS = 48;
const CPU_AREA_WORDS = CPU_AREA_SIZE / 4;

// TCB words.
const T_TID = 0;
const T_STATE = 1;
const T_PRIORITY = 2;
const T_CPU = 3;
const T_NEXT = 4;
const T_PREV = 5;
const T_REQUEST = 6;
const T_RUNS = 7;
const T_ENTRY = 8;
const T_ARG = 10;
const T_CONTEXT = 12;
const T_GENERATION = 14;
const T_RESUME = 15;
const TCB_WORDS = TCB_SIZE / 4;

// What a running thread asked for, carried out when its turn ends.
const REQ_NONE = 0;
const REQ_BLOCK = 1;
const REQ_EXIT = 2;
// With REQ_BLOCK and REQ_EXIT, what `#change` does to a thread.
const OP_UNBLOCK = 3;

/**
 * The states of a thread, as its TCB's state word holds them.
 *
 * - `Free` (0): a TCB never handed out (zeroed memory is free).
 * - `Ready` (1): in a run queue.
 * - `Running` (2): the current thread of a CPU.
 * - `Blocked` (3): in no queue until {@linkcode Scheduler.unblock}.
 * - `Exited` (4): the thread has exited; the TCB is on the free list and
 *   keeps the thread's last figures until it is handed out again.
 *
 * @example State names
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(ThreadState.Ready, 1);
 * strictEqual(THREAD_STATE_NAMES[ThreadState.Blocked], "blocked");
 * ```
 */
export const ThreadState = {
  Free: 0,
  Ready: 1,
  Running: 2,
  Blocked: 3,
  Exited: 4,
} as const;

/** A thread state: one of the values of {@linkcode ThreadState}. */
export type ThreadState = typeof ThreadState[keyof typeof ThreadState];

/** The name of a thread state, as `ps` prints it. */
export type ThreadStateName =
  | "free"
  | "ready"
  | "running"
  | "blocked"
  | "exited";

/**
 * The names of the states, indexed by {@linkcode ThreadState} value.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(THREAD_STATE_NAMES[ThreadState.Running], "running");
 * ```
 */
export const THREAD_STATE_NAMES: readonly ThreadStateName[] = Object.freeze([
  "free",
  "ready",
  "running",
  "blocked",
  "exited",
]);

const FREE = ThreadState.Free;
const READY = ThreadState.Ready;
const RUNNING = ThreadState.Running;
const BLOCKED = ThreadState.Blocked;
const EXITED = ThreadState.Exited;

// ------------------------------------------------------------------ types

/** Where the scheduler lives and what it serves. */
export interface SchedulerOptions {
  /** The physical address of the region: a multiple of 4096. */
  readonly base: number;
  /**
   * The region's size in bytes: at least
   * {@linkcode Scheduler.requiredSize}`(cpus, maxThreads)`.
   */
  readonly size: number;
  /** The CPUs that schedule from it: 1 to {@linkcode MAX_CPUS}. */
  readonly cpus: number;
  /** The most threads alive at once (TCBs): 1 to 2^31 − 1. */
  readonly maxThreads: number;
}

/** How to spawn a thread. */
export interface SpawnOptions {
  /** 0 to {@linkcode MAX_PRIORITY}; {@linkcode DEFAULT_PRIORITY} if absent. */
  readonly priority?: number;
  /** The CPU whose queue it joins; round-robin over the CPUs if absent. */
  readonly cpu?: number;
}

/** What the scheduler calls to run one step of a thread. */
export type Dispatch = (tid: number, entry: number, arg: number) => void;

/** One thread, as {@linkcode Scheduler.info} and `ps` see it. */
export interface ThreadInfo {
  /** Its thread id: the index of its TCB. */
  readonly tid: number;
  /** Its state. */
  readonly state: ThreadStateName;
  /** Its priority, 0 to 31. */
  readonly priority: number;
  /** The CPU it is queued on, runs on, or last ran on. */
  readonly cpu: number;
  /** How many times it has been dispatched. */
  readonly runs: number;
  /** Its entry: a code address, as a signed number. */
  readonly entry: number;
  /** Its argument. */
  readonly arg: number;
  /** The address of its saved context, 0 if none. */
  readonly context: number;
}

/** The figures of one CPU in {@linkcode SchedulerStats}. */
export interface CpuQueueStats {
  /** The CPU. */
  readonly cpu: number;
  /** Threads in its run queues. */
  readonly ready: number;
  /** Its running thread, or -1. */
  readonly current: number;
  /** Threads it has dispatched (picked), stolen ones included. */
  readonly dispatched: number;
  /** Threads it took from other CPUs' queues. */
  readonly steals: number;
  /** Threads other CPUs took from its queues. */
  readonly stolen: number;
  /** Calls of {@linkcode Scheduler.preempt} that found a thread running. */
  readonly preemptions: number;
}

/**
 * A snapshot of the scheduler's counts. `ready + running + blocked` is
 * `live`, and `live + exited + free` is `maxThreads`.
 */
export interface SchedulerStats {
  /** TCBs in all. */
  readonly maxThreads: number;
  /** Threads that have not exited. */
  readonly live: number;
  /** Threads in run queues. */
  readonly ready: number;
  /** Threads running on a CPU. */
  readonly running: number;
  /** Blocked threads. */
  readonly blocked: number;
  /** TCBs of exited threads, on the free list for reuse. */
  readonly exited: number;
  /** TCBs never handed out. */
  readonly free: number;
  /** Threads spawned since the region was formatted (mod 2^32). */
  readonly spawned: number;
  /** Per CPU: its queue length and counters. */
  readonly cpus: readonly CpuQueueStats[];
}

// ------------------------------------------------------------------ class

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Set by `Scheduler.attach` for the constructor it calls.
let attaching: { base: number } | undefined;

/**
 * A scheduler whose whole state is in a region of machine memory: a
 * header, one run-queue area per CPU and an array of `maxThreads` thread
 * control blocks (TCBs). A `Scheduler` object is only a view: on another
 * CPU (another Worker sharing RAM), {@linkcode Scheduler.attach} at the
 * region's base sees the same threads and queues.
 *
 * **Layout** (offsets in bytes from `base`; all words little-endian, -1 is
 * "none" in a tid field):
 *
 * | offset | size | contents |
 * | --- | --- | --- |
 * | 0 | 128 | header: +0 magic `0x53434844`, +4 version 1, +8 CPUs, +12 max threads, +16 offset of the TCB array, +20 free-list head, +24 TCBs ever handed out (high water), +28 live threads, +36 free-list length, +40 spawn cursor, +44 spawned, +48 exited; +64 the global lock word (`Mutex.inMemory`) |
 * | 128 + 320·c | 320 | CPU c: +0 its lock word (`Mutex.inMemory`), +8 priority bitmap (bit p: queue p non-empty), +12 current tid, +16 ready count, +20 dispatching flag, +24 need-resched flag, +28 dispatched, +32 steals, +36 stolen, +40 preemptions, +44 blocked threads whose TCB names this CPU, +64 32 queue heads, +192 32 queue tails (by priority) |
 * | tcbs = 128 + 320·cpus rounded up to 64 | 64 · maxThreads | the TCBs, tid t at `tcbs + 64·t` |
 *
 * A TCB (64 bytes, one cache line; the only memory a thread costs):
 *
 * | offset | size | contents |
 * | --- | --- | --- |
 * | 0 | 4 | tid |
 * | 4 | 4 | state ({@linkcode ThreadState}) |
 * | 8 | 4 | priority, 0 to 31 |
 * | 12 | 4 | CPU it is queued on, runs on or last ran on |
 * | 16 | 4 | next tid in its queue (or in the free list), -1 for none |
 * | 20 | 4 | previous tid in its queue, -1 for none |
 * | 24 | 4 | request of the running thread: 0 none, 1 block, 2 exit |
 * | 28 | 4 | runs (dispatches) |
 * | 32 | 8 | entry: code address, signed 64-bit |
 * | 40 | 8 | argument, signed 64-bit |
 * | 48 | 8 | address of its saved 768-byte context, 0 if none |
 * | 56 | 4 | generation: how many threads this TCB has held |
 * | 60 | 4 | resume word, the thread's own (0 at spawn) |
 *
 * **Run queues.** Each CPU has one FIFO list per priority, linked through
 * the TCBs' next and previous fields (tids, not JS arrays), and a 32-bit
 * bitmap of the non-empty ones, so the highest ready priority is
 * `31 - Math.clz32(bitmap)`: picking, queueing and removing a thread are
 * O(1) whatever the number of threads. A CPU whose queues are empty steals
 * the head of the highest non-empty queue of the CPU with the most ready
 * threads (O(cpus)). TCBs are handed out from a LIFO free list, then from
 * the never-used ones above a high-water mark, so a fresh region is never
 * touched beyond what is used.
 *
 * **Locking.** Each CPU's queues — its area's lists, bitmap, ready and
 * blocked counts, and the queue, state and request fields of the TCBs
 * queued on it, running on it or blocked with its number — are guarded
 * by that CPU's `Mutex.inMemory` lock word; the free list, the high-water
 * mark and the live count by the global lock word. No operation holds two
 * locks at once, so there is no lock order to break. An operation on a
 * thread by tid (block, unblock, exit) locks the CPU named in its TCB and
 * checks the name again under the lock, as a steal may change it (a steal
 * writes it last, with `Atomics.store`, holding the old CPU's lock). A
 * CPU's current tid, dispatching and need-resched flags and counters are
 * written only by that CPU. `stats` and `threads` read without locks: a
 * snapshot. With one CPU, `pickNext`, `yield`, `block` and `unblock` take
 * one uncontended lock, `spawn`, `exit` and `runOnce` two (`runOnce` and
 * `pickNext` one more, the global one, when the thread exits), and nothing
 * looks at other CPUs. If an interrupt handler (the timer's) calls the
 * scheduler, call it elsewhere with interrupts disabled: a handler that
 * takes the lock its CPU holds is the library's `DeadlockError`.
 *
 * @example Priorities, and a yield that goes to the back of the queue
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "@exo-kernel/core/machine";
 *
 * const memory = new PhysicalMemory(1 << 20);
 * const s = new Scheduler(memory, {
 *   base: 0x1_0000,
 *   size: Scheduler.requiredSize(1, 16),
 *   cpus: 1,
 *   maxThreads: 16,
 * });
 * const a = s.spawn(0x20_0000, 0, { priority: 5 });
 * const b = s.spawn(0x20_0000, 0, { priority: 5 });
 * const urgent = s.spawn(0x20_0000, 0, { priority: 9 });
 * strictEqual(s.pickNext(0), urgent);
 * s.block(urgent);
 * deepStrictEqual([s.pickNext(0), s.pickNext(0), s.pickNext(0)], [a, b, a]);
 * strictEqual(s.state(urgent), ThreadState.Blocked);
 * ```
 */
export class Scheduler {
  /** The machine memory the scheduler lives in. */
  readonly memory: PhysicalMemory;
  /** The physical address of its region. */
  readonly base: number;
  /** The CPUs it serves. */
  readonly cpus: number;
  /** Its TCBs: the most threads alive at once. */
  readonly maxThreads: number;

  #w: Int32Array;
  #h: number; // word index of the header
  #c0: number; // word index of CPU 0's area
  #t0: number; // word index of TCB 0
  #cpuLocks: Mutex<undefined>[] = [];
  #global: Mutex<undefined>;

  /**
   * Formats a region of machine memory as an empty scheduler: writes its
   * header and run-queue areas (not its TCBs: a TCB is first written when
   * it is handed out).
   *
   * @param memory The machine's RAM.
   * @param options The region, the CPUs and the number of TCBs.
   * @throws {RangeError} If `base` is not a multiple of 4096, `cpus` or
   *   `maxThreads` is out of range, `size` is too small for them, or the
   *   region does not fit RAM.
   */
  constructor(memory: PhysicalMemory, options: SchedulerOptions) {
    if (!LITTLE_ENDIAN) {
      throw new Error(
        "Unsupported host: the scheduler reads machine memory as little-endian words, and this host is big-endian",
      );
    }
    this.memory = memory;
    this.#w = new Int32Array(memory.buffer, 0, Math.floor(memory.size / 4));
    const w = this.#w;
    const opening = attaching;
    attaching = undefined;
    const base = opening?.base ?? options.base;
    const h = base / 4;
    if (opening !== undefined) {
      this.base = base;
      this.cpus = w[h + H_CPUS]!;
      this.maxThreads = w[h + H_MAX_THREADS]!;
    } else {
      checkRegion(memory, options);
      this.base = base;
      this.cpus = options.cpus;
      this.maxThreads = options.maxThreads;
    }
    const cpus = this.cpus;
    const tcbOffset = tcbArrayOffset(cpus);
    this.#h = h;
    this.#c0 = h + SCHEDULER_HEADER_SIZE / 4;
    this.#t0 = h + tcbOffset / 4;
    this.#global = Mutex.inMemory(memory, base + H_LOCK_AT, undefined, {
      name: "scheduler free list",
    });
    for (let cpu = 0; cpu < cpus; cpu++) {
      this.#cpuLocks.push(
        Mutex.inMemory(
          memory,
          base + SCHEDULER_HEADER_SIZE + CPU_AREA_SIZE * cpu + C_LOCK_AT,
          undefined,
          { name: `run queue of CPU ${cpu}` },
        ),
      );
    }
    if (opening !== undefined) return;
    // Format: the header, then each CPU's area with empty queues.
    w.fill(0, h, h + tcbOffset / 4);
    w[h + H_CPUS] = cpus;
    w[h + H_MAX_THREADS] = this.maxThreads;
    w[h + H_TCB_OFFSET] = tcbOffset;
    w[h + H_FREE_HEAD] = NIL;
    for (let cpu = 0; cpu < cpus; cpu++) {
      const c = this.#c0 + CPU_AREA_WORDS * cpu;
      w[c + C_CURRENT] = NIL;
      w.fill(NIL, c + C_HEADS, c + C_HEADS + 2 * PRIORITY_LEVELS);
    }
    w[h + H_VERSION] = VERSION;
    Atomics.store(w, h + H_MAGIC, MAGIC);
  }

  /**
   * The scheduler that another view formatted at `base` (on this CPU or
   * another one sharing the RAM), without writing anything.
   *
   * @param memory The machine's RAM.
   * @param base The physical address of its region.
   * @returns A view of it.
   * @throws {RangeError} If `base` is not a multiple of 4096 inside RAM,
   *   or no scheduler of this version was formatted there.
   *
   * @example A second view sees the first one's threads
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "@exo-kernel/core/machine";
   *
   * const memory = new PhysicalMemory(1 << 20);
   * const options = { base: 0x1_0000, size: 0x1_0000, cpus: 2, maxThreads: 8 };
   * const tid = new Scheduler(memory, options).spawn(0x20_0000, 7, { cpu: 1 });
   * const view = Scheduler.attach(memory, 0x1_0000);
   * strictEqual(view.pickNext(1), tid);
   * strictEqual(view.arg(tid), 7);
   * ```
   */
  static attach(memory: PhysicalMemory, base: number): Scheduler {
    if (
      !Number.isSafeInteger(base) || base < 0 || base % 4096 !== 0 ||
      base + SCHEDULER_HEADER_SIZE > memory.size
    ) {
      throw new RangeError(
        `Invalid scheduler base ${base}: expected a multiple of 4096 with ${SCHEDULER_HEADER_SIZE} bytes of RAM from it`,
      );
    }
    const magic = memory.readU32(base);
    if (magic !== MAGIC || memory.readU32(base + 4) !== VERSION) {
      throw new RangeError(
        `No scheduler at ${hex(base)}: expected the magic ${
          hex(MAGIC)
        } and version ${VERSION}, found ${hex(magic)} and ${
          memory.readU32(base + 4)
        }; format the region with new Scheduler`,
      );
    }
    attaching = { base };
    return new Scheduler(memory, { base, size: 0, cpus: 1, maxThreads: 1 });
  }

  /**
   * The bytes a region needs for `cpus` CPUs and `maxThreads` threads:
   * the header, the CPUs' areas, padding to 64 bytes and 64 bytes per
   * thread.
   *
   * @param cpus The CPUs.
   * @param maxThreads The TCBs.
   * @returns The size in bytes.
   *
   * @example A million threads on one CPU
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * // 128 (header) + 320 (CPU 0) + 64 per thread
   * strictEqual(Scheduler.requiredSize(1, 1_000_000), 448 + 64_000_000);
   * ```
   */
  static requiredSize(cpus: number, maxThreads: number): number {
    return tcbArrayOffset(cpus) + TCB_SIZE * maxThreads;
  }

  // ---------------------------------------------------------------- threads

  /**
   * Creates a thread and queues it at the back of its priority's queue on
   * its CPU: O(1) (a TCB from the free list, or a never-used one).
   *
   * @param entry Its code: a code address (a canonical address as a
   *   signed number), where a JS function is registered; many threads may
   *   share one.
   * @param arg Its argument: a safe integer (a signed 64-bit value).
   * @param options Its priority and CPU.
   * @returns Its tid, or -1 if all `maxThreads` TCBs are in use.
   * @throws {RangeError} If `entry` or `arg` is not a safe integer, or the
   *   priority or CPU is out of range.
   */
  spawn(entry: number, arg: number, options: SpawnOptions = {}): number {
    const w = this.#w;
    const h = this.#h;
    const priority = options.priority ?? DEFAULT_PRIORITY;
    let cpu = options.cpu;
    if (
      !Number.isSafeInteger(entry) || !Number.isSafeInteger(arg) ||
      !(priority >= 0 && priority <= MAX_PRIORITY &&
        (priority | 0) === priority)
    ) {
      throw badSpawn(entry, arg, priority);
    }
    if (cpu === undefined) {
      cpu = this.cpus === 1
        ? 0
        : (Atomics.add(w, h + H_CURSOR, 1) >>> 0) % this.cpus;
    } else if (!(cpu >= 0 && cpu < this.cpus && (cpu | 0) === cpu)) {
      throw badCpu(cpu, this.cpus);
    }
    // A TCB, under the global lock.
    const global = this.#global.lock();
    let tid = w[h + H_FREE_HEAD]!;
    let t: number;
    if (tid !== NIL) {
      t = this.#t0 + TCB_WORDS * tid;
      w[h + H_FREE_HEAD] = w[t + T_NEXT]!;
      w[h + H_FREE_LIST]!--;
    } else {
      tid = w[h + H_HIGH_WATER]!;
      if (tid >= this.maxThreads) {
        global[Symbol.dispose]();
        return NIL;
      }
      t = this.#t0 + TCB_WORDS * tid;
      // Valid before the high-water mark shows it to other CPUs.
      w[t + T_STATE] = FREE;
      w[t + T_CPU] = cpu;
      w[t + T_GENERATION] = 0;
      Atomics.store(w, h + H_HIGH_WATER, tid + 1);
    }
    w[h + H_LIVE]!++;
    w[h + H_SPAWNED]!++;
    global[Symbol.dispose]();
    // Not reachable by another CPU until it is queued (its state is not
    // ready, so a stale tid finds nothing to do).
    w[t + T_TID] = tid;
    w[t + T_PRIORITY] = priority;
    w[t + T_REQUEST] = REQ_NONE;
    w[t + T_RUNS] = 0;
    setWide(w, t + T_ENTRY, entry);
    setWide(w, t + T_ARG, arg);
    w[t + T_CONTEXT] = 0;
    w[t + T_CONTEXT + 1] = 0;
    w[t + T_GENERATION]!++;
    w[t + T_RESUME] = 0;
    w[t + T_CPU] = cpu;
    const queue = this.#cpuLocks[cpu]!.lock();
    w[t + T_STATE] = READY;
    this.#pushBack(this.#c0 + CPU_AREA_WORDS * cpu, tid, t, priority);
    queue[Symbol.dispose]();
    return tid;
  }

  /**
   * Schedules on `cpu`: its running thread, if any, ends its turn (it goes
   * to the back of its priority's queue, or blocks or exits if it asked
   * to, as {@linkcode Scheduler.yield}); then the head of its highest
   * non-empty queue becomes its running thread, or, if its queues are
   * empty, the head of the highest queue of the CPU with the most ready
   * threads (work stealing). The thread's run count goes up. O(1) on the
   * CPU's own queues, O(cpus) to steal.
   *
   * @param cpu The CPU, 0 to `cpus − 1`.
   * @returns The tid now running on `cpu`, or -1 if no thread is ready
   *   anywhere.
   * @throws {RangeError} If `cpu` is out of range.
   */
  pickNext(cpu: number): number {
    const c = this.#area(cpu);
    const w = this.#w;
    const queue = this.#cpuLocks[cpu]!.lock();
    const previous = w[c + C_CURRENT]!;
    const exited = previous === NIL ? NIL : this.#putBack(c, previous);
    const tid = this.#popHead(c);
    if (tid !== NIL) {
      const t = this.#t0 + TCB_WORDS * tid;
      w[t + T_STATE] = RUNNING;
      w[t + T_REQUEST] = REQ_NONE;
      w[t + T_RUNS]!++;
      this.#startOn(c, tid);
    }
    queue[Symbol.dispose]();
    if (exited !== NIL) this.#free(exited);
    if (tid !== NIL || this.cpus === 1) return tid;
    return this.#steal(cpu, c);
  }

  /**
   * Ends the turn of the thread running on `cpu`: it goes to the back of
   * its priority's queue on `cpu` (cooperative yield), or blocks or exits
   * if it asked to during its turn. Called while
   * {@linkcode Scheduler.runOnce} dispatches the thread (from the thread's
   * own code), it does nothing more: the thread goes back when its step
   * returns, as every step does.
   *
   * @param cpu The CPU.
   * @returns The tid that was running, or -1 if none was.
   * @throws {RangeError} If `cpu` is out of range.
   */
  yield(cpu: number): number {
    return this.#endTurn(cpu, false);
  }

  /**
   * Preempts the thread running on `cpu`, for the timer: the same as
   * {@linkcode Scheduler.yield}, counted as a preemption. While
   * {@linkcode Scheduler.runOnce} dispatches that thread (a timer
   * interrupt in the middle of its step), it sets the CPU's need-resched
   * flag instead, which the thread's code may poll with
   * {@linkcode Scheduler.shouldYield} to cut its step short.
   *
   * @param cpu The CPU.
   * @returns The tid that was running, or -1 if none was.
   * @throws {RangeError} If `cpu` is out of range.
   */
  preempt(cpu: number): number {
    return this.#endTurn(cpu, true);
  }

  /**
   * Whether the thread running on `cpu` was preempted during its step and
   * should return soon. Cleared when the CPU picks its next thread.
   *
   * @param cpu The CPU.
   * @returns `true` after a {@linkcode Scheduler.preempt} during the step.
   * @throws {RangeError} If `cpu` is out of range.
   */
  shouldYield(cpu: number): boolean {
    return this.#w[this.#area(cpu) + C_NEED_RESCHED] !== 0;
  }

  /**
   * The thread running on `cpu`.
   *
   * @param cpu The CPU.
   * @returns Its tid, or -1 if none.
   * @throws {RangeError} If `cpu` is out of range.
   */
  current(cpu: number): number {
    return this.#w[this.#area(cpu) + C_CURRENT]!;
  }

  /**
   * Blocks a thread: a ready one leaves its queue at once (O(1)); a
   * running one blocks when its turn ends (so a thread blocks itself from
   * its own code), unless {@linkcode Scheduler.unblock} comes first.
   *
   * @param tid The thread.
   * @returns `true` if it was ready, or running and had not asked to
   *   exit; `false` if it was already blocked, or is not alive.
   * @throws {RangeError} If `tid` is not an integer from 0 to
   *   `maxThreads − 1`.
   */
  block(tid: number): boolean {
    return this.#change(tid, REQ_BLOCK);
  }

  /**
   * Makes a blocked thread ready again, at the back of its priority's
   * queue on the CPU it last ran on (an idle CPU steals it from there). A
   * running thread that asked to block no longer will (no lost wake-up).
   * O(1).
   *
   * @param tid The thread.
   * @returns `true` if it was blocked or about to block; `false` otherwise.
   * @throws {RangeError} If `tid` is not an integer from 0 to
   *   `maxThreads − 1`.
   */
  unblock(tid: number): boolean {
    return this.#change(tid, OP_UNBLOCK);
  }

  /**
   * Ends a thread: a ready or blocked one at once, its TCB back on the
   * free list (O(1)); a running one when its turn ends (so a thread exits
   * from its own code).
   *
   * @param tid The thread.
   * @returns `true` if it was alive (and had not already asked to exit).
   * @throws {RangeError} If `tid` is not an integer from 0 to
   *   `maxThreads − 1`.
   */
  exit(tid: number): boolean {
    return this.#change(tid, REQ_EXIT);
  }

  /**
   * Runs one step of the next thread on `cpu`: {@linkcode Scheduler.pickNext},
   * then `dispatch(tid, entry, arg)`, then the end of its turn — back to
   * its queue, or blocked or exited if it asked to during the step. Do
   * not call `pickNext` or `runOnce` for `cpu` from inside `dispatch`.
   *
   * @param cpu The CPU.
   * @param dispatch Runs the thread's step, such as
   *   {@linkcode codeDispatch}`(cpu)`.
   * @returns The tid that ran, or -1 if no thread was ready anywhere.
   * @throws {RangeError} If `cpu` is out of range.
   *
   * @example A thread of three steps that keeps its place in its TCB
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "@exo-kernel/core/machine";
   *
   * const s = new Scheduler(new PhysicalMemory(1 << 20), {
   *   base: 0x1_0000,
   *   size: 0x1_0000,
   *   cpus: 1,
   *   maxThreads: 8,
   * });
   * const steps: string[] = [];
   * s.spawn(0x20_0000, 0);
   * while (
   *   s.runOnce(0, (tid) => {
   *     const step = s.resumePoint(tid);
   *     steps.push(`step ${step}`);
   *     if (step === 2) s.exit(tid);
   *     else s.setResumePoint(tid, step + 1);
   *   }) >= 0
   * );
   * deepStrictEqual(steps, ["step 0", "step 1", "step 2"]);
   * ```
   */
  runOnce(cpu: number, dispatch: Dispatch): number {
    const tid = this.pickNext(cpu);
    if (tid === NIL) return NIL;
    const w = this.#w;
    const c = this.#c0 + CPU_AREA_WORDS * cpu;
    const t = this.#t0 + TCB_WORDS * tid;
    w[c + C_DISPATCHING] = 1;
    try {
      dispatch(tid, getWide(w, t + T_ENTRY), getWide(w, t + T_ARG));
    } finally {
      w[c + C_DISPATCHING] = 0;
    }
    if (w[c + C_CURRENT] === tid) {
      const queue = this.#cpuLocks[cpu]!.lock();
      const exited = this.#putBack(c, tid);
      queue[Symbol.dispose]();
      if (exited !== NIL) this.#free(exited);
    }
    return tid;
  }

  // ---------------------------------------------------------------- fields

  /**
   * The state of a thread's TCB.
   *
   * @param tid The thread.
   * @returns Its {@linkcode ThreadState}.
   * @throws {RangeError} If `tid` is out of range.
   */
  state(tid: number): ThreadState {
    const t = this.#tcb(tid);
    return t < 0 ? FREE : this.#w[t + T_STATE]! as ThreadState;
  }

  /**
   * A thread's priority.
   *
   * @param tid The thread.
   * @returns 0 to 31.
   * @throws {RangeError} If `tid` is out of range.
   */
  priority(tid: number): number {
    return this.#field(tid, T_PRIORITY);
  }

  /**
   * The CPU a thread is queued on, runs on, or last ran on.
   *
   * @param tid The thread.
   * @returns The CPU.
   * @throws {RangeError} If `tid` is out of range.
   */
  cpuOf(tid: number): number {
    return this.#field(tid, T_CPU);
  }

  /**
   * How many times a thread has been dispatched.
   *
   * @param tid The thread.
   * @returns Its run count (mod 2^32).
   * @throws {RangeError} If `tid` is out of range.
   */
  runs(tid: number): number {
    return this.#field(tid, T_RUNS) >>> 0;
  }

  /**
   * A thread's entry.
   *
   * @param tid The thread.
   * @returns Its code address, as a signed number.
   * @throws {RangeError} If `tid` is out of range.
   */
  entry(tid: number): number {
    const t = this.#tcb(tid);
    return t < 0 ? 0 : getWide(this.#w, t + T_ENTRY);
  }

  /**
   * A thread's argument.
   *
   * @param tid The thread.
   * @returns The argument it was spawned with.
   * @throws {RangeError} If `tid` is out of range.
   */
  arg(tid: number): number {
    const t = this.#tcb(tid);
    return t < 0 ? 0 : getWide(this.#w, t + T_ARG);
  }

  /**
   * The address of a thread's saved context (768 bytes, kept outside the
   * TCB: see `saveContext`), 0 if it has none.
   *
   * @param tid The thread.
   * @returns The address, as a signed number.
   * @throws {RangeError} If `tid` is out of range.
   */
  context(tid: number): number {
    const t = this.#tcb(tid);
    return t < 0 ? 0 : getWide(this.#w, t + T_CONTEXT);
  }

  /**
   * Records where a thread's context is saved (0 for none). The scheduler
   * never reads or frees the context itself.
   *
   * @param tid The thread.
   * @param address The context's address (a safe integer: a physical
   *   address, or a virtual one as a signed number).
   * @throws {RangeError} If `tid` is out of range, the thread is not
   *   alive, or `address` is not a safe integer.
   */
  setContext(tid: number, address: number): void {
    const t = this.#liveTcb(tid);
    if (!Number.isSafeInteger(address)) {
      throw new RangeError(
        `Invalid context address ${address}: expected a safe integer`,
      );
    }
    setWide(this.#w, t + T_CONTEXT, address);
  }

  /**
   * A thread's resume word: 32 bits of its own, 0 at spawn, for the step
   * where a run-to-yield thread carries on.
   *
   * @param tid The thread.
   * @returns The word (unsigned).
   * @throws {RangeError} If `tid` is out of range.
   */
  resumePoint(tid: number): number {
    return this.#field(tid, T_RESUME) >>> 0;
  }

  /**
   * Sets a thread's resume word.
   *
   * @param tid The thread.
   * @param value 0 to 2^32 − 1 (taken mod 2^32).
   * @throws {RangeError} If `tid` is out of range or the thread is not
   *   alive.
   */
  setResumePoint(tid: number, value: number): void {
    this.#w[this.#liveTcb(tid) + T_RESUME] = value;
  }

  /**
   * One thread's fields, for `ps`.
   *
   * @param tid The thread.
   * @returns Its fields, or `undefined` if it is not alive.
   * @throws {RangeError} If `tid` is out of range.
   */
  info(tid: number): ThreadInfo | undefined {
    const t = this.#tcb(tid);
    if (t < 0) return undefined;
    const state = this.#w[t + T_STATE]!;
    if (state !== READY && state !== RUNNING && state !== BLOCKED) {
      return undefined;
    }
    return this.#info(tid, t);
  }

  /**
   * Lists the live threads (ready, running or blocked) by tid: a snapshot
   * taken without locks, one TCB at a time.
   *
   * @returns An iterator of their fields.
   *
   * @example The threads `ps` shows
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "@exo-kernel/core/machine";
   *
   * const s = new Scheduler(new PhysicalMemory(1 << 20), {
   *   base: 0x1_0000,
   *   size: 0x1_0000,
   *   cpus: 1,
   *   maxThreads: 8,
   * });
   * const [a, b, c] = [1, 2, 3].map((arg) => s.spawn(0x20_0000, arg));
   * s.pickNext(0); // a runs
   * s.block(b!);
   * s.exit(c!);
   * deepStrictEqual(
   *   [...s.threads()].map(({ tid, state, runs }) => [tid, state, runs]),
   *   [[a, "running", 1], [b, "blocked", 0]],
   * );
   * ```
   */
  *threads(): IterableIterator<ThreadInfo> {
    const w = this.#w;
    const end = Atomics.load(w, this.#h + H_HIGH_WATER);
    for (let tid = 0; tid < end; tid++) {
      const t = this.#t0 + TCB_WORDS * tid;
      const state = w[t + T_STATE]!;
      if (state === READY || state === RUNNING || state === BLOCKED) {
        yield this.#info(tid, t);
      }
    }
  }

  /**
   * The live threads as the shell's `ps` prints them: a header line, then
   * one line per thread (TID, STATE, PRI, CPU, RUNS, ENTRY).
   *
   * @param limit The most threads listed; a last line counts the others.
   * @returns The table, lines ending in `\n`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "@exo-kernel/core/machine";
   *
   * const s = new Scheduler(new PhysicalMemory(1 << 20), {
   *   base: 0x1_0000,
   *   size: 0x1_0000,
   *   cpus: 1,
   *   maxThreads: 8,
   * });
   * s.spawn(0x20_0000, 0, { priority: 31 });
   * s.spawn(0x20_1000, 0);
   * s.pickNext(0);
   * strictEqual(
   *   s.ps(),
   *   "  TID STATE    PRI CPU       RUNS ENTRY\n" +
   *     "    0 running   31   0          1 0x200000\n" +
   *     "    1 ready     16   0          0 0x201000\n",
   * );
   * ```
   */
  ps(limit: number = Infinity): string {
    let out = "  TID STATE    PRI CPU       RUNS ENTRY\n";
    let shown = 0;
    let more = 0;
    for (const t of this.threads()) {
      if (shown >= limit) {
        more++;
        continue;
      }
      shown++;
      out += `${String(t.tid).padStart(5)} ${t.state.padEnd(8)} ${
        String(t.priority).padStart(3)
      } ${String(t.cpu).padStart(3)} ${String(t.runs).padStart(10)} ${
        hex(t.entry)
      }\n`;
    }
    if (more > 0) out += `(${more} more)\n`;
    return out;
  }

  /**
   * Counts threads per state and per CPU queue: a snapshot taken without
   * locks.
   *
   * @returns The counts.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "@exo-kernel/core/machine";
   *
   * const s = new Scheduler(new PhysicalMemory(1 << 20), {
   *   base: 0x1_0000,
   *   size: 0x1_0000,
   *   cpus: 2,
   *   maxThreads: 8,
   * });
   * for (let i = 0; i < 3; i++) s.spawn(0x20_0000, i, { cpu: 1 });
   * s.pickNext(0); // CPU 0 steals one
   * const stats = s.stats();
   * strictEqual(stats.live, 3);
   * strictEqual(stats.running, 1);
   * strictEqual(stats.cpus[1]!.ready, 2);
   * strictEqual(stats.cpus[0]!.steals, 1);
   * strictEqual(stats.free, 5);
   * ```
   */
  stats(): SchedulerStats {
    const w = this.#w;
    const h = this.#h;
    const cpus: CpuQueueStats[] = [];
    let ready = 0;
    let running = 0;
    let blocked = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const c = this.#c0 + CPU_AREA_WORDS * cpu;
      const current = Atomics.load(w, c + C_CURRENT);
      const queued = Atomics.load(w, c + C_READY);
      ready += queued;
      blocked += Atomics.load(w, c + C_BLOCKED);
      if (current !== NIL) running++;
      cpus.push({
        cpu,
        ready: queued,
        current,
        dispatched: w[c + C_DISPATCHED]! >>> 0,
        steals: w[c + C_STEALS]! >>> 0,
        stolen: w[c + C_STOLEN]! >>> 0,
        preemptions: w[c + C_PREEMPTIONS]! >>> 0,
      });
    }
    const highWater = Atomics.load(w, h + H_HIGH_WATER);
    return {
      maxThreads: this.maxThreads,
      live: Atomics.load(w, h + H_LIVE),
      ready,
      running,
      blocked,
      exited: Atomics.load(w, h + H_FREE_LIST),
      free: this.maxThreads - highWater,
      spawned: w[h + H_SPAWNED]! >>> 0,
      cpus,
    };
  }

  // ---------------------------------------------------------------- private

  // The word index of `cpu`'s area.
  #area(cpu: number): number {
    if (!(cpu >= 0 && cpu < this.cpus && (cpu | 0) === cpu)) {
      throw badCpu(cpu, this.cpus);
    }
    return this.#c0 + CPU_AREA_WORDS * cpu;
  }

  // The word index of a TCB that has been handed out at least once, or -1
  // for a never-used one.
  #tcb(tid: number): number {
    if (!(tid >= 0 && tid < this.maxThreads && (tid | 0) === tid)) {
      throw badTid(tid, this.maxThreads);
    }
    if (tid >= this.#w[this.#h + H_HIGH_WATER]!) return NIL;
    return this.#t0 + TCB_WORDS * tid;
  }

  // A word of a TCB, 0 for a never-used one.
  #field(tid: number, field: number): number {
    const t = this.#tcb(tid);
    return t < 0 ? 0 : this.#w[t + field]!;
  }

  // The word index of a live thread's TCB.
  #liveTcb(tid: number): number {
    const t = this.#tcb(tid);
    const state = t < 0 ? FREE : this.#w[t + T_STATE]!;
    if (state !== READY && state !== RUNNING && state !== BLOCKED) {
      throw new RangeError(
        `Thread ${tid} is not alive: it is ${THREAD_STATE_NAMES[state]}`,
      );
    }
    return t;
  }

  #info(tid: number, t: number): ThreadInfo {
    const w = this.#w;
    return {
      tid,
      state: THREAD_STATE_NAMES[w[t + T_STATE]!]!,
      priority: w[t + T_PRIORITY]!,
      cpu: w[t + T_CPU]!,
      runs: w[t + T_RUNS]! >>> 0,
      entry: getWide(w, t + T_ENTRY),
      arg: getWide(w, t + T_ARG),
      context: getWide(w, t + T_CONTEXT),
    };
  }

  // Locks the CPU whose queues hold (or whose CPU runs) the thread whose
  // TCB is at word `t`, checking again under the lock that the thread has
  // not moved to another CPU meanwhile.
  #lockThread(t: number): MutexGuard<undefined> {
    const w = this.#w;
    for (;;) {
      const cpu = Atomics.load(w, t + T_CPU);
      const guard = this.#cpuLocks[cpu]!.lock();
      if (w[t + T_CPU] === cpu) return guard;
      guard[Symbol.dispose]();
    }
  }

  // Blocks (REQ_BLOCK), unblocks (OP_UNBLOCK) or ends (REQ_EXIT) a thread,
  // under the lock of its CPU: a ready or blocked one at once, a running
  // one by a request carried out at the end of its turn (an exit request
  // is final; an unblock cancels a block request).
  #change(tid: number, op: number): boolean {
    const t = this.#tcb(tid);
    if (t < 0) return false;
    const w = this.#w;
    const queue = this.#lockThread(t);
    const c = this.#c0 + CPU_AREA_WORDS * w[t + T_CPU]!;
    const state = w[t + T_STATE];
    let done = true;
    let free = false;
    if (state === READY && op !== OP_UNBLOCK) {
      this.#unlink(c, t);
      if (op === REQ_BLOCK) {
        w[t + T_STATE] = BLOCKED;
        w[c + C_BLOCKED]!++;
      } else {
        w[t + T_STATE] = EXITED;
        free = true;
      }
    } else if (state === BLOCKED && op !== REQ_BLOCK) {
      w[c + C_BLOCKED]!--;
      if (op === OP_UNBLOCK) {
        w[t + T_STATE] = READY;
        this.#pushBack(c, tid, t, w[t + T_PRIORITY]!);
      } else {
        w[t + T_STATE] = EXITED;
        free = true;
      }
    } else if (state === RUNNING) {
      const request = w[t + T_REQUEST];
      if (op === OP_UNBLOCK) {
        done = request === REQ_BLOCK;
        if (done) w[t + T_REQUEST] = REQ_NONE;
      } else {
        done = request !== REQ_EXIT;
        if (done) w[t + T_REQUEST] = op;
      }
    } else {
      done = false;
    }
    queue[Symbol.dispose]();
    if (free) this.#free(tid);
    return done;
  }

  // Makes `tid` the running thread of the CPU at `c` (its owner's fields).
  #startOn(c: number, tid: number): void {
    const w = this.#w;
    w[c + C_CURRENT] = tid;
    w[c + C_NEED_RESCHED] = 0;
    w[c + C_DISPATCHED]!++;
  }

  // Ends the turn of `tid`, running on the CPU at `c` (its lock held): the
  // back of its queue, or blocked, or exited. Returns `tid` if it exited
  // (to be freed once the lock is released), else -1.
  #putBack(c: number, tid: number): number {
    const w = this.#w;
    const t = this.#t0 + TCB_WORDS * tid;
    w[c + C_CURRENT] = NIL;
    const request = w[t + T_REQUEST];
    if (request === REQ_EXIT) {
      w[t + T_STATE] = EXITED;
      return tid;
    }
    if (request === REQ_BLOCK) {
      w[t + T_STATE] = BLOCKED;
      w[c + C_BLOCKED]!++;
    } else {
      w[t + T_STATE] = READY;
      this.#pushBack(c, tid, t, w[t + T_PRIORITY]!);
    }
    return NIL;
  }

  // Queues `tid` (TCB at `t`) at the back of `priority`'s list of the CPU
  // at `c`, its lock held.
  #pushBack(c: number, tid: number, t: number, priority: number): void {
    const w = this.#w;
    const tail = w[c + C_TAILS + priority]!;
    w[t + T_NEXT] = NIL;
    w[t + T_PREV] = tail;
    if (tail === NIL) {
      w[c + C_HEADS + priority] = tid;
      w[c + C_BITMAP]! |= 1 << priority;
    } else {
      w[this.#t0 + TCB_WORDS * tail + T_NEXT] = tid;
    }
    w[c + C_TAILS + priority] = tid;
    w[c + C_READY]!++;
  }

  // Takes the head of the highest non-empty list of the CPU at `c`, its
  // lock held; -1 if all are empty.
  #popHead(c: number): number {
    const w = this.#w;
    const bitmap = w[c + C_BITMAP]!;
    if (bitmap === 0) return NIL;
    const priority = 31 - Math.clz32(bitmap);
    const tid = w[c + C_HEADS + priority]!;
    const next = w[this.#t0 + TCB_WORDS * tid + T_NEXT]!;
    w[c + C_HEADS + priority] = next;
    if (next === NIL) {
      w[c + C_TAILS + priority] = NIL;
      w[c + C_BITMAP] = bitmap & ~(1 << priority);
    } else {
      w[this.#t0 + TCB_WORDS * next + T_PREV] = NIL;
    }
    w[c + C_READY]!--;
    return tid;
  }

  // Removes the thread whose TCB is at `t` from its list on the CPU at
  // `c`, its lock held.
  #unlink(c: number, t: number): void {
    const w = this.#w;
    const priority = w[t + T_PRIORITY]!;
    const next = w[t + T_NEXT]!;
    const prev = w[t + T_PREV]!;
    if (prev === NIL) w[c + C_HEADS + priority] = next;
    else w[this.#t0 + TCB_WORDS * prev + T_NEXT] = next;
    if (next === NIL) w[c + C_TAILS + priority] = prev;
    else w[this.#t0 + TCB_WORDS * next + T_PREV] = prev;
    if (w[c + C_HEADS + priority] === NIL) {
      w[c + C_BITMAP]! &= ~(1 << priority);
    }
    w[c + C_READY]!--;
  }

  // Puts an exited thread's TCB on the free list.
  #free(tid: number): void {
    const w = this.#w;
    const h = this.#h;
    const global = this.#global.lock();
    w[this.#t0 + TCB_WORDS * tid + T_NEXT] = w[h + H_FREE_HEAD]!;
    w[h + H_FREE_HEAD] = tid;
    w[h + H_FREE_LIST]!++;
    w[h + H_LIVE]!--;
    w[h + H_EXITED]!++;
    global[Symbol.dispose]();
  }

  // Work stealing for `cpu` (area at `c`), whose queues are empty: takes
  // the head of the highest queue of the CPU with the most ready threads
  // (the first such from `cpu + 1` on), and runs it on `cpu`.
  #steal(cpu: number, c: number): number {
    const w = this.#w;
    const cpus = this.cpus;
    for (let attempt = 0; attempt < cpus; attempt++) {
      let victim = -1;
      let most = 0;
      for (let k = 1; k < cpus; k++) {
        const other = (cpu + k) % cpus;
        const ready = Atomics.load(
          w,
          this.#c0 + CPU_AREA_WORDS * other + C_READY,
        );
        if (ready > most) {
          most = ready;
          victim = other;
        }
      }
      if (victim < 0) return NIL;
      const v = this.#c0 + CPU_AREA_WORDS * victim;
      const queue = this.#cpuLocks[victim]!.lock();
      const tid = this.#popHead(v);
      if (tid !== NIL) {
        const t = this.#t0 + TCB_WORDS * tid;
        w[t + T_STATE] = RUNNING;
        w[t + T_REQUEST] = REQ_NONE;
        w[t + T_RUNS]!++;
        w[v + C_STOLEN]!++;
        // Last: from here on the thread is guarded by `cpu`'s lock.
        Atomics.store(w, t + T_CPU, cpu);
      }
      queue[Symbol.dispose]();
      if (tid !== NIL) {
        this.#startOn(c, tid);
        w[c + C_STEALS]!++;
        return tid;
      }
    }
    return NIL;
  }

  #endTurn(cpu: number, preempt: boolean): number {
    const c = this.#area(cpu);
    const w = this.#w;
    const tid = w[c + C_CURRENT]!;
    if (tid === NIL) return NIL;
    if (preempt) w[c + C_PREEMPTIONS]!++;
    if (w[c + C_DISPATCHING] !== 0) {
      if (preempt) w[c + C_NEED_RESCHED] = 1;
      return tid;
    }
    const queue = this.#cpuLocks[cpu]!.lock();
    const exited = this.#putBack(c, tid);
    queue[Symbol.dispose]();
    if (exited !== NIL) this.#free(exited);
    return tid;
  }
}

// ------------------------------------------------------------------ dispatch

/**
 * The dispatch of a kernel whose threads' code is in the machine's code
 * space: it passes the thread's argument in RDI and its tid in RSI (the
 * System V order of `entry(arg, tid)`) and calls the function registered
 * at the thread's entry on `cpu`. Thread code reads them back with
 * {@linkcode threadArg} and {@linkcode threadId}.
 *
 * @param cpu The CPU that runs the threads (`machine.cpus[n]`, or the CPU
 *   an application processor's code receives).
 * @returns The dispatch, for {@linkcode Scheduler.runOnce}.
 *
 * @example A thread whose code is registered at 0x20_0000
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "@exo-kernel/core/machine";
 *
 * const machine = new Machine({ ramSize: 4 << 20 });
 * const s = new Scheduler(machine.memory, {
 *   base: 0x10_0000,
 *   size: 0x1_0000,
 *   cpus: 1,
 *   maxThreads: 8,
 * });
 * machine.code.register(0x20_0000, (cpu) => {
 *   cpu.memory.writeU32(threadArg(cpu), threadId(cpu) + 100);
 *   s.exit(threadId(cpu));
 * });
 * const tid = s.spawn(0x20_0000, 0x30_0000);
 * machine.run(() => {
 *   while (s.runOnce(0, codeDispatch(machine.cpus[0]!)) >= 0);
 * });
 * strictEqual(machine.memory.readU32(0x30_0000), tid + 100);
 * ```
 */
export function codeDispatch(cpu: Cpu): Dispatch {
  const code = cpu.code;
  const registers = cpu.registers;
  return (tid, entry, arg) => {
    const fn = code.at(entry);
    if (fn === undefined) {
      throw new RangeError(
        `No code at ${hex(entry)}, the entry of thread ${tid}`,
      );
    }
    const high = Math.floor(arg / TWO_32);
    registers.setHalves(Reg.RDI, (arg - high * TWO_32) >>> 0, high >>> 0);
    registers.setHalves(Reg.RSI, tid, 0);
    fn(cpu);
  };
}

/**
 * The argument of the thread that {@linkcode codeDispatch} is running on
 * `cpu` (its RDI).
 *
 * @param cpu The CPU.
 * @returns The argument.
 */
export function threadArg(cpu: Cpu): number {
  const r = cpu.registers;
  return (r.high(Reg.RDI) | 0) * TWO_32 + r.low(Reg.RDI);
}

/**
 * The tid of the thread that {@linkcode codeDispatch} is running on `cpu`
 * (its RSI).
 *
 * @param cpu The CPU.
 * @returns The tid.
 */
export function threadId(cpu: Cpu): number {
  return cpu.registers.low(Reg.RSI);
}

// ------------------------------------------------------------------ helpers

function tcbArrayOffset(cpus: number): number {
  return Math.ceil((SCHEDULER_HEADER_SIZE + CPU_AREA_SIZE * cpus) / 64) * 64;
}

// A safe integer as a signed 64-bit value in two words.
function setWide(w: Int32Array, at: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  w[at] = value - high * TWO_32;
  w[at + 1] = high;
}

function getWide(w: Int32Array, at: number): number {
  return w[at + 1]! * TWO_32 + (w[at]! >>> 0);
}

function hex(value: number): string {
  return "0x" + BigInt.asUintN(64, BigInt(value)).toString(16);
}

function checkRegion(memory: PhysicalMemory, options: SchedulerOptions): void {
  const { base, size, cpus, maxThreads } = options;
  if (!Number.isSafeInteger(base) || base < 0 || base % 4096 !== 0) {
    throw new RangeError(
      `Invalid scheduler base ${base}: expected a physical address that is a multiple of 4096`,
    );
  }
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) {
    throw new RangeError(
      `Invalid CPU count ${cpus}: expected an integer from 1 to ${MAX_CPUS}`,
    );
  }
  if (
    !Number.isInteger(maxThreads) || maxThreads < 1 || maxThreads > 0x7fff_ffff
  ) {
    throw new RangeError(
      `Invalid maxThreads ${maxThreads}: expected an integer from 1 to 2^31 - 1`,
    );
  }
  const needed = Scheduler.requiredSize(cpus, maxThreads);
  if (!Number.isSafeInteger(size) || size < needed) {
    throw new RangeError(
      `Invalid scheduler size ${size}: ${cpus} CPUs and ${maxThreads} threads need ${needed} bytes`,
    );
  }
  if (base + size > memory.size) {
    throw new RangeError(
      `Invalid scheduler region ${hex(base)} to ${
        hex(base + size)
      }: it ends past the end of RAM at ${hex(memory.size)}`,
    );
  }
}

function badSpawn(entry: number, arg: number, priority: number): RangeError {
  if (!Number.isSafeInteger(entry)) {
    return new RangeError(
      `Invalid entry ${entry}: expected a code address as a safe integer`,
    );
  }
  if (!Number.isSafeInteger(arg)) {
    return new RangeError(`Invalid argument ${arg}: expected a safe integer`);
  }
  return new RangeError(
    `Invalid priority ${priority}: expected an integer from 0 to ${MAX_PRIORITY}`,
  );
}

function badCpu(cpu: number, cpus: number): RangeError {
  return new RangeError(
    `Invalid CPU ${cpu}: expected an integer from 0 to ${cpus - 1}`,
  );
}

function badTid(tid: number, maxThreads: number): RangeError {
  return new RangeError(
    `Invalid tid ${tid}: expected an integer from 0 to ${maxThreads - 1}`,
  );
}
