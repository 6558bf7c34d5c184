/** What a {@linkcode DeadlockError} knows about the failed acquisition. */
export interface DeadlockErrorOptions {
  /** The id of the CPU that tried to lock twice; `undefined` outside `Machine.run`. */
  cpu?: number | undefined;
  /** How the CPU already holds the lock: `"holds"` or `"holds for reading"`. */
  held?: string;
  /**
   * The JS stack at the second acquisition, one `at …` frame per entry,
   * from the caller of `lock()` outwards.
   */
  frames?: readonly string[];
}

/**
 * Thrown when a CPU locks a spinlock that it already holds. On hardware the
 * CPU would spin forever (the holder can only release it once the spinning
 * code returns); here the lock word records its owner, `cpu id + 1`, so the
 * lock sees the deadlock and reports it instead.
 *
 * The message names the lock and both acquisition sites. The stack is
 * captured only when the deadlock is found, never on an ordinary lock: in
 * this simulator the earlier acquisition is still on the same JS stack —
 * an interrupt handler, or a re-entrant call, runs nested inside the code
 * that holds the lock — so the frames below the second `lock()` call
 * include the holder.
 *
 * @example A re-entrant lock
 * ```ts
 * import { ok, throws } from "node:assert/strict";
 * import { Mutex } from "./mutex.ts";
 * import { Machine } from "../machine/mod.ts";
 *
 * const counter = new Mutex(0, { name: "counter" });
 * new Machine({ ramSize: 2 << 20 }).run(() => {
 *   using _held = counter.lock();
 *   throws(() => counter.lock(), (error: unknown) => {
 *     ok(error instanceof DeadlockError);
 *     ok(error.message.includes('Mutex "counter"'));
 *     return true;
 *   });
 * });
 * ```
 */
export class DeadlockError extends Error {
  /** The lock: `Mutex "name"` or `unnamed Mutex` (or another kind). */
  readonly lock: string;
  /** The CPU that tried to lock twice; `undefined` outside `Machine.run`. */
  readonly cpu: number | undefined;
  /** The JS stack at the second acquisition, innermost frame first. */
  readonly frames: readonly string[];

  /**
   * Builds the error.
   *
   * @param lock The lock, as `Mutex "name"` or `unnamed Mutex`.
   * @param options The CPU, how it holds the lock, and the stack.
   */
  constructor(lock: string, options: DeadlockErrorOptions = {}) {
    const frames = options.frames ?? [];
    const who = options.cpu === undefined
      ? "Code outside Machine.run (no CPU)"
      : `CPU ${options.cpu}`;
    const here = frames[0] ?? "at <unknown>";
    const below = frames.slice(1);
    super(
      `Deadlock on ${lock}: ${who} tried to lock it while it already ${
        options.held ?? "holds"
      } it, and would spin forever\n` +
        `  this acquisition: ${here}\n` +
        `  earlier acquisition: still on this JS stack, in one of the callers below ` +
        `(in this simulator an interrupt handler or a re-entrant call runs nested ` +
        `inside the code that holds the lock, which cannot release it until this call returns):\n` +
        (below.length === 0
          ? "    <no frames>"
          : below.map((frame) => `    ${frame}`).join("\n")),
    );
    this.name = "DeadlockError";
    this.lock = lock;
    this.cpu = options.cpu;
    this.frames = frames;
  }
}
