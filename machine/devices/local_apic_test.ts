import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { LOCAL_APIC_BASE, LocalApic } from "./local_apic.ts";

// Register offsets, Intel SDM 3A table 11-1 (xAPIC).
const ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0;
const EOI = 0xb0, LDR = 0xd0, DFR = 0xe0, SVR = 0xf0;
const ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280;
const ICR_LOW = 0x300, ICR_HIGH = 0x310;
const LVT_TIMER = 0x320, LVT_THERMAL = 0x330, LVT_PERFORMANCE = 0x340;
const LVT_LINT0 = 0x350, LVT_LINT1 = 0x360, LVT_ERROR = 0x370;
const INITIAL_COUNT = 0x380, CURRENT_COUNT = 0x390, DIVIDE = 0x3e0;
const LVTS = [
  LVT_TIMER,
  LVT_THERMAL,
  LVT_PERFORMANCE,
  LVT_LINT0,
  LVT_LINT1,
  LVT_ERROR,
];

const MASKED = 1 << 16; // LVT bit 16
const PERIODIC = 1 << 17; // LVT timer mode 01 (bits 18..17)
const ENABLE = 0x100; // SVR bit 8

// An APIC whose TSC is a variable the test moves.
class Rig {
  tsc = 0;
  apic: LocalApic;
  constructor(id = 0) {
    this.apic = new LocalApic({ id, now: () => this.tsc });
  }
  /** Enables the APIC with spurious vector 0xFF, as kernels do. */
  enable(): this {
    this.apic.write32(SVR, ENABLE | 0xff);
    return this;
  }
  /** The bit of `vector` in the 256-bit register at `base`. */
  bit(base: number, vector: number): boolean {
    const word = this.apic.read32(base + 0x10 * (vector >>> 5));
    return (word >>> (vector & 31) & 1) === 1;
  }
  /** Reads ESR the SDM way: write, then read. */
  esr(): number {
    this.apic.write32(ESR, 0);
    return this.apic.read32(ESR);
  }
}

Deno.test("LocalApic reset state (SDM 3A §11.4.7.1)", async (t) => {
  const { apic } = new Rig(5);

  await t.step("ID holds the APIC id in bits 31..24", () => {
    strictEqual(apic.read32(ID), 0x0500_0000);
    strictEqual(apic.id, 5);
  });

  await t.step("version 0x14, max LVT entry 5", () => {
    strictEqual(apic.read32(VERSION), 0x0005_0014);
    strictEqual(apic.read32(VERSION) >>> 16 & 0xff, 5);
  });

  await t.step("TPR, APR, PPR, LDR, ESR, ICR and the timer read 0", () => {
    for (
      const offset of [
        TPR,
        APR,
        PPR,
        LDR,
        ESR,
        ICR_LOW,
        ICR_HIGH,
        INITIAL_COUNT,
        CURRENT_COUNT,
        DIVIDE,
      ]
    ) {
      strictEqual(apic.read32(offset), 0, `offset 0x${offset.toString(16)}`);
    }
  });

  await t.step("DFR 0xFFFF_FFFF (flat model)", () => {
    strictEqual(apic.read32(DFR), 0xffff_ffff);
  });

  await t.step("SVR 0xFF: software disabled, spurious vector 0xFF", () => {
    strictEqual(apic.read32(SVR), 0xff);
    strictEqual(apic.enabled, false);
    strictEqual(apic.spuriousVector, 0xff);
  });

  await t.step("every LVT entry 0x0001_0000 (masked)", () => {
    for (const offset of LVTS) strictEqual(apic.read32(offset), 0x0001_0000);
  });

  await t.step("ISR, TMR and IRR all clear", () => {
    for (let i = 0; i < 8; i++) {
      strictEqual(apic.read32(ISR + 0x10 * i), 0);
      strictEqual(apic.read32(TMR + 0x10 * i), 0);
      strictEqual(apic.read32(IRR + 0x10 * i), 0);
    }
  });

  await t.step("the default base is 0xFEE0_0000", () => {
    strictEqual(LOCAL_APIC_BASE, 0xfee0_0000);
    strictEqual(apic.base, 0xfee0_0000);
  });

  await t.step("no interrupt pending, no timer armed", () => {
    strictEqual(apic.pendingVector(), -1);
    strictEqual(apic.nextEvent(), undefined);
  });
});

