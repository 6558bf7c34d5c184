// Doubly linked lists of page descriptors, threaded through their D_NEXT
// and D_PREV words, with the head in a header word: the buddy free lists
// and the partial-slab lists of a heap. `w` is all of RAM as words, `d`
// the word index of descriptor 0, `head` the word index of the list head.
import { D_NEXT, D_PREV, DESCRIPTOR_WORDS, NONE } from "./_heap_layout.ts";

/** Puts `page` first in the list at `head`. */
export function listPush(
  w: Int32Array,
  d: number,
  head: number,
  page: number,
): void {
  const first = w[head]!;
  const e = d + page * DESCRIPTOR_WORDS;
  w[e + D_NEXT] = first;
  w[e + D_PREV] = NONE;
  if (first !== NONE) w[d + first * DESCRIPTOR_WORDS + D_PREV] = page;
  w[head] = page;
}

/** Takes `page`, which is in the list at `head`, out of it. */
export function listRemove(
  w: Int32Array,
  d: number,
  head: number,
  page: number,
): void {
  const e = d + page * DESCRIPTOR_WORDS;
  const next = w[e + D_NEXT]!;
  const prev = w[e + D_PREV]!;
  if (prev === NONE) w[head] = next;
  else w[d + prev * DESCRIPTOR_WORDS + D_NEXT] = next;
  if (next !== NONE) w[d + next * DESCRIPTOR_WORDS + D_PREV] = prev;
}
