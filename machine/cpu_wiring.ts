import type { Cpu } from "./cpu/cpu.ts";
import { Reg } from "./cpu/register_file.ts";
import { hex } from "./_hex.ts";
import { DebugExit } from "./devices/debug_exit.ts";
import { LocalApic } from "./devices/local_apic.ts";
import type { Pic8259Pair } from "./devices/pic_8259.ts";
import type { MachineReportInit } from "./machine_report.ts";
import type { Interconnect } from "./smp/interconnect.ts";

/**
 * Gives `cpu` its local APIC and connects it: APIC registers where
 * IA32_APIC_BASE places them, IPIs over the interconnect, and — on the
 * bootstrap processor, which has the `pic` — the 8259 PIC through LINT0.
 *
 * @param cpu The CPU.
 * @param link What the machine's CPUs share.
 * @param pic The PIC pair, for the CPU wired to it.
 * @param halting Called when the CPU waits in `hlt` (flushes its COM1 line).
 * @returns The CPU's local APIC.
 */
export function wireCpu(
  cpu: Cpu,
  link: Interconnect,
  pic?: Pic8259Pair,
  halting?: () => void,
): LocalApic {
  // The BSP's APIC starts in virtual-wire mode, as a BIOS leaves it.
  const apic = new LocalApic({
    id: cpu.id,
    now: () => cpu.tsc.read(),
    virtualWire: pic !== undefined,
    onIpi: (low, high) => link.sendIpi(cpu.id, low, high),
  });
  // IA32_APIC_BASE places the registers (bits 51..12) and turns the APIC
  // on or off (bit 11); with it off, the PIC drives INTR itself.
  const regs = cpu.registers;
  const enabled = () => (regs.low(Reg.APIC_BASE) & 0x800) !== 0;
  const offset = (pa: number) =>
    enabled()
      ? pa -
        (regs.high(Reg.APIC_BASE) * 2 ** 32 +
          ((regs.low(Reg.APIC_BASE) & 0xffff_f000) >>> 0))
      : -1;
  cpu.mmio = {
    read32: (pa) => {
      const at = offset(pa);
      return at >= 0 && at < 0x1000 ? apic.read32(at) : undefined;
    },
    write32: (pa, value) => {
      const at = offset(pa);
      if (at >= 0 && at < 0x1000) apic.write32(at, value);
    },
  };
  const accept = (vector: number) => apic.requestInterrupt(vector);
  const picRequested = () => pic !== undefined && pic.interruptRequested;
  let ender = -1;
  let request: Omit<MachineReportInit, "cpu" | "tsc" | "registers">;
  cpu.interrupts = {
    take(): number {
      link.drain(cpu.id, accept);
      if (!enabled()) return picRequested() ? pic!.acknowledge() : -1;
      const vector = apic.pendingVector();
      if (vector >= 0) return apic.acknowledge(vector);
      return apic.acceptsExtInt && picRequested() ? pic!.acknowledge() : -1;
    },
    nextEvent: () => enabled() ? apic.nextEvent() : undefined,
    stopRequest() {
      const end = link.endedBy();
      if (end === undefined || end.cpu === cpu.id) return undefined;
      if (end.cpu !== ender) {
        ender = end.cpu;
        request = {
          reason: "stopped",
          exitStatus: end.exitStatus,
          message: `CPU ${end.cpu} ended the machine`,
        };
      }
      return request!;
    },
    idle: (timeoutMs) => link.idle(cpu.id, timeoutMs),
    ...(halting === undefined ? {} : { halting }),
  };
  return apic;
}

/**
 * The debug-exit device as `cpu` reaches it: a write stops that CPU with
 * reason `"debug-exit"`, which ends the machine.
 *
 * @param cpu The CPU whose I/O bus it sits on.
 * @returns The device, to attach to that bus.
 */
export function debugExitFor(cpu: Cpu): DebugExit {
  return new DebugExit((status) =>
    cpu.stop({
      reason: "debug-exit",
      exitStatus: status,
      message: `debug exit with value ${hex((status - 1) / 2, 1)}`,
    })
  );
}
