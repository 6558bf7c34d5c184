import type { ClockMode } from "../cpu/time_stamp_counter.ts";
import type { KernelImage } from "../kernel_image.ts";
import type { RegisterSnapshot } from "../cpu/cpu.ts";
import { REG_NAMES } from "../cpu/register_file.ts";
import { MachineReport } from "../machine_report.ts";
import type { ApStart } from "./ap_worker.ts";
import { ApError } from "./ap_error.ts";
import { CpuState, type Interconnect } from "./interconnect.ts";

const WORKER = new URL("./ap_worker.ts", import.meta.url);
// How long a Worker may take to load the library and the kernel image.
const LOAD_MS = 60_000;
// How long a CPU may run on after the machine ended before its Worker is
// terminated (a JS loop that never reaches an instruction that checks).
const STOP_MS = 2_000;

/**
 * The application processors of one run: a Worker each, started when the
 * run starts and terminated when it ends.
 */
export class ApplicationProcessors {
  #link: Interconnect;
  #workers: Worker[] = [];

  /**
   * Starts a Worker for each CPU but the BSP and waits until each has
   * loaded the kernel image (and so waits for its STARTUP IPI).
   *
   * @param link What the machine's CPUs share.
   * @param ram The RAM's buffer.
   * @param image The kernel image.
   * @param cpu The CPU settings, and when the machine was made.
   * @throws {ApError} If a Worker cannot start or load the image.
   */
  constructor(
    link: Interconnect,
    ram: SharedArrayBuffer,
    image: KernelImage,
    cpu: {
      maxPhysAddr: number;
      clock: ClockMode;
      tscHz: number;
      powerOn: number;
    },
  ) {
    this.#link = link;
    for (const url of [WORKER, new URL(image.url)]) {
      if (
        url.protocol === "file:" &&
        Deno.permissions.querySync({ name: "read", path: url }).state !==
          "granted"
      ) {
        throw new ApError(
          1,
          `its Worker needs read access to ${url.pathname}: run Deno with --allow-read`,
        );
      }
    }
    for (let id = 1; id < link.cpus; id++) {
      const worker = new Worker(WORKER, { type: "module", name: `CPU ${id}` });
      // An error escaping a Worker must not end the host process: the
      // Worker reports it through the interconnect instead.
      worker.onerror = (event) => event.preventDefault();
      const start: ApStart = {
        ram,
        link: link.buffer,
        id,
        image: image.url,
        ...cpu,
      };
      worker.postMessage(start);
      this.#workers.push(worker);
    }
    const deadline = performance.now() + LOAD_MS;
    for (let id = 1; id < link.cpus; id++) {
      for (;;) {
        const seen = link.changes();
        const state = link.loadState(id);
        if (state === 2) {
          this.terminate();
          throw new ApError(id, link.report(id) ?? "");
        }
        if (state === 1) break;
        const left = deadline - performance.now();
        if (left <= 0) {
          this.terminate();
          throw new ApError(
            id,
            `its Worker did not load the kernel image ${image.url} within ${LOAD_MS} ms`,
          );
        }
        link.waitForChange(seen, left);
      }
    }
  }

  /**
   * Waits, after the BSP stopped, until every AP has stopped: the machine
   * ends when no CPU runs. APs that never got a STARTUP IPI are reported as
   * not started once nothing could start them any more.
   *
   * @param copyLog Copies the CPUs' serial lines out while waiting.
   * @returns The reports of CPUs 1 and up.
   * @throws {ApError} If the kernel's code threw a JS error on an AP.
   */
  wait(copyLog: () => void): MachineReport[] {
    const link = this.#link;
    let endedAt: number | undefined;
    for (;;) {
      const seen = link.changes();
      let running = 0, waiting = 0;
      for (let id = 1; id < link.cpus; id++) {
        const state = link.state(id);
        if (state === CpuState.WAIT_FOR_SIPI) waiting++;
        else if (state !== CpuState.STOPPED) running++;
      }
      if (running === 0 && waiting === 0) break;
      // Only a running CPU could still start the waiting ones.
      if (running === 0) link.close();
      if (link.endedBy() !== undefined || link.allIdle()) {
        endedAt ??= performance.now();
        if (performance.now() - endedAt > STOP_MS) break;
      }
      copyLog();
      link.waitForChange(seen, 50);
    }
    return this.#reports();
  }

  /** Terminates the Workers. */
  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }

  #reports(): MachineReport[] {
    const link = this.#link;
    const reports: MachineReport[] = [];
    for (let id = 1; id < link.cpus; id++) {
      if (link.loadState(id) === 2) throw new ApError(id, link.report(id)!);
      const text = link.state(id) === CpuState.STOPPED
        ? link.report(id)
        : undefined;
      if (text !== undefined) {
        reports.push(MachineReport.fromJSON(JSON.parse(text)));
        continue;
      }
      reports.push(
        new MachineReport({
          reason: "stopped",
          exitStatus: link.endedBy()?.exitStatus ?? 0,
          message:
            `did not stop within ${STOP_MS} ms of the machine's end (a JS loop that reaches no instruction): its Worker was terminated`,
          cpu: id,
          tsc: 0n,
          registers: Object.fromEntries(
            REG_NAMES.map((name) => [name.toLowerCase(), 0n]),
          ) as RegisterSnapshot,
        }),
      );
    }
    return reports;
  }
}
