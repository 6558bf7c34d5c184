import {
  deepStrictEqual,
  notStrictEqual,
  ok,
  strictEqual,
  throws,
} from "node:assert/strict";
import { PhysicalMemory } from "../machine/physical_memory.ts";
import { Mutex } from "../sync/mutex.ts";
import { Heap } from "./heap.ts";
import { HeapError, type HeapErrorKind } from "./heap_error.ts";

const MiB = 1 << 20;

/** 16-digit grouped hex, as the messages print pointers. */
function hex16(value: number | bigint): string {
  const raw = BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, "0");
  return `0x${raw.match(/..../g)!.join("_")}`;
}

/** The first page of the arena, from the documented header field at +24. */
function arenaOf(heap: Heap): number {
  return heap.start + heap.memory.readU32(heap.start + 24);
}

/** Runs `f`, which must throw a HeapError of `kind`, and returns it. */
function refused(f: () => unknown, kind: HeapErrorKind): HeapError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  ok(caught instanceof HeapError, `expected a HeapError, got ${caught}`);
  strictEqual(caught.name, "HeapError");
  strictEqual(caught.kind, kind, caught.message);
  return caught;
}

Deno.test("Heap.create lays the region out as documented", async (t) => {
  await t.step("header fields at their offsets, little-endian", () => {
    const memory = new PhysicalMemory(4 * MiB);
    memory.fill(0x10_0000, 8, 0xff); // a stale lock word: create zeroes it
    const heap = Heap.create(memory, { start: 0x10_0000, size: MiB });
    const text = new TextDecoder().decode(memory.readBytes(0x10_0008, 4));
    strictEqual(text, "HEAP");
    strictEqual(memory.readU64(0x10_0000), 0n); // the lock word
    strictEqual(memory.readU32(0x10_000c), 1); // version
    strictEqual(memory.readU32(0x10_0010), MiB); // size
    strictEqual(memory.readU32(0x10_0014), 256); // descriptors at +256
    strictEqual(memory.readU64(0x10_0028), 0n); // virtualOffset
    strictEqual(memory.readU32(0x10_0030), 0); // bytes in use
    strictEqual(memory.readU32(0x10_0034), 0); // allocations
    // As many pages as fit after 256 + 64 × N bytes, page-aligned:
    // 64 × 252 + 256 = 16,384, and 16,384 + 252 × 4,096 = 1 MiB exactly.
    strictEqual(memory.readU32(0x10_001c), 252);
    strictEqual(memory.readU32(0x10_0018), 16_384);
    strictEqual(memory.readU32(0x10_0020), 7); // ⌊log2 252⌋
    strictEqual(heap.start, 0x10_0000);
    strictEqual(heap.size, MiB);
    strictEqual(heap.virtualOffset, 0);
  });

  await t.step("the page count is the largest that fits, at any start", () => {
    const memory = new PhysicalMemory(4 * MiB);
    for (
      const [start, size] of [
        [0, 8192 + 320],
        [8, 3 * MiB],
        [0x1238, 100_000],
        [0xff8, 8200],
        [0x2_0000, MiB + 12_345],
      ]
    ) {
      const heap = Heap.create(memory, { start: start!, size: size! });
      const pages = memory.readU32(start! + 28);
      const fits = (n: number) =>
        Math.ceil((start! + 256 + 64 * n) / 4096) * 4096 + 4096 * n <=
          start! + size!;
      ok(fits(pages), `${pages} pages fit at ${start}`);
      ok(!fits(pages + 1), `${pages + 1} pages do not fit at ${start}`);
      strictEqual(arenaOf(heap) % 4096, 0);
      strictEqual(heap.stats().bytesFree, 4096 * pages);
      strictEqual(heap.stats().bytesMetadata, size! - 4096 * pages);
    }
  });

  await t.step("refuses regions it cannot use", () => {
    const memory = new PhysicalMemory(MiB);
    const cases: [number, number, string][] = [
      [
        4,
        8192,
        "Invalid heap start 4: expected a physical address that is a multiple of 8",
      ],
      [
        -8,
        8192,
        "Invalid heap start -8: expected a physical address that is a multiple of 8",
      ],
      [
        0,
        0,
        "Invalid heap size 0: expected a positive integer of at most 0xffff_f000 bytes (4 GiB less 4 KiB)",
      ],
      [
        0,
        2 ** 32,
        "Invalid heap size 4294967296: expected a positive integer of at most 0xffff_f000 bytes (4 GiB less 4 KiB)",
      ],
      [
        0,
        100.5,
        "Invalid heap size 100.5: expected a positive integer of at most 0xffff_f000 bytes (4 GiB less 4 KiB)",
      ],
      [
        0xf_f000,
        8192,
        "Invalid heap region 0x0000_0000_000f_f000 to 0x0000_0000_0010_1000: it ends past the end of RAM at 0x0000_0000_0010_0000",
      ],
      [
        0x1000,
        8191,
        "Invalid heap size 8191: a heap at 0x0000_0000_0000_1000 needs at least 8192 bytes (a 256-byte header, a 64-byte page descriptor, and a 4 KiB page on a page boundary)",
      ],
    ];
    for (const [start, size, message] of cases) {
      throws(() => Heap.create(memory, { start, size }), {
        name: "RangeError",
        message,
      });
    }
    // The smallest heap: one page.
    const heap = Heap.create(memory, { start: 0x1000, size: 8192 });
    strictEqual(heap.stats().largestFree, 4096);
  });

  await t.step(
    "refuses a virtual offset that breaks alignment or canonical form",
    () => {
      const memory = new PhysicalMemory(MiB);
      const region = { start: 0x1_0000, size: 0x1_0000 };
      throws(() => Heap.create(memory, { ...region, virtualOffset: 0x800 }), {
        name: "RangeError",
        message:
          "Invalid virtualOffset 2048: expected a multiple of 4096 (so that pointers keep their physical alignment), as a 64-bit bigint or a safe integer",
      });
      throws(
        () =>
          Heap.create(memory, { ...region, virtualOffset: 0x8000_0000_0000 }),
        {
          name: "RangeError",
          message:
            "Invalid virtualOffset 140737488355328: the heap's pointers 0x0000_8000_0001_0000 to 0x0000_8000_0002_0000 would not all be canonical virtual addresses (bits 63..47 equal)",
        },
      );
      throws(
        () => Heap.create(memory, { ...region, virtualOffset: 2n ** 64n }),
        RangeError,
      );
    },
  );
});

