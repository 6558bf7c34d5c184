import type { MemoryRegion } from "../machine/boot_info.ts";
import { checkPageSize } from "./_checks.ts";
import { type PageSize, Size4KiB } from "./page_size.ts";
import { PhysFrame } from "./phys_frame.ts";

const FRAME = 4096;
// The highest end of usable RAM the bitmap covers: 4 TiB, 2^30 frames.
const MAX_END = 2 ** 42;
const ALL = 0xffff_ffff;
// Frames per 2 MiB and per 1 GiB frame, and words of the bitmap in each.
const FRAMES_2M = 512;
const FRAMES_1G = 262_144;

/**
 * Why a frame could not be freed.
 *
 * @example Freeing a frame of the boot page tables
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { FrameAllocator, FrameAllocatorError } from "./frame_allocator.ts";
 * import { PhysFrame } from "./phys_frame.ts";
 *
 * const allocator = new FrameAllocator([
 *   { start: 0x1000, end: 0x8000, kind: "page-tables" },
 *   { start: 0x10_0000, end: 0x20_0000, kind: "usable" },
 * ]);
 * let kind: FrameAllocatorErrorKind | undefined;
 * try {
 *   allocator.deallocate(PhysFrame.containingAddress(0x1000));
 * } catch (e) {
 *   if (e instanceof FrameAllocatorError) kind = e.kind;
 * }
 * strictEqual(kind, "foreign");
 * ```
 */
export type FrameAllocatorErrorKind =
  /** The frame is already free. */
  | "double free"
  /** The frame is not (all) in the usable RAM of the memory map. */
  | "foreign"
  /** Frees must match allocations: a huge frame as that size, and never a
   * 4 KiB or 2 MiB piece of a larger allocation. */
  | "size mismatch";

/**
 * Options of {@linkcode FrameAllocatorError}.
 *
 * @example Naming the allocation in the message
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { FrameAllocatorError } from "./frame_allocator.ts";
 * import { PhysFrame } from "./phys_frame.ts";
 * import { Size2MiB } from "./page_size.ts";
 *
 * const options: FrameAllocatorErrorOptions = {
 *   allocation: PhysFrame.containingAddress(0x20_0000, Size2MiB),
 * };
 * const error = new FrameAllocatorError("size mismatch", PhysFrame.containingAddress(0x20_1000), options);
 * strictEqual(
 *   error.message,
 *   "Cannot free PhysFrame[4KiB](0x201000): it is part of PhysFrame[2MiB](0x200000), allocated as a whole; free that frame",
 * );
 * ```
 */
export interface FrameAllocatorErrorOptions {
  /** For `"size mismatch"`: the allocation that holds the frame. */
  readonly allocation?: PhysFrame;
}

/**
 * Thrown by {@linkcode FrameAllocator.deallocate} when a frame cannot be
 * freed: a double free, a frame outside usable RAM, or a free that does
 * not match the allocation.
 *
 * @example A double free
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { FrameAllocator } from "./frame_allocator.ts";
 *
 * const allocator = new FrameAllocator([{ start: 0x10_0000, end: 0x20_0000, kind: "usable" }]);
 * const frame = allocator.allocate()!;
 * allocator.deallocate(frame);
 * throws(() => allocator.deallocate(frame), {
 *   name: "FrameAllocatorError",
 *   message: "Double free of PhysFrame[4KiB](0x100000): the frame is already free",
 * });
 * ```
 */
export class FrameAllocatorError extends Error {
  /** What was wrong. */
  readonly kind: FrameAllocatorErrorKind;
  /** The frame that was being freed. */
  readonly frame: PhysFrame;

  /**
   * Builds the error.
   *
   * @param kind What was wrong.
   * @param frame The frame that was being freed.
   * @param options The allocation that holds the frame, for a size
   *   mismatch.
   *
   * @example Only usable regions count
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysFrame } from "./phys_frame.ts";
   *
   * const error = new FrameAllocatorError("foreign", PhysFrame.containingAddress(0));
   * strictEqual(error.kind, "foreign");
   * ```
   */
  constructor(
    kind: FrameAllocatorErrorKind,
    frame: PhysFrame,
    options: FrameAllocatorErrorOptions = {},
  ) {
    const { allocation } = options;
    super(
      kind === "double free"
        ? `Double free of ${frame}: the frame is already free`
        : kind === "foreign"
        ? `Cannot free ${frame}: it is not in usable RAM, the only frames this allocator hands out`
        : allocation === undefined
        ? `Cannot free ${frame}: it was not allocated as one ${frame.size.name} frame`
        : `Cannot free ${frame}: it is part of ${allocation}, allocated as a whole; free that frame`,
    );
    this.name = "FrameAllocatorError";
    this.kind = kind;
    this.frame = frame;
  }
}