Deno.test("LocalApic register access", async (t) => {
  await t.step("read-only registers ignore writes", () => {
    const { apic } = new Rig().enable();
    apic.write32(VERSION, 0);
    apic.write32(PPR, 0xf0);
    apic.write32(IRR + 0x20, 0xffff_ffff);
    apic.write32(ISR + 0x20, 0xffff_ffff);
    apic.write32(CURRENT_COUNT, 1234);
    strictEqual(apic.read32(VERSION), 0x0005_0014);
    strictEqual(apic.read32(PPR), 0);
    strictEqual(apic.read32(IRR + 0x20), 0);
    strictEqual(apic.read32(ISR + 0x20), 0);
    strictEqual(apic.read32(CURRENT_COUNT), 0);
    strictEqual(apic.pendingVector(), -1);
  });

  await t.step("writable fields keep only their defined bits", () => {
    const { apic } = new Rig().enable();
    apic.write32(ID, 0xffff_ffff);
    strictEqual(apic.read32(ID), 0xff00_0000);
    apic.write32(TPR, 0xffff_ffff);
    strictEqual(apic.read32(TPR), 0xff);
    apic.write32(LDR, 0x1234_5678);
    strictEqual(apic.read32(LDR), 0x1200_0000);
    apic.write32(DFR, 0x0000_0000); // cluster model
    strictEqual(apic.read32(DFR), 0x0fff_ffff);
    apic.write32(DIVIDE, 0xffff_ffff);
    strictEqual(apic.read32(DIVIDE), 0xb); // bits 3, 1, 0
    apic.write32(LVT_TIMER, 0xffff_ffff); // no TSC-deadline: bit 18 reserved
    strictEqual(apic.read32(LVT_TIMER), 0x0003_00ff);
    apic.write32(LVT_LINT0, 0xffff_ffff); // remote IRR and status read-only
    strictEqual(apic.read32(LVT_LINT0), 0x0001_a7ff);
    apic.write32(LVT_ERROR, 0xffff_ffff);
    strictEqual(apic.read32(LVT_ERROR), 0x0001_00ff);
    apic.write32(LVT_THERMAL, 0x0000_04f0);
    apic.write32(LVT_PERFORMANCE, 0x0000_0400); // NMI, as perf drivers do
    strictEqual(apic.read32(LVT_THERMAL), 0x4f0);
    strictEqual(apic.read32(LVT_PERFORMANCE), 0x400);
  });

  await t.step("offsets must lie inside the page", () => {
    const { apic } = new Rig();
    for (const offset of [-4, 0x1000, 1.5, NaN]) {
      throws(() => apic.read32(offset), RangeError);
      throws(() => apic.write32(offset, 0), RangeError);
    }
    throws(() => apic.write32(TPR, 2 ** 32), RangeError);
    throws(() => apic.write32(TPR, -1), RangeError);
  });

  await t.step(
    "an offset inside a register's slot reads 0, writes nothing",
    () => {
      const rig = new Rig().enable();
      for (const offset of [0x22, 0x24, 0x84, 0x8c, 0x302, 0xfff]) {
        strictEqual(rig.apic.read32(offset), 0);
        rig.apic.write32(offset, 0xffff_ffff);
      }
      strictEqual(rig.apic.read32(ID), 0);
      strictEqual(rig.apic.read32(TPR), 0);
      strictEqual(rig.apic.read32(ICR_LOW), 0);
    },
  );

  await t.step("an unimplemented register reads 0 and sets ESR bit 7", () => {
    const rig = new Rig().enable();
    strictEqual(rig.apic.read32(0x2f0), 0); // CMCI: not with 6 LVT entries
    strictEqual(rig.esr(), 0x80);
    rig.apic.write32(0x400, 1);
    strictEqual(rig.esr(), 0x80);
    strictEqual(rig.esr(), 0);
  });

  await t.step("the constructor validates id and base", () => {
    const now = () => 0;
    throws(() => new LocalApic({ id: 256, now }), RangeError);
    throws(() => new LocalApic({ id: -1, now }), RangeError);
    throws(() => new LocalApic({ id: 0, now, base: 0xfee0_0800 }), RangeError);
    throws(() => new LocalApic({ id: 0, now, base: 2 ** 52 }), RangeError);
    strictEqual(new LocalApic({ id: 0, now, base: 0x1000 }).base, 0x1000);
  });
});