Deno.test("Heap.alloc hands out aligned blocks inside the arena", async (t) => {
  await t.step("every alignment from 1 to 4096, every size class", () => {
    const memory = new PhysicalMemory(8 * MiB);
    const heap = Heap.create(memory, { start: 0x10_0000, size: 4 * MiB });
    const arena = arenaOf(heap);
    const end = heap.start + heap.size;
    for (let align = 1; align <= 4096; align *= 2) {
      for (const size of [1, 7, 16, 17, 100, 2048, 2049, 4096, 5000, 65_536]) {
        const p = heap.alloc(size, align)!;
        ok(p !== undefined);
        strictEqual(p % align, 0, `alloc(${size}, ${align}) = ${p}`);
        ok(p >= arena && p + size <= end);
      }
    }
  });

  await t.step("align defaults to 16, as malloc on x86_64", () => {
    const memory = new PhysicalMemory(MiB);
    const heap = Heap.create(memory, { start: 0, size: MiB });
    const a = heap.alloc(1)!;
    const b = heap.alloc(1)!;
    strictEqual(Math.abs(b - a), 16);
    strictEqual(a % 16, 0);
    heap.dealloc(a, 1);
    heap.dealloc(b, 1, 16);
    strictEqual(heap.stats().allocations, 0);
  });

  await t.step("never writes in the blocks it manages", () => {
    const memory = new PhysicalMemory(4 * MiB);
    const heap = Heap.create(memory, { start: 0x10_0000, size: MiB });
    const arena = arenaOf(heap);
    const bytes = heap.start + heap.size - arena;
    memory.fill(arena, bytes, 0x5a);
    const live: [number, number, number][] = [];
    for (let i = 0; i < 300; i++) {
      const size = 1 + (i * 7919) % 20_000;
      const align = 2 ** (i % 13);
      const p = heap.alloc(size, align);
      if (p !== undefined) live.push([p, size, align]);
      if (i % 3 === 0) {
        const [q, s, a] = live.splice((i * 31) % live.length, 1)[0]!;
        heap.dealloc(q, s, a);
      }
    }
    for (const [p, size, align] of live) heap.dealloc(p, size, align);
    ok(memory.readBytes(arena, bytes).every((b) => b === 0x5a));
  });

  await t.step("out of memory returns undefined, and the heap goes on", () => {
    const memory = new PhysicalMemory(MiB);
    const heap = Heap.create(memory, { start: 0, size: 0x2_0000 });
    const pages = memory.readU32(28);
    strictEqual(heap.alloc(4096 * pages + 1, 8), undefined);
    strictEqual(heap.alloc(2 ** 52, 8), undefined);
    strictEqual(heap.alloc(Number.MAX_SAFE_INTEGER, 8), undefined);
    const blocks: number[] = [];
    for (
      let p = heap.alloc(4096, 8);
      p !== undefined;
      p = heap.alloc(4096, 8)
    ) {
      blocks.push(p);
    }
    strictEqual(blocks.length, pages);
    strictEqual(heap.alloc(16, 8), undefined); // no page for a slab
    strictEqual(heap.stats().bytesFree, 0);
    strictEqual(heap.stats().largestFree, 0);
    heap.dealloc(blocks.pop()!, 4096, 8);
    ok(heap.alloc(16, 8) !== undefined);
  });

  await t.step(
    "a slab's empty page goes back to the pages when they run out",
    () => {
      const memory = new PhysicalMemory(MiB);
      const heap = Heap.create(memory, { start: 0, size: 0x2_0000 });
      const pages = memory.readU32(28);
      // Kept for reuse: the empty 64-byte slab after this pair.
      heap.dealloc(heap.alloc(64, 8)!, 64, 8);
      const blocks: number[] = [];
      for (let i = 0; i < pages; i++) blocks.push(heap.alloc(4096, 4096)!);
      ok(blocks.every((p) => p !== undefined));
      strictEqual(heap.alloc(4096, 4096), undefined);
    },
  );
});

