// The kernel image of memory/heap_two_cpus_test.ts: the BSP and CPU 1
// (each a Worker over the same RAM) allocate, check and free blocks of one
// heap at once, each through a view of its own, under a Mutex.inMemory at
// the heap's lock word. Every CPU's Worker loads this module, so the
// views and the lock are made where they are used, from addresses.
import { kernelImage } from "../../machine/kernel_image.ts";
import type { Cpu } from "../../machine/cpu/cpu.ts";
import { Mutex } from "../../sync/mutex.ts";
import { Heap } from "../heap.ts";

/** The heap, formatted by the BSP before it starts CPU 1. */
export const HEAP = 0x40_0000;
/** Its size: small enough that the CPUs fill it and meet out of memory. */
export const HEAP_SIZE = 1 << 20;
/** Allocations per CPU. */
export const ROUNDS = 50_000;
/** Where the CPUs meet before they start, and where CPU 1 says it is done. */
const BARRIER = 0x20_0000;
const DONE = 0x20_0004;
/** Per CPU (4 bytes each): blocks found overwritten; allocations made. */
export const DAMAGED = 0x20_0010;
export const MADE = 0x20_0020;
/** The STARTUP vector of CPU 1's entry. */
export const VECTOR = 0x08;

function words(cpu: Cpu): Int32Array {
  return new Int32Array(cpu.memory.buffer);
}

function meet(cpu: Cpu): void {
  const w = words(cpu);
  Atomics.add(w, BARRIER / 4, 1);
  while (Atomics.load(w, BARRIER / 4) < 2) cpu.pause();
}

/** Waits on the BSP until CPU 1 has run its body. */
export function waitForCpu1(cpu: Cpu): void {
  while (Atomics.load(words(cpu), DONE / 4) === 0) cpu.pause();
}

/**
 * Allocates ROUNDS blocks of 8 B to 9 KiB, holding up to 64 at a time;
 * writes a stamp (CPU, number) at both ends of each, and checks it before
 * freeing the block.
 */
export function churn(cpu: Cpu): void {
  const memory = cpu.memory;
  const heap = Heap.attach(memory, HEAP);
  const lock = Mutex.inMemory(memory, HEAP, undefined, { name: "heap" });
  const live: [pointer: number, size: number, stamp: number][] = [];
  let seed = 0x9e37_79b9 ^ cpu.id;
  const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
  let damaged = 0;
  let made = 0;
  const free = (index: number) => {
    const [pointer, size, stamp] = live.splice(index, 1)[0]!;
    if (
      memory.readU32(pointer) !== stamp ||
      memory.readU32(pointer + size - 4) !== stamp
    ) damaged++;
    using _held = lock.lock();
    heap.dealloc(pointer, size, 8);
  };
  meet(cpu);
  for (let i = 0; i < ROUNDS; i++) {
    const size = 8 + (random() % (random() % 4 === 0 ? 9000 : 200));
    let pointer: number | undefined;
    {
      using _held = lock.lock();
      pointer = heap.alloc(size, 8);
    }
    if (pointer !== undefined) {
      const stamp = ((cpu.id << 24) | i) >>> 0;
      memory.writeU32(pointer, stamp);
      memory.writeU32(pointer + size - 4, stamp);
      live.push([pointer, size, stamp]);
      made++;
    }
    if (live.length === 64 || (pointer === undefined && live.length > 0)) {
      free(random() % live.length);
    }
  }
  while (live.length > 0) free(live.length - 1);
  memory.writeU32(DAMAGED + 4 * cpu.id, damaged);
  memory.writeU32(MADE + 4 * cpu.id, made);
}

export default kernelImage(import.meta.url, (code) => {
  code.register(VECTOR * 0x1000, (cpu) => {
    churn(cpu);
    Atomics.store(words(cpu), DONE / 4, 1);
  });
});
