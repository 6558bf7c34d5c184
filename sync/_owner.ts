import type { Cpu } from "../machine/cpu/cpu.ts";
import { DeadlockError } from "./deadlock_error.ts";

/** The owner tag of code that runs outside `Machine.run` (no CPU). */
export const NO_CPU_OWNER = -1;

/** The value a lock word holds while `cpu` owns it: `id + 1`, or -1. */
export function ownerTag(cpu: Cpu | undefined): number {
  return cpu === undefined ? NO_CPU_OWNER : cpu.id + 1;
}

/** The CPU id of an owner tag: `undefined` for code outside `Machine.run`. */
export function cpuOfTag(tag: number): number | undefined {
  return tag === NO_CPU_OWNER ? undefined : tag - 1;
}

/** The frames of the caller's stack, below (and without) `below`. */
function callerFrames(below: (...args: never[]) => unknown): string[] {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  try {
    Error.captureStackTrace(holder, below);
  } finally {
    Error.stackTraceLimit = limit;
  }
  return (holder.stack ?? "").split("\n").map((line) => line.trim())
    .filter((line) => line.startsWith("at "));
}

/**
 * Builds the {@linkcode DeadlockError} of a same-CPU re-acquisition, with
 * the stack captured now (only now: the fast path captures nothing).
 */
export function deadlock(
  lock: string,
  cpu: Cpu | undefined,
  held: string,
  below: (...args: never[]) => unknown,
): DeadlockError {
  return new DeadlockError(lock, {
    cpu: cpu?.id,
    held,
    frames: callerFrames(below),
  });
}

/** `Kind "name"`, or `unnamed Kind`. */
export function lockLabel(kind: string, name: string | undefined): string {
  return name === undefined ? `unnamed ${kind}` : `${kind} "${name}"`;
}
