import { strictEqual } from "node:assert/strict";
import {
  Machine,
  type MachineOptions,
  type MachineReport,
  MemorySink,
} from "../../machine/mod.ts";

/** Runs `body` on a fresh 1 MiB machine whose COM1 goes to memory. */
export function run(
  body: () => void,
  options: MachineOptions = {},
): MachineReport {
  return new Machine({ ramSize: 1 << 20, sink: new MemorySink(), ...options })
    .run(body);
}

/**
 * Runs `body` and checks that it raised #GP(0) which, with no IDT, ended in
 * a triple fault (SDM 3A table 6-5: #GP while delivering #GP is #DF, any
 * fault while delivering #DF shuts down).
 */
export function expectGp0(
  body: () => void,
  options: MachineOptions = {},
): MachineReport {
  const report = run(body, options);
  strictEqual(report.reason, "triple-fault", report.message);
  strictEqual(report.tripleFault?.vector, 13);
  strictEqual(report.tripleFault?.errorCode, 0);
  return report;
}
