import type { Cpu } from "./cpu/cpu.ts";
import { bindCpu } from "./current_cpu.ts";
import { type MachineReport, MachineStopped } from "./machine_report.ts";
import type { Interconnect } from "./smp/interconnect.ts";

/**
 * Runs `body` on `cpu` until the CPU stops — `body` returning counts as a
 * stop — and publishes the CPU's report to the other CPUs. A debug exit or
 * triple fault ends the machine for every CPU.
 *
 * @param cpu The CPU, bound to the calling thread while `body` runs.
 * @param link What the machine's CPUs share.
 * @param body The code.
 * @param flush Flushes the CPU's serial output, before the report.
 * @returns The CPU's report.
 * @throws Whatever a bug in `body` throws (simulated faults do not).
 */
export function runOnCpu(
  cpu: Cpu,
  link: Interconnect,
  body: () => void,
  flush: () => void,
): MachineReport {
  const previous = bindCpu(cpu);
  try {
    body();
    cpu.stop({
      reason: "returned",
      exitStatus: 0,
      message: "the entry function returned",
    });
  } catch (error) {
    if (!(error instanceof MachineStopped) || error.report !== cpu.report) {
      throw error;
    }
  } finally {
    bindCpu(previous);
    flush();
  }
  const report = cpu.report!;
  if (report.reason === "debug-exit" || report.reason === "triple-fault") {
    link.end(cpu.id, report.exitStatus);
  }
  link.stopped(cpu.id, JSON.stringify(report));
  return report;
}
