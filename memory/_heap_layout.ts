// The layout of a heap in machine memory: the offsets of the header's
// words, of a page descriptor's words, and the tags. `Heap`'s class
// description documents the same layout for users; a change here is a
// change of format (bump VERSION).
//
// Every field is a little-endian u32 (read through an Int32Array, so an
// "empty" index, 0xFFFF_FFFF, reads as NONE = -1).

/** A page of the arena: the unit of the buddy allocator and of a slab. */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;

/** The header's size in bytes; the descriptors follow it. */
export const HEADER_SIZE = 256;
/** A page descriptor's size in words (64 bytes). */
export const DESCRIPTOR_WORDS = 16;
/** A page descriptor's size in bytes. */
export const DESCRIPTOR_SIZE = 64;

/** No page: the end of a list, an empty head. */
export const NONE = -1;

/** "HEAP" in ASCII, read as a little-endian u32. */
export const MAGIC = 0x5041_4548;
/** The format of the header and descriptors. */
export const VERSION = 1;

// Header words (index from the header's first word).
/** +0: the lock word of a `Mutex.inMemory` at the heap's address (+4 unused). */
export const H_LOCK = 0;
/** +8: MAGIC. */
export const H_MAGIC = 2;
/** +12: VERSION. */
export const H_VERSION = 3;
/** +16: the region's size in bytes. */
export const H_SIZE = 4;
/** +20: the descriptor table's offset from the region's start. */
export const H_DESCRIPTORS = 5;
/** +24: the arena's offset from the region's start (a page boundary). */
export const H_ARENA = 6;
/** +28: the arena's size in pages. */
export const H_PAGES = 7;
/** +32: the largest buddy order: log2 of the largest block in pages. */
export const H_MAX_ORDER = 8;
/** +36: bit k set while the free list of order k is not empty. */
export const H_FREE_MASK = 9;
/** +40, +44: virtualOffset, a signed 64-bit value (low, high). */
export const H_OFFSET_LOW = 10;
/** See {@linkcode H_OFFSET_LOW}. */
export const H_OFFSET_HIGH = 11;
/** +48: bytes of the blocks and slots handed out. */
export const H_IN_USE = 12;
/** +52: allocations handed out and not freed. */
export const H_LIVE = 13;
/** +64 + 4k: the first free block of order k (k = 0 .. MAX_ORDER). */
export const H_FREE_LISTS = 16;
/** +160 + 4c: the first slab of class c with a free slot. */
export const H_PARTIAL = 40;
/** +192 + 4c: the empty slab of class c kept for reuse, or NONE. */
export const H_SPARE = 48;

// Descriptor words (index from the descriptor's first word).
/** The page's tag: KIND_* in bits 7..0, the order or size class above. */
export const D_TAG = 0;
/** A slab: slots in use. A block: the size it was allocated with. */
export const D_COUNT = 1;
/** The next page in a free list or a partial-slab list. */
export const D_NEXT = 2;
/** The previous page in that list. */
export const D_PREV = 3;
/** A block: the alignment it was allocated with. */
export const D_ALIGN = 4;
/** A slab: 8 words of allocation bitmap (bit set: slot in use or absent). */
export const D_BITMAP = 8;

/** A page inside a block (not its first page), or outside every block. */
export const KIND_TAIL = 0;
/** The first page of a free buddy block; the order in bits 15..8. */
export const KIND_FREE = 1;
/** The first page of an allocated block; the order in bits 15..8. */
export const KIND_BLOCK = 2;
/** A slab; the size class in bits 15..8. */
export const KIND_SLAB = 3;

/** Buddy orders 0 .. MAX_ORDER: 4 KiB to 4 GiB. */
export const MAX_ORDER = 20;
/** The number of slab size classes: 16, 32, … 2048 bytes. */
export const SLAB_CLASSES = 8;
/** The largest slab slot; larger layouts get buddy blocks. */
export const SLAB_MAX = 2048;
/** The largest alignment: a page (blocks start on page boundaries). */
export const MAX_ALIGN = 4096;
/** The largest region: 4 GiB less a page (its size is a u32). */
export const MAX_REGION = 0xffff_f000;

/** The size class of a slot of at least `n` bytes (1 ≤ n ≤ SLAB_MAX). */
export function sizeClass(n: number): number {
  return n <= 16 ? 0 : 28 - Math.clz32(n - 1);
}

/** The buddy order of a block of at least `n` bytes (n ≥ 1). */
export function blockOrder(n: number): number {
  const pages = Math.ceil(n / PAGE_SIZE);
  return pages <= 1 ? 0 : 32 - Math.clz32(pages - 1);
}