Deno.test("Heap.stats add up and come back after everything is freed", () => {
  const memory = new PhysicalMemory(4 * MiB);
  const heap = Heap.create(memory, { start: 0x1008, size: 2 * MiB + 5000 });
  const fresh = heap.stats();
  const pages = memory.readU32(0x1008 + 28);
  deepStrictEqual(fresh, {
    size: 2 * MiB + 5000,
    bytesInUse: 0,
    bytesFree: 4096 * pages,
    bytesMetadata: 2 * MiB + 5000 - 4096 * pages,
    largestFree: 4096 * 2 ** Math.floor(Math.log2(pages)),
    allocations: 0,
  });
  const a = heap.alloc(100, 8)!; // a 128-byte slot
  const b = heap.alloc(3000, 1)!; // a 4 KiB block
  const c = heap.alloc(4097, 4096)!; // an 8 KiB block
  const stats = heap.stats();
  strictEqual(stats.bytesInUse, 128 + 4096 + 8192);
  strictEqual(stats.allocations, 3);
  strictEqual(
    stats.bytesInUse + stats.bytesFree + stats.bytesMetadata,
    stats.size,
  );
  heap.dealloc(b, 3000, 1);
  heap.dealloc(a, 100, 8);
  heap.dealloc(c, 4097, 4096);
  deepStrictEqual(heap.stats(), fresh);
  ok(heap.alloc(fresh.largestFree, 1) !== undefined);
});

