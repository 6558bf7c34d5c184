import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import { InterruptManager } from "../arch/x86_64/interrupt_manager.ts";
import { int3 } from "../arch/x86_64/interrupts.ts";
import { DeadlockError } from "./deadlock_error.ts";
import { MemoryTypes } from "./memory_type.ts";
import { Mutex } from "./mutex.ts";

function machine(): Machine {
  return new Machine({ ramSize: 2 << 20, sink: new MemorySink() });
}

function deadlockOf(body: () => void): DeadlockError {
  let caught: unknown;
  try {
    body();
  } catch (error) {
    caught = error;
  }
  ok(caught instanceof DeadlockError, `expected a DeadlockError: ${caught}`);
  return caught;
}

Deno.test("Mutex", async (t) => {
  await t.step("using unlocks at the end of the scope", () => {
    const mutex = new Mutex(0);
    {
      using data = mutex.lock();
      data.value += 1;
      strictEqual(mutex.isLocked(), true);
    }
    strictEqual(mutex.isLocked(), false);
    {
      using data = mutex.lock();
      strictEqual(data.value, 1);
    }
  });

  await t.step("the guard holds the value by reference", () => {
    const mutex = new Mutex<number[]>([]);
    const list = mutex.lock();
    list.value.push(7);
    list.value = [...list.value, 8];
    list[Symbol.dispose]();
    deepStrictEqual(mutex.lock().value, [7, 8]);
  });

  await t.step("use after release throws; disposing twice is harmless", () => {
    const mutex = new Mutex(1, { name: "counter" });
    const guard = mutex.lock();
    guard[Symbol.dispose]();
    strictEqual(guard.released, true);
    throws(() => guard.value, /guard of Mutex "counter" was released/);
    throws(() => {
      guard.value = 2;
    }, /released/);
    guard[Symbol.dispose]();
    strictEqual(mutex.isLocked(), false);
    // A second dispose must not unlock someone else's hold.
    const other = mutex.lock();
    guard[Symbol.dispose]();
    strictEqual(mutex.isLocked(), true);
    other[Symbol.dispose]();
  });

  await t.step("tryLock fails while held, by anyone", () => {
    const mutex = new Mutex("x");
    const guard = mutex.tryLock();
    ok(guard !== undefined);
    strictEqual(mutex.tryLock(), undefined);
    guard[Symbol.dispose]();
    const again = mutex.tryLock();
    ok(again !== undefined);
    strictEqual(again.value, "x");
    again[Symbol.dispose]();
  });

  await t.step("re-locking outside Machine.run is a deadlock too", () => {
    const mutex = new Mutex(0);
    using _held = mutex.lock();
    const error = deadlockOf(() => mutex.lock());
    strictEqual(error.cpu, undefined);
    strictEqual(error.lock, "unnamed Mutex");
    ok(error.message.includes("outside Machine.run"), error.message);
  });

  await t.step("same-CPU re-lock inside Machine.run throws", () => {
    const mutex = new Mutex(0, { name: "heap" });
    let error: DeadlockError | undefined;
    const report = machine().run(() => {
      function outerAllocate(): void {
        using _heap = mutex.lock();
        error = deadlockOf(function innerAllocate() {
          mutex.lock();
        });
      }
      outerAllocate();
      strictEqual(mutex.isLocked(), false);
    });
    strictEqual(report.reason, "returned", report.message);
    ok(error !== undefined);
    strictEqual(error.cpu, 0);
    strictEqual(error.lock, 'Mutex "heap"');
    ok(error.message.startsWith('Deadlock on Mutex "heap": CPU 0'));
    ok(/this acquisition: at innerAllocate/.test(error.message), error.message);
    ok(error.message.includes("outerAllocate"), error.message);
    ok(error.message.includes("earlier acquisition"), error.message);
    ok(!error.frames.some((frame) => frame.includes("Mutex.lock")));
  });

  await t.step("an interrupt handler locking a held Mutex throws", () => {
    const counter = new Mutex(0, { name: "counter" });
    let error: unknown;
    const report = machine().run(() => {
      const idt = new InterruptManager();
      idt.registerHandler(3, function onBreakpoint(): void {
        using count = counter.lock();
        count.value += 1;
      });
      idt.load();
      function holdCounter(): void {
        using count = counter.lock();
        count.value += 10;
        int3(); // the handler runs nested inside this scope
      }
      try {
        holdCounter();
      } catch (e) {
        error = e;
      }
      strictEqual(counter.isLocked(), false);
      // Without the outer hold, the handler takes the lock normally.
      int3();
    });
    strictEqual(report.reason, "returned", report.message);
    ok(error instanceof DeadlockError, `expected a DeadlockError: ${error}`);
    ok(/this acquisition: at onBreakpoint/.test(error.message), error.message);
    ok(error.message.includes("holdCounter"), error.message);
    ok(error.message.includes("interrupt handler"), error.message);
    strictEqual(counter.lock().value, 11);
  });

  await t.step("different Mutexes nest freely", () => {
    const a = new Mutex(1);
    const b = new Mutex(2);
    machine().run(() => {
      using x = a.lock();
      using y = b.lock();
      strictEqual(x.value + y.value, 3);
    });
  });
});

