import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { type Cpu, Machine } from "@exo-kernel/core/machine";
import {
  Channel,
  CHANNEL_HEADER_SIZE,
  MAX_PAYLOAD,
  SLOT_SIZE,
} from "./channel.ts";
import image, {
  CAPACITY,
  CHANNEL_A,
  CHANNEL_B,
  COUNT,
  HANDLED,
  meet,
  pingPong,
  PROGRAMS,
  receiveStream,
  type StreamCheck,
  streamMessage,
  VARIABLE,
  waitForCpu1,
  WAKE_VECTOR,
  WAKEUPS,
} from "./testdata/ipc_channel_image.ts";

const AT = 0x20_0000;

function memory() {
  return new Machine({ ramSize: 4 << 20 }).memory;
}

Deno.test("create checks the capacity, the wake vector and the address; attach finds the channel", () => {
  const ram = memory();
  for (const capacity of [0, 1, 3, 6, 2 ** 21]) {
    throws(() => Channel.create(ram, AT, { capacity }), RangeError);
  }
  for (const wakeVector of [1, 15, 256]) {
    throws(
      () => Channel.create(ram, AT, { capacity: 2, wakeVector }),
      RangeError,
    );
  }
  throws(() => Channel.create(ram, AT + 32, { capacity: 2 }), RangeError);
  throws(
    () => Channel.create(ram, (4 << 20) - 256, { capacity: 4 }),
    RangeError,
  );
  throws(() => Channel.attach(ram, AT), /No channel/);
  Channel.create(ram, AT, { capacity: 8, wakeVector: 0x40 });
  const other = Channel.attach(ram, AT);
  strictEqual(other.capacity, 8);
  strictEqual(other.wakeVector, 0x40);
  strictEqual(Channel.sizeFor(8), CHANNEL_HEADER_SIZE + 8 * SLOT_SIZE);
});

Deno.test("messages come out in order, through many wrap-arounds of the ring", () => {
  const channel = Channel.create(memory(), AT, { capacity: 4 });
  const out: number[][] = [];
  for (let round = 0; round < 10; round++) {
    for (let k = 0; k < 3; k++) {
      ok(channel.trySend(Uint8Array.of(round, k, round * k)));
    }
    for (let k = 0; k < 3; k++) out.push(Array.from(channel.receive()));
  }
  strictEqual(out.length, 30);
  out.forEach((message, i) => {
    const round = Math.floor(i / 3), k = i % 3;
    deepStrictEqual(message, [round, k, round * k]);
  });
});

Deno.test("a full ring refuses a message until the receiver frees a slot", () => {
  const channel = Channel.create(memory(), AT, { capacity: 4 });
  for (let i = 0; i < 4; i++) ok(channel.trySend(Uint8Array.of(i)));
  strictEqual(channel.length, 4);
  strictEqual(channel.trySend(Uint8Array.of(4)), false);
  deepStrictEqual(channel.tryReceive(), Uint8Array.of(0));
  ok(channel.trySend(Uint8Array.of(4)));
  strictEqual(channel.trySend(Uint8Array.of(5)), false);
  for (let i = 1; i <= 4; i++) {
    deepStrictEqual(channel.receive(), Uint8Array.of(i));
  }
});

Deno.test("an empty ring has nothing to give", () => {
  const channel = Channel.create(memory(), AT, { capacity: 2 });
  strictEqual(channel.tryReceive(), undefined);
  strictEqual(channel.tryReceiveInto(new Uint8Array(MAX_PAYLOAD)), -1);
  strictEqual(channel.length, 0);
  ok(channel.trySend(new Uint8Array(0))); // an empty message is a message
  deepStrictEqual(channel.tryReceive(), new Uint8Array(0));
  strictEqual(channel.tryReceive(), undefined);
});

Deno.test("a message is at most 60 bytes, and must fit the receiver's buffer", () => {
  const channel = Channel.create(memory(), AT, { capacity: 2 });
  throws(() => channel.trySend(new Uint8Array(MAX_PAYLOAD + 1)), RangeError);
  const full = Uint8Array.from({ length: MAX_PAYLOAD }, (_, i) => i + 1);
  ok(channel.trySend(full));
  throws(() => channel.tryReceiveInto(new Uint8Array(59)), /does not fit/);
  strictEqual(channel.length, 1); // it stays in the ring
  const buffer = new Uint8Array(MAX_PAYLOAD);
  strictEqual(channel.tryReceiveInto(buffer), MAX_PAYLOAD);
  deepStrictEqual(buffer, full);
});

Deno.test("the ring in memory: a u32 length then the bytes in the slot; tail at +128, head at +64", () => {
  const ram = memory();
  const channel = Channel.create(ram, AT, { capacity: 2 });
  ok(channel.trySend(Uint8Array.of(0xa, 0xb, 0xc)));
  ok(channel.trySend(Uint8Array.of(0xd)));
  strictEqual(ram.readU32(AT + 128), 2);
  strictEqual(ram.readU32(AT + 64), 0);
  strictEqual(ram.readU32(AT + CHANNEL_HEADER_SIZE), 3);
  deepStrictEqual(
    ram.readBytes(AT + CHANNEL_HEADER_SIZE + 4, 3),
    Uint8Array.of(0xa, 0xb, 0xc),
  );
  strictEqual(ram.readU32(AT + CHANNEL_HEADER_SIZE + SLOT_SIZE), 1);
  channel.receive();
  strictEqual(ram.readU32(AT + 64), 1);
  // A second view (another CPU's) sees the same ring.
  deepStrictEqual(Channel.attach(ram, AT).receive(), Uint8Array.of(0xd));
});

