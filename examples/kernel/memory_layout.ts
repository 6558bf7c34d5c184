/**
 * The example kernel's memory map: where each part of the kernel lives in
 * physical memory and in the virtual address space of every CPU.
 *
 * The machine has 1 GiB of RAM ({@linkcode RAM_SIZE}); a `SharedArrayBuffer`
 * is touched lazily, so regions cost nothing until they are used.
 *
 * Physical memory:
 *
 * | physical                  | size    | what                                                         |
 * | ------------------------- | ------- | ------------------------------------------------------------ |
 * | 0x0000_0000 – 0x0010_0000 | 1 MiB   | low memory: the machine's boot tables at 0x1000, boot stacks, the AP trampoline page 0x8000 |
 * | 0x0010_0000 – 0x0011_0000 | 64 KiB  | kernel text: the code addresses of handlers and entries      |
 * | 0x0011_0000 – 0x0011_1000 | 4 KiB   | the IDT, shared by every CPU                                 |
 * | 0x0011_1000 – 0x0011_2000 | 4 KiB   | boot parameters: the kernel's CR3 for the APs, CPUs online   |
 * | 0x0011_2000 – 0x0011_a000 | 32 KiB  | per-CPU pages: GDT, TSS, variables, bench contexts (8 CPUs)  |
 * | 0x0020_0000 – 0x0040_0000 | 2 MiB   | the kernel's page tables (PML4 first)                        |
 * | 0x0040_0000 – 0x0050_0000 | 1 MiB   | kernel stacks: 64 KiB (RSP0) + 16 KiB (#DF, IST1) per CPU    |
 * | 0x0100_0000 – 0x0500_0000 | 64 MiB  | kernel heap (`Heap`, its lock word first)                    |
 * | 0x0500_0000 – 0x0900_0000 | 64 MiB  | IPC: endpoints, message buffers, cross-CPU rings (the shell's `ipc` uses the first 8 KiB) |
 * | 0x1000_0000 – 0x3000_0000 | 512 MiB | scheduler: run queues and 64-byte TCBs (2^20 of them: 64 MiB) |
 * | the rest                  | 379 MiB | free frames (`FrameAllocator`): address spaces, user pages   |
 *
 * Virtual memory (the same kernel half on every CPU):
 *
 * | virtual                                      | maps                  | flags                              |
 * | -------------------------------------------- | --------------------- | ---------------------------------- |
 * | 0x0000_0000_0000_1000 – 0x0000_0000_0020_0000 | identity: low memory  | RW, executable, 4 KiB pages; page 0 unmapped (null faults) |
 * | 0x0000_4000_0000_0000 – …                    | user space            | the `bench` command's user pages   |
 * | 0xffff_8000_0000_0000 – +RAM                 | direct map of all RAM | RW, NX, global; 4 KiB pages for the first 2 MiB (the text's alias read-only), then 2 MiB pages |
 * | 0xffff_ffff_8010_0000 – 0xffff_ffff_8011_0000 | kernel text           | read-only, executable, global      |
 * | 0xffff_ffff_8011_0000 – 0xffff_ffff_8020_0000 | kernel data           | RW, NX, global                     |
 * | 0xffff_ffff_fee0_0000                        | the local APIC page   | RW, PCD PWT (uncached), NX, global |
 *
 * Every address space shares the kernel half (PML4 entries 256–511: the
 * direct map, the kernel image, the APIC), so that interrupts and system
 * calls work whatever CR3 holds; `paging.ts`'s `newAddressSpace` starts
 * one. The identity map of low memory is the boot address space's alone.
 *
 * Virtual addresses are kept as signed numbers, as the library does:
 * 0xffff_8000_0000_0000 is −2^47.
 *
 * @module
 */

/** The machine's RAM: 1 GiB. */
export const RAM_SIZE = 1 << 30;
/** The most CPUs the layout has room for (the machine's limit). */
export const MAX_CPUS = 8;
/** The CPUs the example kernel boots by default. */
export const DEFAULT_CPUS = 2;

/** The TSC frequency (the machine's default): 2 GHz. */
export const TSC_HZ = 2e9;
/** Timer interrupts per second on every CPU. */
export const TIMER_HZ = 1000;

// ---------------------------------------------------------------- virtual

/** The direct map of all RAM: virtual 0xffff_8000_0000_0000 + physical. */
export const DIRECT_MAP = -(2 ** 47);
/** 0xffff_ffff_8000_0000: the kernel image's base, mapping physical 0. */
export const KERNEL_BASE = -(2 ** 31);
/** Where user space starts for the `bench` command's user page. */
export const USER_BENCH = 0x4000_0000_0000;
/** The local APIC's registers (physical). */
export const LOCAL_APIC = 0xfee0_0000;
/**
 * The local APIC's page in the kernel half, 0xffff_ffff_fee0_0000 (a
 * fixed mapping in the last 4 GiB), so that it is mapped in every address
 * space.
 */
export const APIC_VIRTUAL: number = -(2 ** 32) + LOCAL_APIC;

