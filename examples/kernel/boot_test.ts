import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import {
  Machine,
  MemorySink,
  PhysicalMemory,
  ScriptedSource,
} from "@exo-kernel/core/machine";
import { int3, writeCr3 } from "@exo-kernel/core/arch/x86_64";
import { writeU64 } from "@exo-kernel/core/memory";
import { boot } from "./boot.ts";
import { setUpCpu } from "./cpu_setup.ts";
import { writeIdt } from "./interrupts.ts";
import { RAM_SIZE } from "./memory_layout.ts";
import { buildKernelPageTables } from "./paging.ts";
import { COMMANDS, PROMPT } from "./shell.ts";

const SESSION = "help\nps\npt 0xffff800000000000\nhalt\n";

// Runs `deno run --allow-read examples/kernel/boot.ts` as a user would,
// with `input` on its standard input (then closed).
async function run(
  input: string | null,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "examples/kernel/boot.ts"],
    cwd: new URL("../..", import.meta.url).pathname,
    stdin: input === null ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== null) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

// The output of each command: what follows "exo> <command>" up to the next
// prompt (COM1 ends lines with CR LF, as kprintln sends them).
function transcript(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const parts = stdout.split(PROMPT).slice(1);
  for (const part of parts) {
    const [command, ...lines] = part.split("\r\n");
    out.set(command!, lines.filter((l) => l !== ""));
  }
  return out;
}

const PT_LINE =
  /^ {2}(PML4|PDPT|PD|PT) +\[ *(\d+)\] at 0x([0-9a-f]{16}) = 0x([0-9a-f]{16}) {2}(.*)$/;

Deno.test("boot: the piped session prints each command's output and halts with exit status 0", async () => {
  const { code, stdout, stderr } = await run(SESSION);
  strictEqual(stderr, "");
  strictEqual(code, 0);
  ok(stdout.includes(PROMPT), "the prompt appears");
  match(stdout, /boot: \d+\.\d ms from machine creation to the prompt\r\n/);
  const outputs = transcript(stdout);
  deepStrictEqual([...outputs.keys()], [
    "help",
    "ps",
    "pt 0xffff800000000000",
    "halt",
  ]);

  // help lists every command.
  const help = outputs.get("help")!;
  strictEqual(help[0], "commands:");
  for (const [name, command] of COMMANDS) {
    ok(
      help.some((line) => line.trimStart().startsWith(command.usage)),
      `help lists ${name}`,
    );
  }

  // ps: a header, then at least init and a kworker per CPU.
  const ps = outputs.get("ps")!;
  match(ps[0]!, /^\s+TID\s+STATE\s+PRI\s+CPU\s+RUNS\s+NAME$/);
  for (const name of ["init", "kworker/0", "kworker/1"]) {
    ok(
      ps.some((line) =>
        new RegExp(
          `^\\s+\\d+\\s+(running|ready|blocked)\\s+\\d+\\s+[01]\\s+\\d+\\s+${name}$`,
        )
          .test(line)
      ),
      `ps lists ${name}`,
    );
  }

  // halt stops the other CPU, then the BSP.
  deepStrictEqual(outputs.get("halt"), [
    "halt: 1 of 1 other CPUs stopped; cpu0 halts",
  ]);
});

Deno.test("boot: pt 0xffff800000000000 shows the four levels of the tables the boot built", async () => {
  const { code, stdout } = await run(SESSION);
  strictEqual(code, 0);
  const lines = transcript(stdout).get("pt 0xffff800000000000")!;
  // The title: the indices of 0xffff_8000_0000_0000 are 256, 0, 0, 0.
  match(
    lines[0]!,
    /^0xffff800000000000 \(CR3 0x0000000000200000, PCID 0\): PML4 256, PDPT 0, PD 0, PT 0, offset 0x000$/,
  );
  const steps = lines.slice(1, 5).map((line) => PT_LINE.exec(line));
  deepStrictEqual(steps.map((s) => s?.[1]), ["PML4", "PDPT", "PD", "PT"]);
  deepStrictEqual(steps.map((s) => Number(s![2])), [256, 0, 0, 0]);

  // The same RAM size gives the same tables: rebuild them here.
  const memory = new PhysicalMemory(RAM_SIZE);
  const { pml4 } = buildKernelPageTables(memory, RAM_SIZE);
  strictEqual(pml4, 0x20_0000);
  let table = pml4;
  const indices = [256, 0, 0, 0];
  steps.forEach((step, level) => {
    const entryAddress = Number(`0x${step![3]}`);
    const value = BigInt(`0x${step![4]}`);
    // Each entry is in the table its parent names, at index × 8.
    strictEqual(entryAddress, table + indices[level]! * 8);
    // Its value is what the boot wrote, give or take A and D, which the
    // MMU sets on use.
    strictEqual(value & ~0x60n, memory.readU64(entryAddress));
    ok(step![5]!.startsWith("PRESENT | WRITABLE"));
    table = Number(value & 0x000f_ffff_ffff_f000n);
  });
  // The leaf: physical 0, global, no-execute (the direct map is data).
  strictEqual(table, 0);
  match(steps[3]![5]!, /GLOBAL \| NO_EXECUTE$/);
  strictEqual(
    lines[5],
    "  => 4 KiB page: frame 0x0000000000000000 + 0x0 = physical 0x0000000000000000",
  );
});

