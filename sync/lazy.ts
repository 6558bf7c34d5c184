import type { PhysicalMemory } from "../machine/physical_memory.ts";
import type { MemoryType } from "./memory_type.ts";
import { Once } from "./once.ts";

/** Where {@linkcode Lazy.inMemory} keeps the value, and how it computes it. */
export interface LazyInMemoryOptions<T> {
  /** How the value is laid out in memory. */
  type: MemoryType<T>;
  /** Computes the value, on first use by any CPU. */
  init: () => T;
}

/**
 * A value computed on first use: `spin::Lazy`, and the type behind
 * {@linkcode lazyStatic}. The first read of `value` (or `get()`) runs the
 * initialiser, through a {@linkcode Once}, so it runs exactly once; later
 * reads return the same value.
 *
 * An initialiser that throws poisons the `Lazy` (later reads throw
 * `OncePoisonedError`); one that reads its own `Lazy` throws
 * `ReentrantInitError` instead of spinning forever.
 *
 * `new Lazy(init)` keeps the value as a JS value, for one CPU (one
 * Worker); {@linkcode Lazy.inMemory} keeps it in machine RAM behind a
 * memory-backed `Once` (whose layout it has), computed once for every CPU
 * that makes one at the same address.
 *
 * @typeParam T The type of the value.
 *
 * @example Computed once, on first use
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * let runs = 0;
 * const table = new Lazy(() => {
 *   runs++;
 *   return [1, 2, 3];
 * });
 * strictEqual(runs, 0);
 * strictEqual(table.value.length, 3);
 * strictEqual(table.get(), table.value);
 * strictEqual(runs, 1);
 * ```
 */
export class Lazy<T> {
  #once: Once<T>;
  #init: () => T;

  /**
   * Creates the lazy value; `init` does not run yet.
   *
   * @param init Computes the value, on first use.
   */
  constructor(init: () => T) {
    this.#once = new Once<T>();
    this.#init = init;
  }

  /**
   * The lazy value kept at `address` of machine memory, as
   * `Once.inMemory(memory, address, options.type)` lays it out: the state
   * word at +0, the runner at +4, the value at +8. The first CPU to read it
   * runs `options.init`; the others, on any Worker, read what it wrote.
   *
   * @typeParam T The type of the value.
   * @param memory The machine's RAM (`machine.memory`).
   * @param address The physical address of the `Once`'s state word.
   * @param options The value's type and its initialiser.
   * @returns The lazy value.
   * @throws {RangeError} If `address` is not a multiple of 4 (and of the
   *   value's alignment less 8), or the `Once` does not fit RAM.
   *
   * @example A value computed once for all CPUs
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/mod.ts";
   * import { MemoryTypes } from "./memory_type.ts";
   *
   * const ram = new PhysicalMemory(1 << 16);
   * const options = { type: MemoryTypes.u32, init: () => 6 * 7 };
   * const a = Lazy.inMemory(ram, 0x400, options);
   * const b = Lazy.inMemory(ram, 0x400, { ...options, init: () => 0 });
   * strictEqual(a.value, 42);
   * strictEqual(b.value, 42); // computed by `a`
   * strictEqual(ram.readU32(0x408), 42);
   * ```
   */
  static inMemory<T>(
    memory: PhysicalMemory,
    address: number,
    options: LazyInMemoryOptions<T>,
  ): Lazy<T> {
    const once = Once.inMemory(memory, address, options.type);
    const lazy = new Lazy(options.init);
    lazy.#once = once;
    return lazy;
  }

  /**
   * The value, computed now if this is the first use.
   *
   * @returns The value.
   * @throws {OncePoisonedError} If the initialiser threw before.
   * @throws {ReentrantInitError} If read from inside the initialiser.
   */
  get value(): T {
    return this.#once.callOnce(this.#init);
  }

  /**
   * The value, computed now if this is the first use (the same as `value`).
   *
   * @returns The value.
   * @throws {OncePoisonedError} If the initialiser threw before.
   * @throws {ReentrantInitError} If called from inside the initialiser.
   *
   * @example Forcing it
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new Lazy(() => 6 * 7).get(), 42);
   * ```
   */
  get(): T {
    return this.#once.callOnce(this.#init);
  }

  /**
   * Whether the value has been computed.
   *
   * @returns `true` after the first use.
   *
   * @example Not until used
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const lazy = new Lazy(() => 1);
   * strictEqual(lazy.isInitialized(), false);
   * lazy.get();
   * strictEqual(lazy.isInitialized(), true);
   * ```
   */
  isInitialized(): boolean {
    return this.#once.isCompleted();
  }
}

/**
 * The seed's `lazy_static!`: `lazy_static! { static ref X: T = e; }` is
 * `const X = lazyStatic(() => e)`, and Rust's auto-deref `*X` / `X.method()`
 * is `X.value` / `X.value.method()` — so the seed's global heap reads
 * `GLOBAL_HEAP.value.lock()`. The initialiser runs once, on first use.
 *
 * @typeParam T The type of the value.
 * @param init Computes the value, on first use.
 * @returns The lazy value.
 *
 * @example A global heap behind a mutex
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Mutex } from "./mutex.ts";
 *
 * class Heap {
 *   used = 0;
 * }
 *
 * const GLOBAL_HEAP = lazyStatic(() => new Mutex(new Heap()));
 *
 * {
 *   using heap = GLOBAL_HEAP.value.lock();
 *   heap.value.used += 64;
 * }
 * strictEqual(GLOBAL_HEAP.value.lock().value.used, 64);
 * ```
 */
export function lazyStatic<T>(init: () => T): Lazy<T> {
  return new Lazy(init);
}