/**
 * The direct-map address of a physical address.
 *
 * @param physical A physical address in RAM.
 * @returns Its virtual address in the direct map, as a signed number.
 */
export function directMap(physical: number): number {
  return DIRECT_MAP + physical;
}

/**
 * The kernel-image address (0xffff_ffff_8000_0000 + physical) of a physical
 * address in the kernel's text or data.
 *
 * @param physical A physical address below 2 MiB.
 * @returns Its virtual address, as a signed number.
 */
export function kernelVirtual(physical: number): number {
  return KERNEL_BASE + physical;
}

// --------------------------------------------------------------- physical

/** Low memory: what the machine's boot loader left (identity-mapped). */
export const LOW_MEMORY_END = 0x10_0000;
/** The APs' trampoline page: STARTUP vector 0x08 starts them at 0x8000. */
export const AP_TRAMPOLINE = 0x8000;

/** The kernel text: code addresses only (the functions are JS). */
export const KERNEL_TEXT = 0x10_0000;
/** The kernel text's size. */
export const KERNEL_TEXT_SIZE = 0x1_0000;
/** The kernel data: the IDT, boot parameters and per-CPU pages. */
export const KERNEL_DATA = 0x11_0000;
/** The end of the kernel image (text and data). */
export const KERNEL_END = 0x20_0000;

/** The IDT (256 gates, 4 KiB), shared by every CPU. */
export const IDT = KERNEL_DATA;
/** The boot parameters that the BSP leaves for the APs. */
export const BOOT_PARAMS = KERNEL_DATA + 0x1000;
/** The first per-CPU page; CPU n's is at `PER_CPU + n × 4096`. */
export const PER_CPU = KERNEL_DATA + 0x2000;

/** The kernel's page tables: a 2 MiB pool, the PML4 first. */
export const PAGE_TABLES = 0x20_0000;
/** The page-table pool's end. */
export const PAGE_TABLES_END = 0x40_0000;

/** The kernel stacks. */
export const STACKS = 0x40_0000;
/** The stacks' end. */
export const STACKS_END = 0x50_0000;
/** Each CPU's share of the stacks. */
export const STACK_SLOT = 0x2_0000;
/** A CPU's kernel stack (RSP0), 64 KiB. */
export const KERNEL_STACK_SIZE = 0x1_0000;
/** A CPU's double-fault stack (IST1), 16 KiB. */
export const DOUBLE_FAULT_STACK_SIZE = 0x4000;

/** The kernel heap. */
export const HEAP = 0x100_0000;
/** The kernel heap's size: 64 MiB. */
export const HEAP_SIZE = 64 << 20;
/** The IPC region. */
export const IPC = 0x500_0000;
/** The IPC region's size: 64 MiB. */
export const IPC_SIZE = 64 << 20;
/** The scheduler's region: run queues and TCBs. */
export const SCHEDULER = 0x1000_0000;
/** The scheduler region's size: 512 MiB (1M 64-byte TCBs take 64 MiB). */
export const SCHEDULER_SIZE = 512 << 20;

/**
 * The physical address of a CPU's kernel stack top (RSP0).
 *
 * @param cpu The CPU number.
 * @returns The address just above its 64 KiB stack.
 */
export function kernelStackTop(cpu: number): number {
  return STACKS + cpu * STACK_SLOT + KERNEL_STACK_SIZE;
}

/**
 * The physical address of a CPU's double-fault stack top (IST1).
 *
 * @param cpu The CPU number.
 * @returns The address just above its 16 KiB stack.
 */
export function doubleFaultStackTop(cpu: number): number {
  return STACKS + cpu * STACK_SLOT + KERNEL_STACK_SIZE +
    DOUBLE_FAULT_STACK_SIZE;
}

/**
 * The physical address of a CPU's per-CPU page.
 *
 * @param cpu The CPU number.
 * @returns The page's address.
 */
export function perCpuPage(cpu: number): number {
  return PER_CPU + cpu * 0x1000;
}

/**
 * The layout of a per-CPU page (offsets from its start): the CPU's own GDT
 * and TSS (a TSS descriptor turns busy when loaded, so each CPU needs its
 * own), its variables as 32-bit words, and two context areas for the
 * `bench` command's context switches.
 */
export const PerCpu = {
  /** The GDT: null, kernel code 0x08, kernel data 0x10, user data 0x1B, user code 0x23, TSS 0x28. */
  GDT: 0x000,
  /** The 104-byte TSS. */
  TSS: 0x080,
  /** u32: the CPU number. */
  ID: 0x100,
  /** u32: its APIC ID, as read from the APIC. */
  APIC_ID: 0x104,
  /** u32: 1 once the CPU is initialised and idles. */
  ONLINE: 0x108,
  /** u32: timer interrupts taken. */
  TICKS: 0x10c,
  /** u32: IPIs taken. */
  IPIS: 0x110,
  /** u32: the thread it runs now, or 0xFFFF_FFFF. */
  CURRENT: 0x114,
  /** u32: 1 once the CPU has stopped for `halt`. */
  STOPPED: 0x118,
  /** u32: ping requests (the `ipc` command's round trips). */
  PING: 0x11c,
  /** u32: ping replies. */
  PONG: 0x120,
  /** u32: 1 while the CPU should poll its mailbox rather than halt. */
  POLL: 0x124,
  /** u32: `hlt`s that returned (idle wake-ups). */
  WAKEUPS: 0x128,
  /** u32: the tid of this CPU's kworker, or 0xFFFF_FFFF. */
  KWORKER: 0x12c,
  /** u32: 1 when the timer says a kworker pass is due. */
  KWORKER_DUE: 0x130,
  /** Context area A (768 bytes, 256-aligned). */
  CONTEXT_A: 0x400,
  /** Context area B. */
  CONTEXT_B: 0x800,
} as const;

