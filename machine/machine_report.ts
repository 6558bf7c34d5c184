import { hex } from "./_hex.ts";
import type { RegisterSnapshot } from "./cpu/cpu.ts";
import { vectorName } from "./cpu/exceptions.ts";

/**
 * Why a machine stopped:
 * - `"halted"`: `hlt` with nothing that could ever wake the CPU;
 * - `"debug-exit"`: a write to the debug-exit port;
 * - `"triple-fault"`: an exception that could not be delivered (shutdown);
 * - `"returned"`: the entry function returned, which a real kernel's
 *   `_start` never does.
 */
export type StopReason = "halted" | "debug-exit" | "triple-fault" | "returned";

/** The exception that led to a triple fault, and how it got there. */
export interface TripleFault {
  /** The vector of the first exception. */
  readonly vector: number;
  /** Its error code (0 where the vector pushes none). */
  readonly errorCode: number;
  /** RIP when it was raised. */
  readonly rip: bigint;
  /** CR2 when it was raised. */
  readonly cr2: bigint;
  /** One line for the exception and one for each fault that followed it. */
  readonly chain: readonly string[];
}

/** The fields of a {@linkcode MachineReport}. */
export interface MachineReportInit {
  /** Why the machine stopped. */
  readonly reason: StopReason;
  /**
   * The exit status: 0 when halted or returned, `(v << 1) | 1` for a
   * debug exit with value `v`, 2 for a triple fault.
   */
  readonly exitStatus: number;
  /** One line that says why, in words. */
  readonly message: string;
  /** The stopping CPU's number. */
  readonly cpu: number;
  /** Its time-stamp counter when it stopped. */
  readonly tsc: bigint;
  /** Its registers when it stopped. */
  readonly registers: RegisterSnapshot;
  /** For a triple fault, the exception and the chain that followed it. */
  readonly tripleFault?: TripleFault | undefined;
}

/**
 * Why and how a machine stopped, as `Machine.run` returns it.
 *
 * @example A report prints as a CPU dump
 * ```ts
 * import { match } from "node:assert/strict";
 * import { Machine } from "./machine.ts";
 *
 * const report = new Machine().run(() => {});
 * match(report.toString(), /returned/);
 * ```
 */
export class MachineReport {
  /** Why the machine stopped. */
  readonly reason: StopReason;
  /** The exit status, see {@linkcode MachineReportInit.exitStatus}. */
  readonly exitStatus: number;
  /** One line that says why, in words. */
  readonly message: string;
  /** The stopping CPU's number. */
  readonly cpu: number;
  /** Its time-stamp counter when it stopped. */
  readonly tsc: bigint;
  /** Its registers when it stopped. */
  readonly registers: RegisterSnapshot;
  /** For a triple fault, the exception and the chain that followed it. */
  readonly tripleFault: TripleFault | undefined;

  /**
   * Builds a report.
   *
   * @param init Its fields.
   */
  constructor(init: MachineReportInit) {
    this.reason = init.reason;
    this.exitStatus = init.exitStatus;
    this.message = init.message;
    this.cpu = init.cpu;
    this.tsc = init.tsc;
    this.registers = init.registers;
    this.tripleFault = init.tripleFault;
  }

  /**
   * The report as text: the reason, the fault chain and a register dump.
   *
   * @returns Several lines of text.
   */
  toString(): string {
    const r = this.registers;
    const lines = [
      `Machine stopped (${this.reason}, exit status ${this.exitStatus}) on CPU ${this.cpu}: ${this.message}`,
    ];
    const fault = this.tripleFault;
    if (fault !== undefined) {
      lines.push(
        `  first exception: ${vectorName(fault.vector)} error code ${
          hex(fault.errorCode, 4)
        } RIP ${hex(fault.rip)} CR2 ${hex(fault.cr2)}`,
        ...fault.chain.map((step) => `    ${step}`),
      );
    }
    const row = (names: (keyof RegisterSnapshot)[]) =>
      "  " +
      names.map((n) => `${n.toUpperCase().padEnd(6)} ${hex(r[n])}`).join("  ");
    lines.push(
      row(["rax", "rbx", "rcx"]),
      row(["rdx", "rsi", "rdi"]),
      row(["rbp", "rsp", "r8"]),
      row(["r9", "r10", "r11"]),
      row(["r12", "r13", "r14"]),
      row(["r15", "rip", "rflags"]),
      row(["cr0", "cr2", "cr3"]),
      row(["cr4", "cr8", "efer"]),
      `  CS ${hex(r.cs, 4)}  SS ${hex(r.ss, 4)}  TSC ${this.tsc}`,
    );
    return lines.join("\n");
  }
}

/**
 * Thrown out of the code running on a CPU when the machine stops, to unwind
 * it back to `Machine.run`, which returns the report. Kernel code should let
 * it pass: the machine has stopped.
 */
export class MachineStopped extends Error {
  /** Why and how the machine stopped. */
  readonly report: MachineReport;

  /**
   * Builds the signal.
   *
   * @param report Why and how the machine stopped.
   */
  constructor(report: MachineReport) {
    super(`The machine has stopped: ${report.message}`);
    this.name = "MachineStopped";
    this.report = report;
  }
}