Deno.test("the free-running indexes wrap at 2^32 without losing order or fullness", () => {
  const ram = memory();
  Channel.create(ram, AT, { capacity: 4 });
  ram.writeU32(AT + 64, 0xffff_fffe); // head
  ram.writeU32(AT + 128, 0xffff_fffe); // tail
  const channel = Channel.attach(ram, AT);
  for (let i = 0; i < 4; i++) ok(channel.trySend(Uint8Array.of(i)));
  strictEqual(channel.trySend(Uint8Array.of(9)), false);
  strictEqual(ram.readU32(AT + 128), 2); // wrapped
  for (let i = 0; i < 4; i++) {
    deepStrictEqual(channel.receive(), Uint8Array.of(i));
  }
  strictEqual(channel.tryReceive(), undefined);
});

Deno.test("waitHalted needs a wake vector", () => {
  const machine = new Machine({ ramSize: 4 << 20 });
  const channel = Channel.create(machine.memory, AT, { capacity: 2 });
  machine.run(() => {
    throws(() => channel.waitHalted(), /no wake vector/);
  });
});

// Runs `program` on CPU 1 and `body` on CPU 0 after they meet.
function onTwoCpus(
  program: keyof typeof PROGRAMS,
  count: number,
  body: (cpu: Cpu) => void,
  options: { variable?: boolean; wakeVector?: number } = {},
): Machine {
  const machine = new Machine({ cpus: 2, image, ramSize: 8 << 20 });
  const ram = machine.memory;
  Channel.create(ram, CHANNEL_A, { capacity: CAPACITY });
  Channel.create(ram, CHANNEL_B, {
    capacity: CAPACITY,
    wakeVector: options.wakeVector ?? 0,
  });
  ram.writeU32(COUNT, count);
  ram.writeU32(VARIABLE, options.variable ? 1 : 0);
  const report = machine.run(() => {
    const cpu = machine.cpus[0]!;
    cpu.writeU32(0xfee0_0310, 1 << 24); // APIC ID 1
    cpu.writeU32(0xfee0_0300, 0x4500); // INIT
    cpu.writeU32(0xfee0_0300, 0x4600 | PROGRAMS[program]); // STARTUP
    body(cpu);
    waitForCpu1(cpu);
  });
  strictEqual(report.reason, "returned", report.toString());
  strictEqual(report.cpus[1]!.reason, "returned", report.toString());
  return machine;
}

Deno.test("2 CPUs: 1,000,000 messages from CPU 1 to CPU 0 arrive in order, none lost or duplicated", () => {
  const MESSAGES = 1_000_000;
  let check: StreamCheck | undefined;
  let leftover = 0;
  const machine = onTwoCpus("stream", MESSAGES, (cpu) => {
    meet(cpu);
    check = receiveStream(cpu, MESSAGES, true);
    waitForCpu1(cpu);
    // Nothing more came: a duplicate would be here.
    leftover = Channel.attach(cpu.memory, CHANNEL_A).length;
  }, { variable: true });
  strictEqual(check?.firstWrong, undefined);
  strictEqual(check?.wrong, 0);
  strictEqual(check?.received, MESSAGES);
  strictEqual(leftover, 0);
  const ram = machine.memory;
  strictEqual(ram.readU32(HANDLED), MESSAGES); // CPU 1 sent them all
  strictEqual(ram.readU32(CHANNEL_A + 128), MESSAGES); // tail
  strictEqual(ram.readU32(CHANNEL_A + 64), MESSAGES); // head
});

Deno.test("2 CPUs: 20,000 ping-pong round trips, each echoed once", () => {
  let wrong = -1;
  const machine = onTwoCpus("echo", 20_000, (cpu) => {
    meet(cpu);
    wrong = pingPong(cpu, 20_000);
  });
  strictEqual(wrong, 0);
  strictEqual(machine.memory.readU32(HANDLED), 20_000);
});

Deno.test("2 CPUs: a receiver halted in waitHalted wakes on the sender's IPI", () => {
  const MESSAGES = 5;
  const machine = onTwoCpus("halted", MESSAGES, (cpu) => {
    meet(cpu);
    const channel = Channel.attach(cpu.memory, CHANNEL_B);
    const message = new Uint8Array(8);
    for (let i = 0; i < MESSAGES; i++) {
      // Once CPU 1 has taken the last message and says it sleeps again
      // (+12: its APIC ID + 1), send: only the IPI can wake it.
      while (channel.length !== 0 || cpu.memory.readU32(CHANNEL_B + 12) !== 2) {
        cpu.pause();
      }
      streamMessage(i, false, message);
      channel.send(message);
    }
  }, { wakeVector: WAKE_VECTOR });
  strictEqual(machine.memory.readU32(HANDLED), MESSAGES);
  strictEqual(machine.memory.readU32(WAKEUPS), MESSAGES);
});
