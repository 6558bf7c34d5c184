import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Machine } from "../machine.ts";
import { MemorySink } from "../serial_sink.ts";
import type { Cpu } from "./cpu.ts";
import { SyscallReturnError } from "./cpu.ts";
import { Msr } from "./msr.ts";
import { Reg } from "./register_file.ts";

// SDM 2B SYSCALL/SYSRET with Linux's settings: STAR[47:32] = 0x10 (kernel
// CS; SS = 0x18), STAR[63:48] = 0x23 (sysret: CS = 0x33, SS = 0x2B),
// FMASK = TF | IF | DF | IOPL | NT | AC = 0x4_7700.
const STAR_HIGH = 0x0023_0010;
const FMASK = 0x4_7700;
const LSTAR = 0x9_0000;
const USER_CODE = 0x20_0000;
const USER_FLAGS = 0x202 | 0x100 | 0x400; // IF, TF, DF and bit 1
const SCE = 1;

function machine(): Machine {
  const m = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
  // Make the 2 MiB page at 0x20_0000 user-accessible: U/S in the boot
  // tables' PML4E 0 (0x1000), PDPTE 0 (0x2000) and PDE 1 (0x4008).
  for (const entry of [0x1000, 0x2000, 0x4008]) {
    m.memory.writeU32(entry, m.memory.readU32(entry) | 4);
  }
  return m;
}

function enableSyscall(cpu: Cpu): void {
  cpu.wrmsr(Msr.IA32_STAR, 0, STAR_HIGH);
  cpu.wrmsr(Msr.IA32_LSTAR, LSTAR, 0);
  cpu.wrmsr(Msr.IA32_FMASK, FMASK, 0);
  cpu.wrmsr(Msr.IA32_EFER, cpu.efer | SCE, 0);
}

function run(m: Machine, body: (cpu: Cpu) => void) {
  return m.run(() => body(m.cpus[0]!));
}

Deno.test("sysret enters user code at RCX with CPL 3; syscall reaches LSTAR at CPL 0 and sysret returns RAX to it", () => {
  const m = machine();
  const seen: Record<string, bigint | number> = {};
  m.code.register(LSTAR, (cpu) => {
    const r = cpu.registers;
    seen.kernelCs = r.low(Reg.CS);
    seen.kernelSs = r.low(Reg.SS);
    seen.rcx = r.get(Reg.RCX);
    seen.r11 = r.get(Reg.R11);
    seen.kernelFlags = r.low(Reg.RFLAGS);
    r.set(Reg.RAX, r.get(Reg.RAX) + 1000n);
    cpu.sysret();
  });
  m.code.register(USER_CODE, (cpu) => {
    const r = cpu.registers;
    seen.userCs = r.low(Reg.CS);
    seen.userSs = r.low(Reg.SS);
    seen.userFlags = r.low(Reg.RFLAGS);
    r.set(Reg.RAX, 39n);
    cpu.syscall();
    seen.result = r.get(Reg.RAX);
    seen.after = r.low(Reg.CS);
    seen.flagsAfter = r.low(Reg.RFLAGS);
  });
  const report = run(m, (cpu) => {
    enableSyscall(cpu);
    cpu.registers.set(Reg.RCX, BigInt(USER_CODE));
    cpu.registers.set(Reg.R11, BigInt(USER_FLAGS));
    cpu.sysret();
    seen.back = cpu.registers.low(Reg.CS);
    seen.backRip = cpu.registers.get(Reg.RIP);
  });
  strictEqual(report.reason, "returned", report.toString());
  deepStrictEqual(seen, {
    userCs: 0x33,
    userSs: 0x2b,
    userFlags: USER_FLAGS,
    kernelCs: 0x10,
    kernelSs: 0x18,
    rcx: BigInt(USER_CODE), // the user code's RIP
    r11: BigInt(USER_FLAGS),
    kernelFlags: USER_FLAGS & ~FMASK,
    result: 1039n,
    after: 0x33,
    flagsAfter: USER_FLAGS,
    back: 0x08,
    backRip: 0x10_0000n,
  });
});

Deno.test("syscall without EFER.SCE raises #UD", () => {
  const report = run(machine(), (cpu) => cpu.syscall());
  strictEqual(report.tripleFault?.vector, 6);
});

