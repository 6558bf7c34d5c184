/**
 * Starting and stopping the application processors from the BSP: the
 * INIT–STARTUP sequence of the MP specification through the local APIC's
 * ICR, and a stop IPI for `halt`.
 *
 * @module
 */
import { pause, readTsc } from "@exo-kernel/core/arch/x86_64";
import { readU32, writeU32 } from "@exo-kernel/core/memory";
import { Apic, apicWrite, Vector } from "./interrupts.ts";
import {
  BOOT_PARAMS,
  BootParams,
  kernelVirtual,
  PerCpu,
  perCpuPage,
  TSC_HZ,
} from "./memory_layout.ts";
import { AP_STARTUP_VECTOR } from "./kernel_image.ts";

/** ICR delivery mode INIT, level assert (SDM 3A figure 11-12). */
const INIT = 0x4500;
/** ICR delivery mode STARTUP. */
const STARTUP = 0x4600;
/** ICR shorthand "all excluding self". */
const ALL_BUT_SELF = 3 << 18;

function waitUntil(done: () => boolean, ms: number): boolean {
  const deadline = readTsc() + BigInt(Math.round(ms * TSC_HZ / 1000));
  while (!done()) {
    if (readTsc() > deadline) return false;
    pause();
  }
  return true;
}

/**
 * Starts CPUs 1 to `cpus − 1`: for each, INIT then STARTUP with the
 * trampoline's vector (0x08), and waits until it says it is online.
 *
 * @param cpus The machine's CPU count.
 * @param timeoutMs How long to wait for each.
 * @returns The CPUs that did not come online.
 */
export function startAps(cpus: number, timeoutMs = 5000): number[] {
  const late: number[] = [];
  for (let id = 1; id < cpus; id++) {
    apicWrite(Apic.ICR_HIGH, id << 24);
    apicWrite(Apic.ICR_LOW, INIT);
    apicWrite(Apic.ICR_HIGH, id << 24);
    apicWrite(Apic.ICR_LOW, STARTUP | AP_STARTUP_VECTOR);
  }
  for (let id = 1; id < cpus; id++) {
    const online = kernelVirtual(perCpuPage(id)) + PerCpu.ONLINE;
    if (!waitUntil(() => readU32(online) === 1, timeoutMs)) late.push(id);
  }
  return late;
}

/**
 * Stops every other CPU for `halt`: a stop IPI to all but self, then
 * waits until each has said it stopped.
 *
 * @param cpus The machine's CPU count.
 * @returns How many stopped.
 */
export function stopOtherCpus(cpus: number): number {
  apicWrite(Apic.ICR_HIGH, 0);
  apicWrite(Apic.ICR_LOW, ALL_BUT_SELF | Vector.STOP);
  let stopped = 0;
  for (let id = 1; id < cpus; id++) {
    const flag = kernelVirtual(perCpuPage(id)) + PerCpu.STOPPED;
    if (readU32(kernelVirtual(perCpuPage(id)) + PerCpu.ONLINE) !== 1) continue;
    if (waitUntil(() => readU32(flag) === 1, 1000)) stopped++;
  }
  return stopped;
}

/**
 * How many CPUs are online (the BSP counts itself at boot).
 *
 * @returns The count in the boot parameters.
 */
export function cpusOnline(): number {
  return readU32(BOOT_PARAMS + BootParams.CPUS_ONLINE + kernelVirtual(0));
}

/**
 * Leaves the kernel's CR3 and CR4 in the boot parameters for the APs'
 * trampoline, and sets the count of CPUs online to 1 (the BSP).
 *
 * @param cr3 The kernel's CR3.
 * @param cr4 The kernel's CR4.
 * @param cpus The machine's CPU count.
 */
export function writeBootParams(cr3: number, cr4: number, cpus: number): void {
  const params = kernelVirtual(BOOT_PARAMS);
  writeU32(params + BootParams.KERNEL_CR3, cr3);
  writeU32(params + BootParams.KERNEL_CR4, cr4);
  writeU32(params + BootParams.CPU_COUNT, cpus);
  writeU32(params + BootParams.CPUS_ONLINE, 1);
}
