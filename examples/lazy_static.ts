/**
 * The seed's `lazy_static!` example: a global heap behind a `Mutex`, built
 * at its first use. The heap here is a small bump allocator over a region
 * of machine memory (the library's own heap comes with the kernel
 * mechanisms). Run it with `deno task lazy_static`.
 *
 * @module
 */
import { Machine } from "@exo-kernel/core/machine";
import { kprintln, lazyStatic } from "@exo-kernel/core/macros";
import { Mutex } from "@exo-kernel/core/sync";

/** A bump allocator over [start, end): 16-byte aligned blocks, never freed. */
class Heap {
  #next = 0x40_0000;
  readonly end = 0x50_0000;
  static created = 0;

  constructor() {
    Heap.created++;
    kprintln("heap: initialised at first use");
  }

  alloc(size: number): number | undefined {
    const start = Math.ceil(this.#next / 16) * 16;
    if (start + size > this.end) return undefined;
    this.#next = start + size;
    return start;
  }
}

// lazy_static! { static ref GLOBAL_HEAP: Mutex<Heap> = { ... }; }
const GLOBAL_HEAP = lazyStatic(() => {
  // the heap is initialised only here, at the first access
  return new Mutex(new Heap());
});

function allocate(size: number): number | undefined {
  // Rust drops the temporary guard at the end of the statement; `using`
  // does that here.
  using heap = GLOBAL_HEAP.value.lock();
  return heap.value.alloc(size);
}

const report = new Machine().run(() => {
  kprintln("before the first allocation: {} heaps", Heap.created);
  kprintln("allocate(24) = {:#x?}", allocate(24));
  kprintln("allocate(100) = {:#x?}", allocate(100));
  kprintln("allocate(2 MiB) = {:?}", allocate(2 << 20));
  kprintln("heaps created: {}", Heap.created);
});
if (report.reason !== "returned") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
