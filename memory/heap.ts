import { byteSize, hex } from "../machine/_hex.ts";
import type { PhysicalMemory } from "../machine/physical_memory.ts";
import {
  buddyAlloc,
  buddyFormat,
  buddyFree,
  buddyFreeBytes,
  buddyResize,
  containingBlock,
} from "./_buddy.ts";
import {
  blockOrder,
  D_ALIGN,
  D_BITMAP,
  D_COUNT,
  D_TAG,
  DESCRIPTOR_SIZE,
  DESCRIPTOR_WORDS,
  H_ARENA,
  H_DESCRIPTORS,
  H_FREE_LISTS,
  H_FREE_MASK,
  H_IN_USE,
  H_LIVE,
  H_MAGIC,
  H_MAX_ORDER,
  H_OFFSET_HIGH,
  H_OFFSET_LOW,
  H_PAGES,
  H_PARTIAL,
  H_SIZE,
  H_SPARE,
  H_VERSION,
  HEADER_SIZE,
  KIND_BLOCK,
  KIND_FREE,
  KIND_SLAB,
  KIND_TAIL,
  MAGIC,
  MAX_ALIGN,
  MAX_ORDER,
  MAX_REGION,
  NONE,
  PAGE_SHIFT,
  PAGE_SIZE,
  sizeClass,
  SLAB_CLASSES,
  SLAB_MAX,
  VERSION,
} from "./_heap_layout.ts";
import {
  slabFormat,
  slabFree,
  slabTrim,
  slotAlloc,
  slotFree,
} from "./_slab.ts";
import { HeapError } from "./heap_error.ts";

/** The alignment of `alloc` and `dealloc` when none is given. */
const DEFAULT_ALIGN = 16;

// The heap reads and writes its words through an Int32Array, in the host's
// byte order; its documented layout is little-endian, as the machine is.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Where {@linkcode Heap.create} puts a heap, and how it names its blocks.
 *
 * @example A heap in the 4 MiB from 0x40_0000, seen at a higher-half direct map
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/physical_memory.ts";
 * import { Heap } from "./heap.ts";
 *
 * const options: HeapOptions = {
 *   start: 0x40_0000,
 *   size: 4 << 20,
 *   virtualOffset: 0xffff_8000_0000_0000n,
 * };
 * const heap = Heap.create(new PhysicalMemory(16 << 20), options);
 * ok(heap.alloc(64, 8)! < 0); // -2^47 + physical: canonical, signed
 * ```
 */
export interface HeapOptions {
  /**
   * The physical address of the region's first byte, where the header
   * goes (and the address `Heap.attach` takes): a multiple of 8.
   */
  readonly start: number;
  /**
   * The region's size in bytes, header and page descriptors included:
   * at most 4 GiB less 4 KiB (0xFFFF_F000), and enough for the header, one
   * descriptor and one 4 KiB page.
   */
  readonly size: number;
  /**
   * What is added to a block's physical address to make the pointer that
   * `alloc` returns and `dealloc` takes: 0 (the default) for the boot
   * identity map, or the base of the kernel's direct map of physical
   * memory, such as `0xffff_8000_0000_0000n` (a `bigint` as unsigned 64
   * bits, or the signed `number` −2^47). A multiple of 4096, so that
   * pointers keep their physical alignment; with it, every pointer must be
   * a canonical virtual address. Pointers are `number`s: a higher-half
   * pointer is negative (its signed 64-bit value).
   */
  readonly virtualOffset?: number | bigint;
}

/**
 * The figures of {@linkcode Heap.stats}. `bytesInUse + bytesFree +
 * bytesMetadata` is always `size`.
 *
 * @example The figures add up
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/physical_memory.ts";
 * import { Heap } from "./heap.ts";
 *
 * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0, size: 1 << 20 });
 * heap.alloc(100, 8);
 * const stats: HeapStats = heap.stats();
 * strictEqual(stats.bytesInUse, 128); // the 128-byte size class
 * strictEqual(stats.bytesInUse + stats.bytesFree + stats.bytesMetadata, stats.size);
 * ```
 */
export interface HeapStats {
  /** The region's size in bytes. */
  readonly size: number;
  /** Bytes of the blocks and slab slots handed out (rounded up to their
   * size class or power-of-two block, so at least what was asked for). */
  readonly bytesInUse: number;
  /** Bytes that can still be handed out: free blocks and free slab slots. */
  readonly bytesFree: number;
  /** Bytes that are never handed out: the header, the page descriptors
   * and the padding before the first page and after the last. */
  readonly bytesMetadata: number;
  /**
   * The size of the largest free block: a buddy block, or when none is
   * free the largest free slab slot. `alloc(largestFree, 1)` succeeds
   * (while nothing else is allocated in between); 0 when nothing is free.
   */
  readonly largestFree: number;
  /** Allocations handed out and not freed yet. */
  readonly allocations: number;
}

