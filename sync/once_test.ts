import { ok, strictEqual, throws } from "node:assert/strict";
import { Machine, MemorySink } from "../machine/mod.ts";
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
      ok(error.message.startsWith("Once poisoned"), error.message);
      ok(error.message.includes("no device"), error.message);
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
