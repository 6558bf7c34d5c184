import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Machine } from "../machine.ts";
import { MemorySink } from "../serial_sink.ts";
import type { Cpu } from "./cpu.ts";
import { Access } from "./mmu.ts";
import { Reg } from "./register_file.ts";

// Facts from Intel SDM 3A chapter 4 (4-level paging): index bits 47..39,
// 38..30, 29..21, 20..12; entry bits P 0, R/W 1, U/S 2, A 5, D 6, PS 7,
// G 8, XD 63; the rights of §4.6 and the #PF error code of §4.7.

const P = 1n,
  RW = 2n,
  US = 4n,
  A = 32n,
  D = 64n,
  PS = 128n,
  G = 256n,
  XD = 1n << 63n;
const PML4 = 0x20_0000, PDPT = 0x20_1000, PD = 0x20_2000, PT = 0x20_3000;
const FRAME = 0x30_0000, FRAME2 = 0x30_1000;
// A lower-half address with distinct indices at every level.
const V = 0x0000_1206_9671_c5a8;
const V_PAGE = V - (V % 4096);
const idx = (v: number, level: number) =>
  Math.floor(v / 2 ** (12 + 9 * (level - 1))) & 511;

const WP = 1 << 16,
  SMEP = 1 << 20,
  SMAP = 1 << 21,
  PGE = 1 << 7,
  NXE = 1 << 11,
  AC = 1 << 18;
const PKE = 1 << 22;
const KEY1 = 1n << 59n; // protection key 1 in entry bits 62..59

interface Setup {
  /** Flags of the PML4E, PDPTE and PDE, P | RW by default. */
  upper?: bigint;
  /** The PTE, without its frame. */
  leaf?: bigint;
  cpl?: 0 | 3;
  cr0?: number; // bits to set besides the boot value
  cr0Clear?: number;
  cr4?: number;
  eferClear?: number;
  rflags?: number;
  maxPhysAddr?: number;
  pkru?: number;
}

/** A machine whose CR3 maps V (4 KiB page) to FRAME through fresh tables. */
function prepare(machine: Machine, s: Setup): Cpu {
  const m = machine.memory;
  const upper = s.upper ?? (P | RW);
  const w = (address: number, value: bigint) => m.writeU64(address, value);
  w(PML4 + idx(V, 4) * 8, BigInt(PDPT) | upper);
  w(PDPT + idx(V, 3) * 8, BigInt(PD) | upper);
  w(PD + idx(V, 2) * 8, BigInt(PT) | upper);
  w(PT + idx(V, 1) * 8, BigInt(FRAME) | (s.leaf ?? (P | RW)));
  m.writeU64(FRAME + (V % 4096), 0x1122_3344_5566_7788n);
  const cpu = machine.cpus[0]!;
  const r = cpu.registers;
  r.setHalves(Reg.CR3, PML4, 0);
  r.setHalves(
    Reg.CR0,
    ((r.low(Reg.CR0) | (s.cr0 ?? 0)) & ~(s.cr0Clear ?? 0)) >>> 0,
    0,
  );
  r.setHalves(Reg.CR4, r.low(Reg.CR4) | (s.cr4 ?? 0), 0);
  r.setHalves(Reg.EFER, r.low(Reg.EFER) & ~(s.eferClear ?? 0), 0);
  r.setHalves(Reg.RFLAGS, 2 | (s.rflags ?? 0), 0);
  if (s.cpl === 3) r.setHalves(Reg.CS, 0x2b, 0);
  r.setHalves(Reg.PKRU, s.pkru ?? 0, 0);
  return cpu;
}

interface Outcome {
  /** The physical address, when the access succeeded. */
  pa?: number;
  /** The #PF error code, when it faulted. */
  code?: number;
  cr2?: bigint;
  vector?: number;
}

function attempt(s: Setup, access: Access, vaddr = V, size = 8): Outcome {
  const machine = new Machine({
    ramSize: 4 << 20,
    sink: new MemorySink(),
    maxPhysAddr: s.maxPhysAddr ?? 46,
  });
  let pa: number | undefined;
  const report = machine.run(() => {
    const cpu = prepare(machine, s);
    if (access === Access.FETCH || size === 0) {
      pa = cpu.translate(vaddr, access);
    } else if (access === Access.READ) cpu.readU64(vaddr);
    else cpu.writeU64(vaddr, 0n);
    if (access !== Access.FETCH) pa = cpu.translate(vaddr, Access.READ);
  });
  if (report.reason === "triple-fault") {
    const f = report.tripleFault!;
    return { vector: f.vector, code: f.errorCode, cr2: f.cr2 };
  }
  return { pa: pa! };
}

