import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import { InterruptManager } from "../arch/x86_64/interrupt_manager.ts";
import { int3 } from "../arch/x86_64/interrupts.ts";
import { DeadlockError } from "./deadlock_error.ts";
import { Mutex } from "./mutex.ts";
import { SharedMutex } from "./shared_mutex.ts";

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

Deno.test("SharedMutex", async (t) => {
  await t.step("the lock word is in machine RAM: CPU id + 1, then 0", () => {
    const m = machine();
    const lock = new SharedMutex(m.memory, 0x9000);
    const words = new Int32Array(m.memory.buffer);
    m.run(() => {
      using _guard = lock.lock();
      strictEqual(words[0x9000 / 4], 1);
      strictEqual(lock.isLocked(), true);
    });
    strictEqual(words[0x9000 / 4], 0);
    strictEqual(lock.isLocked(), false);
  });

  await t.step("two objects at one address are one lock", () => {
    const m = machine();
    const a = new SharedMutex(m.memory, 0x9040);
    const b = new SharedMutex(m.memory, 0x9040);
    const guard = a.tryLock();
    ok(guard !== undefined);
    strictEqual(b.tryLock(), undefined);
    strictEqual(m.memory.readU32(0x9040), 0xffff_ffff); // -1: no CPU
    guard[Symbol.dispose]();
    ok(b.tryLock() !== undefined);
  });

  await t.step("same-CPU re-lock throws DeadlockError", () => {
    const m = machine();
    const lock = new SharedMutex(m.memory, 0x9100, { name: "frames" });
    m.run(() => {
      using _held = lock.lock();
      const error = deadlockOf(() => lock.lock());
      strictEqual(error.lock, 'SharedMutex "frames" at 0x9100');
    });
    const unnamed = new SharedMutex(m.memory, 0x9104);
    using _held = unnamed.lock();
    strictEqual(
      deadlockOf(() => unnamed.lock()).lock,
      "unnamed SharedMutex at 0x9104",
    );
  });

  await t.step("the address must be an aligned word inside RAM", () => {
    const m = machine();
    throws(() => new SharedMutex(m.memory, 2), RangeError);
    throws(() => new SharedMutex(m.memory, -4), RangeError);
    throws(() => new SharedMutex(m.memory, 2 << 20), RangeError);
    throws(() => new SharedMutex(m.memory, 0.5), RangeError);
    new SharedMutex(m.memory, (2 << 20) - 4);
  });
});
