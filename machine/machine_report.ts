import { hex } from "./_hex.ts";
import type { RegisterSnapshot } from "./cpu/cpu.ts";
import { vectorName } from "./cpu/exceptions.ts";

/**
 * Why a machine (or one of its CPUs) stopped:
 * - `"halted"`: `hlt` with nothing that could ever wake the CPU;
 * - `"debug-exit"`: a write to the debug-exit port;
 * - `"triple-fault"`: an exception that could not be delivered (shutdown);
 * - `"returned"`: the entry function returned, which a real kernel's
 *   `_start` never does;
 * - `"stopped"`: another CPU ended the machine (a debug exit or triple
 *   fault there) while this one ran;
 * - `"not-started"`: an application processor that never received a
 *   STARTUP IPI.
 */
export type StopReason =
  | "halted"
  | "debug-exit"
  | "triple-fault"
  | "returned"
  | "stopped"
  | "not-started";

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
  /** The report of every CPU, by number, when the machine has several. */
  readonly cpus?: readonly MachineReport[] | undefined;
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
  #cpus: readonly MachineReport[] | undefined;

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
    this.#cpus = init.cpus;
  }

  /**
   * The report of every CPU, by number: for a machine of one CPU, this
   * report alone. On an SMP machine the report itself is that of the CPU
   * that ended the machine (debug exit or triple fault), else the BSP's.
   *
   * @returns The reports.
   *
   * @example One CPU
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "./machine.ts";
   *
   * const report = new Machine().run(() => {});
   * strictEqual(report.cpus.length, 1);
   * strictEqual(report.cpus[0], report);
   * ```
   */
  get cpus(): readonly MachineReport[] {
    return this.#cpus ?? [this];
  }

  /**
   * The report as plain JSON data (64-bit values as hex strings), which
   * {@linkcode MachineReport.fromJSON} reads back: how a CPU's Worker hands
   * its report to the machine.
   *
   * @returns The fields of one CPU's report.
   *
   * @example A round trip
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Machine } from "./machine.ts";
   *
   * const report = new Machine().run(() => {});
   * const copy = MachineReport.fromJSON(JSON.parse(JSON.stringify(report)));
   * strictEqual(copy.toString(), report.toString());
   * ```
   */
  toJSON(): Record<string, unknown> {
    const hexes = (o: Readonly<Record<string, bigint>>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, hex(v)]));
    const fault = this.tripleFault;
    return {
      reason: this.reason,
      exitStatus: this.exitStatus,
      message: this.message,
      cpu: this.cpu,
      tsc: hex(this.tsc),
      registers: hexes(this.registers),
      tripleFault: fault === undefined ? undefined : {
        ...fault,
        ...hexes({ rip: fault.rip, cr2: fault.cr2 }),
      },
    };
  }

  /**
   * Reads what {@linkcode MachineReport.toJSON} wrote.
   *
   * @param data The parsed JSON.
   * @returns The report.
   */
  // deno-lint-ignore no-explicit-any
  static fromJSON(data: any): MachineReport {
    const big = (text: string) => BigInt(text.replaceAll("_", ""));
    const fault = data.tripleFault;
    return new MachineReport({
      reason: data.reason,
      exitStatus: data.exitStatus,
      message: data.message,
      cpu: data.cpu,
      tsc: big(data.tsc),
      registers: Object.fromEntries(
        Object.entries(data.registers as Record<string, string>).map((
          [k, v],
        ) => [k, big(v)]),
      ) as RegisterSnapshot,
      tripleFault: fault === undefined ? undefined : {
        ...fault,
        rip: big(fault.rip),
        cr2: big(fault.cr2),
      },
    });
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
    for (const other of this.cpus) {
      if (other.cpu === this.cpu) continue;
      lines.push(
        `CPU ${other.cpu} (${other.reason}): ${other.message}, RIP ${
          hex(other.registers.rip)
        }`,
      );
    }
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