/** Runs `body` and checks that it ran to its end: no fault stopped it. */
function runOk(machine: Machine, body: () => void): void {
  const report = machine.run(body);
  strictEqual(report.reason, "returned", report.message);
}

const READ = Access.READ, WRITE = Access.WRITE, FETCH = Access.FETCH;

Deno.test("MMU translation", async (t) => {
  await t.step("a 4 KiB page maps bits 11..0 onto the frame", () => {
    deepStrictEqual(attempt({}, READ), { pa: FRAME + (V % 4096) });
  });

  await t.step("2 MiB and 1 GiB pages map bits 20..0 and 29..0", () => {
    const m2 = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(m2, () => {
      const cpu = prepare(m2, {});
      m2.memory.writeU64(PD + idx(V, 2) * 8, 0x20_0000n | P | RW | PS);
      strictEqual(cpu.translate(V, READ), 0x20_0000 + (V % 2 ** 21));
      m2.memory.writeU64(PDPT + idx(V, 3) * 8, 0x4000_0000n | P | RW | PS);
      cpu.writeCr(3, PML4, 0); // flush
      strictEqual(cpu.translate(V, READ), 0x4000_0000 + (V % 2 ** 30));
    });
  });

  await t.step(
    "the higher half translates and CR2 holds the 64-bit address",
    () => {
      const high = -(2 ** 47) + 0x1234_5000; // 0xffff_8000_1234_5000
      const out = attempt({}, READ, high);
      strictEqual(out.vector, 14);
      strictEqual(out.code, 0);
      strictEqual(out.cr2, 0xffff_8000_1234_5000n);
    },
  );

  await t.step("a non-canonical address raises #GP(0), not #PF", () => {
    deepStrictEqual(attempt({}, READ, 2 ** 47), {
      vector: 13,
      code: 0,
      cr2: 0n,
    });
    deepStrictEqual(attempt({}, WRITE, -(2 ** 47) - 4096), {
      vector: 13,
      code: 0,
      cr2: 0n,
    });
  });

  await t.step("the boot tables identity-map RAM except page 0", () => {
    const machine = new Machine({ ramSize: 8 << 20, sink: new MemorySink() });
    const report = machine.run(() => {
      const cpu = machine.cpus[0]!;
      strictEqual(cpu.translate(0x1000, READ), 0x1000);
      strictEqual(cpu.translate(0x7f_f008, WRITE), 0x7f_f008);
      cpu.readU8(0x10); // null page
    });
    strictEqual(report.tripleFault?.vector, 14);
    strictEqual(report.tripleFault?.cr2, 0x10n);
  });
});

