import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Machine, MemorySink, ScriptedSource } from "../../machine/mod.ts";
import { readU32, writeU32 } from "../../memory/virtual_memory.ts";
import { Msr, wrmsr } from "./msr.ts";
import { cli, hlt, readTsc, sti } from "./instructions.ts";
import { InterruptManager } from "./interrupt_manager.ts";
import { Port } from "./port.ts";

// The local APIC timer (SDM 3A §11.5.4): the current count decrements once
// every `divide` bus ticks — TSC ticks here — from the initial count, and
// fires the LVT timer vector at 0; periodic mode reloads it. The 8259A PIC
// remapped to 0x20/0x28 (ICW1 0x11, ICW2 offset, ICW3 cascade, ICW4 0x01).

const APIC = 0xfee0_0000;

function armTimer(
  vector: number,
  mode: "one-shot" | "periodic",
  count: number,
): void {
  writeU32(APIC + 0xf0, 0x1ff); // software enable, spurious 0xFF
  writeU32(APIC + 0x3e0, 0b0011); // divide by 16
  writeU32(APIC + 0x320, (mode === "periodic" ? 1 << 17 : 0) | vector);
  writeU32(APIC + 0x380, count);
}

function remapPic(): void {
  const command = [new Port(0x20), new Port(0xa0)];
  const data = [new Port(0x21), new Port(0xa1)];
  command[0]!.write(0x11);
  command[1]!.write(0x11);
  data[0]!.write(0x20);
  data[1]!.write(0x28);
  data[0]!.write(0x04);
  data[1]!.write(0x02);
  data[0]!.write(0x01);
  data[1]!.write(0x01);
}

Deno.test("local APIC timer", async (t) => {
  await t.step(
    "one-shot: fires once, initial count × divide TSC ticks later",
    () => {
      const fired: bigint[] = [];
      let start = 0n;
      const report = new Machine({ ramSize: 2 << 20, sink: new MemorySink() })
        .run(() => {
          const idt = new InterruptManager();
          idt.registerHandler(0x40, () => {
            fired.push(readTsc());
            writeU32(APIC + 0xb0, 0);
          });
          idt.load();
          start = readTsc();
          armTimer(0x40, "one-shot", 1000);
          sti();
          hlt(); // sleeps until the timer fires
          cli();
        });
      strictEqual(report.reason, "returned", report.message);
      strictEqual(fired.length, 1);
      // 16,000 ticks after the initial-count write (made at `start`), plus
      // the 25 cycles of the handler's own rdtsc on the virtual clock.
      strictEqual(fired[0]! - start, 16_000n + 25n);
    },
  );

  await t.step("periodic: fires every period", () => {
    const fired: bigint[] = [];
    const report = new Machine({ ramSize: 2 << 20, sink: new MemorySink() })
      .run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(0x41, () => {
          fired.push(readTsc());
          writeU32(APIC + 0xb0, 0);
        });
        idt.load();
        armTimer(0x41, "periodic", 500);
        sti();
        while (fired.length < 5) hlt();
        cli();
      });
    strictEqual(report.reason, "returned", report.message);
    const periods = fired.slice(1).map((tsc, i) => tsc - fired[i]!);
    deepStrictEqual(periods, [8000n, 8000n, 8000n, 8000n]);
  });

  await t.step(
    "a masked LVT timer never fires: hlt then halts the machine",
    () => {
      let fired = false;
      const report = new Machine({ ramSize: 2 << 20, sink: new MemorySink() })
        .run(() => {
          const idt = new InterruptManager();
          idt.registerHandler(0x42, () => fired = true);
          idt.load();
          armTimer(0x42, "one-shot", 1000);
          writeU32(APIC + 0x320, 1 << 16 | 0x42); // masked
          sti();
          hlt();
        });
      strictEqual(report.reason, "halted");
      strictEqual(fired, false);
    },
  );
});

Deno.test("8259 PIC and COM1", async (t) => {
  await t.step(
    "received bytes raise IRQ 4, delivered as vector 0x24 after the remap",
    () => {
      const received: number[] = [];
      const report = new Machine({
        ramSize: 2 << 20,
        sink: new MemorySink(),
        source: new ScriptedSource("hi"),
      }).run(() => {
        const idt = new InterruptManager();
        idt.registerHandler(0x24, () => {
          while (new Port(0x3fd).read() & 1) {
            received.push(new Port(0x3f8).read());
          }
          new Port(0x20).write(0x20); // EOI
        });
        idt.load();
        remapPic();
        new Port(0x21).write(0xff & ~(1 << 4)); // unmask IRQ 4 only
        new Port(0xa1).write(0xff);
        new Port(0x3fb).write(0x03); // 8N1
        new Port(0x3fc).write(0x08); // OUT2: the card drives the IRQ line
        new Port(0x3f9).write(0x01); // IER: received data available
        sti();
        while (received.length < 2) hlt();
        cli();
      });
      strictEqual(report.reason, "returned", report.message);
      deepStrictEqual(received, [0x68, 0x69]);
    },
  );

  await t.step("a masked IRQ 4 is not delivered, and hlt halts", () => {
    let delivered = false;
    const report = new Machine({
      ramSize: 2 << 20,
      sink: new MemorySink(),
      source: new ScriptedSource("x"),
    }).run(() => {
      const idt = new InterruptManager();
      idt.registerHandler(0x24, () => delivered = true);
      idt.load();
      remapPic();
      new Port(0x21).write(0xff);
      new Port(0xa1).write(0xff);
      new Port(0x3fc).write(0x08);
      new Port(0x3f9).write(0x01);
      sti();
      hlt();
    });
    strictEqual(report.reason, "halted");
    strictEqual(delivered, false);
  });
});

Deno.test("IA32_APIC_BASE places and enables the local APIC (SDM 3A §11.4.4)", () => {
  const seen: number[] = [];
  const report = new Machine({ ramSize: 2 << 20, sink: new MemorySink() }).run(
    () => {
      seen.push(readU32(APIC + 0x30)); // version register
      wrmsr(Msr.IA32_APIC_BASE, 0xfee0_0000); // EN (bit 11) clear: the APIC is off
      seen.push(readU32(APIC + 0x30)); // nothing answers: all ones
      wrmsr(Msr.IA32_APIC_BASE, 0xfee0_0800);
      seen.push(readU32(APIC + 0x30));
    },
  );
  strictEqual(report.reason, "returned", report.message);
  deepStrictEqual(seen, [0x0005_0014, 0xffff_ffff, 0x0005_0014]);
});
