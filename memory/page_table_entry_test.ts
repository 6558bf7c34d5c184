import { strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  PhysicalAddressError,
  PhysicalMemory,
} from "../machine/physical_memory.ts";
import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
import { Size1GiB, Size2MiB, Size4KiB } from "./page_size.ts";
import { FrameError, PageTableEntry } from "./page_table_entry.ts";
import { PageTableFlags } from "./page_table_flags.ts";
import { PhysFrame } from "./phys_frame.ts";
import {
  InvalidPhysicalAddressError,
  PhysicalAddress,
} from "./physical_address.ts";

// Facts: Intel SDM 3A §4.5, tables 4-15 to 4-20 — an entry is 8 bytes,
// little-endian; bits 51..12 hold the address of the frame or table;
// bit 7 (PS) in a PDE/PDPTE makes it a 2 MiB / 1 GiB leaf whose address
// bit 12 is PAT and bits 20..13 / 29..13 are reserved. The Rust `x86_64`
// crate's `PageTableEntry`: `addr` masks 0x000f_ffff_ffff_f000, `flags`
// is `from_bits_truncate`, `frame` fails with `FrameNotPresent` when P is
// clear and `HugeFrame` when PS is set; `set_frame` refuses HUGE_PAGE.

const ADDRESS_MASK = 0x000f_ffff_ffff_f000n;
const FLAG_MASK = 0xfff0_0000_0000_0fffn;

function entryAt(address = 0x800): [PhysicalMemory, PageTableEntry] {
  const ram = new PhysicalMemory(8192);
  return [ram, new PageTableEntry(ram, address)];
}