Deno.test("LocalApic IRR and ISR layout", async (t) => {
  await t.step(
    "vector v is bit v % 32 of the register at +0x10 × (v / 32)",
    () => {
      for (const vector of [16, 31, 32, 33, 63, 64, 100, 127, 128, 200, 255]) {
        const rig = new Rig().enable();
        rig.apic.requestInterrupt(vector);
        const offset = IRR + 0x10 * Math.floor(vector / 32);
        strictEqual(rig.apic.read32(offset), 2 ** (vector % 32) >>> 0);
        strictEqual(rig.apic.pendingVector(), vector);
        strictEqual(rig.apic.acknowledge(vector), vector);
        strictEqual(rig.apic.read32(offset), 0);
        strictEqual(
          rig.apic.read32(ISR + 0x10 * Math.floor(vector / 32)),
          2 ** (vector % 32) >>> 0,
        );
      }
    },
  );

  await t.step("the highest vector is taken first", () => {
    const rig = new Rig().enable();
    for (const vector of [0x31, 0xa2, 0x40]) rig.apic.requestInterrupt(vector);
    strictEqual(rig.apic.pendingVector(), 0xa2);
  });

  await t.step("a vector requested twice is pending once", () => {
    const rig = new Rig().enable();
    rig.apic.requestInterrupt(0x50);
    rig.apic.requestInterrupt(0x50);
    rig.apic.acknowledge(0x50);
    strictEqual(rig.apic.pendingVector(), -1);
  });

  await t.step("vectors 0..15 set ESR bit 6 and never reach IRR", () => {
    for (let vector = 0; vector < 16; vector++) {
      const rig = new Rig().enable();
      rig.apic.requestInterrupt(vector);
      strictEqual(rig.apic.read32(IRR), 0);
      strictEqual(rig.apic.pendingVector(), -1);
      strictEqual(rig.esr(), 0x40, `vector ${vector}`);
    }
  });

  await t.step(
    "ESR shows errors only after a write, which latches them",
    () => {
      const rig = new Rig().enable();
      rig.apic.requestInterrupt(3);
      strictEqual(rig.apic.read32(ESR), 0); // not latched yet
      rig.apic.write32(ESR, 0);
      strictEqual(rig.apic.read32(ESR), 0x40);
      rig.apic.write32(ESR, 0); // no errors since the last write
      strictEqual(rig.apic.read32(ESR), 0);
    },
  );

  await t.step("an error raises the LVT error vector when unmasked", () => {
    const rig = new Rig().enable();
    rig.apic.write32(LVT_ERROR, 0xfe);
    rig.apic.requestInterrupt(7);
    strictEqual(rig.apic.pendingVector(), 0xfe);
  });

  await t.step("vectors outside 0..255 throw", () => {
    const { apic } = new Rig().enable();
    for (const vector of [-1, 256, 1.5]) {
      throws(() => apic.requestInterrupt(vector), RangeError);
      throws(() => apic.acknowledge(vector), RangeError);
    }
  });
});