Deno.test("#PF error codes (SDM 3A §4.7)", async (t) => {
  const cases: [string, Setup, Access, number][] = [
    ["not present, supervisor read", { leaf: RW }, READ, 0b00000],
    ["not present, supervisor write", { leaf: RW }, WRITE, 0b00010],
    [
      "not present, user read",
      { leaf: 0n, cpl: 3, upper: P | RW | US },
      READ,
      0b00100,
    ],
    [
      "not present, supervisor fetch with NXE: I/D",
      { leaf: 0n },
      FETCH,
      0b10000,
    ],
    [
      "not present, fetch without NXE or SMEP: no I/D",
      { leaf: 0n, eferClear: NXE },
      FETCH,
      0b00000,
    ],
    ["not present PML4E-level table", { upper: 0n, leaf: P }, READ, 0b00000],
    [
      "user read of a supervisor page",
      { leaf: P | RW, cpl: 3, upper: P | RW | US },
      READ,
      0b00101,
    ],
    [
      "user read where an upper level is supervisor",
      { leaf: P | US, cpl: 3, upper: P | RW },
      READ,
      0b00101,
    ],
    [
      "user write to a read-only page",
      { leaf: P | US, cpl: 3, upper: P | RW | US },
      WRITE,
      0b00111,
    ],
    [
      "user write where an upper level is read-only",
      { leaf: P | RW | US, cpl: 3, upper: P | US },
      WRITE,
      0b00111,
    ],
    ["supervisor write to read-only with CR0.WP", { leaf: P }, WRITE, 0b00011],
    ["supervisor fetch of an XD page", { leaf: P | XD }, FETCH, 0b10001],
    [
      "user fetch where an upper level is XD",
      { leaf: P | US, upper: P | US | XD, cpl: 3 },
      FETCH,
      0b10101,
    ],
    [
      "SMEP: supervisor fetch of a user page",
      { leaf: P | US, upper: P | RW | US, cr4: SMEP },
      FETCH,
      0b10001,
    ],
    [
      "SMEP without NXE still reports I/D",
      { leaf: P | US, upper: P | RW | US, cr4: SMEP, eferClear: NXE },
      FETCH,
      0b10001,
    ],
    [
      "SMAP: supervisor read of a user page",
      { leaf: P | US, upper: P | RW | US, cr4: SMAP },
      READ,
      0b00001,
    ],
    [
      "SMAP: supervisor write of a user page",
      { leaf: P | RW | US, upper: P | RW | US, cr4: SMAP },
      WRITE,
      0b00011,
    ],
    [
      "reserved: XD with EFER.NXE = 0",
      { leaf: P | XD, eferClear: NXE },
      READ,
      0b01001,
    ],
    ["reserved: bit 51 in a PTE", { leaf: P | 1n << 51n }, READ, 0b01001],
    [
      "reserved: bit 46 at MAXPHYADDR 46",
      { leaf: P | 1n << 46n },
      WRITE,
      0b01011,
    ],
    [
      "reserved: bit 40 at MAXPHYADDR 40",
      { leaf: P | 1n << 40n, maxPhysAddr: 40 },
      READ,
      0b01001,
    ],
    [
      "reserved: bit 51 in an upper entry",
      { upper: P | RW | 1n << 51n },
      READ,
      0b01001,
    ],
    [
      "reserved: user access reports U/S too",
      { leaf: P | US | 1n << 50n, cpl: 3, upper: P | RW | US },
      READ,
      0b01101,
    ],
    // Protection keys (SDM 3A §4.6.2): PKRU bit 2k is AD, bit 2k + 1 WD.
    [
      "PK: user read with AD set for the key",
      {
        leaf: P | RW | US | KEY1,
        upper: P | RW | US,
        cpl: 3,
        cr4: PKE,
        pkru: 0b0100,
      },
      READ,
      0b100101,
    ],
    [
      "PK: supervisor read of a user page with AD set",
      { leaf: P | RW | US | KEY1, upper: P | RW | US, cr4: PKE, pkru: 0b0100 },
      READ,
      0b100001,
    ],
    [
      "PK: user write with WD set",
      {
        leaf: P | RW | US | KEY1,
        upper: P | RW | US,
        cpl: 3,
        cr4: PKE,
        pkru: 0b1000,
      },
      WRITE,
      0b100111,
    ],
    [
      "PK: supervisor write with WD and CR0.WP",
      { leaf: P | RW | US | KEY1, upper: P | RW | US, cr4: PKE, pkru: 0b1000 },
      WRITE,
      0b100011,
    ],
    [
      "PK: a page-rights fault is reported without PK",
      {
        leaf: P | US | KEY1,
        upper: P | RW | US,
        cpl: 3,
        cr4: PKE,
        pkru: 0b1100,
      },
      WRITE,
      0b00111,
    ],
  ];
  for (const [name, setup, access, code] of cases) {
    await t.step(name, () => {
      const out = attempt(setup, access);
      strictEqual(
        out.vector,
        14,
        `expected #PF, got ${
          JSON.stringify(out, (_, v) => typeof v === "bigint" ? String(v) : v)
        }`,
      );
      strictEqual(out.code, code, `error code 0b${out.code?.toString(2)}`);
      strictEqual(out.cr2, BigInt(V));
    });
  }

  await t.step("reserved: PS in a PML4E", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    const report = machine.run(() => {
      const cpu = prepare(machine, {});
      machine.memory.writeU64(PML4 + idx(V, 4) * 8, BigInt(PDPT) | P | RW | PS);
      cpu.readU8(V);
    });
    strictEqual(report.tripleFault?.errorCode, 0b01001);
  });

  await t.step(
    "reserved: address bits 20..13 of a 2 MiB page, 29..13 of a 1 GiB page",
    () => {
      for (
        const [table, entry] of [[PD, 0x20_2000n | PS], [
          PDPT,
          0x4000_2000n | PS,
        ]] as const
      ) {
        const machine = new Machine({
          ramSize: 4 << 20,
          sink: new MemorySink(),
        });
        const report = machine.run(() => {
          const cpu = prepare(machine, {});
          const level = table === PD ? 2 : 3;
          machine.memory.writeU64(table + idx(V, level) * 8, entry | P | RW);
          cpu.readU8(V);
        });
        strictEqual(report.tripleFault?.errorCode, 0b01001);
      }
    },
  );

  await t.step("PAT (bit 12) of a 2 MiB page is not reserved", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = prepare(machine, {});
      machine.memory.writeU64(PD + idx(V, 2) * 8, 0x20_1000n | P | RW | PS);
      strictEqual(cpu.translate(V, READ), 0x20_0000 + (V % 2 ** 21));
    });
  });
});