Deno.test("boot: the end of input halts the machine with exit status 0", async () => {
  const { code, stdout, stderr } = await run("ps\n");
  strictEqual(stderr, "");
  strictEqual(code, 0);
  match(stdout, /exo> ps\r\n/);
  match(
    stdout,
    /end of input: halting\r\nhalt: 1 of 1 other CPUs stopped; cpu0 halts\r\n$/,
  );
});

Deno.test("boot: no standard input at all reaches the prompt, then halts", async () => {
  const { code, stdout, stderr } = await run(null);
  strictEqual(stderr, "");
  strictEqual(code, 0);
  ok(stdout.includes(`${PROMPT}\r\nend of input: halting\r\n`));
});

Deno.test("boot: an unknown command prints an error and the prompt again; editing keys edit", async () => {
  const { code, stdout } = await run("frobnicate\nhelq\x08p\r\nhalt\n");
  strictEqual(code, 0);
  match(
    stdout,
    /exo> frobnicate\r\nexo: unknown command: frobnicate \(type help for the list\)\r\nexo> /,
  );
  // The backspace erased the q on the terminal (BS, space, BS) and in the line.
  ok(stdout.includes("exo> helq\b \bp\r\ncommands:\r\n"));
});

Deno.test("boot: in-process, with scripted input and COM1 in memory", () => {
  const sink = new MemorySink();
  let prompts = 0;
  const { report, promptMs } = boot({
    sink,
    source: new ScriptedSource("tlb\nhalt\n"),
    onPrompt: () => prompts++,
  });
  strictEqual(report.reason, "halted");
  strictEqual(report.exitStatus, 0);
  strictEqual(report.cpus.length, 2);
  deepStrictEqual(report.cpus.map((r) => r.reason), ["halted", "halted"]);
  strictEqual(prompts, 1);
  ok(promptMs > 0 && promptMs < 60_000, `${promptMs} ms`);
  const text = sink.text();
  match(text, /cpu1: online: APIC ID 1/);
  match(
    text,
    /exo> tlb\r\ncpu0 TLB: \d+ live entries: \d+ × 4 KiB, \d+ × 2 MiB, 0 × 1 GiB\r\n {2}PCID 0 \(CR4.PCIDE = 1\), CR3 0x0000000000200000\r\n/,
  );
});

Deno.test("boot: an exception prints what happened; #BP goes on, #PF stops the machine", () => {
  const sink = new MemorySink();
  const machine = new Machine({ ramSize: RAM_SIZE, sink });
  const report = machine.run(() => {
    const { pml4 } = buildKernelPageTables(machine.memory, RAM_SIZE);
    writeCr3(pml4);
    writeIdt();
    setUpCpu(0, true);
    int3();
    writeU64(0x4000_0000_0000, 1n); // user space is empty: #PF
  });
  strictEqual(report.reason, "debug-exit");
  strictEqual(report.exitStatus, 3); // the value 1, as (1 << 1) | 1
  const lines = sink.text().split("\r\n");
  match(
    lines[0]!,
    /^cpu0: EXCEPTION #BP breakpoint \(3\) at RIP 0x[0-9a-f]{16}, CS 0x8$/,
  );
  // A write (W/R = 1) to a page not present (P = 0): error code 0x2.
  match(
    lines[1]!,
    /^cpu0: EXCEPTION #PF page fault \(14\) at RIP 0x[0-9a-f]{16}, CS 0x8, error code 0x2 \(CAUSED_BY_WRITE\), CR2 0x0000400000000000$/,
  );
  strictEqual(lines[2], "cpu0: kernel panic: stopping the machine");
});

Deno.test("boot: ipc and bench time what they say, and every answer is right", () => {
  const sink = new MemorySink();
  const { report } = boot({
    sink,
    source: new ScriptedSource("ipc\nbench\nhalt\n"),
  });
  strictEqual(report.reason, "halted");
  const text = sink.text();
  // A timing that went wrong (a wrong reply, no answer) prints "no answer".
  strictEqual(text.includes("no answer"), false);
  const each = (what: string, count: number) =>
    new RegExp(
      `  ${
        what.replace(/[()+.]/g, "\\$&")
      } +${count} × +[\\d.]+ (ns|µs) each\r\n`,
      "g",
    );
  strictEqual(
    text.match(
      each("IPC call + reply between two address spaces (ipc.ts)", 5000),
    )
      ?.length,
    2,
  );
  strictEqual(
    text.match(each("IPI round trip to cpu1 (woken from hlt)", 200))?.length,
    2,
  );
  strictEqual(
    text.match(each("mailbox round trip to cpu1 (polling)", 20000))?.length,
    2,
  );
  match(text, each("syscall getpid from CPL 3 and sysret", 5000));
  match(
    text,
    each("context switch between two address spaces (PCIDs 0 and 1)", 2000),
  );
  match(text, each("heap alloc(64) + dealloc, locked", 5000));
});