Deno.test("sysret to a non-canonical RCX raises #GP(0) in ring 0", () => {
  const report = run(machine(), (cpu) => {
    enableSyscall(cpu);
    cpu.registers.set(Reg.RCX, 0x0000_8000_0000_0000n);
    cpu.sysret();
  });
  strictEqual(report.tripleFault?.vector, 13);
  strictEqual(report.tripleFault?.errorCode, 0);
  strictEqual(report.registers.cs, 0x08n);
});

Deno.test("sysret at CPL 3 raises #GP(0)", () => {
  const m = machine();
  m.code.register(USER_CODE, (cpu) => cpu.sysret());
  const report = run(m, (cpu) => {
    enableSyscall(cpu);
    cpu.registers.set(Reg.RCX, BigInt(USER_CODE));
    cpu.sysret();
  });
  strictEqual(report.tripleFault?.vector, 13);
  strictEqual(report.registers.cs & 3n, 3n);
});

Deno.test("user code is fetched as a user access: a supervisor page faults with #PF, U/S = 1 in the error code", () => {
  const report = run(machine(), (cpu) => {
    enableSyscall(cpu);
    m2(cpu);
  });
  // Fetch (I/D 0x10) by a user (0x04) of a present page (0x01).
  strictEqual(report.tripleFault?.vector, 14);
  strictEqual(report.tripleFault?.errorCode, 0x15);
  function m2(cpu: Cpu): void {
    cpu.registers.set(Reg.RCX, 0x10_0000n); // kernel page
    cpu.sysret();
  }
});

Deno.test("an entry at LSTAR that returns without sysret is a kernel bug, thrown as SyscallReturnError", () => {
  const m = machine();
  m.code.register(LSTAR, () => {});
  m.code.register(USER_CODE, (cpu) => cpu.syscall());
  throws(
    () =>
      run(m, (cpu) => {
        enableSyscall(cpu);
        cpu.registers.set(Reg.RCX, BigInt(USER_CODE));
        cpu.sysret();
      }),
    SyscallReturnError,
  );
});

