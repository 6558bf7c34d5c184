/**
 * What was wrong with a call to a {@linkcode Heap}.
 *
 * @example Telling a double free from other misuse
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/physical_memory.ts";
 * import { Heap } from "./heap.ts";
 * import { HeapError } from "./heap_error.ts";
 *
 * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0x1000, size: 0x8_0000 });
 * const pointer = heap.alloc(64, 8)!;
 * heap.dealloc(pointer, 64, 8);
 * let kind: HeapErrorKind | undefined;
 * try {
 *   heap.dealloc(pointer, 64, 8);
 * } catch (e) {
 *   if (e instanceof HeapError) kind = e.kind;
 * }
 * strictEqual(kind, "double free");
 * ```
 */
export type HeapErrorKind =
  /** A layout of size 0: undefined behaviour for Rust's `GlobalAlloc`, refused here. */
  | "zero size"
  /** A size that is not a positive safe integer (a fraction, a negative, NaN). */
  | "invalid size"
  /** An alignment that is not a power of two from 1 to 4096. */
  | "alignment"
  /** A pointer outside the heap's blocks: not in the region, in its
   * metadata, or not an integer address at all. */
  | "foreign"
  /** A pointer inside an allocated block (or slab slot), not at its start. */
  | "inside block"
  /** A pointer to memory that is free: freed already, or never handed out. */
  | "double free"
  /** A layout that does not match the allocation's (its size class, or
   * for a block of 4 KiB or more its exact size and alignment). */
  | "layout mismatch"
  /** `Heap.attach` at an address that holds no heap header. */
  | "no heap";

/**
 * Options of {@linkcode HeapError}.
 *
 * @example Naming the pointer
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { HeapError } from "./heap_error.ts";
 *
 * const options: HeapErrorOptions = { pointer: 0x4000 };
 * strictEqual(new HeapError("foreign", "Cannot free 0x4000", options).pointer, 0x4000);
 * ```
 */
export interface HeapErrorOptions {
  /** The pointer that was passed, if the error is about one. */
  readonly pointer?: number;
}

/**
 * Thrown by a {@linkcode Heap} for a call that breaks its contract (Rust's
 * `GlobalAlloc` safety rules): a size of 0, a bad alignment, a pointer the
 * heap did not hand out or has taken back, or a layout that is not the
 * one of the allocation. Running out of memory is not an error: `alloc`
 * and `realloc` return `undefined`, as Rust's return null.
 *
 * @example A pointer inside a block
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/physical_memory.ts";
 * import { Heap } from "./heap.ts";
 *
 * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0x1000, size: 0x8_0000 });
 * const pointer = heap.alloc(100, 8)!;
 * throws(() => heap.dealloc(pointer + 8, 100, 8), {
 *   name: "HeapError",
 *   kind: "inside block",
 * });
 * ```
 */
export class HeapError extends Error {
  /** What was wrong. */
  readonly kind: HeapErrorKind;
  /** The pointer passed, if the error is about one. */
  readonly pointer: number | undefined;

  /**
   * Builds the error.
   *
   * @param kind What was wrong.
   * @param message The message: what was wrong and what was expected.
   * @param options The pointer the error is about.
   *
   * @example A hand-made error
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const error = new HeapError("zero size", "Invalid size 0 for alloc");
   * strictEqual(error.name, "HeapError");
   * strictEqual(error.kind, "zero size");
   * strictEqual(error.pointer, undefined);
   * ```
   */
  constructor(
    kind: HeapErrorKind,
    message: string,
    options: HeapErrorOptions = {},
  ) {
    super(message);
    this.name = "HeapError";
    this.kind = kind;
    this.pointer = options.pointer;
  }
}
