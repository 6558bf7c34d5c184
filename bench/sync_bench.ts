/**
 * Locks: an uncontended `lock()` and release of every lock, in both forms
 * (a JS value, and words and data in machine memory), outside
 * `Machine.run` and on a CPU; the cost of `using`; a guarded increment;
 * a read of a `Once` or `Lazy` after initialisation; and lock + release
 * pairs on 2 CPUs that contend for one lock.
 *
 * Goal: an uncontended lock and release within 2× of a bare
 * `Atomics.compareExchange` + `Atomics.store` on a `SharedArrayBuffer`
 * word, outside `Machine.run` and on a CPU.
 *
 * Each bench body does {@linkcode OPS} operations, so each figure is
 * 1,024 times the cost of one (divide by 1,024). The guards are released
 * with `guard[Symbol.dispose]()`: the "using" group shows that a `using`
 * scope costs about 130 ns of its own in V8, with or without a lock.
 *
 * Run with `deno bench --allow-read bench/sync_bench.ts`; compare medians over several
 * runs of `deno bench --allow-read --json bench/sync_bench.ts`.
 *
 * @module
 */
import { bindCpu } from "../machine/current_cpu.ts";
import { Machine } from "../machine/machine.ts";
import { DiscardSink } from "../machine/serial_sink.ts";
import { Lazy } from "../sync/lazy.ts";
import { MemoryTypes } from "../sync/memory_type.ts";
import { Mutex } from "../sync/mutex.ts";
import { Once } from "../sync/once.ts";
import { RwLock } from "../sync/rw_lock.ts";
import { TicketMutex } from "../sync/ticket_mutex.ts";
import contended, {
  CONTENDERS,
  LOOPS,
  meet,
  PAIRS,
  waitForCpu1,
} from "./contended_image.ts";

/** Operations per bench body. */
const OPS = 1024;

const machine = new Machine({ ramSize: 2 << 20, sink: new DiscardSink() });
const memory = machine.memory;
const cpu = machine.cpus[0]!;

/** `body` run on CPU 0, as `machine.run` would run it. */
function onCpu(body: () => void): () => void {
  return () => {
    const previous = bindCpu(cpu);
    try {
      body();
    } finally {
      bindCpu(previous);
    }
  };
}

// Every value read ends up here, so that the reads have a use.
let consumed = 0;

// ------------------------------------------------------- uncontended lock

const word = new Int32Array(new SharedArrayBuffer(4));
const mutex = new Mutex(0);
const mutexInMemory = Mutex.inMemory(memory, 0x1_0000, MemoryTypes.u32);
const ticket = new TicketMutex(0);
const ticketInMemory = TicketMutex.inMemory(memory, 0x1_0100);
const rwLock = new RwLock(0);
const rwLockInMemory = RwLock.inMemory(memory, 0x1_0200);

const UNCONTENDED: [name: string, body: () => void][] = [
  ["Mutex", () => {
    for (let i = 0; i < OPS; i++) mutex.lock()[Symbol.dispose]();
  }],
  ["Mutex.inMemory", () => {
    for (let i = 0; i < OPS; i++) mutexInMemory.lock()[Symbol.dispose]();
  }],
  ["TicketMutex", () => {
    for (let i = 0; i < OPS; i++) ticket.lock()[Symbol.dispose]();
  }],
  ["TicketMutex.inMemory", () => {
    for (let i = 0; i < OPS; i++) ticketInMemory.lock()[Symbol.dispose]();
  }],
  ["RwLock read", () => {
    for (let i = 0; i < OPS; i++) rwLock.read()[Symbol.dispose]();
  }],
  ["RwLock.inMemory read", () => {
    for (let i = 0; i < OPS; i++) rwLockInMemory.read()[Symbol.dispose]();
  }],
  ["RwLock write", () => {
    for (let i = 0; i < OPS; i++) rwLock.write()[Symbol.dispose]();
  }],
  ["RwLock.inMemory write", () => {
    for (let i = 0; i < OPS; i++) rwLockInMemory.write()[Symbol.dispose]();
  }],
];

Deno.bench({
  name: "Atomics.compareExchange + Atomics.store",
  group: "uncontended lock",
  baseline: true,
  fn() {
    for (let i = 0; i < OPS; i++) {
      consumed ^= Atomics.compareExchange(word, 0, 0, -1);
      Atomics.store(word, 0, 0);
    }
  },
});

for (const [name, body] of UNCONTENDED) {
  Deno.bench({
    name: `${name}, outside run`,
    group: "uncontended lock",
    fn: body,
  });
  Deno.bench({
    name: `${name}, on CPU 0`,
    group: "uncontended lock",
    fn: onCpu(body),
  });
}

// ------------------------------------------------------------------ using

