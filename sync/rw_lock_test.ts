import { ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import { DeadlockError } from "./deadlock_error.ts";
import { RwLock } from "./rw_lock.ts";

function run(body: () => void): void {
  const report = new Machine({ ramSize: 2 << 20, sink: new MemorySink() })
    .run(body);
  strictEqual(report.reason, "returned", report.message);
}

function isDeadlock(held: string): (error: unknown) => boolean {
  return (error: unknown) => {
    ok(error instanceof DeadlockError, `expected a DeadlockError: ${error}`);
    ok(error.message.includes(`already ${held} it`), error.message);
    return true;
  };
}

Deno.test("RwLock", async (t) => {
  await t.step("many readers at once", () => {
    const lock = new RwLock(5);
    const readers = Array.from({ length: 10 }, () => lock.read());
    strictEqual(lock.readerCount(), 10);
    strictEqual(readers.reduce((sum, r) => sum + r.value, 0), 50);
    strictEqual(lock.tryWrite(), undefined);
    ok(lock.tryRead() !== undefined);
    for (const reader of readers) reader[Symbol.dispose]();
    strictEqual(lock.readerCount(), 1); // the tryRead guard, never released
  });

  await t.step("one writer, excluding readers and writers", () => {
    const lock = new RwLock({ ticks: 0 });
    {
      using w = lock.write();
      w.value = { ticks: w.value.ticks + 1 };
      strictEqual(lock.isWriteLocked(), true);
      strictEqual(lock.tryRead(), undefined);
      strictEqual(lock.tryWrite(), undefined);
      strictEqual(lock.readerCount(), 0);
    }
    strictEqual(lock.isWriteLocked(), false);
    using r = lock.read();
    strictEqual(r.value.ticks, 1);
  });

  await t.step("guards refuse use after release", () => {
    const lock = new RwLock(1, { name: "config" });
    const r = lock.read();
    r[Symbol.dispose]();
    r[Symbol.dispose]();
    throws(() => r.value, /RwLock "config" was released/);
    strictEqual(lock.readerCount(), 0);
    const w = lock.write();
    w[Symbol.dispose]();
    throws(() => w.value, /released/);
    ok(lock.tryWrite() !== undefined);
  });

  await t.step("same-CPU deadlocks throw", () => {
    const lock = new RwLock(0, { name: "table" });
    run(() => {
      {
        using _r = lock.read();
        using _r2 = lock.read(); // recursive reading is fine
        throws(() => lock.write(), isDeadlock("holds for reading"));
      }
      {
        using _w = lock.write();
        throws(() => lock.write(), isDeadlock("holds"));
        throws(() => lock.read(), isDeadlock("holds for writing"));
      }
      using w = lock.write();
      strictEqual(w.value, 0);
    });
  });

  await t.step("read counts are per CPU: outside run is its own owner", () => {
    const lock = new RwLock(0);
    using _outside = lock.read();
    throws(() => lock.write(), DeadlockError);
  });
});
