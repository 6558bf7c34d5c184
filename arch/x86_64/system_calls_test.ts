import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Machine } from "../../machine/machine.ts";
import { MemorySink } from "../../machine/serial_sink.ts";
import { currentCpu } from "../../machine/current_cpu.ts";
import {
  GlobalDescriptorTable,
  KERNEL_CODE_SEGMENT,
  KERNEL_DATA_SEGMENT,
  loadTss,
  TaskStateSegment,
  USER_CODE_SEGMENT,
  USER_DATA_SEGMENT,
} from "./gdt.ts";
import { InterruptManager } from "./interrupt_manager.ts";
import { PageFaultErrorCode } from "./page_fault_error_code.ts";
import { readU64 } from "../../memory/virtual_memory.ts";
import {
  ENOSYS,
  enterUserMode,
  swapgs,
  syscall,
  SystemCalls,
} from "./system_calls.ts";

const USER_CODE = 0x20_0000;
const USER_STACK = 0x20_8000;
const KERNEL_STACK = 0x6_0000;

/** A machine whose 2 MiB at 0x20_0000 user code may reach (U/S set). */
function machine(): Machine {
  const m = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
  for (const entry of [0x1000, 0x2000, 0x4008]) {
    m.memory.writeU32(entry, m.memory.readU32(entry) | 4);
  }
  return m;
}

// The GDT layout that `syscall`/`sysret` need (SDM 2B): kernel code 0x08,
// kernel data 0x10, user data 0x18 (0x1B), user code 0x20 (0x23); and a
// TSS whose RSP0 is the stack of interrupts taken in user mode.
function gdtAndTss(): void {
  const tss = new TaskStateSegment();
  tss.setPrivilegeStack(0, KERNEL_STACK);
  const gdt = new GlobalDescriptorTable();
  gdt.addEntry(KERNEL_CODE_SEGMENT);
  gdt.addEntry(KERNEL_DATA_SEGMENT);
  gdt.addEntry(USER_DATA_SEGMENT);
  gdt.addEntry(USER_CODE_SEGMENT);
  const selector = gdt.addEntry(tss.descriptor());
  gdt.load();
  loadTss(selector);
}

Deno.test("SystemCalls: user code's syscall dispatches on RAX with arguments in RDI, RSI, RDX, R10, R8, R9 and gets RAX back", () => {
  const m = machine();
  const results: bigint[] = [];
  let seenArgs: bigint[] = [];
  let seenCpl = -1;
  m.code.register(USER_CODE, () => {
    results.push(syscall(1, 10, 20, 30, 40, 50, 60n));
    results.push(syscall(2, -1n));
    results.push(syscall(999)); // no such call
    results.push(BigInt(currentCpu().cpl));
  });
  const report = m.run(() => {
    gdtAndTss();
    const calls = new SystemCalls();
    calls.register(1, (args) => {
      seenArgs = [0, 1, 2, 3, 4, 5].map((n) => args.get(n as 0));
      seenCpl = currentCpu().cpl;
      return args.low(0) + args.low(5);
    });
    calls.register(2, (args) => args.get(0) - 1n);
    calls.load();
    enterUserMode({ rip: USER_CODE, rsp: USER_STACK });
    strictEqual(currentCpu().cpl, 0);
  });
  strictEqual(report.reason, "returned", report.toString());
  deepStrictEqual(seenArgs, [10n, 20n, 30n, 40n, 50n, 60n]);
  strictEqual(seenCpl, 0);
  // RAX is 64 bits: 2^64 - 1 - 1 is -2 as a signed value.
  deepStrictEqual(results, [70n, -2n, BigInt(ENOSYS), 3n]);
});

Deno.test("user code that touches a supervisor page takes #PF with U/S = 1, and the kernel sees CPL 3 in the frame", () => {
  const m = machine();
  const seen: Record<string, unknown> = {};
  m.code.register(USER_CODE, () => {
    readU64(0x10_0000); // the kernel's page: present, supervisor-only
    seen.continued = true;
  });
  const report = m.run(() => {
    gdtAndTss();
    const interrupts = new InterruptManager();
    interrupts.registerHandler(14, (context) => {
      seen.errorCode = context.errorCode;
      seen.userBit = new PageFaultErrorCode(context.errorCode!).user;
      seen.frameCpl = context.cs & 3;
      seen.frameSs = context.ss;
      seen.frameRsp = context.rsp;
      currentCpu().endUserRun(); // kill the process
    });
    interrupts.load();
    new SystemCalls().load();
    enterUserMode({ rip: USER_CODE, rsp: USER_STACK });
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(seen.errorCode, 0b101); // P = 1 (present), U/S = 1
  strictEqual(seen.userBit, true);
  strictEqual(seen.frameCpl, 3);
  strictEqual(seen.frameSs, 0x1b);
  strictEqual(seen.frameRsp, BigInt(USER_STACK));
  strictEqual(seen.continued, undefined);
});

Deno.test("swapgs around a system call gives the kernel its GS base and the user back theirs", () => {
  const m = machine();
  const bases: bigint[] = [];
  m.code.register(USER_CODE, () => {
    syscall(0);
  });
  const report = m.run(() => {
    const calls = new SystemCalls();
    calls.register(0, () => {
      swapgs();
      bases.push(currentCpu().rdmsr(0xc000_0101));
      swapgs();
      return 0;
    });
    calls.load();
    const cpu = currentCpu();
    cpu.wrmsr(0xc000_0101, 0x7000, 0); // user GS base
    cpu.wrmsr(0xc000_0102, 0x9000, 0xffff_8000); // kernel's per-CPU data
    enterUserMode({ rip: USER_CODE, rsp: USER_STACK });
    bases.push(cpu.rdmsr(0xc000_0101)); // rdmsr is ring 0 only
  });
  strictEqual(report.reason, "returned", report.toString());
  deepStrictEqual(bases, [0xffff_8000_0000_9000n, 0x7000n]);
});