const plain: Disposable = { [Symbol.dispose]() {} };

Deno.bench({
  name: "Mutex, guard[Symbol.dispose]()",
  group: "using",
  baseline: true,
  fn() {
    for (let i = 0; i < OPS; i++) {
      const guard = mutex.lock();
      try {
        consumed ^= guard.value;
      } finally {
        guard[Symbol.dispose]();
      }
    }
  },
});

Deno.bench({
  name: "Mutex, using",
  group: "using",
  fn() {
    for (let i = 0; i < OPS; i++) {
      using guard = mutex.lock();
      consumed ^= guard.value;
    }
  },
});

Deno.bench({
  name: "using of a plain Disposable, no lock",
  group: "using",
  fn() {
    for (let i = 0; i < OPS; i++) {
      using _nothing = plain;
    }
  },
});

// ------------------------------------------------------ guarded increment

const counter64 = Mutex.inMemory(memory, 0x1_0300, MemoryTypes.u64);

Deno.bench({
  name: "Mutex<number>: value += 1",
  group: "guarded increment",
  baseline: true,
  fn() {
    for (let i = 0; i < OPS; i++) {
      const guard = mutex.lock();
      guard.value = (guard.value + 1) | 0;
      guard[Symbol.dispose]();
    }
  },
});

Deno.bench({
  name: "Mutex.inMemory u32: value += 1",
  group: "guarded increment",
  fn() {
    for (let i = 0; i < OPS; i++) {
      const guard = mutexInMemory.lock();
      guard.value = (guard.value + 1) >>> 0;
      guard[Symbol.dispose]();
    }
  },
});

Deno.bench({
  name: "Mutex.inMemory u64: value += 1n",
  group: "guarded increment",
  fn() {
    for (let i = 0; i < OPS; i++) {
      const guard = counter64.lock();
      guard.value = BigInt.asUintN(64, guard.value + 1n);
      guard[Symbol.dispose]();
    }
  },
});

// ------------------------------------------------------------------- once

const field = { value: 42 };
const once = new Once<number>();
once.callOnce(() => 42);
const lazy = new Lazy(() => 42);
void lazy.value;
const onceInMemory = Once.inMemory(memory, 0x1_0400, MemoryTypes.u32);
onceInMemory.callOnce(() => 42);
const lazyInMemory = Lazy.inMemory(memory, 0x1_0500, {
  type: MemoryTypes.u32,
  init: () => 42,
});
void lazyInMemory.value;
const init = () => 0;

const READS: [name: string, body: () => void][] = [
  ["Once.get()", () => {
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum = (sum + once.get()!) | 0;
    consumed ^= sum;
  }],
  ["Once.callOnce(init), complete", () => {
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum = (sum + once.callOnce(init)) | 0;
    consumed ^= sum;
  }],
  ["Lazy.value", () => {
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum = (sum + lazy.value) | 0;
    consumed ^= sum;
  }],
  ["Once.inMemory u32 get()", () => {
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum = (sum + onceInMemory.get()!) | 0;
    consumed ^= sum;
  }],
  ["Lazy.inMemory u32 value", () => {
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum = (sum + lazyInMemory.value) | 0;
    consumed ^= sum;
  }],
];

Deno.bench({
  name: "plain field read",
  group: "once",
  baseline: true,
  fn() {
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum = (sum + field.value) | 0;
    consumed ^= sum;
  },
});

for (const [name, body] of READS) {
  Deno.bench({ name, group: "once", fn: body });
}

// ---------------------------------------------------- contended, 2 CPUs
//
// CPU 0 (this thread) and CPU 1 (a Worker) take one lock in turn, PAIRS
// times each; the time runs from their meeting to both being done, so a
// figure is 2 × PAIRS lock + release pairs (divide by 200,000). The
// baseline is a bare CAS + store spinlock on one shared word.

for (const [name, vector] of Object.entries(CONTENDERS)) {
  Deno.bench({
    name: `${name}, 2 CPUs × ${PAIRS}`,
    group: "contended, 2 CPUs",
    baseline: vector === CONTENDERS["bare CAS + store on one word"],
    fn(b) {
      const smp = new Machine({
        cpus: 2,
        image: contended,
        ramSize: 4 << 20,
        sink: new DiscardSink(),
      });
      smp.run(() => {
        const bsp = smp.cpus[0]!;
        bsp.writeU32(0xfee0_0310, 1 << 24); // CPU 1
        bsp.writeU32(0xfee0_0300, 0x4600 | vector); // STARTUP
        meet(bsp);
        b.start();
        LOOPS[name as keyof typeof CONTENDERS](bsp);
        waitForCpu1(bsp);
        b.end();
      });
    },
  });
}

if (consumed === 0x7fff_ffff) console.log(consumed);
