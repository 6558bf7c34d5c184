import { ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
import { MemoryTypes } from "./memory_type.ts";
import { Once, OncePoisonedError, ReentrantInitError } from "./once.ts";

Deno.test("Once", async (t) => {
  await t.step("runs the initialiser exactly once", () => {
    const once = new Once<{ id: number }>();
    let runs = 0;
    strictEqual(once.get(), undefined);
    strictEqual(once.isCompleted(), false);
    const first = once.callOnce(() => ({ id: ++runs }));
    const second = once.callOnce(() => ({ id: ++runs }));
    strictEqual(first, second);
    strictEqual(runs, 1);
    strictEqual(once.get(), first);
    strictEqual(once.isCompleted(), true);
  });

  await t.step("undefined is a value like any other", () => {
    const once = new Once<undefined>();
    let runs = 0;
    once.callOnce(() => void runs++);
    once.callOnce(() => void runs++);
    strictEqual(runs, 1);
    strictEqual(once.isCompleted(), true);
  });

  await t.step("a throwing initialiser poisons it", () => {
    const once = new Once<number>();
    const boom = new Error("no device");
    throws(() =>
      once.callOnce(() => {
        throw boom;
      }), (error: unknown) => error === boom);
    strictEqual(once.isPoisoned(), true);
    strictEqual(once.isCompleted(), false);
    let ran = false;
    throws(() => once.callOnce(() => (ran = true, 1)), (error: unknown) => {
      ok(error instanceof OncePoisonedError);
      strictEqual(error.cause, boom);
      strictEqual(error.cpu, undefined);
      strictEqual(
        error.message,
        "Once poisoned: its initialiser threw outside Machine.run (no device), so the value will never exist",
      );
      return true;
    });
    strictEqual(ran, false);
    throws(() => once.get(), OncePoisonedError);
  });

  await t.step("re-entry throws instead of spinning forever", () => {
    const once = new Once<number>();
    throws(
      () => once.callOnce(() => once.callOnce(() => 1) + 1),
      ReentrantInitError,
    );
    const other = new Once<number>();
    throws(() => other.callOnce(() => other.get() ?? 0), ReentrantInitError);
  });

  await t.step("re-entry on a CPU inside Machine.run", () => {
    const once = new Once<number>();
    let seen: unknown;
    const report = new Machine({ ramSize: 2 << 20, sink: new MemorySink() })
      .run(() => {
        try {
          once.callOnce(() => once.callOnce(() => 2));
        } catch (error) {
          seen = error;
        }
      });
    strictEqual(report.reason, "returned", report.message);
    ok(seen instanceof ReentrantInitError);
    // The failed initialiser (it threw) poisons the Once.
    throws(() => once.get(), OncePoisonedError);
  });
});

Deno.test("Once.inMemory", async (t) => {
  const ram = () => new Machine({ ramSize: 2 << 20, sink: new MemorySink() });

  await t.step("state, runner and value at the documented offsets", () => {
    const m = ram();
    const once = Once.inMemory(m.memory, 0x9000, MemoryTypes.u32);
    strictEqual(once.isCompleted(), false); // zeroed memory
    strictEqual(once.get(), undefined);
    m.run(() => {
      once.callOnce(() => {
        strictEqual(m.memory.readU32(0x9000), 1); // running
        strictEqual(m.memory.readU32(0x9004), 1); // runner: CPU 0 + 1
        return 0xcafe;
      });
    });
    strictEqual(m.memory.readU32(0x9000), 2); // complete
    strictEqual(m.memory.readU32(0x9004), 0);
    strictEqual(m.memory.readU32(0x9008), 0xcafe); // the value at +8
  });

  await t.step(
    "a Once completed in memory is complete for every object",
    () => {
      const m = ram();
      m.memory.writeU64(0x9108, 0x1234n);
      m.memory.writeU32(0x9100, 2); // as another CPU would leave it
      const once = Once.inMemory(m.memory, 0x9100, MemoryTypes.u64);
      strictEqual(once.isCompleted(), true);
      strictEqual(once.callOnce(() => 0n), 0x1234n);
    },
  );

  await t.step("two objects: one initialiser runs, both read its value", () => {
    const m = ram();
    const a = Once.inMemory(m.memory, 0x9200, MemoryTypes.i32);
    const b = Once.inMemory(m.memory, 0x9200, MemoryTypes.i32);
    let runs = 0;
    strictEqual(a.callOnce(() => (runs++, -7)), -7);
    strictEqual(b.callOnce(() => (runs++, 9)), -7);
    strictEqual(b.get(), -7);
    strictEqual(runs, 1);
  });

  await t.step("without a type: one CPU runs the initialisation", () => {
    const m = ram();
    let runs = 0;
    Once.inMemory(m.memory, 0x9300).callOnce(() => void runs++);
    Once.inMemory(m.memory, 0x9300).callOnce(() => void runs++);
    strictEqual(runs, 1);
  });

  await t.step("poisoning is seen through a second object", () => {
    const m = ram();
    const a = Once.inMemory(m.memory, 0x9400, MemoryTypes.u8);
    const b = Once.inMemory(m.memory, 0x9400, MemoryTypes.u8);
    const boom = new Error("no ACPI tables");
    m.run(() => {
      throws(() =>
        a.callOnce(() => {
          throw boom;
        }), (error: unknown) => error === boom);
    });
    strictEqual(m.memory.readU32(0x9400), 3); // poisoned
    strictEqual(m.memory.readU32(0x9404), 1); // CPU 0 threw
    strictEqual(b.isPoisoned(), true);
    throws(() => b.callOnce(() => 1), (error: unknown) => {
      ok(error instanceof OncePoisonedError);
      strictEqual(error.cpu, 0);
      strictEqual(error.cause, undefined);
      strictEqual(
        error.message,
        "Once poisoned: its initialiser threw on CPU 0, and the error stayed on that CPU's Worker, so the value will never exist",
      );
      return true;
    });
    throws(() => b.get(), OncePoisonedError);
    // The object whose initialiser threw still has the error.
    throws(
      () => a.get(),
      (error: unknown) =>
        error instanceof OncePoisonedError && error.cause === boom &&
        error.message.includes("on CPU 0 (no ACPI tables)"),
    );
  });

  await t.step("a value that does not fit the type poisons it", () => {
    const m = ram();
    const once = Once.inMemory(m.memory, 0x9500, MemoryTypes.u8);
    throws(() => once.callOnce(() => 300), /Invalid u8 value 300/);
    throws(() => once.get(), OncePoisonedError);
  });

  await t.step("re-entry through another object is detected", () => {
    const m = ram();
    const a = Once.inMemory(m.memory, 0x9600, MemoryTypes.u32);
    const b = Once.inMemory(m.memory, 0x9600, MemoryTypes.u32);
    let seen: unknown;
    m.run(() => {
      try {
        a.callOnce(() => b.callOnce(() => 1) + 1);
      } catch (error) {
        seen = error;
      }
      throws(() => a.get(), OncePoisonedError);
    });
    ok(seen instanceof ReentrantInitError);
    const c = Once.inMemory(m.memory, 0x9700);
    throws(() => c.callOnce(() => void c.get()), ReentrantInitError);
  });
});
