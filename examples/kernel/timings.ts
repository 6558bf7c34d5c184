/**
 * Quick timings inside the running kernel, for the shell's `bench` and
 * `ipc` commands: system calls from user mode, context switches between
 * two address spaces, heap allocations under the heap's lock, IPC calls
 * between two address spaces (`ipc.ts`), and round trips to another CPU
 * (by IPI, and through a polled mailbox).
 *
 * Times come from the TSC, which runs on the host clock in this kernel
 * (2 GHz nominal), so they are real time.
 *
 * @module
 */
import { currentCpu } from "@exo-kernel/core/machine";
import {
  cli,
  enterUserMode,
  interruptsEnabled,
  pause,
  readCr3,
  readTsc,
  restoreContext,
  saveContext,
  sti,
  switchContext,
  syscall,
  writeCr3,
} from "@exo-kernel/core/arch/x86_64";
import {
  type FrameAllocator,
  type Heap,
  Mapper,
  Page,
  PageTableFlags,
  readU32,
} from "@exo-kernel/core/memory";
import type { Mutex } from "@exo-kernel/core/sync";
import { Syscall, systemCalls } from "./cpu_setup.ts";
import {
  AddressSpace,
  call,
  Endpoint,
  ipcHandler,
  IpcKernel,
  messageInfo,
  messageRegister,
  setMessageRegister,
  Thread,
  USER_BASE,
} from "./ipc.ts";
import { sendIpi, Vector } from "./interrupts.ts";
import {
  directMap,
  IPC,
  kernelVirtual,
  PerCpu,
  perCpuPage,
  TSC_HZ,
  USER_BENCH,
} from "./memory_layout.ts";
import { newAddressSpace } from "./paging.ts";

/** One timing: what was done, how often, and the time of one. */
export interface Timing {
  /** What one operation is. */
  readonly what: string;
  /** How many were timed. */
  readonly count: number;
  /** Nanoseconds per operation. */
  readonly ns: number;
}

function ns(cycles: bigint, count: number): number {
  return Number(cycles) * 1e9 / TSC_HZ / count;
}

/** What the timings need from the kernel. */
export interface TimingKernel {
  /** Free frames for the user page and the second address space. */
  readonly frames: FrameAllocator;
  /** The kernel heap and its lock. */
  readonly heap: Heap;
  /** The heap's lock (a `Mutex.inMemory` at its lock word). */
  readonly heapLock: Mutex<undefined>;
  /** The kernel's PML4 (physical). */
  readonly pml4: number;
}

// The machines whose kernel has mapped the user pages, and the second
// address space each has made.
const userPages = new WeakSet<object>();
const secondSpaces = new WeakMap<object, number>();

// The user page at USER_BENCH (code) and its stack page above it.
function mapUserPages(kernel: TimingKernel): void {
  const memory = currentCpu().memory;
  if (userPages.has(memory)) return;
  const mapper = new Mapper();
  const code = new PageTableFlags().present().userAccessible();
  const stack = new PageTableFlags().present().writable().userAccessible()
    .noExecute();
  mapper.mapTo(
    Page.containingAddress(USER_BENCH),
    kernel.frames.allocate()!,
    code,
    kernel.frames,
  ).flush();
  mapper.mapTo(
    Page.containingAddress(USER_BENCH + 0x1000),
    kernel.frames.allocate()!,
    stack,
    kernel.frames,
  ).flush();
  userPages.add(memory);
}

/**
 * `getpid` system calls made by user code (CPL 3) through `syscall` and
 * back with `sysret`.
 *
 * @param kernel The kernel.
 * @param count How many.
 * @returns The timing.
 */
export function timeSyscalls(kernel: TimingKernel, count: number): Timing {
  mapUserPages(kernel);
  let cycles = 0n;
  currentCpu().code.register(USER_BENCH, () => {
    const start = readTsc();
    for (let i = 0; i < count; i++) syscall(Syscall.GETPID);
    cycles = readTsc() - start;
    syscall(Syscall.EXIT);
  });
  enterUserMode({ rip: USER_BENCH, rsp: USER_BENCH + 0x2000 });
  return {
    what: "syscall getpid from CPL 3 and sysret",
    count,
    ns: ns(cycles, count),
  };
}

