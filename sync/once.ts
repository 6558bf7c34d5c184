import { boundCpu } from "../machine/current_cpu.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { cpuOfTag, ownerTag } from "./_owner.ts";
import { type Layout, ownPlace, placeNextInMemory } from "./_place.ts";
import type { MemoryType } from "./memory_type.ts";

// The words, from the first; then the states.
const STATE = 0;
const RUNNER = 1;
const INCOMPLETE = 0;
const RUNNING = 1;
const COMPLETE = 2;
const POISONED = 3;

/** Two words; in memory, the value at +8. */
const ONCE: Layout = { kind: "Once", words: 2 };

/** What a {@linkcode OncePoisonedError} knows of the failed initialiser. */
export interface OncePoisonedErrorOptions {
  /**
   * What the initialiser threw. Absent when it threw on another Worker's
   * CPU: a JS error cannot cross Workers.
   */
  cause?: unknown;
  /** The CPU whose initialiser threw; `undefined` outside `Machine.run`. */
  cpu?: number | undefined;
}

/**
 * Thrown by a {@linkcode Once} (or `Lazy`) whose initialiser threw: the
 * value will never exist, as `spin::Once` panics "Once poisoned". `cause`
 * is what the initialiser threw, when this Worker saw it; a memory-backed
 * `Once` poisoned on another Worker's CPU can only name that CPU.
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
  /** The CPU whose initialiser threw; `undefined` outside `Machine.run`. */
  readonly cpu: number | undefined;

  /**
   * Builds the error.
   *
   * @param options What the initialiser threw, and on which CPU.
   */
  constructor(options: OncePoisonedErrorOptions = {}) {
    const where = options.cpu === undefined
      ? "outside Machine.run"
      : `on CPU ${options.cpu}`;
    const cause = options.cause;
    const what = !("cause" in options)
      ? `, and the error stayed on that CPU's Worker`
      : ` (${cause instanceof Error ? cause.message : String(cause)})`;
    super(
      `Once poisoned: its initialiser threw ${where}${what}, so the value will never exist`,
      "cause" in options ? { cause } : {},
    );
    this.name = "OncePoisonedError";
    this.cpu = options.cpu;
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
 * runner word naming the CPU that runs (or ran) the initialiser are
 * `Int32`s changed with `Atomics`; a CPU that finds another one
 * initialising spins (with `pause`) until it finishes.
 *
 * An initialiser that throws poisons the `Once`: that call rethrows, and
 * every later `callOnce` or `get` throws {@linkcode OncePoisonedError}. An
 * initialiser that asks for its own value throws
 * {@linkcode ReentrantInitError} instead of spinning forever.
 *
 * It has two forms, with one algorithm: `new Once()` keeps its words in a
 * `SharedArrayBuffer` of its own and the value as a JS value, for one CPU
 * (one Worker); {@linkcode Once.inMemory} keeps words and value in machine
 * RAM, so every CPU that makes one at the same address shares it — the
 * first to call `callOnce` runs its initialiser, and the others read the
 * value it wrote:
 *
 * | offset | size | contents |
 * | --- | --- | --- |
 * | +0 | 4 | state: 0 incomplete, 1 running, 2 complete, 3 poisoned |
 * | +4 | 4 | runner: CPU id + 1 (-1 outside `Machine.run`) of the initialiser while running, and of the one that threw once poisoned; else 0 |
 * | +8 | `type.size` | the value, as `type` lays it out (none without a type) |
 *
 * Zeroed memory is an incomplete `Once`. A memory-backed `Once` poisoned on
 * one CPU throws `OncePoisonedError` on every CPU; its `cause` is the
 * thrown error only on the Worker that saw it, and elsewhere the message
 * names the CPU whose initialiser threw.
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
  #words: Int32Array;
  #index: number;
  #cell: { value: T };
  // What this object's initialiser threw, if it threw.
  #thrown: { error: unknown } | undefined;
  // Whether this object has seen the state complete (with an Atomics
  // access, which makes the value written before visible). Complete is
  // final, so later reads skip the 7 ns Atomics.load (bench/sync_bench.ts).
  #complete = false;

  /** Creates an incomplete `Once` with a JS value (the one-CPU form). */
  constructor() {
    const place = ownPlace(ONCE, undefined as T, undefined);
    this.#words = place.words;
    this.#index = place.index;
    this.#cell = place.cell;
  }

  /**
   * The `Once` whose two words are at `address` of machine memory and whose
   * value, of `type`, is at `address + 8` (see the layout in the class
   * description), shared by the CPUs of every Worker. Nothing is written:
   * zeroed memory is an incomplete `Once`, and two `inMemory` ones at one
   * address are one `Once`.
   *
   * @typeParam T The type of the value; `undefined` without a `type` (a
   *   `Once` that only makes one CPU run some initialisation).
   * @param memory The machine's RAM (`machine.memory`).
   * @param address The physical address of the state word: a multiple of
   *   4, and of the value's alignment less 8.
   * @param type How the value is laid out; none (`undefined`) if absent.
   * @returns The `Once`.
   * @throws {RangeError} If `address` is not such an integer, or the words
   *   and value do not fit RAM.
   *
   * @example The value is in memory, for every CPU
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/mod.ts";
   * import { MemoryTypes } from "./memory_type.ts";
   *
   * const ram = new PhysicalMemory(1 << 16);
   * const here = Once.inMemory(ram, 0x300, MemoryTypes.u64);
   * const there = Once.inMemory(ram, 0x300, MemoryTypes.u64); // the same
   * strictEqual(here.callOnce(() => 0xfee0_0000n), 0xfee0_0000n);
   * strictEqual(there.callOnce(() => 0n), 0xfee0_0000n); // not run
   * strictEqual(ram.readU32(0x300), 2); // complete
   * strictEqual(ram.readU64(0x308), 0xfee0_0000n);
   * ```
   */
  static inMemory<T = undefined>(
    memory: PhysicalMemory,
    address: number,
    type?: MemoryType<T>,
  ): Once<T> {
    placeNextInMemory(ONCE, memory, address, type, undefined);
    return new Once<T>();
  }

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
    if (this.#complete) return this.#cell.value;
    return this.#initialise(init);
  }

  // The slow path of `callOnce`: run `init`, or wait for the CPU that runs
  // one, or throw.
  #initialise(init: () => T): T {
    const words = this.#words;
    const at = this.#index + STATE;
    const runner = this.#index + RUNNER;
    const cpu = boundCpu();
    const tag = ownerTag(cpu);
    for (;;) {
      const state = Atomics.compareExchange(words, at, INCOMPLETE, RUNNING);
      if (state === INCOMPLETE) break;
      if (state === COMPLETE) return this.#completed();
      if (state === POISONED) throw this.#poisoned();
      if (Atomics.load(words, runner) === tag) throw new ReentrantInitError();
      cpu?.pause();
    }
    Atomics.store(words, runner, tag);
    try {
      this.#cell.value = init();
    } catch (error) {
      this.#thrown = { error };
      // The runner word keeps the tag: it names the CPU that threw.
      Atomics.store(words, at, POISONED);
      throw error;
    }
    Atomics.store(words, runner, 0);
    Atomics.store(words, at, COMPLETE);
    return this.#completed();
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
    if (this.#complete) return this.#cell.value;
    const words = this.#words;
    switch (Atomics.load(words, this.#index + STATE)) {
      case COMPLETE:
        return this.#completed();
      case POISONED:
        throw this.#poisoned();
      case RUNNING:
        if (
          Atomics.load(words, this.#index + RUNNER) === ownerTag(boundCpu())
        ) {
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
    return this.#complete ||
      Atomics.load(this.#words, this.#index + STATE) === COMPLETE;
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
    return Atomics.load(this.#words, this.#index + STATE) === POISONED;
  }

  // The value, once the state is seen complete.
  #completed(): T {
    this.#complete = true;
    return this.#cell.value;
  }

  #poisoned(): OncePoisonedError {
    const cpu = cpuOfTag(Atomics.load(this.#words, this.#index + RUNNER));
    const thrown = this.#thrown;
    return new OncePoisonedError(
      thrown === undefined ? { cpu } : { cpu, cause: thrown.error },
    );
  }
}