Deno.test("Heap.realloc", async (t) => {
  const memory = new PhysicalMemory(4 * MiB);
  const heap = Heap.create(memory, { start: 0x10_0000, size: 2 * MiB });

  await t.step("stays in place within its size class or its pages", () => {
    const p = heap.alloc(40, 8)!;
    strictEqual(heap.realloc(p, 40, 8, 64), p);
    strictEqual(heap.realloc(p, 64, 8, 33), p);
    const q = heap.alloc(5000, 8)!; // 2 pages
    strictEqual(heap.realloc(q, 5000, 8, 8192), q);
    strictEqual(heap.realloc(q, 8192, 8, 4097), q);
    // The new size is the block's layout now.
    throws(() => heap.dealloc(q, 8192, 8), { kind: "layout mismatch" });
    heap.dealloc(q, 4097, 8);
    heap.dealloc(p, 33, 8);
  });

  await t.step(
    "a block of pages shrinks and grows in place when it can",
    () => {
      const before = heap.stats();
      const p = heap.alloc(65_536, 8)!; // 16 pages
      memory.writeU32(p, 0xfeed_face);
      strictEqual(heap.realloc(p, 65_536, 8, 4096), p); // gives back 15 pages
      strictEqual(heap.stats().bytesInUse, 4096);
      strictEqual(heap.stats().bytesFree, before.bytesFree - 4096);
      // The pages above are still free and whole: it grows back over them.
      strictEqual(heap.realloc(p, 4096, 8, 65_536), p);
      strictEqual(heap.stats().bytesInUse, 65_536);
      strictEqual(memory.readU32(p), 0xfeed_face);
      // Not when a page above is taken.
      strictEqual(heap.realloc(p, 65_536, 8, 4096), p);
      const taken = heap.alloc(4096, 4096)!;
      strictEqual(taken, p + 4096); // the smallest free block: right above
      const moved = heap.realloc(p, 4096, 8, 8192)!;
      notStrictEqual(moved, p);
      strictEqual(memory.readU32(moved), 0xfeed_face);
      heap.dealloc(taken, 4096, 4096);
      heap.dealloc(moved, 8192, 8);
      deepStrictEqual(heap.stats(), before);
    },
  );

  await t.step("moves and copies min(old, new) bytes", () => {
    const p = heap.alloc(100, 4)!;
    const pattern = Uint8Array.from({ length: 100 }, (_, i) => i * 37);
    memory.writeBytes(p, pattern);
    const grown = heap.realloc(p, 100, 4, 20_000)!;
    notStrictEqual(grown, p);
    deepStrictEqual(memory.readBytes(grown, 100), pattern);
    throws(() => heap.dealloc(p, 100, 4), { kind: "double free" });
    const shrunk = heap.realloc(grown, 20_000, 4, 10)!;
    deepStrictEqual(memory.readBytes(shrunk, 10), pattern.subarray(0, 10));
    heap.dealloc(shrunk, 10, 4);
    strictEqual(heap.stats().allocations, 0);
  });

  await t.step("out of memory: undefined, and the old block stays", () => {
    const p = heap.alloc(64, 8)!;
    memory.writeU32(p, 0xdead_beef);
    strictEqual(heap.realloc(p, 64, 8, 64 * MiB), undefined);
    strictEqual(memory.readU32(p), 0xdead_beef);
    strictEqual(heap.stats().allocations, 1);
    heap.dealloc(p, 64, 8);
  });

  await t.step("checks the old layout and the new size", () => {
    const p = heap.alloc(64, 8)!;
    refused(() => heap.realloc(p, 64, 8, 0), "zero size");
    refused(() => heap.realloc(p, 64, 8, -1), "invalid size");
    refused(() => heap.realloc(p, 128, 8, 10), "layout mismatch");
    refused(() => heap.realloc(p, 64, 3, 10), "alignment");
    refused(() => heap.realloc(p + 16, 64, 8, 10), "inside block");
    heap.dealloc(p, 64, 8);
    const error = refused(() => heap.realloc(p, 64, 8, 10), "double free");
    strictEqual(
      error.message,
      `Cannot reallocate ${
        hex16(p)
      }: its 64-byte slot is free (freed already, or never handed out)`,
    );
  });
});