Deno.test("LocalApic TPR, PPR and EOI (SDM 3A §11.8.3)", async (t) => {
  await t.step("PPR = TPR when TPR[7:4] ≥ ISRV[7:4]", () => {
    const rig = new Rig().enable();
    rig.apic.requestInterrupt(0x31);
    rig.apic.acknowledge(0x31);
    rig.apic.write32(TPR, 0x35); // same class: TPR, sub-class and all
    strictEqual(rig.apic.read32(PPR), 0x35);
    rig.apic.write32(TPR, 0x4a);
    strictEqual(rig.apic.read32(PPR), 0x4a);
  });

  await t.step("PPR = ISRV & 0xF0 when the in-service class is higher", () => {
    const rig = new Rig().enable();
    rig.apic.requestInterrupt(0x47);
    rig.apic.acknowledge(0x47);
    rig.apic.write32(TPR, 0x25);
    strictEqual(rig.apic.read32(PPR), 0x40);
  });

  await t.step("only a class above PPR's is delivered", () => {
    const rig = new Rig().enable();
    rig.apic.write32(TPR, 0x40);
    rig.apic.requestInterrupt(0x4f); // class 4: held
    strictEqual(rig.apic.pendingVector(), -1);
    strictEqual(rig.bit(IRR, 0x4f), true);
    rig.apic.write32(TPR, 0x3f); // class 3: 4 > 3
    strictEqual(rig.apic.pendingVector(), 0x4f);
  });

  await t.step("an in-service vector holds back its own class", () => {
    const rig = new Rig().enable();
    rig.apic.requestInterrupt(0x41);
    rig.apic.acknowledge(0x41);
    rig.apic.requestInterrupt(0x45);
    strictEqual(rig.apic.pendingVector(), -1);
    rig.apic.requestInterrupt(0x50);
    strictEqual(rig.apic.pendingVector(), 0x50); // a higher class nests
  });

  await t.step("EOI clears the highest in-service vector", () => {
    const rig = new Rig().enable();
    rig.apic.requestInterrupt(0x40);
    rig.apic.acknowledge(0x40);
    rig.apic.requestInterrupt(0x80);
    rig.apic.acknowledge(0x80);
    rig.apic.write32(EOI, 0);
    strictEqual(rig.bit(ISR, 0x80), false);
    strictEqual(rig.bit(ISR, 0x40), true);
    strictEqual(rig.apic.read32(PPR), 0x40);
    rig.apic.write32(EOI, 0);
    strictEqual(rig.bit(ISR, 0x40), false);
    strictEqual(rig.apic.read32(PPR), 0);
  });

  await t.step("EOI lets the held lower-class request through", () => {
    const rig = new Rig().enable();
    rig.apic.requestInterrupt(0x60);
    rig.apic.acknowledge(0x60);
    rig.apic.requestInterrupt(0x30);
    strictEqual(rig.apic.pendingVector(), -1);
    rig.apic.write32(EOI, 0);
    strictEqual(rig.apic.pendingVector(), 0x30);
  });

  await t.step("EOI with nothing in service changes nothing", () => {
    const rig = new Rig().enable();
    rig.apic.write32(EOI, 0);
    strictEqual(rig.apic.read32(ISR), 0);
    strictEqual(rig.esr(), 0);
  });

  await t.step(
    "an INTA that finds nothing deliverable gets the SVR vector",
    () => {
      const rig = new Rig();
      rig.apic.write32(SVR, ENABLE | 0xef);
      strictEqual(rig.apic.spuriousVector, 0xef);
      strictEqual(rig.apic.acknowledge(0x40), 0xef); // nothing pending
      rig.apic.requestInterrupt(0x40);
      rig.apic.write32(TPR, 0x40); // masked by TPR before the INTA
      strictEqual(rig.apic.acknowledge(0x40), 0xef);
      strictEqual(rig.bit(ISR, 0x40), false);
      strictEqual(rig.bit(IRR, 0x40), true);
    },
  );
});

