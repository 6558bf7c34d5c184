/**
 * The kernel image of the two-CPU channel tests and benches: CPU 1 runs
 * the code registered here after CPU 0's STARTUP IPI (vector `v` runs
 * the code at `v × 0x1000`); CPU 0 runs the matching halves exported
 * below. Both CPUs' Workers load this module, so it only defines.
 *
 * Memory: the control words at {@linkcode CONTROL}, channel A (CPU 1 →
 * CPU 0) at {@linkcode CHANNEL_A}, channel B (CPU 0 → CPU 1) at
 * {@linkcode CHANNEL_B}.
 *
 * @module
 */
import { type Cpu, kernelImage } from "@exo-kernel/core/machine";
import { InterruptManager } from "@exo-kernel/core/arch/x86_64";
import { Channel, MAX_PAYLOAD } from "../channel.ts";

/** Channel A: CPU 1 sends, CPU 0 receives. */
export const CHANNEL_A = 0x30_0000;
/** Channel B: CPU 0 sends, CPU 1 receives. */
export const CHANNEL_B = 0x34_0000;
/** The slots of each channel. */
export const CAPACITY = 1024;
/** The vector of the IPI that wakes CPU 1 halted on channel B. */
export const WAKE_VECTOR = 0xf1;

/** Control words (byte addresses). */
export const CONTROL = 0x20_0000;
const BARRIER = CONTROL; // both CPUs arrive before either starts
const DONE = CONTROL + 4; // CPU 1 has finished
/** How many messages (or round trips) CPU 1 handles: CPU 0 sets it first. */
export const COUNT = CONTROL + 8;
/** 1: message `i` has 4 + (i mod 57) bytes (the stream test); 0: 8 bytes. */
export const VARIABLE = CONTROL + 12;
/**
 * Messages (or round trips) of a warm-up before the counted ones, for the
 * benches: then the CPUs meet a second time (the JIT has compiled both
 * loops by then). 0: none, and no second meeting.
 */
export const WARMUP = CONTROL + 24;
/** What CPU 1 reports: messages it handled, and its wake-up interrupts. */
export const HANDLED = CONTROL + 16;
export const WAKEUPS = CONTROL + 20;
/** The word the bare ping-pong toggles. */
const TOKEN = CONTROL + 64;

/** CPU 1's programs, by STARTUP vector. */
export const PROGRAMS = {
  /** Sends COUNT numbered messages on A. */
  stream: 0x08,
  /** Echoes COUNT messages from B back on A. */
  echo: 0x09,
  /** Receives COUNT messages from B, halting while B is empty. */
  halted: 0x0a,
  /** The baseline of a round trip: answers COUNT flips of one word. */
  bareEcho: 0x0b,
} as const;

function words(cpu: Cpu): Int32Array {
  return new Int32Array(cpu.memory.buffer, 0, cpu.memory.size >> 2);
}

/**
 * Both CPUs arrive before either goes on: meeting `round` (1, 2, …) waits
 * for the other's `round`th arrival.
 *
 * @param cpu The CPU that arrives.
 * @param round Which meeting.
 */
export function meet(cpu: Cpu, round = 1): void {
  const w = words(cpu);
  Atomics.add(w, BARRIER / 4, 1);
  while (Atomics.load(w, BARRIER / 4) < 2 * round) cpu.pause();
}

/** Waits on CPU 0 until CPU 1 has finished. */
export function waitForCpu1(cpu: Cpu): void {
  while (Atomics.load(words(cpu), DONE / 4) === 0) cpu.pause();
}

/**
 * Message `i` of the stream: its length and its bytes — `i` as a
 * little-endian u32, then `(i + k) & 0xFF` for byte 4 + k.
 *
 * @param i The message's number.
 * @param variable Whether lengths vary (4 to 60 bytes) or are 8.
 * @param into Where to write it.
 * @returns The length.
 */
export function streamMessage(
  i: number,
  variable: boolean,
  into: Uint8Array,
): number {
  const length = variable ? 4 + i % (MAX_PAYLOAD - 3) : 8;
  into[0] = i & 0xff;
  into[1] = (i >>> 8) & 0xff;
  into[2] = (i >>> 16) & 0xff;
  into[3] = i >>> 24;
  for (let k = 4; k < length; k++) into[k] = (i + k - 4) & 0xff;
  return length;
}

/** What CPU 0 found in the stream. */
export interface StreamCheck {
  /** Messages received. */
  received: number;
  /** Messages out of order, or with a wrong length or byte. */
  wrong: number;
  /** The first wrong one, for the report. */
  firstWrong: string | undefined;
}

/**
 * CPU 0's half of the stream: receives `count` messages on A and checks
 * each against {@linkcode streamMessage}.
 *
 * @param cpu CPU 0.
 * @param count How many.
 * @param variable Whether lengths vary.
 * @returns What it found.
 */