Deno.test("HeapError: each misuse is refused with its kind and a clear message", async (t) => {
  const memory = new PhysicalMemory(4 * MiB);
  const heap = Heap.create(memory, { start: 0x10_0000, size: MiB });
  const arena = arenaOf(heap); // 0x10_4000
  strictEqual(arena, 0x10_4000);

  await t.step("size 0 (undefined behaviour in Rust's GlobalAlloc)", () => {
    const e = refused(() => heap.alloc(0, 8), "zero size");
    strictEqual(
      e.message,
      "Invalid size 0 for alloc: a layout has at least 1 byte (size 0 is undefined behaviour for Rust's GlobalAlloc)",
    );
    strictEqual(e.pointer, undefined);
    const p = heap.alloc(8, 8)!;
    refused(() => heap.dealloc(p, 0, 8), "zero size");
    heap.dealloc(p, 8, 8);
  });

  await t.step("a size that is not a positive integer", () => {
    for (const size of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
      const e = refused(() => heap.alloc(size, 8), "invalid size");
      strictEqual(
        e.message,
        `Invalid size ${size} for alloc: expected a positive integer`,
      );
    }
  });

  await t.step("an alignment that is not a power of two from 1 to 4096", () => {
    for (const align of [0, 3, 24, 0.5, -8, 8192, 2 ** 31, NaN]) {
      const e = refused(() => heap.alloc(64, align), "alignment");
      strictEqual(
        e.message,
        `Invalid alignment ${align} for alloc: expected a power of two from 1 to 4096`,
      );
      refused(() => heap.dealloc(arena, 64, align), "alignment");
    }
  });

  await t.step("a pointer outside the heap's blocks", () => {
    const blocks = `this heap's blocks are 0x0000_0000_0010_4000 to ${
      hex16(arena + 252 * 4096)
    }`;
    const outside = refused(() => heap.dealloc(0x5_0000, 64, 8), "foreign");
    strictEqual(
      outside.message,
      `Cannot free 0x0000_0000_0005_0000: it is outside the heap's region, 0x0000_0000_0010_0000 to 0x0000_0000_0020_0000 (physical); ${blocks}`,
    );
    strictEqual(outside.pointer, 0x5_0000);
    const header = refused(() => heap.dealloc(0x10_0100, 64, 8), "foreign");
    strictEqual(
      header.message,
      `Cannot free 0x0000_0000_0010_0100: it is in the heap's header and page descriptors; ${blocks}`,
    );
    refused(() => heap.dealloc(-64, 64, 8), "foreign");
    const fraction = refused(() => heap.dealloc(arena + 0.5, 64, 8), "foreign");
    strictEqual(
      fraction.message,
      `Invalid pointer ${
        arena + 0.5
      } for dealloc: expected an integer address that this heap handed out`,
    );
  });

  await t.step("a pointer inside a block", () => {
    const slot = heap.alloc(64, 8)!;
    const inSlot = refused(() => heap.dealloc(slot + 8, 64, 8), "inside block");
    strictEqual(
      inSlot.message,
      `Cannot free ${
        hex16(slot + 8)
      }: it is inside the allocated 64-byte slot at ${
        hex16(slot)
      }; free that pointer`,
    );
    // Inside a free slot of the same slab.
    refused(() => heap.dealloc(slot + 64 + 8, 64, 8), "inside block");
    const block = heap.alloc(10_000, 8)!; // 4 pages
    const e = refused(
      () => heap.dealloc(block + 2 * 4096, 10_000, 8),
      "inside block",
    );
    strictEqual(
      e.message,
      `Cannot free ${hex16(block + 8192)}: it is inside the 16 KiB block at ${
        hex16(block)
      } (allocated with size 10000 and align 8); free that pointer`,
    );
    refused(() => heap.dealloc(block + 100, 10_000, 8), "inside block");
    heap.dealloc(block, 10_000, 8);
    heap.dealloc(slot, 64, 8);
  });

  await t.step("a double free, of a slot and of a block", () => {
    const slot = heap.alloc(2000, 8)!; // a 2 KiB slot: two a slab
    const other = heap.alloc(2000, 8)!;
    heap.dealloc(slot, 2000, 8);
    const e = refused(() => heap.dealloc(slot, 2000, 8), "double free");
    strictEqual(
      e.message,
      `Double free of ${
        hex16(slot)
      }: its 2048-byte slot is free (freed already, or never handed out)`,
    );
    heap.dealloc(other, 2000, 8);
    // The slab is empty now; after stats() it is a free page again.
    heap.stats();
    refused(() => heap.dealloc(other, 2000, 8), "double free");

    const block = heap.alloc(8192, 8)!;
    heap.dealloc(block, 8192, 8);
    const again = refused(() => heap.dealloc(block, 8192, 8), "double free");
    ok(
      /^Double free of 0x[0-9a-f_]+: (the \d+ KiB block there is free|it is in the free \d+ KiB block at 0x[0-9a-f_]+) \(freed already, or never handed out\)$/
        .test(again.message),
      again.message,
    );
  });

  await t.step("a layout that does not match the allocation's", () => {
    const slot = heap.alloc(24, 8)!; // the 32-byte class
    heap.dealloc(heap.alloc(24, 8)!, 20, 4); // the same class: accepted
    const e = refused(() => heap.dealloc(slot, 64, 8), "layout mismatch");
    strictEqual(
      e.message,
      `Layout mismatch on dealloc of ${
        hex16(slot)
      }: it is a 32-byte slot, but size 64 and align 8 take the 64-byte size class`,
    );
    refused(() => heap.dealloc(slot, 24, 64), "layout mismatch");
    const big = refused(() => heap.dealloc(slot, 5000, 8), "layout mismatch");
    ok(big.message.endsWith("but size 5000 and align 8 take a block of pages"));
    heap.dealloc(slot, 32, 1);

    const block = heap.alloc(5000, 4096)!;
    const size = refused(
      () => heap.dealloc(block, 5001, 4096),
      "layout mismatch",
    );
    strictEqual(
      size.message,
      `Layout mismatch on dealloc of ${
        hex16(block)
      }: it was allocated with size 5000 and align 4096, not size 5001 and align 4096`,
    );
    refused(() => heap.dealloc(block, 5000, 8), "layout mismatch");
    heap.dealloc(block, 5000, 4096);
    strictEqual(heap.stats().allocations, 0);
  });

  await t.step("a refused call changes nothing", () => {
    const before = heap.stats();
    const p = heap.alloc(64, 8)!;
    refused(() => heap.dealloc(p, 128, 8), "layout mismatch");
    refused(() => heap.dealloc(p + 1, 64, 8), "inside block");
    heap.dealloc(p, 64, 8);
    deepStrictEqual(heap.stats(), before);
  });
});

