// The slabs of a heap: pages cut into slots of one size class (16 << c
// bytes, c = 0 .. 7), with an allocation bitmap in the page's descriptor
// (bit j set: slot j is in use, or past the slab's last slot), and per
// class a list of the slabs with a free slot (the partial list) and at
// most one empty slab kept for reuse (the spare). All state is in machine
// memory: `w` is RAM as words, `h` the header's word index, `d` the word
// index of descriptor 0.
import { buddyFree } from "./_buddy.ts";
import {
  D_BITMAP,
  D_COUNT,
  D_NEXT,
  D_TAG,
  DESCRIPTOR_WORDS,
  H_IN_USE,
  H_LIVE,
  H_PARTIAL,
  H_SPARE,
  KIND_SLAB,
  NONE,
  PAGE_SIZE,
  SLAB_CLASSES,
} from "./_heap_layout.ts";
import { listPush, listRemove } from "./_heap_list.ts";

/** Makes `page` an empty slab of class `cls`, first on its partial list. */
export function slabFormat(
  w: Int32Array,
  h: number,
  d: number,
  page: number,
  cls: number,
): void {
  const e = d + page * DESCRIPTOR_WORDS;
  const slots = 256 >> cls;
  w[e + D_TAG] = KIND_SLAB | (cls << 8);
  w[e + D_COUNT] = 0;
  // 16 to 256 slots fill whole words; 2 to 8 slots leave the high bits
  // of word 0 set, as if in use, so a full word always reads -1.
  const words = slots >> 5;
  for (let k = 0; k < 8; k++) {
    w[e + D_BITMAP + k] = k < words ? 0 : k === 0 ? -1 << slots : -1;
  }
  listPush(w, d, h + H_PARTIAL + cls, page);
}

/**
 * Takes a free slot of class `cls` from the first slab of its partial
 * list and returns its offset in the arena, or NONE if the list is empty.
 */
export function slotAlloc(
  w: Int32Array,
  h: number,
  d: number,
  cls: number,
): number {
  const page = w[h + H_PARTIAL + cls]!;
  if (page === NONE) return NONE;
  const e = d + page * DESCRIPTOR_WORDS;
  let i = e + D_BITMAP;
  let v = w[i]!;
  while (v === -1) v = w[++i]!;
  const free = ~v;
  const bit = 31 - Math.clz32(free & -free);
  w[i] = v | (1 << bit);
  const count = w[e + D_COUNT]!;
  w[e + D_COUNT] = count + 1;
  if (count === 0) {
    if (w[h + H_SPARE + cls] === page) w[h + H_SPARE + cls] = NONE;
  } else if (count + 1 === 256 >> cls) {
    listRemove(w, d, h + H_PARTIAL + cls, page);
  }
  w[h + H_IN_USE] = (w[h + H_IN_USE]! + (16 << cls)) | 0;
  w[h + H_LIVE] = (w[h + H_LIVE]! + 1) | 0;
  return page * PAGE_SIZE + (((i - e - D_BITMAP) << 5) + bit) * (16 << cls);
}

/**
 * Frees the slot of bit `m` in bitmap word `i` (whose value is `v`) of
 * the slab at `page`, of class `cls`. A slab that fills up leaves its
 * partial list and comes back when a slot is freed; a slab that empties
 * becomes the class's spare, or goes back to the buddy allocator if the
 * class has one already.
 */
export function slotFree(
  w: Int32Array,
  h: number,
  d: number,
  page: number,
  cls: number,
  i: number,
  v: number,
  m: number,
  pages: number,
  maxOrder: number,
): void {
  w[i] = v & ~m;
  const e = d + page * DESCRIPTOR_WORDS;
  const count = w[e + D_COUNT]! - 1;
  w[e + D_COUNT] = count;
  w[h + H_IN_USE] = (w[h + H_IN_USE]! - (16 << cls)) | 0;
  w[h + H_LIVE] = (w[h + H_LIVE]! - 1) | 0;
  if (count === (256 >> cls) - 1) {
    listPush(w, d, h + H_PARTIAL + cls, page);
  } else if (count === 0) {
    const spare = h + H_SPARE + cls;
    if (w[spare] === NONE) {
      w[spare] = page;
    } else {
      listRemove(w, d, h + H_PARTIAL + cls, page);
      buddyFree(w, h, d, page, 0, pages, maxOrder);
    }
  }
}

/**
 * Gives the spare slabs back to the buddy allocator and returns the bytes
 * given back.
 */
export function slabTrim(
  w: Int32Array,
  h: number,
  d: number,
  pages: number,
  maxOrder: number,
): number {
  let bytes = 0;
  for (let cls = 0; cls < SLAB_CLASSES; cls++) {
    const page = w[h + H_SPARE + cls]!;
    if (page === NONE) continue;
    w[h + H_SPARE + cls] = NONE;
    listRemove(w, d, h + H_PARTIAL + cls, page);
    buddyFree(w, h, d, page, 0, pages, maxOrder);
    bytes += PAGE_SIZE;
  }
  return bytes;
}

/** The free slots of every slab, in bytes, and the largest free slot. */
export function slabFree(
  w: Int32Array,
  h: number,
  d: number,
): { bytes: number; largest: number } {
  let bytes = 0;
  let largest = 0;
  for (let cls = 0; cls < SLAB_CLASSES; cls++) {
    const size = 16 << cls;
    for (
      let page = w[h + H_PARTIAL + cls]!;
      page !== NONE;
      page = w[d + page * DESCRIPTOR_WORDS + D_NEXT]!
    ) {
      const free = (256 >> cls) - w[d + page * DESCRIPTOR_WORDS + D_COUNT]!;
      bytes += free * size;
      if (free > 0) largest = size;
    }
  }
  return { bytes, largest };
}
