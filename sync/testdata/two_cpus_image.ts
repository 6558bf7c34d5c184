// The kernel image of the two-CPU tests of sync/: each test's body runs on
// the BSP and, started by a STARTUP IPI, on CPU 1. Every CPU's Worker
// loads this module, so the locks are made where they are used, from
// addresses in machine memory.
import { kernelImage } from "../../machine/kernel_image.ts";
import type { Cpu } from "../../machine/cpu/cpu.ts";
import type { PhysicalMemory } from "../../machine/physical_memory.ts";
import { type MemoryType, MemoryTypes } from "../memory_type.ts";
import { Mutex } from "../mutex.ts";
import { Once, OncePoisonedError } from "../once.ts";
import { RwLock } from "../rw_lock.ts";
import { TicketMutex } from "../ticket_mutex.ts";

/** Increments per CPU. */
export const ROUNDS = 1_000_000;
/** Where the CPUs meet before they start, and where CPU 1 says it is done. */
const BARRIER = 0x20_0000;
const DONE = 0x20_0004;
/** The lock (and its data) of each test. */
export const LOCK = 0x20_1000;
/** The counter of the unlocked test. */
export const PLAIN = 0x20_2000;
/** How many times the Once's initialiser ran, and what each CPU got. */
export const RUNS = 0x20_3000;
export const RESULTS = 0x20_3010;
/** The read-locked checks that found the invariant broken, per CPU. */
export const BROKEN = 0x20_3020;

/** Two `u32`s that the writer keeps equal. */
export interface Pair {
  a: number;
  b: number;
}

const PairType: MemoryType<Pair> = {
  name: "Pair",
  size: 8,
  align: 4,
  read: (memory, address) => ({
    a: memory.readU32(address),
    b: memory.readU32(address + 4),
  }),
  write(memory, address, value) {
    memory.writeU32(address, value.a);
    memory.writeU32(address + 4, value.b);
  },
};

/** The tests, by the STARTUP vector that starts them on CPU 1. */
export const TESTS = {
  mutex: 0x08,
  unlocked: 0x09,
  ticket: 0x0a,
  rwLock: 0x0b,
  once: 0x0c,
  poison: 0x0d,
} as const;

/** What the BSP met after CPU 1's initialiser threw: the error's message. */
export const POISON_SEEN = 0x20_4000;

function words(memory: PhysicalMemory): Int32Array {
  return new Int32Array(memory.buffer);
}

// Both CPUs arrive before either starts, so that their loops overlap.
function meet(cpu: Cpu): void {
  const w = words(cpu.memory);
  Atomics.add(w, BARRIER / 4, 1);
  while (Atomics.load(w, BARRIER / 4) < 2) cpu.pause();
}

// Increments the u32 of a lock at LOCK, ROUNDS times, under the lock.
function countUnder(
  cpu: Cpu,
  lock: { lock(): { value: number } & Disposable },
): void {
  meet(cpu);
  for (let i = 0; i < ROUNDS; i++) {
    using g = lock.lock();
    g.value += 1;
  }
}

/** Runs one test's body on the calling CPU. */
export const BODIES: Record<keyof typeof TESTS, (cpu: Cpu) => void> = {
  mutex: (cpu) =>
    countUnder(cpu, Mutex.inMemory(cpu.memory, LOCK, MemoryTypes.u32)),
  unlocked(cpu) {
    const memory = cpu.memory;
    meet(cpu);
    for (let i = 0; i < ROUNDS; i++) {
      memory.writeU32(PLAIN, memory.readU32(PLAIN) + 1);
    }
  },
  ticket: (cpu) =>
    countUnder(cpu, TicketMutex.inMemory(cpu.memory, LOCK, MemoryTypes.u32)),
  rwLock(cpu) {
    const pair = RwLock.inMemory(cpu.memory, LOCK, PairType);
    meet(cpu);
    let broken = 0;
    for (let i = 0; i < ROUNDS; i++) {
      if (i % 4 === 0) {
        using g = pair.write();
        const { a, b } = g.value;
        g.value = { a: a + 1, b: b + 1 };
      } else {
        using g = pair.read();
        const { a, b } = g.value;
        if (a !== b) broken++;
      }
    }
    cpu.memory.writeU32(BROKEN + 4 * cpu.id, broken);
  },
  once(cpu) {
    const once = Once.inMemory(cpu.memory, LOCK, MemoryTypes.u32);
    meet(cpu);
    const value = once.callOnce(() => {
      Atomics.add(words(cpu.memory), RUNS / 4, 1);
      // Long enough for the other CPU to arrive while this one runs.
      for (let i = 0; i < 100_000; i++) cpu.memory.readU32(RUNS);
      return 42;
    });
    cpu.memory.writeU32(RESULTS + 4 * cpu.id, value);
  },
  poison(cpu) {
    const once = Once.inMemory(cpu.memory, LOCK, MemoryTypes.u32);
    if (cpu.id === 1) {
      try {
        once.callOnce(() => {
          throw new Error("no such device");
        });
      } catch {
        // The initialiser's error reaches its caller on CPU 1 only.
      }
      return;
    }
    waitForCpu1(cpu);
    try {
      once.callOnce(() => 7);
    } catch (error) {
      if (error instanceof OncePoisonedError) {
        cpu.memory.writeBytes(
          POISON_SEEN,
          new TextEncoder().encode(error.message + "\0"),
        );
      }
    }
  },
};

/** Waits on the BSP until CPU 1 has run its body. */
export function waitForCpu1(cpu: Cpu): void {
  while (Atomics.load(words(cpu.memory), DONE / 4) === 0) cpu.pause();
}

export default kernelImage(import.meta.url, (code) => {
  for (const [name, vector] of Object.entries(TESTS)) {
    code.register(vector * 0x1000, (cpu) => {
      BODIES[name as keyof typeof TESTS](cpu);
      Atomics.store(words(cpu.memory), DONE / 4, 1);
    });
  }
});
