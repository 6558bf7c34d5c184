import type { MemoryRegion } from "./boot_info.ts";
import type { PhysicalMemory } from "./physical_memory.ts";

/** Where the boot page tables start: the PML4. */
export const BOOT_PML4 = 0x1000;
/** The end of the legacy PC area; usable RAM starts here. */
const LEGACY_END = 0x10_0000;
const TWO_MIB = 0x20_0000;
const P_RW = 0x3; // PRESENT | WRITABLE
const PS = 0x80;
const LOCAL_APIC = 0xfee0_0000;

/**
 * Builds the page tables a 64-bit boot loader leaves for the kernel: all
 * of RAM identity-mapped, writable and supervisor-only, with 2 MiB pages —
 * except the first 2 MiB, mapped with 4 KiB pages so that page 0 can stay
 * unmapped and a null pointer faults — and the local APIC's registers at
 * 0xFEE0_0000, uncached. The tables take the frames from 0x1000 up: PML4,
 * PDPT, the page table of the first 2 MiB, then one page directory per GiB
 * of RAM (at least four, for the APIC's).
 *
 * @param memory The machine's RAM, zero where the tables go.
 * @returns The CR3 value and the memory map.
 */
export function buildBootPageTables(memory: PhysicalMemory): {
  cr3: number;
  memoryMap: MemoryRegion[];
} {
  const ram = memory.size;
  const pdpt = BOOT_PML4 + 0x1000;
  const firstPt = pdpt + 0x1000;
  const firstPd = firstPt + 0x1000;
  const gibs = Math.ceil(ram / 2 ** 30);
  // Page directories for each GiB of RAM, and for GiB 3 (where the local
  // APIC sits) when RAM does not reach it.
  const directories = Math.max(gibs, 4);
  const tablesEnd = firstPd + directories * 0x1000;
  if (tablesEnd > Math.min(ram, LEGACY_END) || gibs > 512) {
    throw new RangeError(
      `RAM of ${ram} bytes does not fit the boot page tables: expected 1 MiB to 512 GiB`,
    );
  }
  memory.writeU64Halves(BOOT_PML4, pdpt | P_RW, 0);
  for (let gib = 0; gib < gibs; gib++) {
    const pd = firstPd + gib * 0x1000;
    memory.writeU64Halves(pdpt + gib * 8, pd | P_RW, 0);
    for (let i = 0; i < 512; i++) {
      const base = gib * 2 ** 30 + i * TWO_MIB;
      if (base >= ram) break;
      const entry = base === 0
        ? firstPt | P_RW
        : (base % 2 ** 32 | P_RW | PS) >>> 0;
      memory.writeU64Halves(pd + i * 8, entry, Math.floor(base / 2 ** 32));
    }
  }
  // The local APIC's page, uncached (PCD, PWT), in a 2 MiB page of its own.
  const apicPd = firstPd + 3 * 0x1000;
  if (gibs <= 3) memory.writeU64Halves(pdpt + 3 * 8, apicPd | P_RW, 0);
  const apicEntry = apicPd + ((LOCAL_APIC - 3 * 2 ** 30) / TWO_MIB) * 8;
  if (memory.readU64Low(apicEntry) === 0) {
    memory.writeU64Halves(apicEntry, (LOCAL_APIC | P_RW | PS | 0x18) >>> 0, 0);
  }
  for (let i = 1; i < 512 && i * 0x1000 < ram; i++) {
    memory.writeU64Halves(firstPt + i * 8, i * 0x1000 | P_RW, 0);
  }
  return {
    cr3: BOOT_PML4,
    memoryMap: [
      { start: 0, end: BOOT_PML4, kind: "reserved" },
      { start: BOOT_PML4, end: tablesEnd, kind: "page-tables" },
      { start: tablesEnd, end: LEGACY_END, kind: "reserved" },
      ...(ram > LEGACY_END
        ? [{ start: LEGACY_END, end: ram, kind: "usable" as const }]
        : []),
    ],
  };
}
