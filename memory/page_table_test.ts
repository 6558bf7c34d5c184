import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { invlpg } from "../arch/x86_64/tlb.ts";
import { NoCpuError } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { Access } from "../machine/cpu/mmu.ts";
import {
  PhysicalAddressError,
  PhysicalMemory,
} from "../machine/physical_memory.ts";
import { MemorySink } from "../machine/serial_sink.ts";
import { currentCpu } from "../machine/current_cpu.ts";
import { Page } from "./page.ts";
import { Size1GiB, Size2MiB } from "./page_size.ts";
import { PageTable } from "./page_table.ts";
import { PageTableFlags } from "./page_table_flags.ts";
import { PhysFrame } from "./phys_frame.ts";
import { readU32, writeU32 } from "./virtual_memory.ts";

// Facts: Intel SDM 3A §4.5 — a paging structure is 4 KiB of 512 8-byte
// entries, indexed by bits 47..39 / 38..30 / 29..21 / 20..12; the MMU
// walks them from CR3 (§4.5.4), PS makes a PDPTE or PDE a leaf, XD forbids
// fetches with EFER.NXE (§4.6), and the TLB keeps a translation until
// `invlpg` (§4.10.4). The boot tables are those of
// machine/boot_page_tables.ts.

const RW = new PageTableFlags().present().writable();

function machine(): Machine {
  return new Machine({ ramSize: 8 << 20, sink: new MemorySink() });
}

/** Maps `page` (4 KiB) to `frame`, adding tables from `next` frames. */
function map4KiB(
  page: Page,
  frame: PhysFrame,
  next: () => PhysFrame,
  flags: PageTableFlags = RW,
): void {
  let table = PageTable.at(PhysFrame.containingAddress(0x1000));
  for (const index of [page.p4Index(), page.p3Index(), page.p2Index()]) {
    const entry = table.entry(index);
    if (entry.isUnused()) {
      const fresh = next();
      PageTable.at(fresh).zero();
      entry.setFrame(fresh, RW);
    }
    table = PageTable.at(entry.frame());
  }
  table.entry(page.p1Index()).setFrame(frame, flags);
}

