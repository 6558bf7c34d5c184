/**
 * The Worker of one application processor. It maps the machine's RAM and
 * interconnect, loads the kernel image, reports that it is ready, waits
 * for a STARTUP IPI, then runs the code registered at the start address
 * (vector × 4096) until the CPU stops, and publishes the CPU's report.
 *
 * The AP starts in the state the BSP booted in — long mode on the boot
 * page tables, interrupts off — with RSP at its own boot stack: the work
 * of a real AP's trampoline is done. It reaches COM1 (whose lines join the
 * machine's serial log) and the debug-exit port; the PIC and the other
 * UARTs belong to the BSP.
 *
 * @module
 */
import { bootStackTop } from "../boot_info.ts";
import { BOOT_PML4 } from "../boot_page_tables.ts";
import { CodeSpace } from "../code_space.ts";
import { Cpu } from "../cpu/cpu.ts";
import { Reg } from "../cpu/register_file.ts";
import type { ClockMode } from "../cpu/time_stamp_counter.ts";
import { debugExitFor, wireCpu } from "../cpu_wiring.ts";
import { COM1, Uart16550 } from "../devices/uart_16550.ts";
import { hex } from "../_hex.ts";
import { IoBus } from "../io_bus.ts";
import { isKernelImage } from "../kernel_image.ts";
import { MachineReport } from "../machine_report.ts";
import { PhysicalMemory } from "../physical_memory.ts";
import { runOnCpu } from "../run_on_cpu.ts";
import { Interconnect } from "./interconnect.ts";
import { LogSink } from "./log_sink.ts";

/** What the machine sends each AP's Worker. */
export interface ApStart {
  /** The RAM's buffer. */
  readonly ram: SharedArrayBuffer;
  /** The interconnect's buffer. */
  readonly link: SharedArrayBuffer;
  /** The CPU number. */
  readonly id: number;
  /** The kernel image's module URL. */
  readonly image: string;
  /** MAXPHYADDR. */
  readonly maxPhysAddr: number;
  /** The clock mode. */
  readonly clock: ClockMode;
  /** The TSC frequency. */
  readonly tscHz: number;
  /**
   * When the machine was made (epoch milliseconds): every CPU's TSC counts
   * from there on the host clock, as a PC's TSCs start together.
   */
  readonly powerOn: number;
}

async function start(message: ApStart): Promise<void> {
  const link = new Interconnect(message.link);
  const id = message.id;
  let cpu: Cpu;
  const io = new IoBus();
  try {
    const module = await import(message.image);
    if (!isKernelImage(module.default)) {
      throw new TypeError(
        `${message.image} has no kernel image as its default export: end it with \`export default kernelImage(import.meta.url, (code) => { ... })\``,
      );
    }
    const code = new CodeSpace();
    module.default.install(code);
    cpu = new Cpu({
      id,
      memory: new PhysicalMemory(message.ram),
      io,
      maxPhysAddr: message.maxPhysAddr,
      clock: message.clock,
      tscHz: message.tscHz,
      code,
    });
  } catch (error) {
    link.failed(id, describe(error));
    return;
  }
  const sink = new LogSink(link);
  wireCpu(cpu, link, undefined, () => sink.flush());
  new Uart16550(COM1, { sink }).attach(io);
  debugExitFor(cpu).attach(io);
  if (message.clock === "host") {
    const now = performance.timeOrigin + performance.now();
    cpu.tsc.write(Math.floor((now - message.powerOn) * message.tscHz / 1000));
  }
  cpu.registers.setHalves(Reg.CR3, BOOT_PML4, 0);
  cpu.registers.setHalves(Reg.RSP, bootStackTop(id), 0);
  link.loaded(id);

  const address = link.waitForStartup(id);
  if (address < 0) {
    link.stopped(
      id,
      JSON.stringify(
        new MachineReport({
          reason: "not-started",
          exitStatus: 0,
          message: "never received a STARTUP IPI",
          cpu: id,
          tsc: 0n,
          registers: cpu.snapshot(),
        }),
      ),
    );
    return;
  }
  cpu.registers.setHalves(Reg.RIP, address, 0);
  try {
    runOnCpu(cpu, link, () => code(cpu, address)(cpu), () => sink.flush());
  } catch (error) {
    // A bug in the kernel's code (not a simulated fault): the machine
    // rethrows it on the BSP's thread.
    link.failed(id, `CPU ${id}: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? String(error.stack) : String(error);
}

// The code at the start address, or a stop that says there is none.
function code(cpu: Cpu, address: number): (cpu: Cpu) => void {
  const entry = cpu.code.at(address);
  if (entry !== undefined) return entry;
  return () =>
    cpu.stop({
      reason: "triple-fault",
      exitStatus: 2,
      message: `the STARTUP IPI's vector ${hex(address / 0x1000, 2)} leads to ${
        cpu.code.describe(address)
      }: register the AP's entry there`,
    });
}

// A Worker's global scope receives the machine's message.
(self as unknown as { onmessage: (event: MessageEvent<ApStart>) => void })
  .onmessage = (event) => void start(event.data);
