import { strictEqual } from "node:assert/strict";
import { Machine } from "../../machine/machine.ts";
import { FrameAllocator } from "../../memory/frame_allocator.ts";
import { Mapper } from "../../memory/mapper.ts";
import { Page } from "../../memory/page.ts";
import { PageTableFlags } from "../../memory/page_table_flags.ts";
import { readU32, writeU32 } from "../../memory/virtual_memory.ts";
import { pause } from "./instructions.ts";
import image, {
  ACKS,
  AP_VECTOR,
  NEW_VALUE,
  PAGE,
  SEEN,
  SHOOTDOWN_VECTOR,
} from "./testdata/shootdown_image.ts";

const ICR_LOW = 0xfee0_0300;
const ICR_HIGH = 0xfee0_0310;

Deno.test("TLB shootdown: CPU 1 keeps its stale translation after CPU 0 remaps a page, until CPU 0's IPI makes it invlpg", () => {
  const machine = new Machine({ cpus: 2, image, ramSize: 8 << 20 });
  const report = machine.run((boot) => {
    const frames = new FrameAllocator(boot.memoryMap);
    const mapper = new Mapper();
    const flags = new PageTableFlags().present().writable();
    const page = Page.containingAddress(PAGE);
    const [first, second] = [frames.allocate()!, frames.allocate()!];
    machine.memory.writeU32(Number(first.startAddress().value), 0xaaaa);
    machine.memory.writeU32(Number(second.startAddress().value), NEW_VALUE);
    mapper.mapTo(page, first, flags, frames).flush();

    writeU32(ICR_HIGH, 1 << 24);
    writeU32(ICR_LOW, 0x4600 | AP_VECTOR); // STARTUP CPU 1
    while (readU32(SEEN) !== 0xaaaa) pause();

    // Remap the page and invalidate it here only.
    mapper.unmap(page)[1].flush();
    mapper.mapTo(page, second, flags, frames).flush();
    strictEqual(readU32(PAGE), NEW_VALUE);
    // CPU 1 reads on through its own TLB (it has read the page since).
    const until = Date.now() + 20;
    while (Date.now() < until) pause();
    strictEqual(readU32(SEEN), 0xaaaa);

    // The shootdown: a fixed IPI to all but self (SDM 3A figure 11-12).
    writeU32(ICR_LOW, 0xc_4000 | SHOOTDOWN_VECTOR);
    while (readU32(SEEN) !== NEW_VALUE) pause();
    strictEqual(readU32(ACKS), 1);
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(report.cpus[1]!.reason, "returned", report.toString());
});
