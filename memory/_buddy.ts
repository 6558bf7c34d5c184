// The buddy allocator of a heap's arena: blocks of 2^k pages (k = 0 ..
// maxOrder) at page indexes that are multiples of 2^k, one free list per
// order, and a header mask of the orders whose list is not empty. A block
// is described by the descriptor of its first page (KIND_FREE or
// KIND_BLOCK and its order); the descriptors of its other pages are
// KIND_TAIL (0). All state is in machine memory: `w` is RAM as words, `h`
// the header's word index, `d` the word index of descriptor 0.
import {
  D_NEXT,
  D_TAG,
  DESCRIPTOR_WORDS,
  H_FREE_LISTS,
  H_FREE_MASK,
  KIND_FREE,
  KIND_SLAB,
  KIND_TAIL,
  NONE,
  PAGE_SIZE,
} from "./_heap_layout.ts";
import { listPush, listRemove } from "./_heap_list.ts";

/** Puts the free block at `page` of `order` on its free list. */
function pushFree(
  w: Int32Array,
  h: number,
  d: number,
  page: number,
  order: number,
): void {
  w[d + page * DESCRIPTOR_WORDS + D_TAG] = KIND_FREE | (order << 8);
  listPush(w, d, h + H_FREE_LISTS + order, page);
  w[h + H_FREE_MASK] = w[h + H_FREE_MASK]! | (1 << order);
}

/** Takes the free block at `page` of `order` off its free list. */
function removeFree(
  w: Int32Array,
  h: number,
  d: number,
  page: number,
  order: number,
): void {
  const head = h + H_FREE_LISTS + order;
  listRemove(w, d, head, page);
  if (w[head] === NONE) {
    w[h + H_FREE_MASK] = w[h + H_FREE_MASK]! & ~(1 << order);
  }
}

/**
 * Takes a free block of `order` pages, splitting the smallest larger one
 * if none is free, and returns its first page, or NONE when no block is
 * large enough. The caller tags the page.
 */
export function buddyAlloc(
  w: Int32Array,
  h: number,
  d: number,
  order: number,
): number {
  const fit = w[h + H_FREE_MASK]! & (-1 << order);
  if (fit === 0) return NONE;
  let k = 31 - Math.clz32(fit & -fit);
  const page = w[h + H_FREE_LISTS + k]!;
  removeFree(w, h, d, page, k);
  while (k > order) {
    k--;
    pushFree(w, h, d, page + (1 << k), k);
  }
  return page;
}

/**
 * Frees the block at `page` of `order` pages, merging it with its buddy
 * while the buddy is free and whole (a buddy past the arena's last page
 * never is).
 */
export function buddyFree(
  w: Int32Array,
  h: number,
  d: number,
  page: number,
  order: number,
  pages: number,
  maxOrder: number,
): void {
  while (order < maxOrder) {
    const size = 1 << order;
    const buddy = page ^ size;
    if (
      buddy + size > pages ||
      w[d + buddy * DESCRIPTOR_WORDS + D_TAG] !== (KIND_FREE | (order << 8))
    ) break;
    removeFree(w, h, d, buddy, order);
    // The upper of the two becomes a page inside the merged block.
    const upper = buddy > page ? buddy : page;
    w[d + upper * DESCRIPTOR_WORDS + D_TAG] = KIND_TAIL;
    page = buddy < page ? buddy : page;
    order++;
  }
  pushFree(w, h, d, page, order);
}

/**
 * Makes all `pages` pages of a fresh arena free: the largest aligned
 * blocks that fit, from page 0 up, as merging would leave them. Expects
 * zeroed descriptors and empty lists.
 */
export function buddyFormat(
  w: Int32Array,
  h: number,
  d: number,
  pages: number,
  maxOrder: number,
): void {
  let page = 0;
  while (page < pages) {
    let order = maxOrder;
    while ((page & ((1 << order) - 1)) !== 0 || page + (1 << order) > pages) {
      order--;
    }
    pushFree(w, h, d, page, order);
    page += 1 << order;
  }
}

/** The free bytes on the buddy free lists. */
export function buddyFreeBytes(
  w: Int32Array,
  h: number,
  d: number,
  maxOrder: number,
): number {
  let bytes = 0;
  for (let order = 0; order <= maxOrder; order++) {
    for (
      let page = w[h + H_FREE_LISTS + order]!;
      page !== NONE;
      page = w[d + page * DESCRIPTOR_WORDS + D_NEXT]!
    ) bytes += PAGE_SIZE * 2 ** order;
  }
  return bytes;
}

/**
 * The first page of the block (free, allocated or a slab) that holds
 * `page`, whose descriptor is KIND_TAIL: the nearest aligned page below
 * it whose tag is a block of an order that reaches it. NONE if there is
 * none (a damaged heap).
 */
export function containingBlock(
  w: Int32Array,
  d: number,
  page: number,
  maxOrder: number,
): number {
  for (let order = 1; order <= maxOrder; order++) {
    const first = page & -(1 << order);
    const tag = w[d + first * DESCRIPTOR_WORDS + D_TAG]!;
    const kind = tag & 0xff;
    // A slab is one page; its tag holds a size class, not an order.
    if (kind !== KIND_TAIL && kind !== KIND_SLAB && tag >>> 8 >= order) {
      return first;
    }
  }
  return NONE;
}

/**
 * Resizes the allocated block at `page` from `order` to `newOrder` pages
 * where it is: a smaller block gives its upper halves back; a larger one
 * takes the free buddies above it, if each is whole and free and `page`
 * is aligned to the larger block. Returns whether it did; the caller
 * retags the page.
 */
export function buddyResize(
  w: Int32Array,
  h: number,
  d: number,
  page: number,
  order: number,
  newOrder: number,
  pages: number,
): boolean {
  if (newOrder < order) {
    // The upper halves cannot merge: their buddies are the lower halves.
    for (let k = order - 1; k >= newOrder; k--) {
      pushFree(w, h, d, page + (1 << k), k);
    }
    return true;
  }
  if ((page & ((1 << newOrder) - 1)) !== 0 || page + (1 << newOrder) > pages) {
    return false;
  }
  for (let k = order; k < newOrder; k++) {
    const buddy = page + (1 << k);
    if (w[d + buddy * DESCRIPTOR_WORDS + D_TAG] !== (KIND_FREE | (k << 8))) {
      return false;
    }
  }
  for (let k = order; k < newOrder; k++) {
    const buddy = page + (1 << k);
    removeFree(w, h, d, buddy, k);
    w[d + buddy * DESCRIPTOR_WORDS + D_TAG] = KIND_TAIL;
  }
  return true;
}