export function receiveStream(
  cpu: Cpu,
  count: number,
  variable: boolean,
): StreamCheck {
  const channel = Channel.attach(cpu.memory, CHANNEL_A);
  const got = new Uint8Array(MAX_PAYLOAD);
  const want = new Uint8Array(MAX_PAYLOAD);
  let wrong = 0;
  let firstWrong: string | undefined;
  for (let i = 0; i < count; i++) {
    const length = channel.receiveInto(got);
    const wantLength = streamMessage(i, variable, want);
    let same = length === wantLength;
    for (let k = 0; same && k < length; k++) same = got[k] === want[k];
    if (!same) {
      wrong++;
      firstWrong ??= `message ${i}: got ${
        Array.from(got.subarray(0, length))
      }, expected ${Array.from(want.subarray(0, wantLength))}`;
    }
  }
  return { received: count, wrong, firstWrong };
}

/**
 * CPU 0's half of the ping-pong: sends `rounds` 8-byte messages on B and
 * waits for each one's echo on A.
 *
 * @param cpu CPU 0.
 * @param rounds Round trips.
 * @returns How many echoes differed from what was sent.
 */
export function pingPong(cpu: Cpu, rounds: number): number {
  const out = Channel.attach(cpu.memory, CHANNEL_B);
  const back = Channel.attach(cpu.memory, CHANNEL_A);
  const message = new Uint8Array(8);
  const echo = new Uint8Array(MAX_PAYLOAD);
  let wrong = 0;
  for (let i = 0; i < rounds; i++) {
    streamMessage(i, false, message);
    out.send(message);
    back.receiveInto(echo);
    if (echo[0] !== message[0] || echo[1] !== message[1]) wrong++;
  }
  return wrong;
}

/**
 * CPU 0's half of the bare ping-pong, the baseline: flips one word to odd
 * and waits for CPU 1 to make it even, `rounds` times; then sets it back
 * to 0 for another run (before the CPUs meet again).
 *
 * @param cpu CPU 0.
 * @param rounds Round trips.
 */
export function barePingPong(cpu: Cpu, rounds: number): void {
  const w = words(cpu);
  for (let i = 0; i < rounds; i++) {
    Atomics.store(w, TOKEN / 4, 2 * i + 1);
    while (Atomics.load(w, TOKEN / 4) !== 2 * i + 2) cpu.pause();
  }
  Atomics.store(w, TOKEN / 4, 0); // CPU 1 is done with it: ready again
}

const CPU1: Record<keyof typeof PROGRAMS, (cpu: Cpu, count: number) => void> = {
  stream(cpu, count) {
    const channel = Channel.attach(cpu.memory, CHANNEL_A);
    const variable = Atomics.load(words(cpu), VARIABLE / 4) === 1;
    const message = new Uint8Array(MAX_PAYLOAD);
    const views = Array.from(
      { length: MAX_PAYLOAD + 1 },
      (_, n) => message.subarray(0, n),
    );
    for (let i = 0; i < count; i++) {
      channel.send(views[streamMessage(i, variable, message)]!);
    }
    Atomics.store(words(cpu), HANDLED / 4, count);
  },
  echo(cpu, count) {
    const from = Channel.attach(cpu.memory, CHANNEL_B);
    const to = Channel.attach(cpu.memory, CHANNEL_A);
    const message = new Uint8Array(MAX_PAYLOAD);
    const views = Array.from(
      { length: MAX_PAYLOAD + 1 },
      (_, n) => message.subarray(0, n),
    );
    for (let i = 0; i < count; i++) to.send(views[from.receiveInto(message)]!);
    Atomics.store(words(cpu), HANDLED / 4, count);
  },
  halted(cpu, count) {
    const w = words(cpu);
    const interrupts = new InterruptManager();
    interrupts.registerHandler(WAKE_VECTOR, () => {
      Atomics.add(w, WAKEUPS / 4, 1);
      cpu.writeU32(0xfee0_00b0, 0); // EOI
    });
    interrupts.load();
    cpu.writeU32(0xfee0_00f0, 0x1ff); // SVR: APIC on
    const channel = Channel.attach(cpu.memory, CHANNEL_B);
    const message = new Uint8Array(MAX_PAYLOAD);
    const want = new Uint8Array(MAX_PAYLOAD);
    let handled = 0;
    for (let i = 0; i < count; i++) {
      let length = channel.tryReceiveInto(message);
      while (length < 0) {
        channel.waitHalted();
        length = channel.tryReceiveInto(message);
      }
      streamMessage(i, false, want);
      if (length === 8 && message[0] === want[0] && message[7] === want[7]) {
        handled++;
      }
    }
    Atomics.store(w, HANDLED / 4, handled);
  },
  bareEcho(cpu, count) {
    const w = words(cpu);
    for (let i = 0; i < count; i++) {
      while (Atomics.load(w, TOKEN / 4) !== 2 * i + 1) cpu.pause();
      Atomics.store(w, TOKEN / 4, 2 * i + 2);
    }
  },
};

export default kernelImage(import.meta.url, (code) => {
  for (const [name, vector] of Object.entries(PROGRAMS)) {
    code.register(vector * 0x1000, (cpu) => {
      const program = CPU1[name as keyof typeof PROGRAMS];
      const warmup = Atomics.load(words(cpu), WARMUP / 4);
      meet(cpu);
      if (warmup > 0) {
        program(cpu, warmup);
        meet(cpu, 2);
      }
      program(cpu, Atomics.load(words(cpu), COUNT / 4));
      Atomics.store(words(cpu), DONE / 4, 1);
    });
  }
});