/**
 * A kernel heap in machine memory, with Rust's `GlobalAlloc` contract:
 * {@linkcode Heap.alloc}, {@linkcode Heap.dealloc} and
 * {@linkcode Heap.realloc} take a layout (size and alignment), and
 * `dealloc` and `realloc` take back the layout of the allocation, which
 * the heap checks. Running out of memory returns `undefined` (Rust's null);
 * misuse — size 0, a bad alignment, a double free, a pointer the heap did
 * not hand out, a layout that does not match — throws a
 * {@linkcode HeapError} with a `kind`.
 *
 * **Algorithm.** Layouts of up to 2 KiB (the larger of size and alignment)
 * take a slot of a slab: a 4 KiB page cut into slots of one power-of-two
 * size class, 16, 32, … 2048 bytes, so a slot is aligned to its size. The
 * rest take a block of 2^k pages from a buddy allocator (4 KiB, 8 KiB, …,
 * naturally aligned in the arena), which also gives the slabs their pages;
 * a freed block merges with its free buddy. Each class keeps one empty
 * slab for reuse; `alloc` gives those back to the buddy allocator when it
 * runs out, and so does `stats`. Alignments go up to 4096 (a page).
 *
 * **State in machine memory.** A `Heap` object is only a view: every list,
 * bitmap and counter is in the region, so {@linkcode Heap.attach} at the
 * region's start, on another CPU (another Worker sharing RAM), sees the
 * same heap. The heap does not lock: make it global for all CPUs with a
 * `Mutex.inMemory` at its start, whose lock word is reserved in the
 * header (see the example). The heap never writes in a block it hands
 * out, free or not: all its metadata is in the header and descriptors.
 *
 * **Layout** (little-endian `u32` fields; "none" is 0xFFFF_FFFF), from
 * `start`:
 *
 * | offset | size | contents |
 * | --- | --- | --- |
 * | +0 | 8 | reserved for a `Mutex.inMemory(memory, start)`: its lock word (+0) and unused word (+4); the heap never touches them (`create` zeroes them) |
 * | +8 | 4 | magic: `"HEAP"` (0x5041_4548) |
 * | +12 | 4 | format version: 1 |
 * | +16 | 4 | the region's size in bytes |
 * | +20 | 4 | the descriptor table's offset: 256 |
 * | +24 | 4 | the arena's offset (its first page), a multiple of 4096 from address 0 |
 * | +28 | 4 | N, the arena's pages |
 * | +32 | 4 | the largest buddy order: ⌊log2 N⌋ |
 * | +36 | 4 | bit k set while the free list of order k is not empty |
 * | +40 | 8 | `virtualOffset`, a signed 64-bit integer |
 * | +48 | 4 | bytes in use |
 * | +52 | 4 | allocations not freed |
 * | +64 | 84 | the first free block of each order 0 … 20 (a page index) |
 * | +160 | 32 | the first slab with a free slot of each class 0 … 7 |
 * | +192 | 32 | the empty slab kept for reuse of each class 0 … 7 |
 * | +256 | 64 × N | one descriptor per arena page (below) |
 * | arena | 4096 × N | the pages |
 *
 * A page descriptor:
 *
 * | offset | size | contents |
 * | --- | --- | --- |
 * | +0 | 4 | tag: bits 7..0 the kind — 0 a page inside a block, 1 the first page of a free block, 2 the first page of an allocated block, 3 a slab — and bits 15..8 the block's order k (2^k pages) or the slab's class c (16 << c bytes) |
 * | +4 | 4 | a slab: slots in use; an allocated block: its layout's size |
 * | +8 | 4 | the next page in the free list or partial-slab list |
 * | +12 | 4 | the previous page in that list |
 * | +16 | 4 | an allocated block: its layout's alignment |
 * | +32 | 32 | a slab: the allocation bitmap, bit j for slot j (set: in use, or past the last slot) |
 *
 * A pointer is `start + arena + 4096 × page + offset + virtualOffset`.
 * The bitmaps and block tags make every double free certain to be seen
 * (while the memory is not handed out again). Overhead: 64 bytes per
 * 4 KiB page (1.6 %), plus each layout's rounding up to its slot (a power
 * of two from 16 bytes) or its block (a power of two of pages).
 *
 * @example The seed's global heap, behind a `Mutex`, made on first use
 * ```ts
 * import { ok, strictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/physical_memory.ts";
 * import { lazyStatic } from "../sync/lazy.ts";
 * import { Mutex } from "../sync/mutex.ts";
 *
 * const memory = new PhysicalMemory(8 << 20);
 * const GLOBAL_HEAP = lazyStatic(() =>
 *   new Mutex(Heap.create(memory, { start: 0x40_0000, size: 4 << 20 }))
 * );
 *
 * function allocate(size: number): number | undefined {
 *   using heap = GLOBAL_HEAP.value.lock();
 *   return heap.value.alloc(size, 8);
 * }
 *
 * const a = allocate(24)!;
 * const b = allocate(24)!;
 * ok(a >= 0x40_0000 && b >= a + 24);
 * strictEqual(allocate(8 << 20), undefined); // out of memory
 * ```
 *
 * @example One heap for all CPUs: a view on each, a lock in its header
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PhysicalMemory } from "../machine/physical_memory.ts";
 * import { Mutex } from "../sync/mutex.ts";
 *
 * const memory = new PhysicalMemory(8 << 20);
 * const HEAP = 0x40_0000;
 * Heap.create(memory, { start: HEAP, size: 4 << 20 }); // once, at boot
 *
 * // On every CPU (each a Worker with its own objects over the same RAM):
 * const heap = Heap.attach(memory, HEAP);
 * const lock = Mutex.inMemory(memory, HEAP); // the lock word at +0
 * function allocate(size: number): number | undefined {
 *   using _held = lock.lock();
 *   return heap.alloc(size, 8);
 * }
 *
 * const pointer = allocate(64)!;
 * strictEqual(Heap.attach(memory, HEAP).stats().allocations, 1);
 * heap.dealloc(pointer, 64, 8);
 * ```
 */
