import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import type { MemoryRegion } from "../machine/boot_info.ts";
import { Machine } from "../machine/machine.ts";
import { MemorySink } from "../machine/serial_sink.ts";
import { FrameAllocator, FrameAllocatorError } from "./frame_allocator.ts";
import { type PageSize, Size1GiB, Size2MiB, Size4KiB } from "./page_size.ts";
import { PhysFrame } from "./phys_frame.ts";

// What a frame allocator must do (the Rust `x86_64` crate's
// `FrameAllocator` / `FrameDeallocator` traits, and the boot memory map of
// the `bootloader` crate that machine/boot_info.ts follows): hand out only
// frames of usable regions, naturally aligned for their size, never one
// frame twice, and take back exactly what it handed out.

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function usable(start: number, end: number): MemoryRegion {
  return { start, end, kind: "usable" };
}

function startOf(frame: PhysFrame | undefined): number | undefined {
  return frame?.startAddress().value;
}

function kind(e: unknown, k: FrameAllocatorError["kind"]): boolean {
  return e instanceof FrameAllocatorError && e.kind === k;
}

Deno.test("FrameAllocator", async (t) => {
  await t.step("takes the usable RAM of a machine's memory map", () => {
    const m = new Machine({ ramSize: 8 * MiB, sink: new MemorySink() });
    const allocator = new FrameAllocator(m.bootInfo.memoryMap);
    strictEqual(allocator.usableFrames, (8 * MiB - MiB) / 4096);
    strictEqual(allocator.freeFrames, allocator.usableFrames);
    strictEqual(allocator.usedFrames, 0);
    // Nothing below 1 MiB: the boot page tables and the legacy area.
    strictEqual(allocator.isFree(PhysFrame.containingAddress(0x1000)), false);
    strictEqual(startOf(allocator.allocate()), MiB);
  });

  await t.step("4 KiB frames come from the bottom up, freed ones first", () => {
    const allocator = new FrameAllocator([usable(0x10_0000, 0x20_0000)]);
    const frames = [0, 1, 2, 3].map(() => allocator.allocate()!);
    deepStrictEqual(frames.map(startOf), [
      0x10_0000,
      0x10_1000,
      0x10_2000,
      0x10_3000,
    ]);
    allocator.deallocate(frames[2]!);
    allocator.deallocate(frames[1]!);
    strictEqual(startOf(allocator.allocate()), 0x10_1000);
    strictEqual(startOf(allocator.allocate()), 0x10_2000);
    strictEqual(startOf(allocator.allocate()), 0x10_4000);
  });

  await t.step("region bounds round inwards; other kinds are skipped", () => {
    const allocator = new FrameAllocator([
      { start: 0, end: 0x10_0000, kind: "reserved" },
      { start: 0x1000, end: 0x5000, kind: "page-tables" },
      usable(0x10_0800, 0x10_3800), // frames 0x10_1000 and 0x10_2000
      usable(0x10_2000, 0x10_5000), // overlaps: merged
    ]);
    strictEqual(allocator.usableFrames, 4);
    deepStrictEqual(
      [1, 2, 3, 4, 5].map(() => startOf(allocator.allocate())),
      [0x10_1000, 0x10_2000, 0x10_3000, 0x10_4000, undefined],
    );
  });

  await t.step("bad regions are RangeErrors", () => {
    throws(() => new FrameAllocator([usable(0x2000, 0x1000)]), {
      name: "RangeError",
      message:
        "Invalid memory region [8192, 4096): expected integers with 0 <= start <= end",
    });
    throws(() => new FrameAllocator([usable(-4096, 0)]), RangeError);
    throws(() => new FrameAllocator([usable(0, 0.5)]), RangeError);
    throws(() => new FrameAllocator([usable(0, 2 ** 43)]), RangeError);
    strictEqual(new FrameAllocator([]).allocate(), undefined);
  });

  await t.step(
    "2 MiB frames: aligned runs of free usable RAM, top down",
    () => {
      const allocator = new FrameAllocator([usable(MiB, 8 * MiB)]);
      const runs = [1, 2, 3, 4].map(() => allocator.allocate(Size2MiB));
      deepStrictEqual(runs.map(startOf), [
        6 * MiB,
        4 * MiB,
        2 * MiB,
        undefined,
      ]);
      strictEqual(runs[0]!.size, Size2MiB);
      strictEqual(allocator.usedFrames, 3 * 512);
      // The 4 KiB frames left are those of 1..2 MiB.
      strictEqual(allocator.freeFrames, 256);
      strictEqual(startOf(allocator.allocate()), MiB);
    },
  );

  await t.step("a single used frame spoils its 2 MiB run", () => {
    const allocator = new FrameAllocator([usable(0, 4 * MiB)]);
    const small = allocator.allocate()!; // frame 0
    strictEqual(startOf(allocator.allocate(Size2MiB)), 2 * MiB);
    strictEqual(allocator.allocate(Size2MiB), undefined);
    allocator.deallocate(small);
    strictEqual(startOf(allocator.allocate(Size2MiB)), 0);
  });

  await t.step("1 GiB frames", () => {
    const allocator = new FrameAllocator([usable(MiB, 3 * GiB)]);
    deepStrictEqual(
      [1, 2, 3].map(() => startOf(allocator.allocate(Size1GiB))),
      [2 * GiB, GiB, undefined],
    );
    strictEqual(allocator.freeFrames, (GiB - MiB) / 4096);
    // A 2 MiB run is still found below 1 GiB.
    strictEqual(startOf(allocator.allocate(Size2MiB)), GiB - 2 * MiB);
  });

  await t.step("huge frames are freed whole and reused", () => {
    const allocator = new FrameAllocator([usable(0, 2 * GiB)]);
    const big = allocator.allocate(Size1GiB)!;
    strictEqual(startOf(big), GiB);
    strictEqual(allocator.isFree(big), false);
    allocator.deallocate(big);
    strictEqual(allocator.isFree(big), true);
    strictEqual(allocator.freeFrames, allocator.usableFrames);
    strictEqual(startOf(allocator.allocate(Size1GiB)), GiB);
    strictEqual(startOf(allocator.allocate(Size1GiB)), 0);
    strictEqual(allocator.allocate(), undefined);
  });

  await t.step("a double free is an error", () => {
    const allocator = new FrameAllocator([usable(0, 8 * MiB)]);
    const frame = allocator.allocate()!;
    allocator.deallocate(frame);
    throws(() => allocator.deallocate(frame), {
      name: "FrameAllocatorError",
      message: "Double free of PhysFrame[4KiB](0x0): the frame is already free",
    });
    const big = allocator.allocate(Size2MiB)!;
    allocator.deallocate(big);
    throws(() => allocator.deallocate(big), (e) => kind(e, "double free"));
    strictEqual(allocator.usedFrames, 0);
  });

  await t.step("a frame outside usable RAM is foreign", () => {
    const allocator = new FrameAllocator([
      { start: 0, end: MiB, kind: "reserved" },
      usable(MiB, 3 * MiB),
    ]);
    throws(() => allocator.deallocate(PhysFrame.containingAddress(0x1000)), {
      name: "FrameAllocatorError",
      message:
        "Cannot free PhysFrame[4KiB](0x1000): it is not in usable RAM, the only frames this allocator hands out",
    });
    throws(
      () => allocator.deallocate(PhysFrame.containingAddress(3 * MiB)),
      (e) => kind(e, "foreign"),
    );
    // Half usable is foreign too.
    throws(
      () => allocator.deallocate(PhysFrame.containingAddress(0, Size2MiB)),
      (e) => kind(e, "foreign"),
    );
    strictEqual(
      allocator.isFree(PhysFrame.containingAddress(0, Size2MiB)),
      false,
    );
  });

  await t.step("frees must match allocations", () => {
    const allocator = new FrameAllocator([usable(0, 4 * GiB)]);
    const big = allocator.allocate(Size2MiB)!;
    throws(
      () =>
        allocator.deallocate(
          PhysFrame.containingAddress(startOf(big)! + 0x5000),
        ),
      {
        name: "FrameAllocatorError",
        message:
          "Cannot free PhysFrame[4KiB](0xffe05000): it is part of PhysFrame[2MiB](0xffe00000), allocated as a whole; free that frame",
      },
    );
    // 4 KiB frames freed as a 2 MiB frame.
    const small = allocator.allocate()!;
    throws(
      () =>
        allocator.deallocate(
          PhysFrame.containingAddress(startOf(small)!, Size2MiB),
        ),
      {
        name: "FrameAllocatorError",
        message:
          "Cannot free PhysFrame[2MiB](0x0): it was not allocated as one 2MiB frame",
      },
    );
    const giant = allocator.allocate(Size1GiB)!;
    throws(
      () =>
        allocator.deallocate(
          PhysFrame.containingAddress(startOf(giant)! + 4 * MiB, Size2MiB),
        ),
      (e) => kind(e, "size mismatch"),
    );
    // A 1 GiB frame that holds a 2 MiB allocation was not allocated as one.
    throws(
      () =>
        allocator.deallocate(
          PhysFrame.containingAddress(startOf(big)!, Size1GiB),
        ),
      {
        name: "FrameAllocatorError",
        message:
          "Cannot free PhysFrame[1GiB](0xc0000000): it was not allocated as one 1GiB frame",
      },
    );
    // Nothing changed.
    strictEqual(allocator.isFree(big), false);
    strictEqual(allocator.usedFrames, 512 + 1 + 262_144);
  });

  await t.step("random allocate/free sequences keep every invariant", () => {
    const region = fc.tuple(
      fc.integer({ min: 0, max: 40 * MiB }),
      fc.integer({ min: 0, max: 12 * MiB }),
    ).map(([start, length]) => usable(start, start + length));
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("alloc" as const),
        size: fc.constantFrom<PageSize>(
          Size4KiB,
          Size4KiB,
          Size4KiB,
          Size2MiB,
        ),
      }),
      fc.record({
        kind: fc.constant("free" as const),
        pick: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(region, { maxLength: 4 }),
        fc.array(op, { maxLength: 300 }),
        (regions, ops) => {
          const allocator = new FrameAllocator(regions);
          const isUsable = (f: number) =>
            regions.some((r) => f * 4096 >= r.start && (f + 1) * 4096 <= r.end);
          let usableCount = 0;
          for (let f = 0; f < 52 * MiB / 4096; f++) {
            if (isUsable(f)) usableCount++;
          }
          strictEqual(allocator.usableFrames, usableCount);
          const held: PhysFrame[] = [];
          const owned = new Set<number>();
          for (const o of ops) {
            if (o.kind === "alloc") {
              const frame = allocator.allocate(o.size);
              if (frame === undefined) continue;
              strictEqual(frame.size, o.size);
              const first = startOf(frame)! / 4096;
              strictEqual(startOf(frame)! % o.size.bytes, 0);
              for (let f = first; f < first + o.size.bytes / 4096; f++) {
                strictEqual(owned.has(f), false, "handed out twice");
                strictEqual(isUsable(f), true, "outside usable RAM");
                owned.add(f);
              }
              strictEqual(allocator.isFree(frame), false);
              held.push(frame);
            } else if (held.length > 0) {
              const [frame] = held.splice(o.pick % held.length, 1);
              allocator.deallocate(frame!);
              const first = startOf(frame)! / 4096;
              for (let f = first; f < first + frame!.size.bytes / 4096; f++) {
                owned.delete(f);
              }
              strictEqual(allocator.isFree(frame!), true);
              throws(() => allocator.deallocate(frame!), FrameAllocatorError);
            }
            strictEqual(allocator.usedFrames, owned.size);
            strictEqual(allocator.freeFrames, usableCount - owned.size);
          }
          // 4 KiB allocation fails only when nothing is free.
          const probe = allocator.allocate();
          if (probe === undefined) strictEqual(allocator.freeFrames, 0);
          else held.push(probe);
          for (const frame of held) allocator.deallocate(frame);
          strictEqual(allocator.freeFrames, usableCount);
          // Everything is reusable: all frames, lowest first.
          let previous = -1;
          for (let i = 0; i < usableCount; i++) {
            const frame = allocator.allocate()!;
            strictEqual(startOf(frame)! > previous, true);
            previous = startOf(frame)!;
          }
          strictEqual(allocator.allocate(), undefined);
          strictEqual(allocator.usedFrames, usableCount);
        },
      ),
      { numRuns: 60 },
    );
  });

  await t.step("huge runs come back after 4 KiB churn", () => {
    const allocator = new FrameAllocator([usable(0, 16 * MiB)]);
    const frames: PhysFrame[] = [];
    for (let i = 0; i < 4096; i++) frames.push(allocator.allocate()!);
    strictEqual(allocator.allocate(Size2MiB), undefined);
    for (const frame of frames.reverse()) allocator.deallocate(frame);
    deepStrictEqual(
      Array.from({ length: 9 }, () => startOf(allocator.allocate(Size2MiB))),
      [14, 12, 10, 8, 6, 4, 2, 0, undefined].map((m) =>
        m === undefined ? undefined : m * MiB
      ),
    );
  });
});