Deno.test("Mutex.inMemory", async (t) => {
  await t.step("the lock word is at the address: CPU id + 1, then 0", () => {
    const m = machine();
    const lock = Mutex.inMemory(m.memory, 0x9000);
    const words = new Int32Array(m.memory.buffer);
    m.run(() => {
      using _guard = lock.lock();
      strictEqual(words[0x9000 / 4], 1);
      strictEqual(lock.isLocked(), true);
    });
    strictEqual(words[0x9000 / 4], 0);
    strictEqual(lock.isLocked(), false);
  });

  await t.step("zeroed memory is free; memory says who holds it", () => {
    const m = machine();
    strictEqual(Mutex.inMemory(m.memory, 0xa000).isLocked(), false);
    m.memory.writeU32(0xa000, 2); // as CPU 1 would leave it
    const held = Mutex.inMemory(m.memory, 0xa000);
    strictEqual(held.isLocked(), true);
    strictEqual(held.tryLock(), undefined);
    m.memory.writeU32(0xa000, 0);
    ok(held.tryLock() !== undefined);
  });

  await t.step("two objects at one address are one lock and one datum", () => {
    const m = machine();
    const a = Mutex.inMemory(m.memory, 0x9040, MemoryTypes.u32);
    const b = Mutex.inMemory(m.memory, 0x9040, MemoryTypes.u32);
    const guard = a.tryLock();
    ok(guard !== undefined);
    strictEqual(b.tryLock(), undefined);
    strictEqual(b.isLocked(), true);
    strictEqual(m.memory.readU32(0x9040), 0xffff_ffff); // -1: no CPU
    guard.value = 0xdead_beef;
    strictEqual(m.memory.readU32(0x9048), 0xdead_beef); // the data at +8
    strictEqual(m.memory.readU32(0x9044), 0); // +4 is unused
    guard[Symbol.dispose]();
    const other = b.tryLock();
    ok(other !== undefined);
    strictEqual(other.value, 0xdead_beef);
    m.memory.writeU32(0x9048, 7); // memory is the data
    strictEqual(other.value, 7);
    other[Symbol.dispose]();
  });

  await t.step("data that does not fit its type is refused", () => {
    const m = machine();
    const lock = Mutex.inMemory(m.memory, 0x9080, MemoryTypes.u8);
    using byte = lock.lock();
    byte.value = 255;
    throws(() => {
      byte.value += 1;
    }, /Invalid u8 value 256: expected an integer from 0 to 255/);
    strictEqual(byte.value, 255);
    strictEqual(lock.isLocked(), true);
  });

  await t.step("without a type the data is undefined and takes no room", () => {
    const m = machine();
    const lock = Mutex.inMemory(m.memory, (2 << 20) - 8);
    using guard = lock.lock();
    strictEqual(guard.value, undefined);
  });

  await t.step("same-CPU re-lock throws DeadlockError", () => {
    const m = machine();
    const lock = Mutex.inMemory(m.memory, 0x9100, undefined, {
      name: "frames",
    });
    m.run(() => {
      using _held = lock.lock();
      const error = deadlockOf(() => Mutex.inMemory(m.memory, 0x9100).lock());
      strictEqual(error.lock, "unnamed Mutex at 0x9100");
      strictEqual(error.cpu, 0);
      strictEqual(
        deadlockOf(() => lock.lock()).lock,
        'Mutex "frames" at 0x9100',
      );
    });
  });
});
