import { ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import { DeadlockError } from "./deadlock_error.ts";
import { MemoryTypes } from "./memory_type.ts";
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

  await t.step("a read guard refuses writes", () => {
    const lock = new RwLock(1, { name: "ro" });
    using r = lock.read();
    throws(() => {
      (r as { value: number }).value = 2;
    }, (error: unknown) =>
      error instanceof TypeError &&
      error.message.includes('RwLock "ro" is a read lock'));
    strictEqual(r.value, 1);
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

Deno.test("RwLock.inMemory", async (t) => {
  const ram = () => new Machine({ ramSize: 2 << 20, sink: new MemorySink() });

  await t.step("state, writer, per-CPU read counts and data in memory", () => {
    const m = ram();
    const lock = RwLock.inMemory(m.memory, 0x9000, MemoryTypes.u16);
    strictEqual(lock.readerCount(), 0); // zeroed memory
    strictEqual(lock.isWriteLocked(), false);
    m.run(() => {
      {
        using w = lock.write();
        w.value = 0xbeef;
        strictEqual(m.memory.readU32(0x9000), 0xffff_ffff); // -1: write-locked
        strictEqual(m.memory.readU32(0x9004), 1); // writer: CPU 0 + 1
      }
      strictEqual(m.memory.readU32(0x9004), 0);
      using _r1 = lock.read();
      using _r2 = lock.read();
      strictEqual(m.memory.readU32(0x9000), 2); // two readers
      strictEqual(m.memory.readU32(0x900c), 2); // CPU 0's read count at +12
      strictEqual(m.memory.readU32(0x9008), 0); // outside Machine.run's
    });
    using _outside = lock.read();
    strictEqual(m.memory.readU32(0x9008), 1);
    strictEqual(m.memory.readU32(0x900c), 0);
    strictEqual(m.memory.readU16(0x9050), 0xbeef); // the data at +80
  });

  await t.step("two objects at one address are one lock", () => {
    const m = ram();
    const a = RwLock.inMemory(m.memory, 0x9100, MemoryTypes.f64);
    const b = RwLock.inMemory(m.memory, 0x9100, MemoryTypes.f64);
    const w = a.tryWrite();
    ok(w !== undefined);
    w.value = 2.5;
    strictEqual(b.tryRead(), undefined);
    strictEqual(b.tryWrite(), undefined);
    strictEqual(b.isWriteLocked(), true);
    w[Symbol.dispose]();
    const r = b.tryRead();
    ok(r !== undefined);
    strictEqual(r.value, 2.5);
    strictEqual(a.readerCount(), 1);
    strictEqual(a.tryWrite(), undefined);
  });

  await t.step("deadlocks are seen through another object too", () => {
    const m = ram();
    const a = RwLock.inMemory(m.memory, 0x9200, undefined, { name: "t" });
    const b = RwLock.inMemory(m.memory, 0x9200);
    m.run(() => {
      {
        using _r = a.read();
        throws(() => b.write(), isDeadlock("holds for reading"));
      }
      using _w = a.write();
      throws(() => b.write(), isDeadlock("holds"));
      throws(() => b.read(), (error: unknown) => {
        ok(error instanceof DeadlockError);
        strictEqual(error.lock, "unnamed RwLock at 0x9200");
        return true;
      });
      throws(() => a.read(), /Deadlock on RwLock "t" at 0x9200: CPU 0/);
    });
  });

  await t.step("read counts of other CPUs are not the caller's", () => {
    const m = ram();
    const lock = RwLock.inMemory(m.memory, 0x9300);
    m.memory.writeU32(0x9300, 1); // one reader ...
    m.memory.writeU32(0x9310, 1); // ... CPU 1, at +12 + 4
    m.run(() => {
      strictEqual(lock.tryWrite(), undefined);
      using _r = lock.read(); // readers share
      strictEqual(lock.readerCount(), 2);
    });
  });
});