/**
 * Context switches (`switchContext`: registers, CR3, FS/GS bases, FPU)
 * between a thread in the kernel's address space (PCID 0) and one in a
 * second address space (PCID 1), with interrupts off.
 *
 * @param kernel The kernel.
 * @param count How many switches.
 * @returns The timing.
 */
export function timeContextSwitches(
  kernel: TimingKernel,
  count: number,
): Timing {
  const memory = currentCpu().memory;
  let second = secondSpaces.get(memory);
  if (second === undefined) {
    second = kernel.frames.allocate()!.startAddress().value;
    newAddressSpace(memory, kernel.pml4, second);
    secondSpaces.set(memory, second);
  }
  const page = kernelVirtual(perCpuPage(currentCpu().id));
  const a = page + PerCpu.CONTEXT_A, b = page + PerCpu.CONTEXT_B;
  const on = interruptsEnabled();
  cli();
  const cr3 = readCr3();
  writeCr3(second | 1);
  saveContext(b);
  writeCr3(cr3);
  saveContext(a);
  const start = readTsc();
  for (let i = 0; i < count; i += 2) {
    switchContext(a, b);
    switchContext(b, a);
  }
  const cycles = readTsc() - start;
  restoreContext(a);
  if (on) sti();
  return {
    what: "context switch between two address spaces (PCIDs 0 and 1)",
    count,
    ns: ns(cycles, count),
  };
}

// The IPC setup of each machine: a client and a server in address spaces
// of their own, an endpoint and two TCBs in the IPC region.
const ipcSetups = new WeakMap<
  object,
  { ipc: IpcKernel; endpoint: Endpoint; client: Thread }
>();

function ipcSetup(
  kernel: TimingKernel,
): { ipc: IpcKernel; endpoint: Endpoint; client: Thread } {
  const memory = currentCpu().memory;
  const known = ipcSetups.get(memory);
  if (known !== undefined) return known;
  const spaces = [2, 3].map((pcid) => {
    const space = AddressSpace.create(kernel.frames, { pcid, memory });
    // The kernel half too: IDT, handlers, stacks, APIC, direct map.
    const pml4 = space.level4.startAddress().value;
    memory.copy(pml4 + 2048, kernel.pml4 + 2048, 2048);
    space.mapUser(USER_BASE, kernel.frames, {
      pages: 2,
      executable: true,
      writable: true,
    });
    return space;
  });
  // The server adds 1 to word 0 and replies by returning (ReplyRecv).
  currentCpu().code.register(
    USER_BASE + 0x1000,
    ipcHandler(() => {
      setMessageRegister(0, messageRegister(0) + 1);
      return messageInfo(0, 8);
    }),
  );
  const ipc = new IpcKernel({ calls: systemCalls() });
  ipc.load();
  const endpoint = Endpoint.create(memory, IPC);
  ipc.serve(
    endpoint,
    Thread.create(memory, IPC + 0x1000, {
      space: spaces[1]!,
      entry: USER_BASE + 0x1000,
      stack: USER_BASE + 0x2000,
    }),
  );
  const client = Thread.create(memory, IPC + 0x1400, {
    space: spaces[0]!,
    entry: USER_BASE,
    stack: USER_BASE + 0x2000,
  });
  const setup = { ipc, endpoint, client };
  ipcSetups.set(memory, setup);
  return setup;
}

/**
 * seL4-style IPC calls (`examples/kernel/ipc.ts`) from a client thread to
 * a server thread on this CPU, each in an address space of its own: the
 * call, the switch to the server's space, its handler, the reply and the
 * switch back.
 *
 * @param kernel The kernel.
 * @param count How many calls.
 * @returns The timing (NaN if a reply was wrong).
 */