export class Heap {
  /**
   * The largest alignment a layout may have: 4096, a page.
   *
   * @example Page-aligned blocks
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0, size: 1 << 20 });
   * strictEqual(heap.alloc(10, Heap.MAX_ALIGN)! % 4096, 0);
   * ```
   */
  static readonly MAX_ALIGN: number = MAX_ALIGN;
  /**
   * The alignment of `alloc` and `dealloc` when none is given: 16, as
   * `malloc` guarantees on x86_64 (`alignof(max_align_t)` in the System V
   * AMD64 ABI).
   *
   * @example The default
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0, size: 1 << 20 });
   * const pointer = heap.alloc(1)!;
   * strictEqual(pointer % Heap.DEFAULT_ALIGN, 0);
   * heap.dealloc(pointer, 1); // the same default layout
   * ```
   */
  static readonly DEFAULT_ALIGN: number = DEFAULT_ALIGN;

  /** The machine's RAM, where the heap lives. */
  readonly memory: PhysicalMemory;
  /** The physical address of the region, and of its header. */
  readonly start: number;
  /** The region's size in bytes. */
  readonly size: number;
  /** What is added to physical addresses to make pointers (see {@linkcode HeapOptions.virtualOffset}). */
  readonly virtualOffset: number;

  // RAM as words, and the word indexes of the header and of descriptor 0.
  #w: Int32Array;
  #h: number;
  #d: number;
  // The pointer of the arena's first byte, and the arena's size.
  #base: number;
  #bytes: number;
  #pages: number;
  #maxOrder: number;

  private constructor(
    memory: PhysicalMemory,
    w: Int32Array,
    start: number,
    virtualOffset: number,
  ) {
    const h = start / 4;
    this.memory = memory;
    this.start = start;
    this.size = w[h + H_SIZE]! >>> 0;
    this.virtualOffset = virtualOffset;
    this.#w = w;
    this.#h = h;
    this.#d = (start + w[h + H_DESCRIPTORS]!) / 4;
    this.#pages = w[h + H_PAGES]!;
    this.#maxOrder = w[h + H_MAX_ORDER]!;
    this.#base = start + w[h + H_ARENA]! + virtualOffset;
    this.#bytes = this.#pages * PAGE_SIZE;
  }

  /**
   * Formats a region of machine memory as an empty heap (see the layout
   * in the class description) and returns a view of it. Only the header
   * and the page descriptors are written — 1.6 % of the region — never
   * the pages themselves.
   *
   * @param memory The machine's RAM (`machine.memory`).
   * @param options The region, and the offset of its pointers.
   * @returns The heap.
   * @throws {RangeError} If the region is not inside RAM, its start is
   *   not a multiple of 8, it is larger than 4 GiB less 4 KiB or too small
   *   for one page, or the virtual offset is not a multiple of 4096 that
   *   makes every pointer canonical.
   *
   * @example A heap of 1 MiB
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const memory = new PhysicalMemory(4 << 20);
   * const heap = Heap.create(memory, { start: 0x10_0000, size: 1 << 20 });
   * strictEqual(memory.readU32(0x10_0008), 0x5041_4548); // "HEAP"
   * // 252 pages: 256 bytes of header, 252 descriptors, padding to a page.
   * strictEqual(heap.stats().bytesFree, 252 * 4096);
   * strictEqual(heap.stats().largestFree, 128 * 4096);
   * ```
   */
  static create(memory: PhysicalMemory, options: HeapOptions): Heap {
    checkHost();
    const { start, size } = options;
    if (!Number.isSafeInteger(start) || start < 0 || start % 8 !== 0) {
      throw new RangeError(
        `Invalid heap start ${start}: expected a physical address that is a multiple of 8`,
      );
    }
    if (!Number.isSafeInteger(size) || size <= 0 || size > MAX_REGION) {
      throw new RangeError(
        `Invalid heap size ${size}: expected a positive integer of at most ${
          hex(MAX_REGION, 8)
        } bytes (4 GiB less 4 KiB)`,
      );
    }
    const end = start + size;
    if (end > memory.size) {
      throw new RangeError(
        `Invalid heap region ${hex(start)} to ${
          hex(end)
        }: it ends past the end of RAM at ${hex(memory.size)}`,
      );
    }
    const virtualOffset = checkVirtualOffset(options.virtualOffset, start, end);
    // As many pages as fit with their descriptors, the arena page-aligned.
    const table = start + HEADER_SIZE;
    let pages = Math.floor((end - table) / (PAGE_SIZE + DESCRIPTOR_SIZE));
    while (
      pages > 0 &&
      pageUp(table + pages * DESCRIPTOR_SIZE) + pages * PAGE_SIZE > end
    ) {
      pages--;
    }
    if (pages < 1) {
      const least = pageUp(table + DESCRIPTOR_SIZE) + PAGE_SIZE - start;
      throw new RangeError(
        `Invalid heap size ${size}: a heap at ${
          hex(start)
        } needs at least ${least} bytes (a ${HEADER_SIZE}-byte header, a ${DESCRIPTOR_SIZE}-byte page descriptor, and a 4 KiB page on a page boundary)`,
      );
    }
    const arena = pageUp(table + pages * DESCRIPTOR_SIZE);
    const maxOrder = 31 - Math.clz32(pages);

    memory.fill(start, HEADER_SIZE);
    memory.fill(table, pages * DESCRIPTOR_SIZE);
    const w = words(memory);
    const h = start / 4;
    const big = BigInt(virtualOffset);
    w[h + H_MAGIC] = MAGIC;
    w[h + H_VERSION] = VERSION;
    w[h + H_SIZE] = size;
    w[h + H_DESCRIPTORS] = HEADER_SIZE;
    w[h + H_ARENA] = arena - start;
    w[h + H_PAGES] = pages;
    w[h + H_MAX_ORDER] = maxOrder;
    w[h + H_OFFSET_LOW] = Number(BigInt.asIntN(32, big));
    w[h + H_OFFSET_HIGH] = Number(BigInt.asIntN(32, big >> 32n));
    w.fill(NONE, h + H_FREE_LISTS, h + H_FREE_LISTS + MAX_ORDER + 1);
    w.fill(NONE, h + H_PARTIAL, h + H_PARTIAL + SLAB_CLASSES);
    w.fill(NONE, h + H_SPARE, h + H_SPARE + SLAB_CLASSES);
    buddyFormat(w, h, table / 4, pages, maxOrder);
    return new Heap(memory, w, start, virtualOffset);
  }

