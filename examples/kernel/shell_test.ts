import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { Machine, MemorySink, PhysicalMemory } from "@exo-kernel/core/machine";
import {
  type FrameAllocator,
  type Heap,
  VirtualAddress,
} from "@exo-kernel/core/memory";
import type { Mutex } from "@exo-kernel/core/sync";
import {
  APIC_VIRTUAL,
  directMap,
  kernelMemoryMap,
  kernelVirtual,
  RAM_SIZE,
} from "./memory_layout.ts";
import {
  formatWalk,
  parseVirtualAddress,
  walkPageTables,
} from "./page_walk.ts";
import { buildKernelPageTables, newAddressSpace } from "./paging.ts";
import {
  COMMANDS,
  type LineEvent,
  parseCommand,
  Shell,
  type ShellKernel,
} from "./shell.ts";

// The kernel's tables, built in RAM of the kernel's size (no machine runs).
const memory = new PhysicalMemory(RAM_SIZE);
const { pml4 } = buildKernelPageTables(memory, RAM_SIZE);
const read = (physical: number) => memory.readU64(physical);
const walk = (address: bigint | number) =>
  walkPageTables(read, pml4, new VirtualAddress(address));

Deno.test("parseCommand: a name and its arguments, split on spaces and tabs", () => {
  deepStrictEqual(parseCommand("pt 0x1000"), { name: "pt", args: ["0x1000"] });
  deepStrictEqual(parseCommand("  pt \t 0x1000   x "), {
    name: "pt",
    args: ["0x1000", "x"],
  });
  deepStrictEqual(parseCommand("help"), { name: "help", args: [] });
  deepStrictEqual(parseCommand("   "), { name: "", args: [] });
  deepStrictEqual(parseCommand(""), { name: "", args: [] });
});

Deno.test("the commands: help mem pt tlb ps regs ipc bench halt", () => {
  deepStrictEqual([...COMMANDS.keys()], [
    "help",
    "mem",
    "pt",
    "tlb",
    "ps",
    "regs",
    "ipc",
    "bench",
    "halt",
  ]);
  strictEqual(COMMANDS.get("pt")!.usage, "pt <vaddr>");
});

Deno.test("parseVirtualAddress: hex with underscores, decimal, and canonical form", () => {
  const high = parseVirtualAddress("0xffff_8000_0000_0000");
  ok(high instanceof VirtualAddress);
  strictEqual(high.toBigInt(), 0xffff_8000_0000_0000n);
  strictEqual(
    (parseVirtualAddress("4096") as VirtualAddress).toBigInt(),
    4096n,
  );
  strictEqual(
    (parseVirtualAddress("0XDEADBEEF") as VirtualAddress).toBigInt(),
    0xdead_beefn,
  );
  // Bits 63..48 must copy bit 47 (SDM 3A §3.3.7.1).
  deepStrictEqual(parseVirtualAddress("0x0000800000000000"), {
    error: "0x0000800000000000 is not canonical: bits 63..48 must copy bit 47",
  });
  match(
    (parseVirtualAddress("0x1_0000_0000_0000_0000") as { error: string })
      .error,
    /wider than 64 bits/,
  );
  match(
    (parseVirtualAddress("kernel") as { error: string }).error,
    /^not an address: kernel/,
  );
});

Deno.test("pt: 0xffff_8000_0000_0000 is PML4 entry 256 and maps physical 0 through a 4 KiB PT", () => {
  const w = walk(0xffff_8000_0000_0000n);
  deepStrictEqual(w.steps.map((s) => [s.table, s.index]), [
    ["PML4", 256],
    ["PDPT", 0],
    ["PD", 0],
    ["PT", 0],
  ]);
  // Entry n of a table is at the table + 8n; the PML4 is CR3's.
  strictEqual(w.steps[0]!.entryAddress, pml4 + 256 * 8);
  for (let i = 1; i < 4; i++) {
    strictEqual(
      w.steps[i]!.entryAddress,
      Number(w.steps[i - 1]!.value & 0x000f_ffff_ffff_f000n),
    );
  }
  deepStrictEqual(w.result, {
    kind: "mapped",
    pageSize: "4 KiB",
    frame: 0,
    offset: 0,
    physical: 0,
  });
  strictEqual(
    `${w.steps[3]!.flags}`,
    "PRESENT | WRITABLE | GLOBAL | NO_EXECUTE",
  );
  // Bit 63 (XD) and bit 8 (G) with P and R/W: the leaf's 64 bits.
  strictEqual(w.steps[3]!.value, 0x8000_0000_0000_0103n);
});