Deno.test("PageTableEntry", async (t) => {
  await t.step(
    "setAddr writes address | flags; addr and flags read back",
    () => {
      const [ram, entry] = entryAt();
      fc.assert(fc.property(
        fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }).map((f) => f << 12n),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => v & FLAG_MASK),
        (address, bits) => {
          const flags = PageTableFlags.fromBits(bits);
          entry.setAddr(new PhysicalAddress(address), flags);
          strictEqual(ram.readU64(0x800), address | bits);
          strictEqual(entry.raw(), address | bits);
          strictEqual(entry.addr().toBigInt(), address);
          strictEqual(entry.flags().bits(), bits);
          strictEqual(entry.isUnused(), address === 0n && bits === 0n);
        },
      ));
    },
  );

  await t.step("addr and flags split any 64-bit value at bits 51..12", () => {
    const [ram, entry] = entryAt();
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      (raw) => {
        ram.writeU64(0x800, raw);
        strictEqual(entry.addr().toBigInt(), raw & ADDRESS_MASK);
        strictEqual(entry.flags().bits(), raw & FLAG_MASK);
      },
    ));
  });

  await t.step("the entry is little-endian in memory", () => {
    const [ram, entry] = entryAt(0);
    entry.setAddr(0x1234_5000, PageTableFlags.PRESENT.noExecute());
    strictEqual(ram.readU8(0), 0x01);
    strictEqual(ram.readU8(1), 0x50);
    strictEqual(ram.readU8(7), 0x80);
  });

  await t.step("setFlags keeps the address", () => {
    const [ram, entry] = entryAt();
    ram.writeU64(0x800, 0x000f_ffff_ffff_f000n | 0x67n);
    entry.setFlags(new PageTableFlags().present().noExecute());
    strictEqual(entry.raw(), 0x800f_ffff_ffff_f001n);
  });

  await t.step("setUnused clears all 64 bits", () => {
    const [ram, entry] = entryAt();
    ram.writeU64(0x800, 2n ** 64n - 1n);
    strictEqual(entry.isUnused(), false);
    entry.setUnused();
    strictEqual(ram.readU64(0x800), 0n);
    strictEqual(entry.isUnused(), true);
    // Bit 63 alone is not unused.
    ram.writeU64(0x800, 1n << 63n);
    strictEqual(entry.isUnused(), false);
  });

  await t.step("the address must be 4 KiB aligned and 52 bits", () => {
    const [, entry] = entryAt();
    throws(() => entry.setAddr(0x1008, PageTableFlags.PRESENT), {
      name: "AddressNotAlignedError",
      message:
        "0x0000_0000_0000_1008 is not aligned to 4 KiB: expected a multiple of 0x1000",
    });
    throws(
      () => entry.setAddr(1n << 52n, PageTableFlags.PRESENT),
      InvalidPhysicalAddressError,
    );
  });

  await t.step("frame: not present, huge frame, not huge", () => {
    const [ram, entry] = entryAt();
    throws(
      () => entry.frame(),
      (e) =>
        e instanceof FrameError && e.kind === "not present" &&
        e.entryAddress === 0x800,
    );
    ram.writeU64(0x800, 0x0020_0000n | 0x80n); // PS without P
    throws(
      () => entry.frame(Size2MiB),
      (e) => e instanceof FrameError && e.kind === "not present",
    );
    ram.writeU64(0x800, 0x0020_0000n | 0x81n);
    throws(() => entry.frame(), {
      name: "FrameError",
      message:
        "Page-table entry at 0x0000_0000_0000_0800 has no 4KiB frame: it maps a huge page (PS, bit 7, is set); ask a PD or PDPT entry for frame(Size2MiB) or frame(Size1GiB)",
    });
    strictEqual(`${entry.frame(Size2MiB)}`, "PhysFrame[2MiB](0x200000)");
    ram.writeU64(0x800, 0x0020_0000n | 0x01n);
    strictEqual(`${entry.frame()}`, "PhysFrame[4KiB](0x200000)");
    strictEqual(`${entry.frame(Size4KiB)}`, "PhysFrame[4KiB](0x200000)");
    throws(
      () => entry.frame(Size1GiB),
      (e) => e instanceof FrameError && e.kind === "not huge",
    );
  });

  await t.step("a huge leaf's PAT bit 12 is not part of its frame", () => {
    const [ram, entry] = entryAt();
    ram.writeU64(0x800, 0x4000_1000n | 0x81n); // 1 GiB at 1 GiB, PAT set
    strictEqual(entry.addr().value, 0x4000_1000);
    strictEqual(`${entry.frame(Size1GiB)}`, "PhysFrame[1GiB](0x40000000)");
    // Reserved bits 29..13 of a 1 GiB leaf, 20..13 of a 2 MiB leaf.
    ram.writeU64(0x800, 0x4000_2000n | 0x81n);
    throws(() => entry.frame(Size1GiB), AddressNotAlignedError);
    ram.writeU64(0x800, 0x0030_0000n | 0x81n);
    throws(() => entry.frame(Size2MiB), AddressNotAlignedError);
  });

  await t.step("setFrame: HUGE_PAGE must match the frame size", () => {
    const [, entry] = entryAt();
    const small = PhysFrame.containingAddress(0x5000);
    entry.setFrame(small, new PageTableFlags().present().writable());
    strictEqual(entry.raw(), 0x5003n);
    strictEqual(entry.frame().equals(small), true);
    throws(() => entry.setFrame(small, PageTableFlags.PRESENT.hugePage()), {
      name: "RangeError",
      message:
        "Invalid flags for PhysFrame[4KiB](0x5000): HUGE_PAGE (PS, bit 7) is set, which would make a table reference a huge page; expected it clear for a 4KiB frame (use setAddr for a PAT page)",
    });
    const big = PhysFrame.containingAddress(0x20_0000, Size2MiB);
    throws(() => entry.setFrame(big, PageTableFlags.PRESENT), {
      name: "RangeError",
      message:
        "Invalid flags for PhysFrame[2MiB](0x200000): HUGE_PAGE (PS, bit 7) is clear; a 2MiB frame is mapped by a level-2 entry with PS set",
    });
    entry.setFrame(big, PageTableFlags.PRESENT.hugePage());
    strictEqual(entry.frame(Size2MiB).equals(big), true);
  });

  await t.step("an entry is 8 aligned bytes inside memory", () => {
    const ram = new PhysicalMemory(4096);
    strictEqual(new PageTableEntry(ram, 4088).isUnused(), true);
    strictEqual(
      new PageTableEntry(ram, new PhysicalAddress(8)).address.value,
      8,
    );
    throws(() => new PageTableEntry(ram, 4), AddressNotAlignedError);
    throws(() => new PageTableEntry(ram, 4096), PhysicalAddressError);
    throws(() => new PageTableEntry(ram, -8), PhysicalAddressError);
    throws(() => new PageTableEntry(ram, 1.5), PhysicalAddressError);
  });

  await t.step("toString is like the crate's Debug", () => {
    const [, entry] = entryAt();
    entry.setAddr(0xb8000, PageTableFlags.PRESENT.writable().noExecute());
    strictEqual(
      `${entry}`,
      "PageTableEntry { addr: 0xb8000, flags: PRESENT | WRITABLE | NO_EXECUTE }",
    );
  });
});
