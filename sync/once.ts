import { ownerTag, runningCpu } from "./_owner.ts";

const STATE = 0;
const RUNNER = 1;
const INCOMPLETE = 0;
const RUNNING = 1;
const COMPLETE = 2;
const POISONED = 3;

/**
 * Thrown by a {@linkcode Once} (or `Lazy`) whose initialiser threw: the
 * value will never exist, as `spin::Once` panics "Once poisoned". `cause`
 * is what the initialiser threw.
 *
 * @example A failed initialiser
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { Once } from "./once.ts";
 *
 * const once = new Once<number>();
 * throws(() => once.callOnce(() => { throw new Error("no device"); }), /no device/);
 * throws(() => once.callOnce(() => 1), OncePoisonedError);
 * ```
 */
export class OncePoisonedError extends Error {
  /**
   * Builds the error.
   *
   * @param cause What the initialiser threw.
   */
  constructor(cause: unknown) {
    super(
      `Once poisoned: its initialiser threw (${
        cause instanceof Error ? cause.message : String(cause)
      }), so the value will never exist`,
      { cause },
    );
    this.name = "OncePoisonedError";
  }
}

/**
 * Thrown when an initialiser of a {@linkcode Once} (or `Lazy`) asks for the
 * value it is computing — `callOnce` or `get` from inside its own
 * initialiser, on the same CPU. On hardware that CPU would spin forever
 * waiting for itself (the `lazy_static` recursion hang, issue #95); here
 * the state word records which CPU runs the initialiser, so it throws.
 *
 * @example An initialiser that needs itself
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { Once } from "./once.ts";
 *
 * const once = new Once<number>();
 * throws(() => once.callOnce(() => once.callOnce(() => 1) + 1), ReentrantInitError);
 * ```
 */
export class ReentrantInitError extends Error {
  /** Builds the error. */
  constructor() {
    super(
      "Re-entrant initialisation: the initialiser of this Once asked for its own value, which would wait for itself forever; break the cycle between the initialisers",
    );
    this.name = "ReentrantInitError";
  }
}

/**
 * A value initialised exactly once: the seed's `Once<T>`. The first
 * `callOnce(init)` runs `init` and keeps its result; every later call
 * returns that result without running its own `init`.
 *
 * The state word — incomplete, running, complete or poisoned — and the
 * word naming the CPU that runs the initialiser are `Int32`s of a small
 * `SharedArrayBuffer`, changed with `Atomics`; a CPU that finds another
 * one initialising spins (with `pause`) until it finishes. The value is a
 * JS value, so this form is for one CPU (one Worker).
 *
 * An initialiser that throws poisons the `Once`: that call rethrows, and
 * every later `callOnce` or `get` throws {@linkcode OncePoisonedError}. An
 * initialiser that asks for its own value throws
 * {@linkcode ReentrantInitError} instead of spinning forever.
 *
 * @typeParam T The type of the value.
 *
 * @example The seed's expensive resource
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * class MyComplexStruct {
 *   static built = 0;
 *   constructor() {
 *     MyComplexStruct.built++;
 *   }
 * }
 *
 * const EXPENSIVE_RESOURCE = new Once<MyComplexStruct>();
 *
 * function getResource(): MyComplexStruct {
 *   return EXPENSIVE_RESOURCE.callOnce(() => {
 *     // this code runs only once
 *     return new MyComplexStruct();
 *   });
 * }
 *
 * strictEqual(getResource(), getResource());
 * strictEqual(MyComplexStruct.built, 1);
 * ```
 */
export class Once<T> {
  #words: Int32Array = new Int32Array(new SharedArrayBuffer(8));
  #value: T | undefined;
  #error: unknown;

  /**
   * Runs `init` if no call has run one yet, and returns the value.
   *
   * @param init Computes the value; runs at most once.
   * @returns The value.
   * @throws {unknown} Whatever `init` throws (then the `Once` is poisoned).
   * @throws {OncePoisonedError} If an earlier initialiser threw.
   * @throws {ReentrantInitError} If called from inside the initialiser.
   *
   * @example Only the first initialiser runs
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const once = new Once<string>();
   * strictEqual(once.callOnce(() => "first"), "first");
   * strictEqual(once.callOnce(() => "second"), "first");
   * ```
   */
  callOnce(init: () => T): T {
    const words = this.#words;
    if (Atomics.load(words, STATE) === COMPLETE) return this.#value as T;
    const cpu = runningCpu();
    const tag = ownerTag(cpu);
    for (;;) {
      const state = Atomics.compareExchange(words, STATE, INCOMPLETE, RUNNING);
      if (state === INCOMPLETE) break;
      if (state === COMPLETE) return this.#value as T;
      if (state === POISONED) throw new OncePoisonedError(this.#error);
      if (Atomics.load(words, RUNNER) === tag) throw new ReentrantInitError();
      cpu?.pause();
    }
    Atomics.store(words, RUNNER, tag);
    let value: T;
    try {
      value = init();
    } catch (error) {
      this.#error = error;
      Atomics.store(words, RUNNER, 0);
      Atomics.store(words, STATE, POISONED);
      throw error;
    }
    this.#value = value;
    Atomics.store(words, RUNNER, 0);
    Atomics.store(words, STATE, COMPLETE);
    return value;
  }

  /**
   * The value, if an initialiser has completed.
   *
   * @returns The value, or `undefined` before (or during) initialisation.
   * @throws {OncePoisonedError} If the initialiser threw.
   * @throws {ReentrantInitError} If called from inside the initialiser.
   *
   * @example Before and after
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const once = new Once<number>();
   * strictEqual(once.get(), undefined);
   * once.callOnce(() => 42);
   * strictEqual(once.get(), 42);
   * ```
   */
  get(): T | undefined {
    const words = this.#words;
    switch (Atomics.load(words, STATE)) {
      case COMPLETE:
        return this.#value;
      case POISONED:
        throw new OncePoisonedError(this.#error);
      case RUNNING:
        if (Atomics.load(words, RUNNER) === ownerTag(runningCpu())) {
          throw new ReentrantInitError();
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * Whether an initialiser has completed.
   *
   * @returns `true` once the value exists.
   *
   * @example After `callOnce`
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const once = new Once<number>();
   * strictEqual(once.isCompleted(), false);
   * once.callOnce(() => 1);
   * strictEqual(once.isCompleted(), true);
   * ```
   */
  isCompleted(): boolean {
    return Atomics.load(this.#words, STATE) === COMPLETE;
  }

  /**
   * Whether an initialiser threw, so that the value will never exist.
   *
   * @returns `true` once poisoned.
   *
   * @example After a failed initialiser
   * ```ts
   * import { strictEqual, throws } from "node:assert/strict";
   *
   * const once = new Once<number>();
   * throws(() => once.callOnce(() => { throw new Error("boom"); }));
   * strictEqual(once.isPoisoned(), true);
   * ```
   */
  isPoisoned(): boolean {
    return Atomics.load(this.#words, STATE) === POISONED;
  }
}