Deno.test("pt: the direct map above 2 MiB uses 2 MiB pages (PS in the PD entry)", () => {
  const w = walk(0xffff_8000_1234_5678n);
  strictEqual(w.steps.length, 3);
  ok(w.steps[2]!.flags.toString().includes("HUGE_PAGE"));
  deepStrictEqual(w.result, {
    kind: "mapped",
    pageSize: "2 MiB",
    frame: 0x1220_0000,
    offset: 0x14_5678,
    physical: 0x1234_5678,
  });
  // The last byte of RAM is mapped, the next is not: 1 GiB on is PDPT
  // entry 1, which is empty.
  const last = walk(directMap(RAM_SIZE - 1));
  strictEqual(
    last.result.kind === "mapped" && last.result.physical,
    RAM_SIZE - 1,
  );
  deepStrictEqual(walk(directMap(RAM_SIZE)).result, {
    kind: "not present",
    level: 3,
  });
});

Deno.test("pt: kernel text is executable and read-only, its direct-map alias is not executable", () => {
  const text = walk(kernelVirtual(0x10_0000));
  strictEqual(`${text.steps[3]!.flags}`, "PRESENT | GLOBAL");
  strictEqual(text.steps[0]!.index, 511);
  const alias = walk(directMap(0x10_0000));
  strictEqual(`${alias.steps[3]!.flags}`, "PRESENT | GLOBAL | NO_EXECUTE");
  const data = walk(kernelVirtual(0x11_0000));
  strictEqual(
    `${data.steps[3]!.flags}`,
    "PRESENT | WRITABLE | GLOBAL | NO_EXECUTE",
  );
});

Deno.test("pt: the identity map of low memory leaves page 0 out; the APIC is uncached", () => {
  deepStrictEqual(walk(0).result, { kind: "not present", level: 1 });
  deepStrictEqual(walk(0x8000).result, {
    kind: "mapped",
    pageSize: "4 KiB",
    frame: 0x8000,
    offset: 0,
    physical: 0x8000,
  });
  // The identity map is supervisor-only, writable, executable, not global.
  strictEqual(`${walk(0x10_0000).steps[3]!.flags}`, "PRESENT | WRITABLE");
  deepStrictEqual(walk(0x20_0000).result, { kind: "not present", level: 2 });
  const apic = walk(APIC_VIRTUAL);
  strictEqual(apic.address.toBigInt(), 0xffff_ffff_fee0_0000n);
  strictEqual(
    `${apic.steps[3]!.flags}`,
    "PRESENT | WRITABLE | WRITE_THROUGH | NO_CACHE | GLOBAL | NO_EXECUTE",
  );
  strictEqual(
    apic.result.kind === "mapped" && apic.result.physical,
    0xfee0_0000,
  );
  // User space is empty: the walk stops at the PML4.
  deepStrictEqual(walk(0x4000_0000_0000).result, {
    kind: "not present",
    level: 4,
  });
});

Deno.test("newAddressSpace: shares the kernel half, not the user half", () => {
  const space = 0x3000_0000;
  newAddressSpace(memory, pml4, space);
  const inSpace = (address: bigint | number) =>
    walkPageTables(read, space, new VirtualAddress(address)).result;
  deepStrictEqual(
    inSpace(0xffff_8000_0000_0000n),
    walk(0xffff_8000_0000_0000n).result,
  );
  deepStrictEqual(inSpace(APIC_VIRTUAL), walk(APIC_VIRTUAL).result);
  deepStrictEqual(inSpace(0x8000), { kind: "not present", level: 4 });
});

Deno.test("formatWalk: a title with the indices, an entry per level, the outcome", () => {
  const lines = formatWalk(walk(0xffff_8000_0000_0000n));
  deepStrictEqual(lines, [
    "0xffff800000000000 (CR3 0x0000000000200000, PCID 0): PML4 256, PDPT 0, PD 0, PT 0, offset 0x000",
    "  PML4 [256] at 0x0000000000200800 = 0x0000000000201003  PRESENT | WRITABLE -> PDPT at 0x0000000000201000",
    "  PDPT [  0] at 0x0000000000201000 = 0x0000000000202003  PRESENT | WRITABLE -> PD at 0x0000000000202000",
    "  PD   [  0] at 0x0000000000202000 = 0x0000000000203003  PRESENT | WRITABLE -> PT at 0x0000000000203000",
    "  PT   [  0] at 0x0000000000203000 = 0x8000000000000103  PRESENT | WRITABLE | GLOBAL | NO_EXECUTE",
    "  => 4 KiB page: frame 0x0000000000000000 + 0x0 = physical 0x0000000000000000",
  ]);
  const missing = formatWalk(walk(0x4000_0000_0000), 3);
  deepStrictEqual(missing.slice(1), [
    "  PML4 [128] at 0x0000000000200400 = 0x0000000000000000  (empty) (not present)",
    "  => not mapped: the PML4 entry is not present",
  ]);
  match(missing[0]!, /PCID 3\): PML4 128/);
});

