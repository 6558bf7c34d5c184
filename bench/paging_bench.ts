/**
 * Paging: a u64 read through the TLB against a raw `DataView` read, a
 * 4-level walk on a TLB miss, `Mapper.mapTo` + `unmap` of a 4 KiB page, and
 * `Mapper.translate`.
 *
 * Goals: a TLB-hit read within 3× of the raw read; a full walk under
 * 100 ns; map + unmap under 500 ns.
 *
 * Run with `deno bench bench/paging_bench.ts`.
 *
 * @module
 */
import { bindCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";
import { Access } from "../machine/cpu/mmu.ts";
import { readU64 } from "../memory/virtual_memory.ts";
import { FrameAllocator } from "../memory/frame_allocator.ts";
import { Mapper } from "../memory/mapper.ts";
import { Page } from "../memory/page.ts";
import { PageTableFlags } from "../memory/page_table_flags.ts";
import { VirtualAddress } from "../memory/virtual_address.ts";

const machine = new Machine({ ramSize: 16 << 20, sink: new DiscardSink() });
const cpu = machine.cpus[0]!;
// The benches run after Machine.run would have returned: bind the CPU for
// the whole file, as run does for its entry function.
bindCpu(cpu);

// 4 KiB pages: the boot tables map the first 2 MiB with a page table.
const SMALL = 0x1_0000;
const raw = new DataView(machine.memory.buffer);
let sink = 0n;
let n = 0;

Deno.bench({
  name: "raw DataView.getBigUint64",
  group: "u64 read",
  baseline: true,
  fn() {
    n = (n + 8) & 0xff8;
    sink ^= raw.getBigUint64(SMALL + n, true);
  },
});

Deno.bench({
  name: "Cpu.readU64, TLB hit, same page",
  group: "u64 read",
  fn() {
    n = (n + 8) & 0xff8;
    sink ^= cpu.readU64(SMALL + n);
  },
});

Deno.bench({
  name: "Cpu.readU64, TLB hit, two pages in turn",
  group: "u64 read",
  fn() {
    n = (n + 8) & 0x1ff8; // alternates pages, defeating the last-page cache
    sink ^= cpu.readU64(SMALL + n + (n & 8) * 512);
  },
});

Deno.bench({
  name: "memory readU64, TLB hit",
  group: "u64 read",
  fn() {
    n = (n + 8) & 0xff8;
    sink ^= readU64(SMALL + n);
  },
});

let pa = 0;
Deno.bench({
  name: "translate, TLB miss: 4-level walk",
  group: "walk",
  fn() {
    cpu.mmu.tlb.flushPage(SMALL);
    pa ^= cpu.translate(SMALL, Access.READ);
  },
});

Deno.bench({
  name: "translate, TLB hit",
  group: "walk",
  baseline: true,
  fn() {
    pa ^= cpu.translate(SMALL, Access.READ);
  },
});

const frames = new FrameAllocator(machine.bootInfo.memoryMap);
const mapper = new Mapper();
const flags = new PageTableFlags().present().writable();
const page = Page.containingAddress(0x4000_0000_0000);
const frame = frames.allocate()!;
mapper.mapTo(page, frame, flags, frames).flush(); // creates the tables once
mapper.unmap(page)[1].flush();

Deno.bench({
  name: "mapTo + unmap of a 4 KiB page, with flushes",
  group: "mapper",
  fn() {
    mapper.mapTo(page, frame, flags, frames).flush();
    mapper.unmap(page)[1].flush();
  },
});

const mapped = Page.containingAddress(0x4000_0020_0000);
mapper.mapTo(mapped, frames.allocate()!, flags, frames).flush();
const address = new VirtualAddress(0x4000_0020_0123);
Deno.bench({
  name: "Mapper.translate",
  group: "mapper",
  fn() {
    if (mapper.translate(address).kind !== "mapped") {
      throw new Error("unmapped");
    }
  },
});

if (sink === 1n && pa === 1) console.log(sink, pa);
