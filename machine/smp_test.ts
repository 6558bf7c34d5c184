import { match, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { bootStackTop } from "./boot_info.ts";
import type { Cpu } from "./cpu/cpu.ts";
import { Machine } from "./machine.ts";
import { MemorySink } from "./serial_sink.ts";
import { ApError } from "./smp/ap_error.ts";
import image, {
  BUG_ENTRY,
  COUNT_ENTRY,
  COUNTERS,
  EXIT_ENTRY,
  HELLO_ENTRY,
  IDLE_ENTRY,
  TSC_ENTRY,
  TSC_SEEN,
} from "./testdata/smp_image.ts";

// ICR (SDM 3A figure 11-12): delivery mode bits 10..8, level bit 14,
// shorthand bits 19..18, destination bits 63..56.
const STARTUP = 0x600;
const FIXED = 0x000;
const INIT = 0x500;
const ASSERT = 0x4000;
const ALL_BUT_SELF = 0xc_0000;
const ICR_LOW = 0xfee0_0300;
const ICR_HIGH = 0xfee0_0310;

function sendIpi(cpu: Cpu, low: number, destination = 0): void {
  cpu.writeU32(ICR_HIGH, destination << 24);
  cpu.writeU32(ICR_LOW, low);
}

function startup(cpu: Cpu, entry: number, destination?: number): void {
  const vector = entry / 0x1000;
  if (destination === undefined) {
    sendIpi(cpu, INIT | ASSERT | ALL_BUT_SELF);
    sendIpi(cpu, STARTUP | ASSERT | ALL_BUT_SELF | vector);
  } else {
    sendIpi(cpu, INIT | ASSERT, destination);
    sendIpi(cpu, STARTUP | ASSERT | vector, destination);
  }
}

Deno.test("INIT-SIPI to all but self starts every AP at vector × 4096, and COM1 lines of all CPUs reach the sink whole", () => {
  const sink = new MemorySink();
  const machine = new Machine({ cpus: 3, image, sink, ramSize: 4 << 20 });
  const report = machine.run(() => startup(machine.cpus[0]!, HELLO_ENTRY));
  strictEqual(report.reason, "returned");
  strictEqual(report.cpus.length, 3);
  for (const id of [1, 2]) {
    const ap = report.cpus[id]!;
    strictEqual(ap.cpu, id);
    strictEqual(ap.reason, "returned");
    strictEqual(ap.registers.rip, 0xc000n);
    strictEqual(ap.registers.rsp, BigInt(bootStackTop(id)));
    strictEqual(ap.registers.cr3, 0x1000n);
  }
  const lines = sink.text().split("\n").sort();
  strictEqual(lines.join("|"), "|hello from CPU 1|hello from CPU 2");
});

Deno.test("a STARTUP IPI to one APIC ID starts that CPU only; the others report that they never started", () => {
  const machine = new Machine({ cpus: 3, image, ramSize: 4 << 20 });
  const report = machine.run(() => startup(machine.cpus[0]!, COUNT_ENTRY, 2));
  strictEqual(report.cpus[1]!.reason, "not-started");
  strictEqual(report.cpus[2]!.reason, "halted");
  strictEqual(machine.memory.readU32(COUNTERS + 8), 1000);
  strictEqual(machine.memory.readU32(COUNTERS + 4), 0);
});

Deno.test("a debug exit on an AP ends the machine: the spinning BSP stops, and the report is the AP's", () => {
  const machine = new Machine({ cpus: 2, image, ramSize: 4 << 20 });
  const report = machine.run(() => {
    const cpu = machine.cpus[0]!;
    startup(cpu, EXIT_ENTRY);
    for (;;) cpu.pause();
  });
  strictEqual(report.reason, "debug-exit");
  strictEqual(report.cpu, 1);
  strictEqual(report.exitStatus, 11);
  strictEqual(report.cpus[0]!.reason, "stopped");
  match(report.cpus[0]!.message, /CPU 1 ended the machine/);
  match(report.toString(), /CPU 0 \(stopped\)/);
});

Deno.test("a fixed IPI wakes an AP from hlt and is delivered through its IDT (none here: a triple fault on the AP)", () => {
  const machine = new Machine({ cpus: 2, image, ramSize: 4 << 20 });
  const report = machine.run(() => {
    const cpu = machine.cpus[0]!;
    startup(cpu, IDLE_ENTRY, 1);
    sendIpi(cpu, FIXED | ASSERT | 0x40, 1);
    for (;;) cpu.pause();
  });
  strictEqual(report.cpu, 1);
  strictEqual(report.reason, "triple-fault");
  strictEqual(report.tripleFault?.vector, 0x40);
});

Deno.test("when every CPU waits in hlt with nothing to wake it, the machine halts", () => {
  const machine = new Machine({ cpus: 2, image, ramSize: 4 << 20 });
  const report = machine.run(() => {
    const cpu = machine.cpus[0]!;
    startup(cpu, IDLE_ENTRY);
    cpu.sti();
    cpu.hlt();
  });
  strictEqual(report.reason, "halted");
  strictEqual(report.cpus[1]!.reason, "halted");
  match(report.message, /no other CPU runs/);
});

Deno.test("a JS error in an AP's code is thrown by run as an ApError", () => {
  const machine = new Machine({ cpus: 2, image, ramSize: 4 << 20 });
  const error = throws(
    () => machine.run(() => startup(machine.cpus[0]!, BUG_ENTRY)),
    ApError,
  );
  void error;
});

Deno.test("CPU counts and images are checked", () => {
  throws(() => new Machine({ cpus: 0 }), RangeError);
  throws(() => new Machine({ cpus: 9, image }), RangeError);
  throws(() => new Machine({ cpus: 2 }), /needs a kernel image/);
  ok(new Machine({ cpus: 2, image, ramSize: 4 << 20 }).cpuCount === 2);
  void rejects;
});

Deno.test("on the host clock the CPUs' TSCs run together: an AP started later reads a later TSC than the BSP read before", () => {
  const machine = new Machine({
    cpus: 2,
    image,
    ramSize: 4 << 20,
    clock: "host",
  });
  let before = 0n;
  const report = machine.run(() => {
    const cpu = machine.cpus[0]!;
    before = cpu.rdtsc();
    startup(cpu, TSC_ENTRY, 1);
  });
  strictEqual(report.cpus[1]!.reason, "returned");
  const seen = machine.memory.readU64(TSC_SEEN);
  ok(seen > before, `AP read ${seen}, the BSP ${before} before starting it`);
});

Deno.test("an image module without a kernel image as its default export fails the run with an ApError that says so", () => {
  const machine = new Machine({
    cpus: 2,
    image: {
      url: new URL("./testdata/not_an_image.ts", import.meta.url).href,
      install() {},
    },
    ramSize: 4 << 20,
  });
  throws(() => machine.run(() => {}), /no kernel image as its default export/);
});

for (const cpus of [1, 2]) {
  Deno.test(`${cpus} CPU(s): a partial COM1 line (a prompt) reaches the sink when the CPU waits in hlt, not only at the next newline`, () => {
    let seenWhileRunning = "";
    let text = "";
    const machine: Machine = new Machine({
      cpus,
      image,
      ramSize: 4 << 20,
      sink: {
        write: (byte) => void (text += String.fromCharCode(byte)),
        flush: () => {
          if (machine.cpus[0]!.report === undefined) seenWhileRunning = text;
        },
      },
    });
    machine.run(() => {
      const cpu = machine.cpus[0]!;
      for (const c of "exo> ") cpu.out8(0x3f8, c.charCodeAt(0));
      cpu.sti();
      cpu.hlt(); // nothing will wake it: the machine halts
    });
    strictEqual(seenWhileRunning, "exo> ");
  });
}
