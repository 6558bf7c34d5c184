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
      strictEqual(m.memory.readU32(0x9000), 1); // next ticket
      strictEqual(m.memory.readU32(0x9004), 0); // now serving
      strictEqual(m.memory.readU32(0x9008), 1); // owner: CPU 0 + 1
    });
    strictEqual(m.memory.readU32(0x9004), 1);
    strictEqual(m.memory.readU32(0x9008), 0);
    strictEqual(m.memory.readU32(0x9010), 0x1234_5678); // the data at +16
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
    strictEqual(m.memory.readU32(0x9100), 2); // two tickets handed out
  });

  await t.step("tickets wrap around at 2^32", () => {
    const m = ram();
    m.memory.writeU32(0x9200, 0xffff_ffff);
    m.memory.writeU32(0x9204, 0xffff_ffff);
    const mutex = TicketMutex.inMemory(m.memory, 0x9200);
    for (let i = 0; i < 3; i++) mutex.lock()[Symbol.dispose]();
    strictEqual(m.memory.readU32(0x9200), 2);
    strictEqual(m.memory.readU32(0x9204), 2);
    strictEqual(mutex.isLocked(), false);
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