Deno.test("PageTable", async (t) => {
  await t.step("new PageTable() is zeroed and detached", () => {
    const table = new PageTable();
    strictEqual(table.isEmpty(), true);
    strictEqual(table.memory.size, 4096);
    strictEqual(table.address.value, 0);
    strictEqual(new PageTable().memory === table.memory, false);
  });

  await t.step("the seed's example", () => {
    const table = new PageTable();
    const entry = table.entry(0);
    entry.setFlags(new PageTableFlags().present().writable());
    strictEqual(table.memory.readU64(0), 3n);
    strictEqual(table.isEmpty(), false);
  });

  await t.step("512 entries of 8 bytes", () => {
    const table = new PageTable();
    const entries = [...table.entries()];
    strictEqual(entries.length, 512);
    deepStrictEqual(
      entries.map((e) => e.address.value),
      Array.from({ length: 512 }, (_, i) => i * 8),
    );
    strictEqual([...table].length, 512);
    table.entry(511).setAddr(0x1000, PageTableFlags.PRESENT);
    strictEqual(table.memory.readU64(0xff8), 0x1001n);
  });

  await t.step("an index is an integer from 0 to 511", () => {
    const table = new PageTable();
    for (const bad of [-1, 512, 1.5, Number.NaN]) {
      throws(() => table.entry(bad), {
        name: "RangeError",
        message:
          `Invalid page-table index ${bad}: expected an integer from 0 to 511`,
      });
    }
  });

  await t.step("zero clears only the table", () => {
    const ram = new PhysicalMemory(16384);
    ram.writeU64(0x1ff8, 7n);
    ram.writeU64(0x3000, 9n);
    const table = PageTable.at(PhysFrame.containingAddress(0x2000), ram);
    for (const entry of table) entry.setAddr(0x5000, PageTableFlags.PRESENT);
    table.zero();
    strictEqual(table.isEmpty(), true);
    strictEqual(ram.readU64(0x1ff8), 7n);
    strictEqual(ram.readU64(0x3000), 9n);
  });

  await t.step("at: a 4 KiB frame inside the memory", () => {
    const ram = new PhysicalMemory(16384);
    const table = PageTable.at(PhysFrame.containingAddress(0x3000), ram);
    strictEqual(table.frame.startAddress().value, 0x3000);
    strictEqual(table.memory, ram);
    throws(
      () => PageTable.at(PhysFrame.containingAddress(0x4000), ram),
      PhysicalAddressError,
    );
    throws(
      () => PageTable.at(PhysFrame.containingAddress(0, Size2MiB), ram),
      {
        name: "RangeError",
        message:
          "Invalid page-table frame PhysFrame[2MiB](0x0): a paging structure fills one 4KiB frame",
      },
    );
  });

  await t.step("at without memory needs a CPU", () => {
    throws(
      () => PageTable.at(PhysFrame.containingAddress(0x1000)),
      NoCpuError,
    );
  });

  await t.step("the boot tables as the MMU walks them", () => {
    const m = machine();
    const report = m.run(() => {
      const pml4 = PageTable.at(PhysFrame.containingAddress(0x1000));
      strictEqual(pml4.memory, m.memory);
      const pdpt = PageTable.at(pml4.entry(0).frame());
      strictEqual(pdpt.address.value, 0x2000);
      const pd = PageTable.at(pdpt.entry(0).frame());
      strictEqual(pd.address.value, 0x4000);
      // The first 2 MiB use a page table, the rest 2 MiB pages.
      const pt = PageTable.at(pd.entry(0).frame());
      strictEqual(pt.address.value, 0x3000);
      strictEqual(pt.entry(0).isUnused(), true); // null page unmapped
      strictEqual(pt.entry(1).frame().startAddress().value, 0x1000);
      const leaf = pd.entry(1);
      strictEqual(`${leaf.frame(Size2MiB)}`, "PhysFrame[2MiB](0x200000)");
      strictEqual(
        leaf.flags().contains(RW.union(PageTableFlags.HUGE_PAGE)),
        true,
      );
      strictEqual(pml4.entry(256).isUnused(), true);
    });
    strictEqual(report.reason, "returned", report.message);
  });

  await t.step("a mapping written here is the one the MMU uses", () => {
    const m = machine();
    const report = m.run(() => {
      let free = 0x70_0000;
      const next = () => {
        const frame = PhysFrame.containingAddress(free);
        free += 0x1000;
        return frame;
      };
      const page = Page.containingAddress(0xffff_8000_1234_5000n);
      map4KiB(page, PhysFrame.containingAddress(0x60_0000), next);
      const cpu = currentCpu();
      strictEqual(
        cpu.translate(page.startAddress().value + 0x10, Access.READ),
        0x60_0010,
      );
      writeU32(page.startAddress().add(4), 0xfeed);
      strictEqual(m.memory.readU32(0x60_0004), 0xfeed);

      // Remap: the TLB keeps the old frame until invlpg.
      map4KiB(page, PhysFrame.containingAddress(0x61_0000), next);
      strictEqual(readU32(page.startAddress().add(4)), 0xfeed);
      invlpg(page.startAddress());
      strictEqual(readU32(page.startAddress().add(4)), 0);
      strictEqual(
        cpu.translate(page.startAddress().value, Access.READ),
        0x61_0000,
      );

      // The walk set ACCESSED in the leaf, and DIRTY after the write.
      let table = PageTable.at(PhysFrame.containingAddress(0x1000));
      for (const i of [page.p4Index(), page.p3Index(), page.p2Index()]) {
        strictEqual(
          table.entry(i).flags().contains(PageTableFlags.ACCESSED),
          true,
        );
        table = PageTable.at(table.entry(i).frame());
      }
      writeU32(page.startAddress(), 1);
      strictEqual(
        `${table.entry(page.p1Index()).flags()}`,
        "PRESENT | WRITABLE | ACCESSED | DIRTY",
      );
    });
    strictEqual(report.reason, "returned", report.message);
  });

  await t.step("a 1 GiB leaf in the higher half", () => {
    const m = machine();
    const report = m.run(() => {
      const page = Page.containingAddress(0xffff_ffff_8000_0000n, Size1GiB);
      const pml4 = PageTable.at(PhysFrame.containingAddress(0x1000));
      const pdptFrame = PhysFrame.containingAddress(0x70_0000);
      const pdpt = PageTable.at(pdptFrame);
      pdpt.zero();
      pml4.entry(page.p4Index()).setFrame(pdptFrame, RW);
      pdpt.entry(page.p3Index()).setFrame(
        PhysFrame.containingAddress(0, Size1GiB),
        RW.hugePage(),
      );
      strictEqual(
        currentCpu().translate(
          page.startAddress().value + 0x20_1234,
          Access.WRITE,
        ),
        0x20_1234,
      );
    });
    strictEqual(report.reason, "returned", report.message);
  });

  await t.step("NO_EXECUTE makes a fetch fault with #PF (P and I/D)", () => {
    const m = machine();
    const report = m.run(() => {
      const page = Page.containingAddress(0x40_0000_0000);
      let free = 0x70_0000;
      map4KiB(
        page,
        PhysFrame.containingAddress(0x60_0000),
        () => PhysFrame.containingAddress((free += 0x1000) - 0x1000),
        RW.noExecute(),
      );
      strictEqual(
        currentCpu().translate(page.startAddress().value, Access.READ),
        0x60_0000,
      );
      currentCpu().translate(page.startAddress().value, Access.FETCH);
    });
    strictEqual(report.tripleFault?.vector, 14, report.message);
    strictEqual(report.tripleFault?.cr2, 0x40_0000_0000n);
    strictEqual((report.tripleFault?.errorCode ?? 0) & 0x11, 0x11);
  });
});