/** The layout of the boot parameters page (offsets, 32-bit words). */
export const BootParams = {
  /** The kernel's CR3 (its PML4's physical address, below 4 GiB). */
  KERNEL_CR3: 0x00,
  /** CR4 as the BSP set it. */
  KERNEL_CR4: 0x04,
  /** How many CPUs are online. */
  CPUS_ONLINE: 0x08,
  /** How many CPUs the machine has. */
  CPU_COUNT: 0x0c,
  /** The TSC (low, high) when the first prompt was printed. */
  PROMPT_TSC_LOW: 0x10,
  /** The TSC's high half at the first prompt. */
  PROMPT_TSC_HIGH: 0x14,
} as const;

/** One region of the memory map. */
export interface KernelRegion {
  /** Its name. */
  readonly name: string;
  /** Its first physical byte. */
  readonly start: number;
  /** Its end (exclusive). */
  readonly end: number;
  /** Where the kernel reaches it (signed), or `undefined` for identity. */
  readonly virtual: number;
  /** What it holds. */
  readonly what: string;
}

/** The kernel's fixed regions, in address order. */
export const KERNEL_REGIONS: readonly KernelRegion[] = Object.freeze([
  {
    name: "low memory",
    start: 0,
    end: LOW_MEMORY_END,
    virtual: 0,
    what: "boot tables, boot stacks, AP trampoline (identity)",
  },
  {
    name: "kernel text",
    start: KERNEL_TEXT,
    end: KERNEL_TEXT + KERNEL_TEXT_SIZE,
    virtual: kernelVirtual(KERNEL_TEXT),
    what: "handler and entry code addresses",
  },
  {
    name: "kernel data",
    start: KERNEL_DATA,
    end: KERNEL_END,
    virtual: kernelVirtual(KERNEL_DATA),
    what: "IDT, boot parameters, per-CPU GDT/TSS/variables",
  },
  {
    name: "page tables",
    start: PAGE_TABLES,
    end: PAGE_TABLES_END,
    virtual: directMap(PAGE_TABLES),
    what: "the kernel's PML4, PDPTs, PDs, PTs",
  },
  {
    name: "stacks",
    start: STACKS,
    end: STACKS_END,
    virtual: directMap(STACKS),
    what: "per CPU: 64 KiB kernel stack, 16 KiB #DF stack",
  },
  {
    name: "heap",
    start: HEAP,
    end: HEAP + HEAP_SIZE,
    virtual: directMap(HEAP),
    what: "kernel heap (slabs over a buddy allocator)",
  },
  {
    name: "ipc",
    start: IPC,
    end: IPC + IPC_SIZE,
    virtual: directMap(IPC),
    what: "endpoints, message buffers, cross-CPU rings",
  },
  {
    name: "scheduler",
    start: SCHEDULER,
    end: SCHEDULER + SCHEDULER_SIZE,
    virtual: directMap(SCHEDULER),
    what: "run queues and TCBs",
  },
]);

/** A region of a memory map, as the machine's `BootInfo` gives them. */
export interface MapRegion {
  /** First byte. */
  readonly start: number;
  /** End (exclusive). */
  readonly end: number;
  /** What it is. */
  readonly kind: "usable" | "page-tables" | "reserved";
}

/**
 * The boot memory map with the kernel's fixed regions taken out of the
 * usable ones (marked reserved), for the frame allocator: what is left
 * usable is free for address spaces and user pages.
 *
 * @param boot The machine's memory map.
 * @returns The map, in address order, with no usable byte in a kernel region.
 */
export function kernelMemoryMap(boot: readonly MapRegion[]): MapRegion[] {
  const out: MapRegion[] = [];
  for (const region of boot) {
    if (region.kind !== "usable") {
      out.push(region);
      continue;
    }
    let start = region.start;
    for (const k of KERNEL_REGIONS) {
      if (k.end <= start || k.start >= region.end) continue;
      if (k.start > start) out.push({ start, end: k.start, kind: "usable" });
      out.push({
        start: Math.max(start, k.start),
        end: Math.min(region.end, k.end),
        kind: "reserved",
      });
      start = Math.min(region.end, k.end);
    }
    if (start < region.end) {
      out.push({ start, end: region.end, kind: "usable" });
    }
  }
  return out;
}
