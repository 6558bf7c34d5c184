/**
 * The seed's `lazy_static!` example: a global heap behind a `Mutex`, built
 * at its first use — here the library's kernel heap over 4 MiB of machine
 * memory. Run it with `deno task lazy_static`.
 *
 * @module
 */
import { currentCpu, Machine } from "@exo-kernel/core/machine";
import { kprintln, lazyStatic } from "@exo-kernel/core/macros";
import { Heap } from "@exo-kernel/core/memory";
import { Mutex } from "@exo-kernel/core/sync";

// lazy_static! { static ref GLOBAL_HEAP: Mutex<Heap> = { ... }; }
const GLOBAL_HEAP = lazyStatic(() => {
  // the heap is initialised only here, at the first access
  kprintln("heap: initialised at first use");
  return new Mutex(
    Heap.create(currentCpu().memory, { start: 0x40_0000, size: 4 << 20 }),
  );
});

function allocate(size: number): number | undefined {
  // Rust drops the temporary guard at the end of the statement; `using`
  // does that here.
  using heap = GLOBAL_HEAP.value.lock();
  return heap.value.alloc(size, 8);
}

const report = new Machine().run(() => {
  kprintln(
    "before the first allocation: initialised = {}",
    GLOBAL_HEAP.isInitialized(),
  );
  kprintln("allocate(24) = {:#x?}", allocate(24));
  kprintln("allocate(100) = {:#x?}", allocate(100));
  kprintln("allocate(8 MiB) = {:?}", allocate(8 << 20));
  using heap = GLOBAL_HEAP.value.lock();
  const stats = heap.value.stats();
  kprintln(
    "in use: {} bytes in {} allocations",
    stats.bytesInUse,
    stats.allocations,
  );
});
if (report.reason !== "returned") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