  /**
   * A view of the heap that {@linkcode Heap.create} formatted at
   * `address`: what another CPU (another Worker over the same RAM) uses.
   * It reads the header and writes nothing. A view keeps the region's
   * fixed layout (its size, pages and offset); everything else it reads
   * from memory at each call. Attach again after `create` formats the
   * region anew.
   *
   * @param memory The machine's RAM.
   * @param address The heap's start: the `start` it was created with.
   * @returns The heap.
   * @throws {RangeError} If `address` is not a multiple of 8 with 256
   *   bytes of RAM from it.
   * @throws {HeapError} Of kind `"no heap"`, if no heap header is there.
   *
   * @example Two views of one heap
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const memory = new PhysicalMemory(1 << 20);
   * const heap = Heap.create(memory, { start: 0x1000, size: 0x8_0000 });
   * const pointer = heap.alloc(4096, 4096)!;
   * const other = Heap.attach(memory, 0x1000);
   * strictEqual(other.stats().bytesInUse, 4096);
   * other.dealloc(pointer, 4096, 4096);
   * strictEqual(heap.stats().bytesInUse, 0);
   * ```
   */
  static attach(memory: PhysicalMemory, address: number): Heap {
    checkHost();
    if (
      !Number.isSafeInteger(address) || address < 0 || address % 8 !== 0 ||
      address + HEADER_SIZE > memory.size
    ) {
      throw new RangeError(
        `Invalid heap address ${address}: expected a multiple of 8 with ${HEADER_SIZE} bytes of RAM from it`,
      );
    }
    const w = words(memory);
    const h = address / 4;
    const magic = w[h + H_MAGIC]! >>> 0;
    if (magic !== MAGIC) {
      throw new HeapError(
        "no heap",
        `No heap at ${hex(address)}: expected the magic "HEAP" (${
          hex(MAGIC, 8)
        }) at +8, found ${hex(magic, 8)}; format the region with Heap.create`,
      );
    }
    const version = w[h + H_VERSION]!;
    if (version !== VERSION) {
      throw new HeapError(
        "no heap",
        `No heap at ${
          hex(address)
        }: its format is version ${version}; this module reads version ${VERSION}`,
      );
    }
    const size = w[h + H_SIZE]! >>> 0;
    const arena = w[h + H_ARENA]! >>> 0;
    const pages = w[h + H_PAGES]! >>> 0;
    if (
      size > MAX_REGION || address + size > memory.size ||
      w[h + H_DESCRIPTORS] !== HEADER_SIZE || (address + arena) % PAGE_SIZE ||
      pages < 1 || arena < HEADER_SIZE + pages * DESCRIPTOR_SIZE ||
      arena + pages * PAGE_SIZE > size ||
      w[h + H_MAX_ORDER] !== 31 - Math.clz32(pages)
    ) {
      throw new HeapError(
        "no heap",
        `No heap at ${
          hex(address)
        }: its header is damaged (region of ${size} bytes, arena at +${arena} of ${pages} pages)`,
      );
    }
    const virtualOffset = w[h + H_OFFSET_HIGH]! * 2 ** 32 +
      (w[h + H_OFFSET_LOW]! >>> 0);
    return new Heap(memory, w, address, virtualOffset);
  }

