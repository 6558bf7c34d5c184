import { strictEqual } from "node:assert/strict";
import {
  Machine,
  type MachineOptions,
  type MachineReport,
  MemorySink,
} from "../../machine/mod.ts";

function boot(body: () => void, options: MachineOptions): MachineReport {
  return new Machine({ ramSize: 1 << 20, sink: new MemorySink(), ...options })
    .run(body);
}

/**
 * Runs `body` on a fresh 1 MiB machine whose COM1 goes to memory, and
 * checks that no fault cut it short (so every assertion in it ran).
 */
export function run(
  body: () => void,
  options: MachineOptions = {},
): MachineReport {
  const report = boot(body, options);
  strictEqual(report.tripleFault, undefined, report.message);
  return report;
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
  const report = boot(body, options);
  strictEqual(report.reason, "triple-fault", report.message);
  strictEqual(report.tripleFault?.vector, 13);
  strictEqual(report.tripleFault?.errorCode, 0);
  return report;
}
