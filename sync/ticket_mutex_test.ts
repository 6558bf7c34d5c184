import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import { DeadlockError } from "./deadlock_error.ts";
import { MemoryTypes } from "./memory_type.ts";
import { TicketMutex } from "./ticket_mutex.ts";

Deno.test("TicketMutex", async (t) => {
  await t.step("guard and using semantics", () => {
    const mutex = new TicketMutex(0, { name: "ticks" });
    {
      using n = mutex.lock();
      n.value += 2;
      strictEqual(mutex.isLocked(), true);
      strictEqual(mutex.queueLength(), 1);
    }
    strictEqual(mutex.isLocked(), false);
    strictEqual(mutex.queueLength(), 0);
    const guard = mutex.lock();
    strictEqual(guard.value, 2);
    guard[Symbol.dispose]();
    guard[Symbol.dispose]();
    throws(() => guard.value, /TicketMutex "ticks" was released/);
    strictEqual(mutex.isLocked(), false);
  });

  await t.step("tryLock refuses while held and does not take a ticket", () => {
    const mutex = new TicketMutex("x");
    const guard = mutex.tryLock();
    ok(guard !== undefined);
    strictEqual(mutex.tryLock(), undefined);
    strictEqual(mutex.queueLength(), 1);
    guard[Symbol.dispose]();
    ok(mutex.tryLock() !== undefined);
  });

  await t.step("holders are served in the order they took tickets", () => {
    // One Worker cannot have a spinning waiter, so the queue is simulated:
    // each request tries to take the lock as soon as the previous holder
    // leaves, and the served order must be the request order.
    const mutex = new TicketMutex<number[]>([]);
    const requests = [3, 1, 4, 1, 5, 9, 2, 6];
    const pending = [...requests];
    let holder = mutex.tryLock();
    ok(holder !== undefined);
    while (pending.length > 0) {
      strictEqual(mutex.tryLock(), undefined); // the next waits its turn
      holder[Symbol.dispose]();
      const next = mutex.tryLock();
      ok(next !== undefined);
      next.value.push(pending.shift()!);
      holder = next;
    }
    holder[Symbol.dispose]();
    deepStrictEqual(mutex.lock().value, requests);
  });

  await t.step(
    "a thousand lock/unlock cycles leave no ticket outstanding",
    () => {
      const mutex = new TicketMutex(0);
      for (let i = 0; i < 1000; i++) {
        using n = mutex.lock();
        n.value++;
      }
      strictEqual(mutex.queueLength(), 0);
      strictEqual(mutex.lock().value, 1000);
    },
  );

  await t.step("same-CPU re-lock throws and leaves the lock usable", () => {
    const mutex = new TicketMutex(0, { name: "runqueue" });
    const report = new Machine({ ramSize: 2 << 20, sink: new MemorySink() })
      .run(() => {
        {
          using _held = mutex.lock();
          throws(() => mutex.lock(), (error: unknown) => {
            ok(error instanceof DeadlockError);
            strictEqual(error.cpu, 0);
            ok(error.message.includes('TicketMutex "runqueue"'));
            return true;
          });
          strictEqual(mutex.queueLength(), 1);
        }
        using again = mutex.lock();
        strictEqual(again.value, 0);
      });
    strictEqual(report.reason, "returned", report.message);
  });
});

Deno.test("TicketMutex.inMemory", async (t) => {
  const ram = () => new Machine({ ramSize: 2 << 20, sink: new MemorySink() });

  await t.step("the words and data are at the documented offsets", () => {
    const m = ram();
    const mutex = TicketMutex.inMemory(m.memory, 0x9000, MemoryTypes.u32);
    strictEqual(mutex.isLocked(), false); // zeroed memory
    m.run(() => {
      using n = mutex.lock();
      n.value = 0x1234_5678;
      strictEqual(m.memory.readU16(0x9000), 0); // now serving
      strictEqual(m.memory.readU16(0x9002), 1); // next ticket
      strictEqual(m.memory.readU32(0x9004), 1); // owner: CPU 0 + 1
    });
    strictEqual(m.memory.readU16(0x9000), 1);
    strictEqual(m.memory.readU32(0x9004), 0);
    strictEqual(m.memory.readU32(0x9008), 0x1234_5678); // the data at +8
  });

  await t.step("two objects at one address share tickets and data", () => {
    const m = ram();
    const a = TicketMutex.inMemory(m.memory, 0x9100, MemoryTypes.i64);
    const b = TicketMutex.inMemory(m.memory, 0x9100, MemoryTypes.i64);
    const guard = a.tryLock();
    ok(guard !== undefined);
    guard.value = -5n;
    strictEqual(b.tryLock(), undefined);
    strictEqual(b.queueLength(), 1);
    guard[Symbol.dispose]();
    const other = b.tryLock();
    ok(other !== undefined);
    strictEqual(other.value, -5n);
    other[Symbol.dispose]();
    strictEqual(a.queueLength(), 0);
    strictEqual(m.memory.readU16(0x9102), 2); // two tickets handed out
  });

  await t.step("tickets wrap around at 2^16, each half on its own", () => {
    const m = ram();
    m.memory.writeU16(0x9200, 0xffff); // now serving
    m.memory.writeU16(0x9202, 0xffff); // next ticket
    const mutex = TicketMutex.inMemory(m.memory, 0x9200);
    strictEqual(mutex.isLocked(), false);
    const guard = mutex.lock();
    strictEqual(m.memory.readU32(0x9200), 0x0000_ffff); // next wrapped to 0
    strictEqual(mutex.queueLength(), 1);
    guard[Symbol.dispose]();
    strictEqual(m.memory.readU32(0x9200), 0); // serving wrapped, no carry
    for (let i = 0; i < 2; i++) mutex.lock()[Symbol.dispose]();
    strictEqual(m.memory.readU32(0x9200), 0x0002_0002);
    strictEqual(mutex.isLocked(), false);
  });

  await t.step("a waiter is counted in the queue and blocks tryLock", () => {
    const m = ram();
    m.memory.writeU16(0x9280, 5); // serving ticket 5 ...
    m.memory.writeU16(0x9282, 7); // ... with ticket 6 waiting
    const mutex = TicketMutex.inMemory(m.memory, 0x9280);
    strictEqual(mutex.queueLength(), 2);
    strictEqual(mutex.tryLock(), undefined);
  });

  await t.step("same-CPU re-lock through another object throws", () => {
    const m = ram();
    m.run(() => {
      using _held = TicketMutex.inMemory(m.memory, 0x9300).lock();
      throws(
        () =>
          TicketMutex.inMemory(m.memory, 0x9300, undefined, { name: "rq" })
            .lock(),
        (error: unknown) =>
          error instanceof DeadlockError &&
          error.lock === 'TicketMutex "rq" at 0x9300',
      );
    });
  });
});