  /**
   * Allocates a block for a layout: `GlobalAlloc::alloc`. The block's
   * contents are whatever was in memory.
   *
   * @param size The size in bytes: a positive integer.
   * @param align The alignment: a power of two from 1 to 4096; 16 if
   *   absent ({@linkcode Heap.DEFAULT_ALIGN}).
   * @returns The block's pointer (its physical address plus the heap's
   *   `virtualOffset`), a multiple of `align`; or `undefined` if the heap
   *   has no room for it.
   * @throws {HeapError} Of kind `"zero size"`, `"invalid size"` or
   *   `"alignment"`, for a layout that is not valid.
   *
   * @example Slab slots and page blocks
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0, size: 1 << 20 });
   * const a = heap.alloc(64, 8)!;
   * const b = heap.alloc(64, 8)!;
   * strictEqual(b - a, 64); // neighbouring slots of the 64-byte slab
   * strictEqual(heap.alloc(10_000, 4096)! % 4096, 0); // 4 pages
   * strictEqual(heap.alloc(2 << 20, 8), undefined); // more than the heap
   * ```
   */
  alloc(size: number, align: number = DEFAULT_ALIGN): number | undefined {
    const n = size > align ? size : align;
    if (
      n <= SLAB_MAX && size >= 1 && (size | 0) === size && align >= 1 &&
      (align & (align - 1)) === 0 && (align | 0) === align
    ) {
      const cls = n <= 16 ? 0 : 28 - Math.clz32(n - 1);
      const offset = slotAlloc(this.#w, this.#h, this.#d, cls);
      if (offset !== NONE) return this.#base + offset;
      return this.#newSlot(cls);
    }
    return this.#allocOther(size, align);
  }

  /**
   * Frees a block: `GlobalAlloc::dealloc`. The layout must be the one it
   * was allocated (or last reallocated) with: for a slab slot (layouts up
   * to 2 KiB) the same size class, for a block of pages the same size and
   * alignment.
   *
   * @param pointer The block's pointer, as `alloc` returned it.
   * @param size The layout's size.
   * @param align The layout's alignment; 16 if absent.
   * @throws {HeapError} Of kind `"double free"` if the memory is free,
   *   `"foreign"` if the pointer is not in the heap's blocks, `"inside
   *   block"` if it is not a block's start, `"layout mismatch"` if the
   *   layout is not the allocation's, or `"zero size"`, `"invalid size"`,
   *   `"alignment"` for a layout that is not valid.
   *
   * @example A double free
   * ```ts
   * import { throws } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0, size: 1 << 20 });
   * const pointer = heap.alloc(64, 8)!;
   * heap.dealloc(pointer, 64, 8);
   * throws(() => heap.dealloc(pointer, 64, 8), {
   *   name: "HeapError",
   *   kind: "double free",
   *   message: "Double free of 0x0000_0000_000f_c000: its 64-byte slot is free (freed already, or never handed out)",
   * });
   * ```
   */
  dealloc(pointer: number, size: number, align: number = DEFAULT_ALIGN): void {
    const offset = pointer - this.#base;
    const n = size > align ? size : align;
    if (
      (offset >>> 0) === offset && offset < this.#bytes && n <= SLAB_MAX &&
      size >= 1 && (size | 0) === size && align >= 1 &&
      (align & (align - 1)) === 0 && (align | 0) === align
    ) {
      const cls = n <= 16 ? 0 : 28 - Math.clz32(n - 1);
      const w = this.#w;
      const page = offset >>> PAGE_SHIFT;
      const e = this.#d + page * DESCRIPTOR_WORDS;
      const shift = cls + 4;
      if (
        w[e + D_TAG] === (KIND_SLAB | (cls << 8)) &&
        (offset & ((1 << shift) - 1)) === 0
      ) {
        const slot = (offset & (PAGE_SIZE - 1)) >>> shift;
        const i = e + D_BITMAP + (slot >>> 5);
        const v = w[i]!;
        const m = 1 << (slot & 31);
        if ((v & m) !== 0) {
          slotFree(
            w,
            this.#h,
            this.#d,
            page,
            cls,
            i,
            v,
            m,
            this.#pages,
            this.#maxOrder,
          );
          return;
        }
      }
    }
    this.#release(this.#locate(pointer, size, align, "dealloc"), pointer);
  }

  /**
   * Resizes a block: `GlobalAlloc::realloc`. The block stays where it is
   * if the new size keeps its size class, or if it is a block of pages
   * that can shrink (giving back its upper halves) or grow (taking the
   * free buddies above it) in place; otherwise a new block is allocated,
   * the first `min(oldSize, newSize)` bytes are copied to it and the old
   * block is freed.
   *
   * @param pointer The block's pointer, as `alloc` returned it.
   * @param oldSize The size it was allocated (or last reallocated) with.
   * @param align Its alignment, which the new block keeps.
   * @param newSize The new size: a positive integer.
   * @returns The block's new pointer, or `undefined` if the heap has no
   *   room for it (then the old block is still allocated, unchanged).
   * @throws {HeapError} As {@linkcode Heap.dealloc} for the old block and
   *   layout, and of kind `"zero size"` or `"invalid size"` for a new size
   *   that is not valid.
   *
   * @example Growing a buffer keeps its contents
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const memory = new PhysicalMemory(1 << 20);
   * const heap = Heap.create(memory, { start: 0, size: 1 << 20 });
   * const small = heap.alloc(16, 8)!;
   * memory.writeU32(small, 0xcafe_f00d);
   * strictEqual(heap.realloc(small, 16, 8, 12), small); // same class
   * const large = heap.realloc(small, 12, 8, 8000)!;
   * strictEqual(memory.readU32(large), 0xcafe_f00d);
   * heap.dealloc(large, 8000, 8);
   * ```
   */
  realloc(
    pointer: number,
    oldSize: number,
    align: number,
    newSize: number,
  ): number | undefined {
    checkLayout(newSize, align, "realloc", "new size");
    const page = this.#locate(pointer, oldSize, align, "realloc");
    const w = this.#w;
    const e = this.#d + page * DESCRIPTOR_WORDS;
    const tag = w[e + D_TAG]!;
    const n = newSize > align ? newSize : align;
    if ((tag & 0xff) === KIND_SLAB) {
      if (n <= SLAB_MAX && sizeClass(n) === tag >>> 8) return pointer;
    } else if (n > SLAB_MAX && n <= this.#bytes) {
      // A block: resized where it is if it can be.
      const order = tag >>> 8;
      const newOrder = blockOrder(n);
      if (
        newOrder === order ||
        buddyResize(w, this.#h, this.#d, page, order, newOrder, this.#pages)
      ) {
        w[e + D_TAG] = KIND_BLOCK | (newOrder << 8);
        w[e + D_COUNT] = newSize;
        this.#count(PAGE_SIZE * (2 ** newOrder - 2 ** order), 0);
        return pointer;
      }
    }
    const moved = this.alloc(newSize, align);
    if (moved === undefined) return undefined;
    this.memory.copy(
      moved - this.virtualOffset,
      pointer - this.virtualOffset,
      Math.min(oldSize, newSize),
    );
    this.#release(page, pointer);
    return moved;
  }

  /**
   * The heap's figures. It first gives the empty slabs kept for reuse back
   * to the buddy allocator (as `alloc` does when it runs out), so that
   * `largestFree` is what an `alloc` can get.
   *
   * @returns Bytes in use, free and of metadata, the largest free block,
   *   and the number of allocations.
   *
   * @example Freeing everything merges the blocks again
   * ```ts
   * import { deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";
   * import { PhysicalMemory } from "../machine/physical_memory.ts";
   *
   * const heap = Heap.create(new PhysicalMemory(1 << 20), { start: 0, size: 1 << 20 });
   * const empty = heap.stats();
   * const a = heap.alloc(24, 8)!;
   * const b = heap.alloc(20_000, 8)!;
   * notDeepStrictEqual(heap.stats(), empty);
   * heap.dealloc(a, 24, 8);
   * heap.dealloc(b, 20_000, 8);
   * deepStrictEqual(heap.stats(), empty);
   * ```
   */
  stats(): HeapStats {
    const w = this.#w;
    const h = this.#h;
    const d = this.#d;
    slabTrim(w, h, d, this.#pages, this.#maxOrder);
    const slabs = slabFree(w, h, d);
    const mask = w[h + H_FREE_MASK]!;
    return {
      size: this.size,
      bytesInUse: w[h + H_IN_USE]! >>> 0,
      bytesFree: buddyFreeBytes(w, h, d, this.#maxOrder) + slabs.bytes,
      bytesMetadata: this.size - this.#bytes,
      largestFree: mask === 0
        ? slabs.largest
        : PAGE_SIZE * 2 ** (31 - Math.clz32(mask)),
      allocations: w[h + H_LIVE]! >>> 0,
    };
  }

  // A slot of class `cls` from a new slab: the partial list is empty.
  #newSlot(cls: number): number | undefined {
    const w = this.#w;
    let page = buddyAlloc(w, this.#h, this.#d, 0);
    if (page === NONE && this.#trim() > 0) {
      page = buddyAlloc(w, this.#h, this.#d, 0);
    }
    if (page === NONE) return undefined;
    slabFormat(w, this.#h, this.#d, page, cls);
    return this.#base + slotAlloc(w, this.#h, this.#d, cls);
  }

  // The slow path of `alloc`: a block of pages, or a layout to refuse.
  #allocOther(size: number, align: number): number | undefined {
    checkLayout(size, align, "alloc", "size");
    const n = size > align ? size : align;
    if (n <= SLAB_MAX) return this.alloc(size, align);
    if (n > this.#bytes) return undefined;
    const order = blockOrder(n);
    if (order > this.#maxOrder) return undefined;
    const w = this.#w;
    let page = buddyAlloc(w, this.#h, this.#d, order);
    if (page === NONE && this.#trim() > 0) {
      page = buddyAlloc(w, this.#h, this.#d, order);
    }
    if (page === NONE) return undefined;
    const e = this.#d + page * DESCRIPTOR_WORDS;
    w[e + D_TAG] = KIND_BLOCK | (order << 8);
    w[e + D_COUNT] = size;
    w[e + D_ALIGN] = align;
    this.#count(PAGE_SIZE * 2 ** order, 1);
    return this.#base + page * PAGE_SIZE;
  }

  // Adds to the bytes in use and the allocations.
  #count(bytes: number, allocations: number): void {
    const w = this.#w;
    const h = this.#h;
    w[h + H_IN_USE] = (w[h + H_IN_USE]! + bytes) | 0;
    w[h + H_LIVE] = (w[h + H_LIVE]! + allocations) | 0;
  }

  #trim(): number {
    return slabTrim(this.#w, this.#h, this.#d, this.#pages, this.#maxOrder);
  }

  // Frees the block or slot at `pointer`, in `page`, which `#locate` found
  // allocated with the layout given.
  #release(page: number, pointer: number): void {
    const w = this.#w;
    const e = this.#d + page * DESCRIPTOR_WORDS;
    const tag = w[e + D_TAG]!;
    const order = tag >>> 8;
    if ((tag & 0xff) === KIND_SLAB) {
      const slot = ((pointer - this.#base) % PAGE_SIZE) >>> (order + 4);
      const i = e + D_BITMAP + (slot >>> 5);
      const m = 1 << (slot & 31);
      slotFree(
        w,
        this.#h,
        this.#d,
        page,
        order,
        i,
        w[i]!,
        m,
        this.#pages,
        this.#maxOrder,
      );
    } else {
      this.#count(-PAGE_SIZE * 2 ** order, -1);
      buddyFree(w, this.#h, this.#d, page, order, this.#pages, this.#maxOrder);
    }
  }

  // Checks that `pointer` is an allocated block or slot whose layout is
  // `size` and `align`, and returns its page; throws a HeapError if not.
  #locate(
    pointer: number,
    size: number,
    align: number,
    op: "dealloc" | "realloc",
  ): number {
    checkLayout(size, align, op, op === "dealloc" ? "size" : "old size");
    const offset = pointer - this.#base;
    if ((offset >>> 0) === offset && offset < this.#bytes) {
      const w = this.#w;
      const page = offset >>> PAGE_SHIFT;
      const inPage = offset & (PAGE_SIZE - 1);
      const e = this.#d + page * DESCRIPTOR_WORDS;
      const tag = w[e + D_TAG]!;
      const kind = tag & 0xff;
      if (kind === KIND_BLOCK) {
        if (
          inPage === 0 && size === w[e + D_COUNT]! >>> 0 &&
          align === w[e + D_ALIGN]
        ) return page;
      } else if (kind === KIND_SLAB) {
        const cls = tag >>> 8;
        const slot = inPage >>> (cls + 4);
        const n = size > align ? size : align;
        if (
          (inPage & ((16 << cls) - 1)) === 0 &&
          (w[e + D_BITMAP + (slot >>> 5)]! & (1 << (slot & 31))) !== 0 &&
          n <= SLAB_MAX && sizeClass(n) === cls
        ) return page;
      }
    }
    return this.#refuse(pointer, size, align, op);
  }

  // Throws the HeapError that says why `#locate` refused `pointer`.
  #refuse(
    pointer: number,
    size: number,
    align: number,
    op: "dealloc" | "realloc",
  ): never {
    const verb = op === "dealloc" ? "free" : "reallocate";
    if (typeof pointer !== "number" || !Number.isSafeInteger(pointer)) {
      throw new HeapError(
        "foreign",
        `Invalid pointer ${
          String(pointer)
        } for ${op}: expected an integer address that this heap handed out`,
      );
    }
    const at = pointerHex(pointer);
    const options = { pointer };
    const offset = pointer - this.#base;
    if (offset < 0 || offset >= this.#bytes) {
      const physical = pointer - this.virtualOffset;
      const where = physical >= this.start && physical < this.start + this.size
        ? offset < 0
          ? "it is in the heap's header and page descriptors"
          : "it is in the padding after the heap's last page"
        : `it is outside the heap's region, ${hex(this.start)} to ${
          hex(this.start + this.size)
        } (physical)`;
      throw new HeapError(
        "foreign",
        `Cannot ${verb} ${at}: ${where}; this heap's blocks are ${
          pointerHex(this.#base)
        } to ${pointerHex(this.#base + this.#bytes)}`,
        options,
      );
    }
    const w = this.#w;
    const d = this.#d;
    const page = Math.floor(offset / PAGE_SIZE);
    let first = page;
    let tag = w[d + page * DESCRIPTOR_WORDS + D_TAG]!;
    if ((tag & 0xff) === KIND_TAIL) {
      first = containingBlock(w, d, page, this.#maxOrder);
      if (first === NONE) {
        throw new HeapError(
          "foreign",
          `Cannot ${verb} ${at}: no block holds it (the heap's page descriptors are damaged)`,
          options,
        );
      }
      tag = w[d + first * DESCRIPTOR_WORDS + D_TAG]!;
    }
    const kind = tag & 0xff;
    const e = d + first * DESCRIPTOR_WORDS;
    const freed = op === "dealloc"
      ? `Double free of ${at}`
      : `Cannot ${verb} ${at}`;
    if (kind === KIND_FREE || kind === KIND_BLOCK) {
      const blockAt = pointerHex(this.#base + first * PAGE_SIZE);
      const blockSize = byteSize(PAGE_SIZE * 2 ** (tag >>> 8));
      const start = first === page && offset % PAGE_SIZE === 0;
      if (kind === KIND_FREE) {
        throw new HeapError(
          "double free",
          `${freed}: ${
            start
              ? `the ${blockSize} block there is free`
              : `it is in the free ${blockSize} block at ${blockAt}`
          } (freed already, or never handed out)`,
          options,
        );
      }
      const allocated = `size ${w[e + D_COUNT]! >>> 0} and align ${
        w[e + D_ALIGN]
      }`;
      if (!start) {
        throw new HeapError(
          "inside block",
          `Cannot ${verb} ${at}: it is inside the ${blockSize} block at ${blockAt} (allocated with ${allocated}); ${verb} that pointer`,
          options,
        );
      }
      throw new HeapError(
        "layout mismatch",
        `Layout mismatch on ${op} of ${at}: it was allocated with ${allocated}, not size ${size} and align ${align}`,
        options,
      );
    }
    // A slab.
    const cls = tag >>> 8;
    const slotSize = 16 << cls;
    const inPage = offset % PAGE_SIZE;
    const slot = Math.floor(inPage / slotSize);
    const used = (w[e + D_BITMAP + (slot >>> 5)]! & (1 << (slot & 31))) !== 0;
    if (inPage % slotSize !== 0) {
      throw new HeapError(
        "inside block",
        `Cannot ${verb} ${at}: it is inside the ${
          used ? "allocated" : "free"
        } ${slotSize}-byte slot at ${
          pointerHex(pointer - (inPage % slotSize))
        }; ${verb} that pointer`,
        options,
      );
    }
    if (!used) {
      throw new HeapError(
        "double free",
        `${freed}: its ${slotSize}-byte slot is free (freed already, or never handed out)`,
        options,
      );
    }
    const n = size > align ? size : align;
    throw new HeapError(
      "layout mismatch",
      `Layout mismatch on ${op} of ${at}: it is a ${slotSize}-byte slot, but size ${size} and align ${align} ${
        n > SLAB_MAX
          ? "take a block of pages"
          : `take the ${16 << sizeClass(n)}-byte size class`
      }`,
      options,
    );
  }
}

// Throws unless `size` and `align` make a layout the heap takes.
function checkLayout(
  size: number,
  align: number,
  op: string,
  what: string,
): void {
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new HeapError(
      "invalid size",
      `Invalid ${what} ${String(size)} for ${op}: expected a positive integer`,
    );
  }
  if (size === 0) {
    throw new HeapError(
      "zero size",
      `Invalid ${what} 0 for ${op}: a layout has at least 1 byte (size 0 is undefined behaviour for Rust's GlobalAlloc)`,
    );
  }
  if (
    typeof align !== "number" || !Number.isInteger(align) || align < 1 ||
    align > MAX_ALIGN || (align & (align - 1)) !== 0
  ) {
    throw new HeapError(
      "alignment",
      `Invalid alignment ${
        String(align)
      } for ${op}: expected a power of two from 1 to ${MAX_ALIGN}`,
    );
  }
}

// The virtual offset as a number, or a RangeError.
function checkVirtualOffset(
  value: number | bigint | undefined,
  start: number,
  end: number,
): number {
  if (value === undefined) return 0;
  let offset = NaN;
  if (typeof value === "bigint") {
    if (value >= -(2n ** 63n) && value < 2n ** 64n) {
      offset = Number(BigInt.asIntN(64, value));
    }
  } else if (Number.isSafeInteger(value)) {
    offset = value;
  }
  const shown = typeof value === "bigint" ? `${hex(value)}` : String(value);
  if (!Number.isSafeInteger(offset) || offset % PAGE_SIZE !== 0) {
    throw new RangeError(
      `Invalid virtualOffset ${shown}: expected a multiple of 4096 (so that pointers keep their physical alignment), as a 64-bit bigint or a safe integer`,
    );
  }
  if (offset !== 0 && (start + offset < -(2 ** 47) || end + offset > 2 ** 47)) {
    throw new RangeError(
      `Invalid virtualOffset ${shown}: the heap's pointers ${
        pointerHex(start + offset)
      } to ${
        pointerHex(end + offset)
      } would not all be canonical virtual addresses (bits 63..47 equal)`,
    );
  }
  return offset;
}

// A pointer as 16 hex digits: a negative one as its unsigned 64 bits.
function pointerHex(pointer: number): string {
  return hex(pointer < 0 ? BigInt.asUintN(64, BigInt(pointer)) : pointer);
}

function pageUp(address: number): number {
  return Math.ceil(address / PAGE_SIZE) * PAGE_SIZE;
}

function words(memory: PhysicalMemory): Int32Array {
  return new Int32Array(memory.buffer, 0, memory.size / 4);
}

function checkHost(): void {
  if (!LITTLE_ENDIAN) {
    throw new Error(
      "Unsupported host: the heap reads machine memory as little-endian words, and this host is big-endian",
    );
  }
}