Deno.test("rights that do not fault (SDM 3A §4.6)", async (t) => {
  const allowed: [string, Setup, Access][] = [
    [
      "supervisor write to read-only with CR0.WP = 0",
      { leaf: P, cr0Clear: WP },
      WRITE,
    ],
    ["supervisor read of a user page without SMAP", {
      leaf: P | US,
      upper: P | RW | US,
    }, READ],
    ["SMAP with RFLAGS.AC = 1", {
      leaf: P | RW | US,
      upper: P | RW | US,
      cr4: SMAP,
      rflags: AC,
    }, WRITE],
    ["supervisor fetch of a user page without SMEP", {
      leaf: P | US,
      upper: P | RW | US,
    }, FETCH],
    ["supervisor fetch of a page without XD", { leaf: P }, FETCH],
    ["user write to a user, writable page", {
      leaf: P | RW | US,
      upper: P | RW | US,
      cpl: 3,
    }, WRITE],
    ["SMAP does not stop user-mode accesses", {
      leaf: P | US,
      upper: P | RW | US,
      cpl: 3,
      cr4: SMAP,
    }, READ],
    ["PK: WD does not stop a user read", {
      leaf: P | RW | US | KEY1,
      upper: P | RW | US,
      cpl: 3,
      cr4: PKE,
      pkru: 0b1000,
    }, READ],
    ["PK: WD binds a supervisor write only with CR0.WP", {
      leaf: P | RW | US | KEY1,
      upper: P | RW | US,
      cr4: PKE,
      pkru: 0b1000,
      cr0Clear: WP,
    }, WRITE],
    ["PK: keys are ignored without CR4.PKE", {
      leaf: P | RW | US | KEY1,
      upper: P | RW | US,
      cpl: 3,
      pkru: 0b1100,
    }, WRITE],
    ["PK: key 0's rights do not apply to key 1", {
      leaf: P | RW | US | KEY1,
      upper: P | RW | US,
      cpl: 3,
      cr4: PKE,
      pkru: 0b0011,
    }, WRITE],
    ["PK: instruction fetches are not checked", {
      leaf: P | US | KEY1,
      upper: P | RW | US,
      cpl: 3,
      cr4: PKE,
      pkru: 0b0100,
    }, FETCH],
  ];
  for (const [name, setup, access] of allowed) {
    await t.step(name, () => {
      deepStrictEqual(attempt(setup, access), { pa: FRAME + (V % 4096) });
    });
  }
});

Deno.test("accessed and dirty flags (SDM 3A §4.8)", async (t) => {
  function flags(access: Access, leaf = P | RW): bigint[] {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    machine.run(() => {
      const cpu = prepare(machine, { leaf });
      if (access === READ) cpu.readU8(V);
      else cpu.writeU8(V, 1);
    });
    const m = machine.memory;
    return [
      m.readU64(PML4 + idx(V, 4) * 8),
      m.readU64(PDPT + idx(V, 3) * 8),
      m.readU64(PD + idx(V, 2) * 8),
      m.readU64(PT + idx(V, 1) * 8),
    ].map((e) => e & (A | D));
  }

  await t.step("a read sets A in every entry of the walk, D in none", () => {
    deepStrictEqual(flags(READ), [A, A, A, A]);
  });

  await t.step("a write sets D in the leaf only", () => {
    deepStrictEqual(flags(WRITE), [A, A, A, A | D]);
  });

  await t.step(
    "a fault at the leaf leaves its A clear; the entries above were used",
    () => {
      deepStrictEqual(flags(WRITE, P), [A, A, A, 0n]); // read-only leaf, CR0.WP = 1
      deepStrictEqual(flags(READ, RW), [A, A, A, 0n]); // not present
    },
  );

  await t.step(
    "a write through a TLB entry made by a read still sets D",
    () => {
      const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
      runOk(machine, () => {
        const cpu = prepare(machine, {});
        cpu.readU8(V);
        cpu.writeU8(V, 7);
      });
      strictEqual(machine.memory.readU64(PT + idx(V, 1) * 8) & D, D);
    },
  );

  await t.step("a write to a 2 MiB page sets D in the PDE", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = prepare(machine, {});
      machine.memory.writeU64(PD + idx(V, 2) * 8, 0x20_0000n | P | RW | PS);
      cpu.writeU8(V, 1);
    });
    strictEqual(machine.memory.readU64(PD + idx(V, 2) * 8) & (A | D), A | D);
  });
});