Deno.test("Heap.attach", async (t) => {
  await t.step("two views of one region see each other's allocations", () => {
    const memory = new PhysicalMemory(4 * MiB);
    const cpu0 = Heap.create(memory, { start: 0x20_0000, size: MiB });
    const cpu1 = Heap.attach(memory, 0x20_0000);
    strictEqual(cpu1.size, MiB);
    const taken: [number, number][] = [];
    for (let i = 0; i < 200; i++) {
      const view = i % 2 === 0 ? cpu0 : cpu1;
      const size = [24, 64, 3000, 9000][i % 4]!;
      const p = view.alloc(size, 8)!;
      for (const [q, s] of taken) ok(p + size <= q || q + s <= p, "overlap");
      taken.push([p, size]);
    }
    deepStrictEqual(cpu0.stats(), cpu1.stats());
    strictEqual(cpu1.stats().allocations, 200);
    // Each frees what the other allocated.
    taken.forEach(([p, size], i) =>
      (i % 2 === 0 ? cpu1 : cpu0).dealloc(p, size, 8)
    );
    strictEqual(cpu0.stats().allocations, 0);
    strictEqual(cpu0.stats().bytesInUse, 0);
    // And a double free through the other view is seen.
    const p = cpu0.alloc(64, 8)!;
    cpu1.dealloc(p, 64, 8);
    refused(() => cpu0.dealloc(p, 64, 8), "double free");
  });

  await t.step(
    "a view over a new PhysicalMemory of the same buffer (a Worker's)",
    () => {
      const memory = new PhysicalMemory(MiB);
      const heap = Heap.create(memory, {
        start: 0,
        size: MiB,
        virtualOffset: -(2 ** 47),
      });
      const p = heap.alloc(100, 8)!;
      const worker = Heap.attach(new PhysicalMemory(memory.buffer), 0);
      strictEqual(worker.virtualOffset, -(2 ** 47));
      worker.dealloc(p, 100, 8);
      strictEqual(heap.stats().allocations, 0);
    },
  );

  await t.step(
    "a Mutex.inMemory at the heap's start uses the reserved lock word",
    () => {
      const memory = new PhysicalMemory(MiB);
      const heap = Heap.create(memory, { start: 0x1000, size: 0x4_0000 });
      const lock = Mutex.inMemory(memory, 0x1000);
      {
        using _held = lock.lock();
        strictEqual(memory.readU32(0x1000), 0xffff_ffff); // owner: outside run
        ok(heap.alloc(64, 8) !== undefined);
      }
      strictEqual(memory.readU32(0x1000), 0);
      strictEqual(Heap.attach(memory, 0x1000).stats().allocations, 1);
    },
  );

  await t.step("refuses an address with no heap", () => {
    const memory = new PhysicalMemory(MiB);
    const e = refused(() => Heap.attach(memory, 0x1000), "no heap");
    strictEqual(
      e.message,
      'No heap at 0x0000_0000_0000_1000: expected the magic "HEAP" (0x5041_4548) at +8, found 0x0000_0000; format the region with Heap.create',
    );
    Heap.create(memory, { start: 0x1000, size: 0x1_0000 });
    memory.writeU32(0x100c, 2);
    strictEqual(
      refused(() => Heap.attach(memory, 0x1000), "no heap").message,
      "No heap at 0x0000_0000_0000_1000: its format is version 2; this module reads version 1",
    );
    memory.writeU32(0x100c, 1);
    memory.writeU32(0x101c, 1000); // 1,000 pages do not fit 64 KiB
    refused(() => Heap.attach(memory, 0x1000), "no heap");
    for (const address of [-8, 0x1004, MiB - 8, 0.5]) {
      throws(() => Heap.attach(memory, address), {
        name: "RangeError",
        message:
          `Invalid heap address ${address}: expected a multiple of 8 with 256 bytes of RAM from it`,
      });
    }
  });
});

