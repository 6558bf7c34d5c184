import { ok, strictEqual, throws } from "node:assert/strict";
import { PhysicalMemory } from "../machine/physical_memory.ts";
import { Lazy, lazyStatic } from "./lazy.ts";
import { MemoryTypes } from "./memory_type.ts";
import { Mutex } from "./mutex.ts";
import { OncePoisonedError, ReentrantInitError } from "./once.ts";

Deno.test("Lazy", async (t) => {
  await t.step("computes on first use, once", () => {
    let runs = 0;
    const lazy = new Lazy(() => ({ n: ++runs }));
    strictEqual(runs, 0);
    strictEqual(lazy.isInitialized(), false);
    const value = lazy.value;
    strictEqual(lazy.get(), value);
    strictEqual(lazy.value, value);
    strictEqual(runs, 1);
    strictEqual(lazy.isInitialized(), true);
  });

  await t.step("a throwing initialiser poisons it", () => {
    const lazy = new Lazy<number>(() => {
      throw new Error("bad config");
    });
    throws(() => lazy.value, /bad config/);
    throws(() => lazy.value, OncePoisonedError);
  });

  await t.step("re-entry throws", () => {
    const lazy: Lazy<number> = new Lazy(() => lazy.value + 1);
    throws(() => lazy.value, ReentrantInitError);
  });

  await t.step("lazyStatic: the seed's global heap", () => {
    class Heap {
      used = 0;
    }
    let built = 0;
    const GLOBAL_HEAP = lazyStatic(() => {
      built++;
      return new Mutex(new Heap(), { name: "GLOBAL_HEAP" });
    });
    ok(GLOBAL_HEAP instanceof Lazy);
    strictEqual(built, 0);
    for (let i = 0; i < 3; i++) {
      using heap = GLOBAL_HEAP.value.lock();
      heap.value.used += 16;
    }
    strictEqual(built, 1);
    strictEqual(GLOBAL_HEAP.value.lock().value.used, 48);
  });

  await t.step("lazyStatic values may depend on each other", () => {
    const BASE = lazyStatic(() => 0x1000);
    const LIMIT = lazyStatic(() => BASE.value + 0x100);
    strictEqual(LIMIT.value, 0x1100);
  });
});

Deno.test("Lazy.inMemory", async (t) => {
  await t.step("one initialiser for every object at the address", () => {
    const ram = new PhysicalMemory(1 << 16);
    let runs = 0;
    const init = () => (runs++, 0xffff_8000_0000_0000n);
    const a = Lazy.inMemory(ram, 0x100, { type: MemoryTypes.u64, init });
    const b = Lazy.inMemory(ram, 0x100, { type: MemoryTypes.u64, init });
    strictEqual(b.isInitialized(), false);
    strictEqual(a.value, 0xffff_8000_0000_0000n);
    strictEqual(b.isInitialized(), true);
    strictEqual(b.get(), 0xffff_8000_0000_0000n);
    strictEqual(runs, 1);
    strictEqual(ram.readU32(0x100), 2); // the Once's state: complete
    strictEqual(ram.readU64(0x108), 0xffff_8000_0000_0000n);
  });

  await t.step("poisoned and re-entrant as the Once under it", () => {
    const ram = new PhysicalMemory(1 << 16);
    const bad = Lazy.inMemory(ram, 0x200, {
      type: MemoryTypes.u32,
      init: () => {
        throw new Error("bad config");
      },
    });
    throws(() => bad.value, /bad config/);
    const again = Lazy.inMemory(ram, 0x200, {
      type: MemoryTypes.u32,
      init: () => 1,
    });
    throws(() => again.value, OncePoisonedError);
    const self: Lazy<number> = Lazy.inMemory(ram, 0x300, {
      type: MemoryTypes.u32,
      init: () => self.value + 1,
    });
    throws(() => self.value, ReentrantInitError);
  });
});
