import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import { DeadlockError } from "./deadlock_error.ts";
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