Deno.test("accesses that cross a page boundary", async (t) => {
  const last = V_PAGE + 4094; // 2 bytes in this page, the rest in the next

  await t.step("bytes come from both frames, little-endian", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = prepare(machine, {});
      machine.memory.writeU64(
        PT + (idx(V, 1) + 1) * 8,
        BigInt(FRAME2) | P | RW,
      );
      machine.memory.writeU16(FRAME + 4094, 0x2211);
      machine.memory.writeU16(FRAME2, 0x4433);
      strictEqual(cpu.readU32(last), 0x4433_2211);
      cpu.writeU64(last, 0x8877_6655_4433_2211n);
      strictEqual(machine.memory.readU16(FRAME + 4094), 0x2211);
      strictEqual(machine.memory.readU32(FRAME2), 0x6655_4433);
      strictEqual(machine.memory.readU16(FRAME2 + 4), 0x8877);
    });
  });

  await t.step(
    "a fault on the second page reports its first byte, and nothing is written",
    () => {
      const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
      const report = machine.run(() => {
        const cpu = prepare(machine, {});
        cpu.writeU32(last, 0xffff_ffff);
      });
      strictEqual(report.tripleFault?.errorCode, 0b00010);
      strictEqual(report.tripleFault?.cr2, BigInt(V_PAGE + 4096));
      strictEqual(machine.memory.readU16(FRAME + 4094), 0);
    },
  );
});