Deno.test("Heap with a higher-half virtual offset", () => {
  const memory = new PhysicalMemory(4 * MiB);
  const heap = Heap.create(memory, {
    start: 0x10_0000,
    size: 2 * MiB,
    virtualOffset: 0xffff_8000_0000_0000n,
  });
  strictEqual(heap.virtualOffset, -(2 ** 47));
  strictEqual(memory.readU64(0x10_0028), 0xffff_8000_0000_0000n); // +40
  const same = Heap.create(new PhysicalMemory(4 * MiB), {
    start: 0x10_0000,
    size: 2 * MiB,
    virtualOffset: -(2 ** 47),
  });
  strictEqual(same.alloc(64, 8), heap.alloc(64, 8));
  const p = heap.alloc(3000, 4096)!;
  ok(p < 0);
  const physical = p + 2 ** 47;
  ok(physical >= 0x10_0000 && physical < 0x30_0000);
  strictEqual(physical % 4096, 0);
  strictEqual(Math.abs(p % 4096), 0); // the virtual pointer is aligned too
  memory.writeU32(physical, 0x1234_5678);
  const q = heap.realloc(p, 3000, 4096, 50_000)!;
  strictEqual(memory.readU32(q + 2 ** 47), 0x1234_5678);
  const e = refused(() => heap.dealloc(q + 4096, 50_000, 4096), "inside block");
  ok(e.message.includes("0xffff_8000_00"), e.message);
  refused(() => heap.dealloc(physical, 3000, 4096), "foreign");
  heap.dealloc(q, 50_000, 4096);
});