export function timeIpcCalls(kernel: TimingKernel, count: number): Timing {
  const { ipc, endpoint, client } = ipcSetup(kernel);
  let cycles = 0n;
  let right = true;
  currentCpu().code.register(USER_BASE, () => {
    const start = readTsc();
    for (let i = 0; i < count; i++) {
      setMessageRegister(0, i);
      call(endpoint.address, messageInfo(1, 8));
      if (messageRegister(0) !== i + 1) right = false;
    }
    cycles = readTsc() - start;
  });
  ipc.run(client);
  return {
    what: "IPC call + reply between two address spaces (ipc.ts)",
    count,
    ns: right ? ns(cycles, count) : NaN,
  };
}

/**
 * Allocations of 64 bytes from the kernel heap and their frees, each
 * under the heap's lock.
 *
 * @param kernel The kernel.
 * @param count How many pairs.
 * @returns The timing.
 */
export function timeHeap(kernel: TimingKernel, count: number): Timing {
  const start = readTsc();
  for (let i = 0; i < count; i++) {
    const guard = kernel.heapLock.lock();
    try {
      kernel.heap.dealloc(kernel.heap.alloc(64, 8)!, 64, 8);
    } finally {
      guard[Symbol.dispose]();
    }
  }
  return {
    what: "heap alloc(64) + dealloc, locked",
    count,
    ns: ns(readTsc() - start, count),
  };
}

function mailbox(cpu: number): { ping: number; pong: number; poll: number } {
  const page = perCpuPage(cpu);
  return {
    ping: (page + PerCpu.PING) / 4,
    pong: (page + PerCpu.PONG) / 4,
    poll: (page + PerCpu.POLL) / 4,
  };
}

// Spins until `done`, for at most a second of TSC time.
function answered(done: () => boolean, wait: () => void): boolean {
  const deadline = readTsc() + BigInt(TSC_HZ);
  let spins = 0;
  while (!done()) {
    if ((++spins & 0xff) === 0 && readTsc() > deadline) return false;
    wait();
  }
  return true;
}

/**
 * Round trips to another CPU that idles in `hlt`: a ping IPI, and its
 * handler's answer in the mailbox.
 *
 * @param cpu The other CPU (its APIC ID).
 * @param count How many.
 * @returns The timing.
 */
export function timeIpiRoundTrips(cpu: number, count: number): Timing {
  const words = new Int32Array(currentCpu().memory.buffer);
  const box = mailbox(cpu);
  const roundTrip = () => {
    const request = (Atomics.load(words, box.ping) + 1) | 0;
    Atomics.store(words, box.ping, request);
    sendIpi(cpu, Vector.PING);
    return answered(() => Atomics.load(words, box.pong) === request, pause);
  };
  let ok = roundTrip(); // warm up
  const start = readTsc();
  for (let i = 0; i < count && ok; i++) ok = roundTrip();
  return {
    what: `IPI round trip to cpu${cpu} (woken from hlt)`,
    count,
    ns: ok ? ns(readTsc() - start, count) : NaN,
  };
}

/**
 * Round trips through a mailbox in shared memory to another CPU that polls
 * it (started by an IPI, stopped by a flag).
 *
 * @param cpu The other CPU.
 * @param count How many.
 * @returns The timing.
 */
export function timeMailboxRoundTrips(cpu: number, count: number): Timing {
  const words = new Int32Array(currentCpu().memory.buffer);
  const box = mailbox(cpu);
  Atomics.store(words, box.poll, 1);
  sendIpi(cpu, Vector.POLL);
  const roundTrip = () => {
    const request = (Atomics.load(words, box.ping) + 1) | 0;
    Atomics.store(words, box.ping, request);
    // Spin without pause: the other CPU answers within a few hundred ns.
    return answered(() => Atomics.load(words, box.pong) === request, () => {});
  };
  let ok = roundTrip(); // the other CPU has started polling
  const start = readTsc();
  for (let i = 0; i < count && ok; i++) ok = roundTrip();
  const cycles = readTsc() - start;
  Atomics.store(words, box.poll, 0);
  return {
    what: `mailbox round trip to cpu${cpu} (polling)`,
    count,
    ns: ok ? ns(cycles, count) : NaN,
  };
}

/**
 * How many IPIs a CPU has taken.
 *
 * @param cpu The CPU.
 * @returns Its count.
 */
export function ipisTaken(cpu: number): number {
  return readU32(directMap(perCpuPage(cpu) + PerCpu.IPIS));
}