Deno.test("TLB (SDM 3A §4.10)", async (t) => {
  function remap(cpu: Cpu, machine: Machine, flags = P | RW): void {
    machine.memory.writeU64(PT + idx(V, 1) * 8, BigInt(FRAME2) | flags);
    void cpu;
  }

  await t.step("a changed entry is not seen until invlpg", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = prepare(machine, {});
      strictEqual(cpu.translate(V, READ), FRAME + (V % 4096));
      remap(cpu, machine);
      strictEqual(cpu.translate(V, READ), FRAME + (V % 4096), "stale");
      cpu.invlpg(V_PAGE + 8); // any address in the page
      strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
    });
  });

  await t.step("a CR3 load drops non-global translations", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = prepare(machine, {});
      cpu.translate(V, READ);
      remap(cpu, machine);
      cpu.writeCr(3, PML4, 0);
      strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
    });
  });

  await t.step(
    "global translations survive a CR3 load when CR4.PGE = 1",
    () => {
      const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
      runOk(machine, () => {
        const cpu = prepare(machine, { leaf: P | RW | G });
        cpu.translate(V, READ);
        remap(cpu, machine);
        cpu.writeCr(3, PML4, 0);
        strictEqual(
          cpu.translate(V, READ),
          FRAME + (V % 4096),
          "global survives",
        );
        cpu.writeCr(4, cpu.cr4 & ~PGE, 0); // toggling PGE flushes everything
        strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
      });
    },
  );

  await t.step("G without CR4.PGE does not survive a CR3 load", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = prepare(machine, { leaf: P | RW | G });
      cpu.writeCr(4, cpu.cr4 & ~PGE, 0);
      cpu.translate(V, READ);
      remap(cpu, machine);
      cpu.writeCr(3, PML4, 0);
      strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
    });
  });

  await t.step("a removed mapping still translates until invlpg", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    const report = machine.run(() => {
      const cpu = prepare(machine, {});
      cpu.readU8(V);
      machine.memory.writeU64(PT + idx(V, 1) * 8, 0n);
      cpu.readU8(V); // stale but works
      cpu.invlpg(V);
      cpu.readU8(V);
    });
    strictEqual(report.tripleFault?.vector, 14);
    strictEqual(report.tripleFault?.errorCode, 0);
  });

  await t.step(
    "invlpg of a 2 MiB page drops it from any address inside",
    () => {
      const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
      runOk(machine, () => {
        const cpu = prepare(machine, {});
        machine.memory.writeU64(PD + idx(V, 2) * 8, 0x20_0000n | P | RW | PS);
        cpu.translate(V, READ);
        machine.memory.writeU64(PD + idx(V, 2) * 8, 0x0n | P | RW | PS);
        const start = V - (V % 2 ** 21);
        cpu.invlpg(start + 0x1f_f000);
        strictEqual(cpu.translate(V, READ), V % 2 ** 21);
      });
    },
  );

  // SDM 3A §4.10.1: with CR4.PCIDE = 1 the TLB tags translations with the
  // PCID (CR3 bits 11..0); a CR3 load with bit 63 set keeps the new PCID's
  // translations, one with bit 63 clear drops them; global translations
  // serve every PCID. A second PML4 that shares V's tables, at PML4_2.
  const PCIDE = 1 << 17;
  const PML4_2 = 0x20_4000;
  const NO_FLUSH = 0x8000_0000;
  function twoSpaces(machine: Machine, leaf?: bigint): Cpu {
    const cpu = prepare(machine, leaf === undefined ? {} : { leaf });
    machine.memory.writeU64(
      PML4_2 + idx(V, 4) * 8,
      machine.memory.readU64(PML4 + idx(V, 4) * 8),
    );
    return cpu;
  }

  await t.step(
    "with PCIDs, a switch to another address space and back keeps the first one's translations",
    () => {
      const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
      runOk(machine, () => {
        const cpu = twoSpaces(machine);
        cpu.writeCr(4, cpu.cr4 | PCIDE, 0);
        cpu.writeCr(3, PML4 | 1, 0);
        strictEqual(cpu.translate(V, READ), FRAME + (V % 4096));
        remap(cpu, machine);
        cpu.writeCr(3, PML4_2 | 2, 0);
        // PCID 2 has no translation of V: it walks and sees the change.
        strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
        cpu.writeCr(3, PML4 | 1, NO_FLUSH);
        strictEqual(cpu.translate(V, READ), FRAME + (V % 4096), "kept");
        cpu.writeCr(3, PML4 | 1, 0); // bit 63 clear: PCID 1 flushed
        strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
      });
    },
  );

  await t.step("without PCIDs the same switch drops them", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = twoSpaces(machine);
      strictEqual(cpu.translate(V, READ), FRAME + (V % 4096));
      remap(cpu, machine);
      cpu.writeCr(3, PML4_2, 0);
      cpu.writeCr(3, PML4, 0);
      strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
    });
  });

  await t.step("a global translation serves every PCID", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    runOk(machine, () => {
      const cpu = twoSpaces(machine, P | RW | G);
      cpu.writeCr(4, cpu.cr4 | PCIDE, 0);
      cpu.writeCr(3, PML4 | 1, 0);
      cpu.translate(V, READ);
      remap(cpu, machine, P | RW | G);
      cpu.writeCr(3, PML4_2 | 2, 0);
      strictEqual(cpu.translate(V, READ), FRAME + (V % 4096), "global");
      cpu.invlpg(V); // drops the global translation too
      strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
    });
  });

  await t.step(
    "clearing CR4.PCIDE drops the translations of every PCID",
    () => {
      const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
      runOk(machine, () => {
        const cpu = twoSpaces(machine);
        cpu.writeCr(4, cpu.cr4 | PCIDE, 0);
        cpu.translate(V, READ);
        remap(cpu, machine);
        cpu.writeCr(4, cpu.cr4 & ~PCIDE, 0);
        strictEqual(cpu.translate(V, READ), FRAME2 + (V % 4096));
      });
    },
  );

  await t.step("a non-canonical invlpg is a no-op", () => {
    const machine = new Machine({ ramSize: 4 << 20, sink: new MemorySink() });
    const report = machine.run(() => machine.cpus[0]!.invlpg(2 ** 47));
    strictEqual(report.reason, "returned");
  });
});