Deno.test("kernelMemoryMap: no usable frame inside a kernel region", () => {
  const map = kernelMemoryMap([
    { start: 0, end: 0x1000, kind: "reserved" },
    { start: 0x1000, end: 0x8000, kind: "page-tables" },
    { start: 0x8000, end: 0x10_0000, kind: "reserved" },
    { start: 0x10_0000, end: RAM_SIZE, kind: "usable" },
  ]);
  const usable = map.filter((r) => r.kind === "usable");
  deepStrictEqual(usable.map((r) => [r.start, r.end]), [
    [0x50_0000, 0x100_0000],
    [0x900_0000, 0x1000_0000],
    [0x3000_0000, RAM_SIZE],
  ]);
  // The map still covers all of RAM, in order, without overlaps.
  for (let i = 1; i < map.length; i++) {
    strictEqual(map[i]!.start, map[i - 1]!.end);
  }
  strictEqual(map.at(-1)!.end, RAM_SIZE);
});

// The shell's line discipline and two commands on a machine whose COM1
// goes to memory; the kernel's services are not needed for them.
function onShell(
  body: (shell: Shell, events: LineEvent[]) => void,
): { text: string; events: LineEvent[] } {
  const sink = new MemorySink();
  const events: LineEvent[] = [];
  const kernel: ShellKernel = {
    cpus: 1,
    frames: undefined as unknown as FrameAllocator,
    heap: undefined as unknown as Heap,
    heapLock: undefined as unknown as Mutex<undefined>,
    pml4: 0x1000,
    threads: () => ({
      rows: [{
        tid: 0,
        state: "running",
        priority: 31,
        cpu: 0,
        runs: 7,
        name: "init",
      }],
      live: 3,
    }),
    threadSource: "a test",
    halt(): never {
      throw new Error("halt");
    },
  };
  new Machine({ ramSize: 2 << 20, sink }).run(() =>
    body(new Shell(kernel), events)
  );
  return { text: sink.text(), events };
}

function feed(shell: Shell, events: LineEvent[], input: string): void {
  for (const byte of new TextEncoder().encode(input)) {
    const event = shell.receive(byte);
    if (event.kind !== "none") events.push(event);
  }
}

Deno.test("Shell.receive: echo, CR LF as one end, backspace, Ctrl-U, Ctrl-C, EOT", () => {
  const { text, events } = onShell((shell, events) => {
    feed(shell, events, "ab\x08c\r\n");
    feed(shell, events, "xy\x15z\n");
    feed(shell, events, "oops\x03");
    feed(shell, events, "\x04");
    feed(shell, events, "\x1b\x07q\x04\r");
  });
  deepStrictEqual(events, [
    { kind: "line", line: "ac" },
    { kind: "line", line: "z" },
    { kind: "line", line: "" },
    { kind: "end" },
    { kind: "line", line: "q" },
  ]);
  // kprint sends "\n" as CR LF and a backspace as BS, space, BS.
  strictEqual(
    text,
    "ab\b \bc\r\n" + "xy\b \b\b \bz\r\n" + "oops^C\r\n" + "\r\n" + "q\r\n",
  );
});

Deno.test("Shell.execute: help, ps and an unknown command", () => {
  const { text } = onShell((shell) => {
    shell.prompt();
    shell.execute("help");
    shell.execute("ps");
    shell.execute("  nope  x");
    shell.execute("");
  });
  const lines = text.split("\r\n");
  strictEqual(lines[0], "exo> commands:");
  for (const command of COMMANDS.values()) {
    ok(
      lines.some((l) =>
        l.startsWith(`  ${command.usage.padEnd(12)} ${command.help}`)
      ),
    );
  }
  ok(text.includes(
    "  TID  STATE     PRI  CPU     RUNS  NAME\r\n" +
      "    0  running    31    0        7  init\r\n" +
      "  (2 more)\r\n" +
      "3 threads (a test)\r\n",
  ));
  ok(text.endsWith(
    "exo: unknown command: nope (type help for the list)\r\n",
  ));
});