Deno.test("LocalApic software enable (SVR bit 8, SDM 3A §11.4.7.2)", async (t) => {
  await t.step("while disabled, LVT writes keep the mask bit", () => {
    const { apic } = new Rig();
    for (const offset of LVTS) {
      apic.write32(offset, 0x40);
      strictEqual(apic.read32(offset), 0x0001_0040);
    }
  });

  await t.step("once enabled, the mask can be cleared", () => {
    const { apic } = new Rig().enable();
    apic.write32(LVT_TIMER, 0x40);
    strictEqual(apic.read32(LVT_TIMER), 0x40);
  });

  await t.step("disabling masks every LVT entry again", () => {
    const { apic } = new Rig().enable();
    for (const offset of LVTS) apic.write32(offset, 0x40);
    apic.write32(SVR, 0xff);
    for (const offset of LVTS) strictEqual(apic.read32(offset), 0x0001_0040);
  });

  await t.step("no delivery while disabled; IRR is held for later", () => {
    const { apic } = new Rig().enable();
    apic.requestInterrupt(0x70);
    apic.write32(SVR, 0xff);
    strictEqual(apic.pendingVector(), -1);
    strictEqual(apic.acknowledge(0x70), 0xff);
    apic.write32(SVR, ENABLE | 0xff);
    strictEqual(apic.pendingVector(), 0x70);
  });

  await t.step("SVR keeps the vector and the enable bit", () => {
    const { apic } = new Rig();
    apic.write32(SVR, 0xffff_ffff);
    strictEqual(apic.read32(SVR), 0x1ff);
    strictEqual(apic.enabled, true);
  });

  await t.step("LINT0 as unmasked ExtINT passes the 8259 PIC", () => {
    const { apic } = new Rig().enable();
    strictEqual(apic.acceptsExtInt, false);
    apic.write32(LVT_LINT0, 0x700);
    strictEqual(apic.acceptsExtInt, true);
    apic.write32(LVT_LINT0, 0x0001_0700);
    strictEqual(apic.acceptsExtInt, false);
    apic.write32(LVT_LINT0, 0x400); // NMI: not the PIC's path
    strictEqual(apic.acceptsExtInt, false);
  });

  await t.step("virtualWire starts LINT0 at 0x700 as QEMU's BSP does", () => {
    const apic = new LocalApic({ id: 0, now: () => 0, virtualWire: true });
    strictEqual(apic.read32(LVT_LINT0), 0x700);
    strictEqual(apic.read32(LVT_LINT1), 0x0001_0000);
    strictEqual(apic.acceptsExtInt, true);
  });
});

