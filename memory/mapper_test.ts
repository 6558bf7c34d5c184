import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { Reg } from "../machine/cpu/register_file.ts";
import { currentCpu, Machine, MemorySink } from "../machine/mod.ts";
import { FrameAllocator } from "./frame_allocator.ts";
import { Mapper, type MapperError } from "./mapper.ts";
import { Page } from "./page.ts";
import { Size1GiB, Size2MiB, Size4KiB } from "./page_size.ts";
import { PageTableFlags } from "./page_table_flags.ts";
import { PhysFrame } from "./phys_frame.ts";
import { VirtualAddress } from "./virtual_address.ts";
import { readU64, readU8, writeU64, writeU8 } from "./virtual_memory.ts";

const RW = new PageTableFlags().present().writable();
const USER_RW = RW.userAccessible();

/** Runs `body` with a mapper and a frame allocator; fails if a fault stops it. */
function withMapper(
  body: (mapper: Mapper, frames: FrameAllocator) => void,
  ramSize = 64 << 20,
): void {
  const report = new Machine({ ramSize, sink: new MemorySink() }).run(
    (boot) => {
      body(new Mapper(), new FrameAllocator(boot.memoryMap));
    },
  );
  strictEqual(report.reason, "returned", report.message);
}

Deno.test("Mapper", async (t) => {
  await t.step(
    "mapTo then translate round-trips, for random pages and sizes",
    () => {
      withMapper((mapper, frames) => {
        fc.assert(
          fc.property(
            fc.constantFrom(Size4KiB, Size2MiB),
            // Clear of the boot identity map; 4 KiB pages in the lower half
            // and 2 MiB ones in the higher half, so that the page tables a
            // 4 KiB mapping leaves behind never sit where a 2 MiB page goes.
            fc.bigInt({ min: 2n ** 40n, max: 2n ** 47n - 1n }),
            fc.integer({ min: 0, max: 2 ** 21 - 1 }),
            (size, raw, offset) => {
              const aligned = raw / BigInt(size.bytes) * BigInt(size.bytes);
              const start = size === Size2MiB ? aligned - 2n ** 47n : aligned;
              const page = Page.fromStartAddress(start, size);
              const frame = frames.allocate(size)!;
              mapper.mapTo(page, frame, RW, frames).flush();
              const off = offset % size.bytes;
              const found = mapper.translate(page.startAddress().add(off));
              strictEqual(found.kind, "mapped");
              if (found.kind === "mapped") {
                strictEqual(found.frame.equals(frame), true);
                strictEqual(found.offset, off);
                strictEqual(
                  found.address.value,
                  frame.startAddress().value + off,
                );
                strictEqual(found.flags.contains(RW), true);
              }
              const [freed, flush] = mapper.unmap(page);
              flush.flush();
              strictEqual(freed.equals(frame), true);
              strictEqual(
                mapper.translate(page.startAddress()).kind,
                "not mapped",
              );
              frames.deallocate(frame);
            },
          ),
          { numRuns: 200, endOnFailure: true },
        );
      });
    },
  );

  await t.step(
    "the MMU uses what the mapper maps: 4 KiB, 2 MiB and 1 GiB pages",
    () => {
      withMapper((mapper, frames) => {
        const small = Page.containingAddress(0xffff_8000_0000_0000n);
        const frame = frames.allocate()!;
        mapper.mapTo(small, frame, RW, frames).flush();
        writeU64(small.startAddress().add(8), 0x1234n);
        strictEqual(
          currentCpu().memory.readU64(frame.startAddress().value + 8),
          0x1234n,
        );

        const large = Page.containingAddress(0xffff_8000_4000_0000n, Size2MiB);
        const largeFrame = frames.allocate(Size2MiB)!;
        mapper.mapTo(large, largeFrame, RW, frames).flush();
        writeU8(large.startAddress().add(0x1f_ffff), 7);
        strictEqual(
          currentCpu().memory.readU8(
            largeFrame.startAddress().value + 0x1f_ffff,
          ),
          7,
        );

        const huge = Page.containingAddress(0xffff_c000_0000_0000n, Size1GiB);
        mapper.mapTo(huge, PhysFrame.fromStartAddress(0, Size1GiB), RW, frames)
          .flush();
        strictEqual(
          readU8(huge.startAddress().add(frame.startAddress().value + 8)),
          0x34,
        );
      });
    },
  );

  await t.step(
    "a user page under a supervisor-only parent gets the parents made user-accessible",
    () => {
      withMapper((mapper, frames) => {
        const kernel = Page.containingAddress(0x4000_0000_0000);
        const user = kernel.add(1); // same page table
        mapper.mapTo(kernel, frames.allocate()!, RW, frames).flush();
        mapper.mapTo(user, frames.allocate()!, USER_RW, frames).flush();
        const cpu = currentCpu();
        cpu.registers.setHalves(Reg.CS, 0x2b, 0); // CPL 3
        writeU64(user.startAddress(), 5n);
        strictEqual(readU64(user.startAddress()), 5n);
        cpu.registers.setHalves(Reg.CS, 0x08, 0);
      });
    },
  );

  await t.step(
    "a changed mapping is not seen until flush(), as on real hardware",
    () => {
      withMapper((mapper, frames) => {
        const page = Page.containingAddress(0x5000_0000_0000);
        const [a, b] = [frames.allocate()!, frames.allocate()!];
        currentCpu().memory.writeU8(a.startAddress().value, 0xaa);
        currentCpu().memory.writeU8(b.startAddress().value, 0xbb);
        mapper.mapTo(page, a, RW, frames).flush();
        strictEqual(readU8(page.startAddress()), 0xaa);
        mapper.unmap(page)[1].ignore();
        mapper.mapTo(page, b, RW, frames).ignore();
        strictEqual(readU8(page.startAddress()), 0xaa, "stale TLB entry");
        mapper.updateFlags(page, RW).flush();
        strictEqual(readU8(page.startAddress()), 0xbb);
      });
    },
  );

  await t.step(
    "updateFlags makes a page read-only: a write then faults with P and W",
    () => {
      const machine = new Machine({
        ramSize: 16 << 20,
        sink: new MemorySink(),
      });
      const page = Page.containingAddress(0x6000_0000_0000);
      const report = machine.run((boot) => {
        const frames = new FrameAllocator(boot.memoryMap);
        const mapper = new Mapper();
        mapper.mapTo(page, frames.allocate()!, RW, frames).flush();
        writeU8(page.startAddress(), 1);
        mapper.updateFlags(page, new PageTableFlags().present()).flush();
        strictEqual(readU8(page.startAddress()), 1);
        writeU8(page.startAddress(), 2);
      });
      strictEqual(report.tripleFault?.vector, 14);
      strictEqual(report.tripleFault?.errorCode, 0b11);
      strictEqual(report.tripleFault?.cr2, page.startAddress().toBigInt());
    },
  );

  await t.step("errors name the page and the reason", () => {
    withMapper((mapper, frames) => {
      const page = Page.containingAddress(0x7000_0000_0000);
      mapper.mapTo(page, frames.allocate()!, RW, frames).flush();
      throws(
        () => mapper.mapTo(page, frames.allocate()!, RW, frames),
        (e: MapperError) => e.kind === "page already mapped",
      );

      const large = Page.containingAddress(0x7100_0000_0000, Size2MiB);
      mapper.mapTo(large, frames.allocate(Size2MiB)!, RW, frames).flush();
      const inside = Page.containingAddress(0x7100_0000_1000);
      throws(
        () => mapper.mapTo(inside, frames.allocate()!, RW, frames),
        (e: MapperError) => e.kind === "parent entry is a huge page",
      );
      throws(
        () => mapper.unmap(inside),
        (e: MapperError) => e.kind === "parent entry is a huge page",
      );
      throws(
        () => mapper.unmap(page.add(1)),
        (e: MapperError) => e.kind === "page not mapped",
      );
      throws(
        () => mapper.updateFlags(Page.containingAddress(0x7200_0000_0000), RW),
        (e: MapperError) => e.kind === "page not mapped",
      );
      throws(
        () => mapper.mapTo(page.add(2), frames.allocate(Size2MiB)!, RW, frames),
        (e: MapperError) => e.kind === "size mismatch",
      );
      throws(
        () => mapper.unmap(Page.containingAddress(0x7000_0000_0000, Size2MiB)),
        (e: MapperError) => e.kind === "size mismatch",
      );
      throws(
        () =>
          mapper.mapTo(
            Page.containingAddress(0x7300_0000_0000),
            frames.allocate()!,
            RW,
            { allocate: () => undefined },
          ),
        {
          name: "MapperError",
          message: /frame allocation failed/,
        },
      );
    });
  });

  await t.step("identityMap maps a frame at its own address", () => {
    withMapper((mapper, frames) => {
      const frame = PhysFrame.containingAddress(0x4000_0000_0000);
      mapper.identityMap(frame, RW, frames).ignore();
      const found = mapper.translate(new VirtualAddress(0x4000_0000_0123));
      deepStrictEqual(
        found.kind === "mapped" ? found.address.value : -1,
        0x4000_0000_0123,
      );
    });
  });
});
