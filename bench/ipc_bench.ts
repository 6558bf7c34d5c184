/**
 * The tiny kernel's IPC (`examples/kernel/ipc.ts`, `channel.ts`).
 *
 * - **Synchronous IPC on one CPU**: a client thread calls an endpoint and
 *   the server thread, in another address space, replies — 1,000 call +
 *   reply round trips per bench body (divide by 1,000). The client's call
 *   is a `syscall` from CPL 3 through the library's `SystemCalls` entry;
 *   the server replies by returning from its handler (seL4's ReplyRecv) or
 *   with the `IPC_REPLY` system call. The baseline is a bare `syscall`
 *   round trip from CPL 3 to an empty handler: the floor of any IPC that
 *   enters the kernel. The "in-kernel" row is kernel code calling
 *   `IpcKernel.call` directly, without the client's `syscall`. Goal: a
 *   call + reply under 200 ns (the seed's target: under 500 ns).
 * - **Across CPUs**: CPU 1 (a Worker) streams 100,000 8-byte messages to
 *   CPU 0 through a channel (divide by 100,000: the cost of one message,
 *   one way), and CPU 0 and CPU 1 play 20,000 rounds of ping-pong through
 *   two channels (divide by 40,000: one-way latency). The baseline is a
 *   ping-pong of one shared word. Goal: under 500 ns a message.
 *
 * Run with `deno bench --allow-read bench/ipc_bench.ts` (the Workers
 * need `--allow-read`); compare medians over several runs.
 *
 * @module
 */
import { bindCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";
import { Reg } from "../machine/cpu/register_file.ts";
import type { Cpu } from "../machine/cpu/cpu.ts";
import { FrameAllocator } from "../memory/frame_allocator.ts";
import { SystemCalls } from "../arch/x86_64/system_calls.ts";
import {
  AddressSpace,
  call,
  Endpoint,
  ipcHandler,
  IpcKernel,
  messageInfo,
  messageRegister,
  reply,
  setMessageRegister,
  Thread,
  USER_BASE,
} from "../examples/kernel/ipc.ts";
import { Channel, MAX_PAYLOAD } from "../examples/kernel/channel.ts";
import image, {
  barePingPong,
  CAPACITY,
  CHANNEL_A,
  CHANNEL_B,
  COUNT,
  meet,
  pingPong,
  PROGRAMS,
  waitForCpu1,
  WARMUP,
} from "../examples/kernel/testdata/ipc_channel_image.ts";

// ------------------------------------------------------- IPC, one CPU

/** Call + reply round trips per bench body. */
const CALLS = 1000;

const machine = new Machine({ ramSize: 16 << 20, sink: new DiscardSink() });
const cpu = machine.cpus[0]!;
bindCpu(cpu); // the benches run outside Machine.run: bind CPU 0
cpu.writeCr(4, cpu.cr4 | 1 << 17, 0); // CR4.PCIDE (CR3 holds PCID 0 now)
const memory = machine.memory;
const frames = new FrameAllocator(machine.bootInfo.memoryMap);
const NULL_SYSCALL = 0x7ff;
const calls = new SystemCalls();
calls.register(NULL_SYSCALL, () => 0);
const kernel = new IpcKernel({ calls });
kernel.load();

// Address spaces with PCIDs 1 and 2, and the same two spaces without
// (PCID 0, as a kernel without PCIDs would load them).
const CLIENT_CODE = USER_BASE, SERVER_CODE = USER_BASE + 0x1_0000;
const STACK = USER_BASE + 0x2000;
const spaces = [1, 2].map((pcid) => {
  const space = AddressSpace.create(frames, { pcid });
  space.mapUser(USER_BASE, frames, { pages: 2, writable: true });
  space.mapUser(pcid === 1 ? CLIENT_CODE + 0x8000 : SERVER_CODE, frames, {
    executable: true,
  });
  return space;
});
const [clientSpace, serverSpace] = spaces as [AddressSpace, AddressSpace];
const ENDPOINT = 0xc0_0000;
const endpoint = Endpoint.create(memory, ENDPOINT, { badge: 1 });
let tcb = 0xc0_1000;
function thread(space: number, entry: number): Thread {
  const made = Thread.create(memory, tcb, {
    space,
    entry,
    stack: STACK,
    ipcBuffer: USER_BASE + 0x1000,
  });
  tcb += 0x400;
  return made;
}
const server = thread(serverSpace.cr3, SERVER_CODE);
kernel.serve(endpoint, server);
const clientWithPcid = thread(clientSpace.cr3, CLIENT_CODE + 0x8000);
const clientWithoutPcid = thread(
  clientSpace.cr3 & ~0xfff,
  CLIENT_CODE + 0x8000,
);
const serverSpaceWithoutPcid = serverSpace.cr3 & ~0xfff;

// The server: adds 1 to word 0 and replies by returning (ReplyRecv), or
// with the reply system call, as `replyBySyscall` says.
const INFO = messageInfo(1, 8), REPLY = messageInfo(2, 8);
let replyBySyscall = false;
machine.code.register(
  SERVER_CODE,
  ipcHandler(() => {
    setMessageRegister(0, messageRegister(0) + 1);
    if (!replyBySyscall) return REPLY;
    reply(REPLY);
  }),
);

// The client's code: what the bench body asks for, timed by `b`.
let body: () => void = () => {};
let timer: Deno.BenchContext | undefined;
machine.code.register(CLIENT_CODE + 0x8000, () => {
  timer!.start();
  body();
  timer!.end();
});

function callLoop(): void {
  for (let i = 0; i < CALLS; i++) {
    setMessageRegister(0, i);
    call(ENDPOINT, INFO);
  }
  if (messageRegister(0) !== CALLS) throw new Error("wrong reply");
}

// Points the server's TCB at its space with or without the PCID.
function serverPcid(on: boolean): void {
  memory.writeU32(
    server.address + 144,
    on ? serverSpace.cr3 : serverSpaceWithoutPcid,
  );
}

function userBench(
  b: Deno.BenchContext,
  loop: () => void,
  options: { pcid?: boolean; syscallReply?: boolean } = {},
): void {
  const pcid = options.pcid ?? true;
  serverPcid(pcid);
  if (!pcid) cpu.writeCr(4, cpu.cr4 & ~(1 << 17), 0);
  replyBySyscall = options.syscallReply ?? false;
  body = loop;
  timer = b;
  try {
    kernel.run(pcid ? clientWithPcid : clientWithoutPcid);
  } finally {
    if (!pcid) cpu.writeCr(4, cpu.cr4 | 1 << 17, 0);
    serverPcid(true);
  }
}

Deno.bench({
  name: `syscall round trip at CPL 3, empty handler (× ${CALLS})`,
  group: "IPC call + reply, one CPU",
  baseline: true,
  fn(b) {
    userBench(b, () => {
      const r = cpu.registers;
      for (let i = 0; i < CALLS; i++) {
        r.setHalves(Reg.RAX, NULL_SYSCALL, 0);
        cpu.syscall();
      }
    });
  },
});

Deno.bench({
  name: `call + ReplyRecv, 1 word, PCIDs (× ${CALLS})`,
  group: "IPC call + reply, one CPU",
  fn: (b) => userBench(b, callLoop),
});

Deno.bench({
  name: `call + reply syscall, 1 word, PCIDs (× ${CALLS})`,
  group: "IPC call + reply, one CPU",
  fn: (b) => userBench(b, callLoop, { syscallReply: true }),
});

Deno.bench({
  name: `call + ReplyRecv, 1 word, no PCIDs (× ${CALLS})`,
  group: "IPC call + reply, one CPU",
  fn: (b) => userBench(b, callLoop, { pcid: false }),
});

const LONG = messageInfo(1, 1024);
Deno.bench({
  name: `call + ReplyRecv, 1 KiB copied between spaces, PCIDs (× ${CALLS})`,
  group: "IPC call + reply, one CPU",
  fn: (b) =>
    userBench(b, () => {
      for (let i = 0; i < CALLS; i++) call(ENDPOINT, LONG);
    }),
});

Deno.bench({
  name: `in-kernel call + ReplyRecv, 1 word, PCIDs (× ${CALLS})`,
  group: "IPC call + reply, one CPU",
  fn(b) {
    serverPcid(true);
    replyBySyscall = false;
    kernel.enter(clientWithPcid);
    b.start();
    for (let i = 0; i < CALLS; i++) {
      setMessageRegister(0, i);
      kernel.call(ENDPOINT, INFO);
    }
    b.end();
    kernel.enter(undefined);
    if (messageRegister(0) !== CALLS) throw new Error("wrong reply");
  },
});

// ------------------------------------------------ channel, across CPUs

/** Messages of the stream; round trips of the ping-pong. */
const STREAM = 100_000;
const ROUNDS = 20_000;

// A machine of 2 CPUs with both channels, CPU 1 started on `program`.
// Both CPUs first run a warm-up of a tenth of the count (so that the new
// Worker's JIT has compiled its loop), meet again, and `cpu0` runs
// between that meeting and the timer's end.
function twoCpus(
  b: Deno.BenchContext,
  program: keyof typeof PROGRAMS,
  count: number,
  cpu0: (bsp: Cpu, count: number) => void,
): void {
  const smp = new Machine({
    cpus: 2,
    image,
    ramSize: 8 << 20,
    sink: new DiscardSink(),
  });
  Channel.create(smp.memory, CHANNEL_A, { capacity: CAPACITY });
  Channel.create(smp.memory, CHANNEL_B, { capacity: CAPACITY });
  smp.memory.writeU32(COUNT, count);
  smp.memory.writeU32(WARMUP, count / 10);
  smp.run(() => {
    const bsp = smp.cpus[0]!;
    bsp.writeU32(0xfee0_0310, 1 << 24); // CPU 1
    bsp.writeU32(0xfee0_0300, 0x4600 | PROGRAMS[program]); // STARTUP
    meet(bsp);
    cpu0(bsp, count / 10);
    meet(bsp, 2);
    b.start();
    cpu0(bsp, count);
    b.end();
    waitForCpu1(bsp);
  });
}

Deno.bench({
  name: `one word, ping-pong, ${ROUNDS} round trips`,
  group: "channel, 2 CPUs",
  baseline: true,
  fn: (b) => twoCpus(b, "bareEcho", ROUNDS, barePingPong),
});

Deno.bench({
  name: `channel, ping-pong of 8 bytes, ${ROUNDS} round trips`,
  group: "channel, 2 CPUs",
  fn: (b) =>
    twoCpus(b, "echo", ROUNDS, (c, rounds) => {
      if (pingPong(c, rounds) !== 0) throw new Error("wrong echo");
    }),
});

Deno.bench({
  name: `channel, stream of ${STREAM} messages of 8 bytes, CPU 1 → CPU 0`,
  group: "channel, 2 CPUs",
  fn: (b) =>
    twoCpus(b, "stream", STREAM, (c, count) => {
      const channel = Channel.attach(c.memory, CHANNEL_A);
      const buffer = new Uint8Array(MAX_PAYLOAD);
      let last = -1;
      for (let i = 0; i < count; i++) {
        channel.receiveInto(buffer);
        last = buffer[0]! | buffer[1]! << 8 | buffer[2]! << 16;
      }
      if (last !== count - 1) throw new Error("stream out of order");
    }),
});

// The ring's own cost, on one thread: a send and a receive.
const local = Channel.create(memory, 0xd0_0000, { capacity: 1024 });
const eight = new Uint8Array(8);
const into = new Uint8Array(MAX_PAYLOAD);
Deno.bench({
  name: `channel, trySend + tryReceiveInto of 8 bytes, one thread (× ${CALLS})`,
  group: "channel, one thread",
  fn() {
    for (let i = 0; i < CALLS; i++) {
      eight[0] = i;
      local.trySend(eight);
      local.tryReceiveInto(into);
    }
  },
});
