/**
 * The kernel heap: `alloc` + `dealloc` of 64 B (a slab slot), 4 KiB and
 * 64 KiB (buddy blocks); 1,024 allocations of 64 B held, then freed; a
 * buffer grown by `realloc` from 16 B to 64 KiB; and the global heap of
 * the seed's example, behind a `Mutex` and behind a `Mutex.inMemory` at the
 * heap's lock word.
 *
 * Goal: `alloc(64, 8)` + `dealloc` under 100 ns (median on a 2-core VM).
 *
 * Each bench body does {@linkcode OPS} pairs (or {@linkcode CHAINS} growth
 * chains of 12 reallocs), so divide each figure by 1,024 (or by 64) for
 * one. Run with `deno bench bench/heap_bench.ts`; compare medians of the
 * means over several runs of `deno bench --json bench/heap_bench.ts`.
 *
 * @module
 */
import { PhysicalMemory } from "../machine/physical_memory.ts";
import { Heap } from "../memory/heap.ts";
import { Mutex } from "../sync/mutex.ts";

/** Operations (alloc + dealloc pairs) per bench body. */
const OPS = 1024;
/** Growth chains per realloc bench body. */
const CHAINS = 64;

const memory = new PhysicalMemory(64 << 20);
const HEAP = 0x10_0000;
const heap = Heap.create(memory, { start: HEAP, size: 32 << 20 });

// Every pointer ends up here, so that the calls have a use.
let consumed = 0;

// ------------------------------------------------------------ alloc + free

for (
  const [name, size, baseline] of [
    ["64 B (slab slot)", 64, true],
    ["4 KiB (buddy block)", 4096, false],
    ["64 KiB (buddy block)", 65_536, false],
  ] as const
) {
  Deno.bench({
    name: `alloc(${size}, 8) + dealloc: ${name}`,
    group: "alloc + dealloc",
    baseline,
    fn() {
      for (let i = 0; i < OPS; i++) {
        const pointer = heap.alloc(size, 8)!;
        consumed ^= pointer;
        heap.dealloc(pointer, size, 8);
      }
    },
  });
}

const held = new Float64Array(OPS);
Deno.bench({
  name: "1,024 × alloc(64, 8), then 1,024 × dealloc",
  group: "alloc + dealloc",
  fn() {
    for (let i = 0; i < OPS; i++) held[i] = heap.alloc(64, 8)!;
    for (let i = 0; i < OPS; i++) heap.dealloc(held[i]!, 64, 8);
  },
});

// ------------------------------------------------------------ realloc

Deno.bench({
  name: "realloc 16 B → 32 B → … → 64 KiB, then dealloc",
  group: "realloc growth",
  baseline: true,
  fn() {
    for (let chain = 0; chain < CHAINS; chain++) {
      let size = 16;
      let pointer = heap.alloc(size, 8)!;
      while (size < 65_536) {
        pointer = heap.realloc(pointer, size, 8, size * 2)!;
        size *= 2;
      }
      consumed ^= pointer;
      heap.dealloc(pointer, size, 8);
    }
  },
});

Deno.bench({
  name: "alloc 16 B … 64 KiB one by one (no copies), then dealloc",
  group: "realloc growth",
  fn() {
    for (let chain = 0; chain < CHAINS; chain++) {
      for (let size = 16; size <= 65_536; size *= 2) {
        const pointer = heap.alloc(size, 8)!;
        consumed ^= pointer;
        heap.dealloc(pointer, size, 8);
      }
    }
  },
});

// ------------------------------------------------------------ global heap

const jsLocked = new Mutex(heap);
const inMemoryLock = Mutex.inMemory(memory, HEAP); // the heap's lock word

Deno.bench({
  name: "alloc(64, 8) + dealloc, no lock",
  group: "global heap",
  baseline: true,
  fn() {
    for (let i = 0; i < OPS; i++) {
      heap.dealloc(heap.alloc(64, 8)!, 64, 8);
    }
  },
});

// Lock, alloc, unlock, lock, dealloc, unlock: as `allocate` and a `free`
// of the seed's example would.
for (
  const [name, lock] of [
    ["Mutex<Heap> (the seed's example)", jsLocked],
    ["Mutex.inMemory at the heap's start (all CPUs)", inMemoryLock],
  ] as const
) {
  Deno.bench({
    name: `${name}: lock, alloc, unlock, lock, dealloc, unlock`,
    group: "global heap",
    fn() {
      for (let i = 0; i < OPS; i++) {
        const a = lock.lock();
        const pointer = heap.alloc(64, 8)!;
        a[Symbol.dispose]();
        const b = lock.lock();
        heap.dealloc(pointer, 64, 8);
        b[Symbol.dispose]();
      }
    },
  });
}
