/**
 * The kernel image of the "contended, 2 CPUs" bench group: CPU 0 and CPU 1
 * take one lock in turn, {@linkcode PAIRS} times each.
 *
 * @module
 */
import { kernelImage } from "../machine/kernel_image.ts";
import type { Cpu } from "../machine/cpu/cpu.ts";
import { MemoryTypes } from "../sync/memory_type.ts";
import { Mutex } from "../sync/mutex.ts";
import { RwLock } from "../sync/rw_lock.ts";
import { TicketMutex } from "../sync/ticket_mutex.ts";

/** Lock + release pairs per CPU and run. */
export const PAIRS = 100_000;
const BARRIER = 0x20_0000;
const DONE = 0x20_0004;
const LOCK = 0x20_1000;

/** The contenders, by the STARTUP vector that starts them on CPU 1. */
export const CONTENDERS = {
  "bare CAS + store on one word": 0x08,
  "Mutex.inMemory": 0x09,
  "TicketMutex.inMemory": 0x0a,
  "RwLock.inMemory write": 0x0b,
} as const;

type Name = keyof typeof CONTENDERS;

function words(cpu: Cpu): Int32Array {
  return new Int32Array(cpu.memory.buffer);
}

/** Both CPUs arrive before either starts. */
export function meet(cpu: Cpu): void {
  const w = words(cpu);
  Atomics.add(w, BARRIER / 4, 1);
  while (Atomics.load(w, BARRIER / 4) < 2) cpu.pause();
}

/** Waits on CPU 0 until CPU 1 is done. */
export function waitForCpu1(cpu: Cpu): void {
  while (Atomics.load(words(cpu), DONE / 4) === 0) cpu.pause();
}

/** The loop of each contender. */
export const LOOPS: Record<Name, (cpu: Cpu) => void> = {
  "bare CAS + store on one word"(cpu) {
    const w = words(cpu);
    const at = LOCK / 4;
    for (let i = 0; i < PAIRS; i++) {
      while (Atomics.compareExchange(w, at, 0, 1) !== 0) cpu.pause();
      Atomics.store(w, at, 0);
    }
  },
  "Mutex.inMemory"(cpu) {
    const lock = Mutex.inMemory(cpu.memory, LOCK, MemoryTypes.u32);
    for (let i = 0; i < PAIRS; i++) lock.lock()[Symbol.dispose]();
  },
  "TicketMutex.inMemory"(cpu) {
    const lock = TicketMutex.inMemory(cpu.memory, LOCK, MemoryTypes.u32);
    for (let i = 0; i < PAIRS; i++) lock.lock()[Symbol.dispose]();
  },
  "RwLock.inMemory write"(cpu) {
    const lock = RwLock.inMemory(cpu.memory, LOCK, MemoryTypes.u32);
    for (let i = 0; i < PAIRS; i++) lock.write()[Symbol.dispose]();
  },
};

export default kernelImage(import.meta.url, (code) => {
  for (const [name, vector] of Object.entries(CONTENDERS)) {
    code.register(vector * 0x1000, (cpu) => {
      meet(cpu);
      LOOPS[name as Name](cpu);
      Atomics.store(words(cpu), DONE / 4, 1);
    });
  }
});
