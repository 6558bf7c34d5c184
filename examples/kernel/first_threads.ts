/**
 * The first threads, in a placeholder thread table until
 * `examples/kernel/scheduler.ts` takes over: one idle thread per CPU,
 * `init` and the `shell`, as 64-byte TCBs at the start of the scheduler's
 * region, which every CPU sees. Each CPU's timer tick counts a run of the
 * thread its per-CPU page names as current.
 *
 * @module
 */
import {
  readBytes,
  readU32,
  writeBytes,
  writeU32,
} from "@exo-kernel/core/memory";
import { directMap, SCHEDULER } from "./memory_layout.ts";

/** A row of `ps`. */
export interface ThreadRow {
  /** The thread id. */
  readonly tid: number;
  /** `running`, `ready`, `blocked` or `exited`. */
  readonly state: string;
  /** The priority (higher runs first). */
  readonly priority: number;
  /** The CPU it runs on or is queued for. */
  readonly cpu: number;
  /** How many timer ticks it has run for. */
  readonly runs: number;
  /** Its name. */
  readonly name: string;
}

/** The states of a placeholder TCB. */
export const ThreadState = {
  READY: 1,
  RUNNING: 2,
  BLOCKED: 3,
  EXITED: 4,
} as const;

const STATE_NAMES = ["free", "ready", "running", "blocked", "exited"] as const;

// The table: a u32 count at +0, TCBs from +64, 64 bytes each: tid, state,
// priority, cpu, runs (u32 each), the name (32 bytes, NUL-padded) at +32.
const TABLE: number = directMap(SCHEDULER);
const TCB_SIZE = 64;
const TID = 0, STATE = 4, PRIORITY = 8, CPU = 12, RUNS = 16, NAME = 32;

function tcb(tid: number): number {
  return TABLE + 64 + tid * TCB_SIZE;
}

/**
 * Empties the table (on the BSP at boot, before the APs start).
 */
export function resetThreads(): void {
  writeU32(TABLE, 0);
}

/**
 * Adds a thread.
 *
 * @param name Its name (up to 31 bytes).
 * @param options Its priority, CPU and state.
 * @returns Its tid.
 */
export function spawnThread(
  name: string,
  options: { priority: number; cpu: number; state: number },
): number {
  const tid = readU32(TABLE);
  const at = tcb(tid);
  writeU32(at + TID, tid);
  writeU32(at + STATE, options.state);
  writeU32(at + PRIORITY, options.priority);
  writeU32(at + CPU, options.cpu);
  writeU32(at + RUNS, 0);
  const bytes = new Uint8Array(32);
  bytes.set(new TextEncoder().encode(name).subarray(0, 31));
  writeBytes(at + NAME, bytes);
  writeU32(TABLE, tid + 1);
  return tid;
}

/**
 * Sets a thread's state.
 *
 * @param tid The thread.
 * @param state One of {@linkcode ThreadState}.
 */
export function setThreadState(tid: number, state: number): void {
  writeU32(tcb(tid) + STATE, state);
}

/**
 * Counts a tick for a thread (the timer interrupt's accounting).
 *
 * @param tid The thread running on the CPU that took the tick.
 */
export function chargeTick(tid: number): void {
  if (tid >= readU32(TABLE)) return;
  const at = tcb(tid) + RUNS;
  writeU32(at, (readU32(at) + 1) >>> 0);
}

/**
 * The threads, by tid.
 *
 * @returns A row per thread.
 */
export function listThreads(): ThreadRow[] {
  const rows: ThreadRow[] = [];
  const count = readU32(TABLE);
  for (let tid = 0; tid < count; tid++) {
    const at = tcb(tid);
    const name = readBytes(at + NAME, 32);
    const end = name.indexOf(0);
    rows.push({
      tid: readU32(at + TID),
      state: STATE_NAMES[readU32(at + STATE)] ?? "?",
      priority: readU32(at + PRIORITY),
      cpu: readU32(at + CPU),
      runs: readU32(at + RUNS),
      name: new TextDecoder().decode(name.subarray(0, end < 0 ? 32 : end)),
    });
  }
  return rows;
}