Deno.test("LocalApic timer (SDM 3A §11.5.4)", async (t) => {
  await t.step(
    "one-shot, divide 16, count 1000: fires at +16000 exactly",
    () => {
      const rig = new Rig().enable();
      const { apic } = rig;
      rig.tsc = 7_000;
      apic.write32(DIVIDE, 0x3); // 011: ÷16
      apic.write32(LVT_TIMER, 0x40); // one-shot, vector 0x40
      apic.write32(INITIAL_COUNT, 1000);
      strictEqual(apic.nextEvent(), 7_000 + 16_000);
      strictEqual(apic.read32(CURRENT_COUNT), 1000);
      rig.tsc = 7_000 + 15;
      strictEqual(apic.read32(CURRENT_COUNT), 1000);
      rig.tsc = 7_000 + 16;
      strictEqual(apic.read32(CURRENT_COUNT), 999);
      rig.tsc = 7_000 + 15_999;
      strictEqual(apic.read32(CURRENT_COUNT), 1);
      strictEqual(apic.pendingVector(), -1);
      rig.tsc = 7_000 + 16_000;
      strictEqual(apic.pendingVector(), 0x40);
      strictEqual(apic.read32(CURRENT_COUNT), 0);
      strictEqual(apic.read32(INITIAL_COUNT), 1000);
      strictEqual(apic.nextEvent(), undefined);
    },
  );

  await t.step("one-shot fires once", () => {
    const rig = new Rig().enable();
    rig.apic.write32(DIVIDE, 0xb); // ÷1
    rig.apic.write32(LVT_TIMER, 0x40);
    rig.apic.write32(INITIAL_COUNT, 10);
    rig.tsc = 10;
    strictEqual(rig.apic.acknowledge(rig.apic.pendingVector()), 0x40);
    rig.apic.write32(EOI, 0);
    rig.tsc = 1_000_000;
    strictEqual(rig.apic.pendingVector(), -1);
    strictEqual(rig.apic.read32(CURRENT_COUNT), 0);
  });

  await t.step("periodic: reloads and fires every initial × divide", () => {
    const rig = new Rig().enable();
    const { apic } = rig;
    rig.tsc = 100;
    apic.write32(DIVIDE, 0x0); // ÷2
    apic.write32(LVT_TIMER, PERIODIC | 0x30);
    apic.write32(INITIAL_COUNT, 50); // period 100 TSC ticks
    const fired: number[] = [];
    for (rig.tsc = 100; rig.tsc <= 550; rig.tsc++) {
      const vector = apic.pendingVector();
      if (vector >= 0) {
        fired.push(rig.tsc);
        apic.acknowledge(vector);
        apic.write32(EOI, 0);
      }
    }
    deepStrictEqual(fired, [200, 300, 400, 500]);
    rig.tsc = 500;
    strictEqual(apic.read32(CURRENT_COUNT), 50); // reloaded
    rig.tsc = 502;
    strictEqual(apic.read32(CURRENT_COUNT), 49);
    strictEqual(apic.nextEvent(), 600);
  });

  await t.step("periodic: several missed periods leave one pending bit", () => {
    const rig = new Rig().enable();
    rig.apic.write32(DIVIDE, 0xb);
    rig.apic.write32(LVT_TIMER, PERIODIC | 0x30);
    rig.apic.write32(INITIAL_COUNT, 100);
    rig.tsc = 1_050; // ten periods and a half
    strictEqual(rig.apic.acknowledge(rig.apic.pendingVector()), 0x30);
    rig.apic.write32(EOI, 0);
    strictEqual(rig.apic.pendingVector(), -1);
    strictEqual(rig.apic.nextEvent(), 1_100);
    strictEqual(rig.apic.read32(CURRENT_COUNT), 50);
  });

  await t.step("a masked LVT counts but does not fire", () => {
    const rig = new Rig().enable();
    rig.apic.write32(DIVIDE, 0xb);
    rig.apic.write32(LVT_TIMER, MASKED | PERIODIC | 0x30);
    rig.apic.write32(INITIAL_COUNT, 100);
    strictEqual(rig.apic.nextEvent(), undefined); // nothing would wake hlt
    rig.tsc = 150;
    strictEqual(rig.apic.pendingVector(), -1);
    strictEqual(rig.apic.read32(IRR + 0x10), 0);
    strictEqual(rig.apic.read32(CURRENT_COUNT), 50); // still counting
    rig.apic.write32(LVT_TIMER, PERIODIC | 0x30); // unmask
    strictEqual(rig.apic.nextEvent(), 200);
    rig.tsc = 200;
    strictEqual(rig.apic.pendingVector(), 0x30);
  });

  await t.step("a software-disabled APIC's timer does not fire", () => {
    const rig = new Rig();
    rig.apic.write32(DIVIDE, 0xb);
    rig.apic.write32(LVT_TIMER, 0x30); // stays masked
    rig.apic.write32(INITIAL_COUNT, 10);
    rig.tsc = 20;
    rig.apic.write32(SVR, ENABLE | 0xff);
    strictEqual(rig.apic.pendingVector(), -1);
    strictEqual(rig.apic.read32(IRR + 0x10), 0);
  });

  await t.step("all eight divide encodings (bits 3, 1, 0)", () => {
    const encodings: [number, number][] = [
      [0b0000, 2],
      [0b0001, 4],
      [0b0010, 8],
      [0b0011, 16],
      [0b1000, 32],
      [0b1001, 64],
      [0b1010, 128],
      [0b1011, 1],
    ];
    for (const [code, divide] of encodings) {
      const rig = new Rig().enable();
      rig.tsc = 1_000;
      rig.apic.write32(DIVIDE, code);
      rig.apic.write32(LVT_TIMER, 0x40);
      rig.apic.write32(INITIAL_COUNT, 3);
      strictEqual(rig.apic.nextEvent(), 1_000 + 3 * divide, `code ${code}`);
      rig.tsc = 1_000 + divide;
      strictEqual(rig.apic.read32(CURRENT_COUNT), 2, `code ${code}`);
      rig.tsc = 1_000 + 3 * divide - 1;
      strictEqual(rig.apic.pendingVector(), -1, `code ${code}`);
      rig.tsc = 1_000 + 3 * divide;
      strictEqual(rig.apic.pendingVector(), 0x40, `code ${code}`);
    }
  });

  await t.step("bit 2 of the divide register is not part of the code", () => {
    const rig = new Rig().enable();
    rig.apic.write32(DIVIDE, 0b0100); // reads as 000: ÷2
    rig.apic.write32(LVT_TIMER, 0x40);
    rig.apic.write32(INITIAL_COUNT, 5);
    strictEqual(rig.apic.nextEvent(), 10);
  });

  await t.step("writing 0 to the initial count stops the timer", () => {
    const rig = new Rig().enable();
    rig.apic.write32(LVT_TIMER, PERIODIC | 0x40);
    rig.apic.write32(INITIAL_COUNT, 100);
    rig.tsc = 50;
    rig.apic.write32(INITIAL_COUNT, 0);
    strictEqual(rig.apic.nextEvent(), undefined);
    strictEqual(rig.apic.read32(CURRENT_COUNT), 0);
    rig.tsc = 10_000;
    strictEqual(rig.apic.pendingVector(), -1);
  });

  await t.step("a new initial count restarts the countdown", () => {
    const rig = new Rig().enable();
    rig.apic.write32(DIVIDE, 0xb);
    rig.apic.write32(LVT_TIMER, 0x40);
    rig.apic.write32(INITIAL_COUNT, 100);
    rig.tsc = 90;
    rig.apic.write32(INITIAL_COUNT, 100);
    strictEqual(rig.apic.nextEvent(), 190);
    rig.tsc = 100;
    strictEqual(rig.apic.pendingVector(), -1);
  });

  await t.step("an illegal timer vector sets ESR bit 6 when it fires", () => {
    const rig = new Rig().enable();
    rig.apic.write32(DIVIDE, 0xb);
    rig.apic.write32(LVT_TIMER, 0x05);
    rig.apic.write32(INITIAL_COUNT, 1);
    rig.tsc = 1;
    strictEqual(rig.apic.pendingVector(), -1);
    strictEqual(rig.apic.read32(IRR), 0);
    strictEqual(rig.esr(), 0x40);
  });
});