// The index of the lowest set bit of a non-zero 32-bit value.
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * A physical frame allocator over the usable RAM of a memory map: the
 * regions of kind `"usable"` (others, such as the boot page tables, are
 * never handed out). Like a kernel's first allocator, it keeps one bit per
 * 4 KiB frame (1 = free) in a `Uint32Array`, with two summary bitmaps
 * over its words (one bit per word: some frame free; all 32 free), and it
 * never touches RAM itself: a frame it returns holds whatever was there.
 *
 * 4 KiB frames come from the lowest free address up, with a hint below
 * which no frame is free, so allocation is O(1) amortised. 2 MiB and 1 GiB
 * frames are naturally aligned runs of free usable RAM; they are taken
 * from the top of RAM down, so that the small frames (from the bottom)
 * break up huge runs last. Allocating a huge frame marks all its 4 KiB
 * frames used; it must be freed as that size.
 *
 * It is not safe to share between CPUs on its own: put it behind a lock.
 *
 * @example Allocating, freeing and counting
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Size2MiB } from "./page_size.ts";
 *
 * const allocator = new FrameAllocator([
 *   { start: 0, end: 0x10_0000, kind: "reserved" },
 *   { start: 0x10_0000, end: 0x80_0000, kind: "usable" },
 * ]);
 * strictEqual(allocator.freeFrames, 1792); // 7 MiB
 * strictEqual(`${allocator.allocate()}`, "PhysFrame[4KiB](0x100000)");
 * strictEqual(`${allocator.allocate(Size2MiB)}`, "PhysFrame[2MiB](0x600000)");
 * strictEqual(allocator.usedFrames, 1 + 512);
 * ```
 */
export class FrameAllocator {
  // One bit per 4 KiB frame: 1 = free and usable.
  #free: Uint32Array;
  // One bit per word of #free: the word is not 0 / the word is all ones.
  #any: Uint32Array;
  #full: Uint32Array;
  // The merged usable ranges, in frames: [start, end), ascending.
  #starts: number[] = [];
  #ends: number[] = [];
  #usable = 0;
  #freeCount = 0;
  // No word below this one has a free frame.
  #low = 0;
  // Per level (2: 2 MiB, 3: 1 GiB): no block at or above this index is
  // entirely free.
  #hugeTop: number[] = [0, 0, 0, 0];
  // The huge allocations: first frame number → size.
  #huge = new Map<number, PageSize>();

  /**
   * Makes an allocator over the usable regions of a memory map (the
   * `memoryMap` of the `BootInfo` that `Machine.run` hands the kernel).
   * Region bounds are rounded inwards to whole 4 KiB frames; overlapping
   * usable regions are merged.
   *
   * @param memoryMap The memory map.
   * @throws {RangeError} If a region's bounds are not integers with
   *   0 ≤ start ≤ end, or usable RAM ends above 4 TiB (the bitmap's
   *   reach).
   *
   * @example Only usable regions count
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const allocator = new FrameAllocator([
   *   { start: 0x1000, end: 0x5000, kind: "page-tables" },
   *   { start: 0x10_0000, end: 0x10_2000, kind: "usable" },
   * ]);
   * strictEqual(allocator.freeFrames, 2);
   * ```
   */
  constructor(memoryMap: readonly MemoryRegion[]) {
    const ranges: [number, number][] = [];
    let top = 0;
    for (const region of memoryMap) {
      const { start, end, kind } = region;
      if (
        !Number.isSafeInteger(start) || !Number.isSafeInteger(end) ||
        start < 0 || end < start
      ) {
        throw new RangeError(
          `Invalid memory region [${start}, ${end}): expected integers with 0 <= start <= end`,
        );
      }
      if (kind !== "usable") continue;
      const first = Math.ceil(start / FRAME);
      const last = Math.floor(end / FRAME);
      if (first >= last) continue;
      if (end > MAX_END) {
        throw new RangeError(
          `Invalid memory region [${start}, ${end}): usable RAM must end at or below 4 TiB (2^42), the reach of the bitmap`,
        );
      }
      ranges.push([first, last]);
      top = Math.max(top, last);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    for (const [first, last] of ranges) {
      const n = this.#ends.length;
      if (n > 0 && first <= this.#ends[n - 1]!) {
        this.#ends[n - 1] = Math.max(this.#ends[n - 1]!, last);
      } else {
        this.#starts.push(first);
        this.#ends.push(last);
      }
    }
    const words = Math.ceil(top / 32);
    this.#free = new Uint32Array(words);
    this.#any = new Uint32Array(Math.ceil(words / 32));
    this.#full = new Uint32Array(Math.ceil(words / 32));
    for (let i = 0; i < this.#starts.length; i++) {
      this.#markFree(this.#starts[i]!, this.#ends[i]!);
      this.#usable += this.#ends[i]! - this.#starts[i]!;
    }
    this.#freeCount = this.#usable;
    this.#hugeTop[2] = Math.floor(top / FRAMES_2M);
    this.#hugeTop[3] = Math.floor(top / FRAMES_1G);
  }

  /**
   * The number of free 4 KiB frames.
   *
   * @returns The count.
   *
   * @example One allocated, three free
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const allocator = new FrameAllocator([{ start: 0, end: 0x4000, kind: "usable" }]);
   * allocator.allocate();
   * strictEqual(allocator.freeFrames, 3);
   * ```
   */
  get freeFrames(): number {
    return this.#freeCount;
  }

  /**
   * The number of allocated 4 KiB frames (a 2 MiB frame counts 512).
   *
   * @returns The count.
   *
   * @example Counting an allocation
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const allocator = new FrameAllocator([{ start: 0, end: 0x4000, kind: "usable" }]);
   * allocator.allocate();
   * strictEqual(allocator.usedFrames, 1);
   * ```
   */
  get usedFrames(): number {
    return this.#usable - this.#freeCount;
  }

  /**
   * The number of 4 KiB frames of usable RAM: free plus used.
   *
   * @returns The count.
   *
   * @example Four frames of usable RAM
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new FrameAllocator([{ start: 0, end: 0x4000, kind: "usable" }]).usableFrames, 4);
   * ```
   */
  get usableFrames(): number {
    return this.#usable;
  }

  /**
   * Allocates a frame: a 4 KiB frame at the lowest free address, or a
   * naturally aligned 2 MiB or 1 GiB run of free usable RAM, the highest
   * there is (the crate's `FrameAllocator::allocate_frame`).
   *
   * @param size The frame size, {@linkcode Size4KiB} by default.
   * @returns The frame, or `undefined` when no free frame (or run) of that
   *   size is left.
   * @throws {TypeError} If the size is not one of the three page sizes.
   *
   * @example Running out
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Size2MiB } from "./page_size.ts";
   *
   * const allocator = new FrameAllocator([{ start: 0x1000, end: 0x3000, kind: "usable" }]);
   * strictEqual(allocator.allocate()?.startAddress().value, 0x1000);
   * strictEqual(allocator.allocate(Size2MiB), undefined); // no aligned 2 MiB run
   * strictEqual(allocator.allocate()?.startAddress().value, 0x2000);
   * strictEqual(allocator.allocate(), undefined);
   * ```
   */
  allocate(size: PageSize = Size4KiB): PhysFrame | undefined {
    if (size !== Size4KiB) {
      const s = checkPageSize(size);
      if (s !== Size4KiB) return this.#allocateHuge(s);
    }
    const free = this.#free;
    let w = this.#low;
    if (w < free.length && free[w] === 0) w = this.#nextAny(w + 1);
    if (w >= free.length) {
      this.#low = free.length;
      return undefined;
    }
    this.#low = w;
    const bits = free[w]!;
    const bit = lowestBit(bits);
    this.#setWord(w, bits & ~(1 << bit));
    this.#freeCount--;
    return PhysFrame.fromStartAddress((w * 32 + bit) * FRAME);
  }

  /**
   * Frees a frame that {@linkcode FrameAllocator.allocate} returned, so
   * that it can be handed out again (the crate's
   * `FrameDeallocator::deallocate_frame`).
   *
   * @param frame The frame, with the size it was allocated as.
   * @throws {FrameAllocatorError} If it is not in usable RAM
   *   (`"foreign"`), already free (`"double free"`), or does not match an
   *   allocation (`"size mismatch"`: a huge frame not allocated as that
   *   size, or a piece of a huge allocation).
   *
   * @example Freed frames are reused lowest first
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const allocator = new FrameAllocator([{ start: 0, end: 0x10_0000, kind: "usable" }]);
   * const a = allocator.allocate()!;
   * allocator.allocate();
   * allocator.deallocate(a);
   * strictEqual(allocator.allocate()?.equals(a), true);
   * ```
   */
  deallocate(frame: PhysFrame): void {
    const first = frame.startAddress().value / FRAME;
    const count = frame.size.bytes / FRAME;
    if (!this.#isUsable(first, first + count)) {
      throw new FrameAllocatorError("foreign", frame);
    }
    if (count === 1) {
      const allocation = this.#hugeHolding(first);
      if (allocation !== undefined) {
        throw new FrameAllocatorError("size mismatch", frame, { allocation });
      }
      const w = first >>> 5;
      const bits = this.#free[w]!;
      const bit = 1 << (first & 31);
      if (bits & bit) throw new FrameAllocatorError("double free", frame);
      this.#setWord(w, bits | bit);
      this.#freeCount++;
      if (w < this.#low) this.#low = w;
      const block = Math.floor(first / FRAMES_2M);
      if (block >= this.#hugeTop[2]!) this.#hugeTop[2] = block + 1;
      const giant = Math.floor(first / FRAMES_1G);
      if (giant >= this.#hugeTop[3]!) this.#hugeTop[3] = giant + 1;
      return;
    }
    if (this.#huge.get(first) !== frame.size) {
      const allocation = this.#hugeHolding(first);
      if (
        allocation !== undefined &&
        allocation.size.bytes > frame.size.bytes
      ) {
        throw new FrameAllocatorError("size mismatch", frame, { allocation });
      }
      throw new FrameAllocatorError(
        this.#allFree(first, count) ? "double free" : "size mismatch",
        frame,
      );
    }
    this.#huge.delete(first);
    this.#markFree(first, first + count);
    this.#freeCount += count;
    const w = first >>> 5;
    if (w < this.#low) this.#low = w;
    const block = first / FRAMES_2M;
    if (block >= this.#hugeTop[2]!) {
      this.#hugeTop[2] = block + count / FRAMES_2M;
    }
    const giant = Math.floor(first / FRAMES_1G);
    if (giant >= this.#hugeTop[3]!) this.#hugeTop[3] = giant + 1;
  }

  /**
   * Whether every 4 KiB frame of `frame` is usable RAM and free.
   *
   * @param frame The frame.
   * @returns Whether it could be allocated.
   *
   * @example Free, and not usable
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysFrame } from "./phys_frame.ts";
   *
   * const allocator = new FrameAllocator([{ start: 0x10_0000, end: 0x20_0000, kind: "usable" }]);
   * strictEqual(allocator.isFree(PhysFrame.containingAddress(0x10_0000)), true);
   * strictEqual(allocator.isFree(PhysFrame.containingAddress(0)), false); // not usable
   * ```
   */
  isFree(frame: PhysFrame): boolean {
    const first = frame.startAddress().value / FRAME;
    const count = frame.size.bytes / FRAME;
    return this.#isUsable(first, first + count) && this.#allFree(first, count);
  }

  // The first word at or after `from` with a free frame, or the length of
  // the bitmap: a scan of the `#any` summary, 32 words per step.
  #nextAny(from: number): number {
    const any = this.#any;
    let j = from >>> 5;
    if (j >= any.length) return this.#free.length;
    let m = (any[j]! & (ALL << (from & 31))) >>> 0;
    while (m === 0) {
      if (++j >= any.length) return this.#free.length;
      m = any[j]!;
    }
    return j * 32 + lowestBit(m);
  }

  #allocateHuge(size: PageSize): PhysFrame | undefined {
    const level = size.level;
    const frames = size.bytes / FRAME;
    const wordsPerBlock = frames / 32;
    let block = this.#hugeTop[level]! - 1;
    for (; block >= 0; block--) {
      if (this.#blockFree(block, wordsPerBlock)) break;
    }
    this.#hugeTop[level] = Math.max(block, 0);
    if (block < 0) return undefined;
    const first = block * frames;
    this.#fillWords(block * wordsPerBlock, (block + 1) * wordsPerBlock, 0);
    this.#freeCount -= frames;
    this.#huge.set(first, size);
    return PhysFrame.fromStartAddress(first * FRAME, size);
  }

  // Whether the words of a huge block are all free, from the `#full`
  // summary: 16 bits of one word for 2 MiB, 256 whole words for 1 GiB.
  #blockFree(block: number, wordsPerBlock: number): boolean {
    const full = this.#full;
    if (wordsPerBlock === 16) {
      const shift = (block & 1) * 16;
      return ((full[block >>> 1]! >>> shift) & 0xffff) === 0xffff;
    }
    const first = block * (wordsPerBlock / 32);
    for (let j = first, end = first + wordsPerBlock / 32; j < end; j++) {
      if (full[j] !== ALL) return false;
    }
    return true;
  }

  // Stores a word of the bitmap and keeps both summaries right.
  #setWord(w: number, value: number): void {
    const v = value >>> 0;
    this.#free[w] = v;
    const j = w >>> 5;
    const bit = 1 << (w & 31);
    this.#any[j] = v === 0 ? this.#any[j]! & ~bit : this.#any[j]! | bit;
    this.#full[j] = v === ALL ? this.#full[j]! | bit : this.#full[j]! & ~bit;
  }

  // Sets the bits of frames [first, end) (all usable): whole words with a
  // fill, the partial words at either end bit by bit.
  #markFree(first: number, end: number): void {
    let f = first;
    while (f < end) {
      const w = f >>> 5;
      const lo = f & 31;
      if (lo === 0 && end - f >= 32) {
        const words = Math.floor((end - f) / 32);
        this.#fillWords(w, w + words, ALL);
        f += words * 32;
        continue;
      }
      const n = Math.min(32 - lo, end - f);
      const mask = n === 32 ? ALL : ((1 << n) - 1) << lo;
      this.#setWord(w, this.#free[w]! | mask);
      f += n;
    }
  }

  // Sets the words [from, to) of the bitmap to all free (ALL) or all used
  // (0), and their bits in both summaries.
  #fillWords(from: number, to: number, value: number): void {
    this.#free.fill(value, from, to);
    const any = this.#any;
    const full = this.#full;
    let w = from;
    while (w < to) {
      const j = w >>> 5;
      const lo = w & 31;
      const n = Math.min(32 - lo, to - w);
      const mask = n === 32 ? ALL : ((1 << n) - 1) << lo;
      if (value === 0) {
        any[j] = any[j]! & ~mask;
        full[j] = full[j]! & ~mask;
      } else {
        any[j] = any[j]! | mask;
        full[j] = full[j]! | mask;
      }
      w += n;
    }
  }

  // Whether the frames [first, first + count) are all free.
  #allFree(first: number, count: number): boolean {
    const free = this.#free;
    if (count === 1) {
      return ((free[first >>> 5]! >>> (first & 31)) & 1) === 1;
    }
    for (let w = first >>> 5, end = w + count / 32; w < end; w++) {
      if (free[w] !== ALL) return false;
    }
    return true;
  }

  // Whether the frames [first, end) lie in one usable range.
  #isUsable(first: number, end: number): boolean {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= first) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && end <= this.#ends[lo - 1]!;
  }

  // The huge allocation that holds frame `f`, if any.
  #hugeHolding(f: number): PhysFrame | undefined {
    for (const frames of [FRAMES_2M, FRAMES_1G]) {
      const first = f - (f % frames);
      const size = this.#huge.get(first);
      if (size !== undefined && f < first + size.bytes / FRAME) {
        return PhysFrame.fromStartAddress(first * FRAME, size);
      }
    }
    return undefined;
  }
}
