// Property tests of the heap: random sequences of alloc, dealloc, realloc
// and stats, on random regions, through two views (two CPUs), against a
// model of the live blocks whose bytes hold a pattern of their own.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { PhysicalMemory } from "../machine/physical_memory.ts";
import { Heap } from "./heap.ts";

const RAM = 4 << 20;

type Op =
  | { op: "alloc"; size: number; align: number; cpu: number }
  | { op: "dealloc"; pick: number; cpu: number }
  | { op: "realloc"; pick: number; size: number; cpu: number }
  | { op: "stats"; cpu: number };

/** Sizes from 1 B to 64 KiB, most of them small, as a kernel's are. */
const size = fc.oneof(
  fc.integer({ min: 1, max: 64 }),
  fc.integer({ min: 1, max: 2048 }),
  fc.integer({ min: 2049, max: 65_536 }),
  fc.constantFrom(1, 16, 2048, 2049, 4096, 4097, 65_536),
);
const align = fc.integer({ min: 0, max: 12 }).map((k) => 2 ** k);
const cpu = fc.integer({ min: 0, max: 1 });
const pick = fc.nat();
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constant("alloc"), size, align, cpu }),
    weight: 5,
  },
  {
    arbitrary: fc.record({ op: fc.constant("dealloc"), pick, cpu }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ op: fc.constant("realloc"), pick, size, cpu }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("stats"), cpu }), weight: 1 },
) as fc.Arbitrary<Op>;
/** A region: a start that is any multiple of 8, and 48 KiB to 2.5 MiB. */
const region = fc.record({
  start: fc.integer({ min: 0, max: 4095 }).map((n) => 8 * n),
  size: fc.integer({ min: 48 << 10, max: 5 << 19 }),
});

interface Block {
  pointer: number;
  size: number;
  align: number;
  byte: number;
}

/** A block's bytes are all its pattern byte. */
function checkContents(memory: PhysicalMemory, block: Block): void {
  const bytes = memory.readBytes(block.pointer, block.size);
  ok(
    bytes.every((b) => b === block.byte),
    `the contents of the block at ${block.pointer} (${block.size} bytes) changed`,
  );
}

/** The live blocks do not overlap, lie in the arena and are aligned. */
function checkBlocks(heap: Heap, blocks: Block[]): void {
  const arena = heap.start + heap.memory.readU32(heap.start + 24);
  const sorted = blocks.toSorted((a, b) => a.pointer - b.pointer);
  sorted.forEach((block, i) => {
    strictEqual(block.pointer % block.align, 0);
    ok(block.pointer >= arena);
    ok(block.pointer + block.size <= heap.start + heap.size);
    const next = sorted[i + 1];
    if (next) ok(block.pointer + block.size <= next.pointer, "blocks overlap");
  });
}

/** The power-of-two block of pages a layout of more than 2 KiB takes. */
function blockBytes(n: number): number {
  return 4096 * 2 ** Math.ceil(Math.log2(Math.ceil(n / 4096)));
}

Deno.test("Heap: random alloc/dealloc/realloc keep every block apart, aligned and intact", () => {
  const memory = new PhysicalMemory(RAM);
  fc.assert(
    fc.property(
      region,
      fc.array(op, { minLength: 20, maxLength: 300, size: "max" }),
      ({ start, size }, ops) => {
        const views = [
          Heap.create(memory, { start, size }),
          Heap.attach(memory, start),
        ];
        const fresh = views[0]!.stats();
        const blocks: Block[] = [];
        let nextByte = 1;
        for (const step of ops) {
          const heap = views[step.cpu]!;
          if (step.op === "alloc") {
            const pointer = heap.alloc(step.size, step.align);
            if (pointer === undefined) {
              // Out of memory only when no free block is large enough.
              const n = Math.max(step.size, step.align);
              const largest = heap.stats().largestFree;
              ok(largest < (n <= 2048 ? 4096 : blockBytes(n)));
              continue;
            }
            const block = {
              pointer,
              size: step.size,
              align: step.align,
              byte: nextByte++ & 0xff,
            };
            memory.fill(pointer, block.size, block.byte);
            blocks.push(block);
          } else if (step.op === "dealloc") {
            if (blocks.length === 0) continue;
            const [block] = blocks.splice(step.pick % blocks.length, 1);
            checkContents(memory, block!);
            heap.dealloc(block!.pointer, block!.size, block!.align);
            // Freed at once, it is a double free: never missed.
            throws(
              () =>
                views[1 - step.cpu]!.dealloc(
                  block!.pointer,
                  block!.size,
                  block!.align,
                ),
              { name: "HeapError", kind: "double free" },
            );
          } else if (step.op === "realloc") {
            if (blocks.length === 0) continue;
            const block = blocks[step.pick % blocks.length]!;
            checkContents(memory, block);
            const moved = heap.realloc(
              block.pointer,
              block.size,
              block.align,
              step.size,
            );
            if (moved === undefined) {
              checkContents(memory, block); // left as it was
              continue;
            }
            // The old contents, up to the smaller size, came along.
            const kept = Math.min(block.size, step.size);
            checkContents(memory, { ...block, pointer: moved, size: kept });
            Object.assign(block, { pointer: moved, size: step.size });
            memory.fill(moved, step.size, block.byte);
          } else {
            const stats = heap.stats();
            strictEqual(
              stats.bytesInUse + stats.bytesFree + stats.bytesMetadata,
              stats.size,
            );
            strictEqual(stats.allocations, blocks.length);
            ok(stats.bytesInUse >= blocks.reduce((sum, b) => sum + b.size, 0));
            deepStrictEqual(views[1 - step.cpu]!.stats(), stats);
          }
          checkBlocks(heap, blocks);
        }
        // Freeing everything makes the heap as it was: the same figures,
        // and its largest block can be allocated again.
        for (const block of blocks) {
          checkContents(memory, block);
          views[0]!.dealloc(block.pointer, block.size, block.align);
        }
        deepStrictEqual(views[1]!.stats(), fresh);
        const whole = views[1]!.alloc(fresh.largestFree, 1);
        ok(whole !== undefined);
        views[0]!.dealloc(whole, fresh.largestFree, 1);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("Heap: every layout takes a block of at least its size, aligned, and the stats count it", () => {
  const memory = new PhysicalMemory(RAM);
  const heap = Heap.create(memory, { start: 0, size: 1 << 20 });
  fc.assert(
    fc.property(size, align, (size, align) => {
      const pointer = heap.alloc(size, align)!;
      strictEqual(pointer % align, 0);
      const stats = heap.stats();
      // A slot of the power of two at least max(size, align) from 16 B,
      // or a power-of-two number of pages.
      const n = Math.max(size, align, 16);
      const expected = n <= 2048 ? 2 ** Math.ceil(Math.log2(n)) : blockBytes(n);
      strictEqual(stats.bytesInUse, expected);
      heap.dealloc(pointer, size, align);
      strictEqual(heap.stats().bytesInUse, 0);
    }),
  );
});