Deno.test("LocalApic interrupt command register", async (t) => {
  await t.step("a write to ICR low sends both halves to onIpi", () => {
    const sent: [number, number][] = [];
    const apic = new LocalApic({
      id: 0,
      now: () => 0,
      onIpi: (low, high) => sent.push([low, high]),
    });
    apic.write32(ICR_HIGH, 0x0300_0000); // destination APIC 3
    deepStrictEqual(sent, []); // the high half alone sends nothing
    apic.write32(ICR_LOW, 0x0000_4050); // fixed, assert, vector 0x50
    deepStrictEqual(sent, [[0x4050, 0x0300_0000]]);
    strictEqual(apic.read32(ICR_LOW) & 0x1000, 0); // delivery status idle
    strictEqual(apic.read32(ICR_HIGH), 0x0300_0000);
  });

  await t.step("INIT and SIPI as an AP start-up sends them", () => {
    const sent: number[] = [];
    const apic = new LocalApic({
      id: 0,
      now: () => 0,
      onIpi: (low) => sent.push(low),
    });
    apic.write32(ICR_HIGH, 0x0100_0000);
    apic.write32(ICR_LOW, 0x0000_c500); // INIT, level assert
    apic.write32(ICR_LOW, 0x0000_0608); // SIPI, trampoline page 0x8000
    deepStrictEqual(sent, [0xc500, 0x0608]);
    apic.write32(ESR, 0);
    strictEqual(apic.read32(ESR), 0); // a SIPI's vector may be below 16
  });

  await t.step("a fixed IPI with vector below 16 sets ESR bit 5", () => {
    const rig = new Rig().enable();
    rig.apic.write32(ICR_LOW, 0x0004_000e); // self, fixed, vector 14
    strictEqual(rig.esr(), 0x20);
  });

  await t.step("ICR keeps its defined bits only", () => {
    const { apic } = new Rig();
    apic.write32(ICR_LOW, 0xffff_ffff);
    apic.write32(ICR_HIGH, 0xffff_ffff);
    strictEqual(apic.read32(ICR_LOW), 0x000c_cfff);
    strictEqual(apic.read32(ICR_HIGH), 0xff00_0000);
  });
});
