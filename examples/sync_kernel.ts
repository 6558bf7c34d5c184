/**
 * The kernel image of `examples/sync.ts`: the code that every CPU runs.
 * Each CPU's Worker loads this module, so it makes no machine of its own.
 *
 * @module
 */
import { currentCpu, kernelImage } from "@exo-kernel/core/machine";
import { lazyStatic, MemoryTypes, Mutex } from "@exo-kernel/core/sync";

/** The application processors' entry: STARTUP vector 0x08. */
export const AP_ENTRY = 0x8000;
/** Increments per CPU. */
export const ROUNDS = 100_000;
/** Where CPU 1 says it is done. */
export const AP_DONE = 0x20_1000;

// static MY_DATA: Mutex<u64> = Mutex::new(0);
// A static of a kernel lives in memory that every CPU sees: here the
// mutex and its u64 live at 0x20_0000 of machine RAM.
export const MY_DATA = lazyStatic(() =>
  Mutex.inMemory(currentCpu().memory, 0x20_0000, MemoryTypes.u64)
);

/** The seed's `increment_counter`. */
export function incrementCounter(): void {
  using data = MY_DATA.value.lock(); // locks the mutex
  data.value += 1n; // safe access to the data
} // the mutex is unlocked at the end of the scope

export default kernelImage(import.meta.url, (code) => {
  code.register(AP_ENTRY, (cpu) => {
    for (let i = 0; i < ROUNDS; i++) incrementCounter();
    cpu.memory.writeU32(AP_DONE, 1);
  });
});