Deno.test("endUserRun from a system call abandons the user code: the kernel's sysret returns", () => {
  const m = machine();
  let afterExit = false;
  m.code.register(LSTAR, (cpu) => cpu.endUserRun()); // exit()
  m.code.register(USER_CODE, (cpu) => {
    cpu.syscall();
    afterExit = true;
  });
  const report = run(m, (cpu) => {
    enableSyscall(cpu);
    cpu.registers.set(Reg.RCX, BigInt(USER_CODE));
    cpu.sysret();
    strictEqual(cpu.cpl, 0);
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(afterExit, false);
});

Deno.test("swapgs exchanges GS_BASE and KERNEL_GS_BASE, and is privileged", () => {
  const report = run(machine(), (cpu) => {
    cpu.wrmsr(Msr.IA32_GS_BASE, 0x1000, 0);
    cpu.wrmsr(Msr.IA32_KERNEL_GS_BASE, 0x2000, 0xffff_8000);
    cpu.swapgs();
    strictEqual(cpu.rdmsr(Msr.IA32_GS_BASE), 0xffff_8000_0000_2000n);
    strictEqual(cpu.rdmsr(Msr.IA32_KERNEL_GS_BASE), 0x1000n);
    cpu.registers.setHalves(Reg.CS, 0x33, 0);
    cpu.swapgs();
  });
  strictEqual(report.tripleFault?.vector, 13);
});

Deno.test("fxsave writes the FXSAVE64 layout (SDM 1 table 10-2) and fxrstor loads it back", () => {
  const m = machine();
  const report = run(m, (cpu) => {
    cpu.fpu.setXmm(3, 0x1111_2222_3333_4444n, 0x5555_6666_7777_8888n);
    cpu.fxsave(0x30_0000);
    const ram = m.memory;
    strictEqual(ram.readU16(0x30_0000), 0x037f); // FCW
    strictEqual(ram.readU32(0x30_0000 + 24), 0x1f80); // MXCSR
    strictEqual(ram.readU32(0x30_0000 + 28), 0xffff); // MXCSR_MASK
    strictEqual(ram.readU64(0x30_0000 + 160 + 48), 0x1111_2222_3333_4444n);
    strictEqual(ram.readU64(0x30_0000 + 160 + 56), 0x5555_6666_7777_8888n);
    ram.writeU32(0x30_0000 + 24, 0x9fc0); // MXCSR: FTZ, DAZ, masks
    ram.writeU64(0x30_0000 + 160, 42n); // XMM0
    cpu.fxrstor(0x30_0000);
    strictEqual(cpu.fpu.mxcsr, 0x9fc0);
    strictEqual(cpu.fpu.xmm(0).low, 42n);
    strictEqual(cpu.fpu.xmm(3).high, 0x5555_6666_7777_8888n);
  });
  strictEqual(report.reason, "returned", report.toString());
});

Deno.test("fxsave/fxrstor faults: #GP(0) unaligned, #NM with CR0.TS, #GP(0) for MXCSR bits outside MXCSR_MASK", () => {
  const cases: [string, (cpu: Cpu, m: Machine) => void, number][] = [
    ["unaligned", (cpu) => cpu.fxsave(0x30_0008), 13],
    ["TS", (cpu) => {
      cpu.writeCr(0, cpu.cr0 | 8, 0);
      cpu.fxsave(0x30_0000);
    }, 7],
    ["MXCSR", (cpu, m) => {
      m.memory.writeU32(0x30_0000 + 24, 0x1_0000);
      cpu.fxrstor(0x30_0000);
    }, 13],
  ];
  for (const [name, body, vector] of cases) {
    const m = machine();
    const report = m.run(() => body(m.cpus[0]!, m));
    strictEqual(report.tripleFault?.vector, vector, name);
  }
});

Deno.test("with PCIDs, a CR3 load that keeps the TLB still changes what the LSTAR fetch reaches", () => {
  const m = machine();
  const ram = m.memory;
  // A second address space without the page at LSTAR: a copy of the boot
  // tables whose first page table leaves page 0x9_0000 out.
  ram.copy(0x30_0000, 0x1000, 0x4000);
  ram.writeU64(0x30_0000, 0x30_1000n | 7n); // PML4E → copied PDPT
  ram.writeU64(0x30_1000, 0x30_3000n | 7n); // PDPTE → copied PD
  ram.writeU64(0x30_3000, 0x30_2000n | 7n); // PDE 0 → copied PT
  ram.writeU64(0x30_2000 + 0x90 * 8, 0n); // no page 0x9_0000
  let calls = 0;
  m.code.register(LSTAR, (cpu) => {
    calls++;
    cpu.sysret();
  });
  m.code.register(USER_CODE, (cpu) => {
    cpu.syscall(); // fetches LSTAR in the boot space
    cpu.registers.setHalves(Reg.CS, 0x10, 0); // to ring 0, to load CR3
    cpu.writeCr(3, 0x30_0000 | 1, 0x8000_0000); // PCID 1, keep the TLB
    cpu.registers.setHalves(Reg.CS, 0x33, 0);
    cpu.syscall(); // page 0x9_0000 is not there: #PF
  });
  const report = run(m, (cpu) => {
    cpu.writeCr(4, cpu.cr4 | 1 << 17, 0);
    enableSyscall(cpu);
    cpu.registers.set(Reg.RCX, BigInt(USER_CODE));
    cpu.sysret();
  });
  strictEqual(calls, 1);
  strictEqual(report.tripleFault?.vector, 14);
});

Deno.test("a new LSTAR, or new code at LSTAR, is what the next syscall reaches", () => {
  const m = machine();
  const reached: string[] = [];
  m.code.register(LSTAR, (cpu) => {
    reached.push("first");
    cpu.sysret();
  });
  m.code.register(LSTAR + 0x100, (cpu) => {
    reached.push("moved");
    cpu.sysret();
  });
  m.code.register(USER_CODE, (cpu) => {
    cpu.syscall();
    cpu.registers.setHalves(Reg.CS, 0x10, 0); // ring 0 for the wrmsr
    cpu.wrmsr(Msr.IA32_LSTAR, LSTAR + 0x100, 0);
    cpu.registers.setHalves(Reg.CS, 0x33, 0);
    cpu.syscall();
    m.code.register(LSTAR + 0x100, (cpu) => {
      reached.push("replaced");
      cpu.sysret();
    });
    cpu.syscall();
  });
  const report = run(m, (cpu) => {
    enableSyscall(cpu);
    cpu.registers.set(Reg.RCX, BigInt(USER_CODE));
    cpu.sysret();
  });
  strictEqual(report.reason, "returned", report.toString());
  deepStrictEqual(reached, ["first", "moved", "replaced"]);
});
