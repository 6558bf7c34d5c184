import { strictEqual } from "node:assert/strict";

Deno.test("examples/serial_hello.ts prints through COM1 to stdout and halts", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./serial_hello.ts", import.meta.url).pathname],
    stdin: "null",
  }).output();
  strictEqual(new TextDecoder().decode(stderr), "");
  strictEqual(new TextDecoder().decode(stdout), "Hello from COM1\n");
  strictEqual(code, 0);
});

Deno.test("COM1's stdout sink flushes a partial line when the machine stops", async () => {
  const program = `
    import { currentCpu, Machine } from "./machine/mod.ts";
    new Machine({ ramSize: 1 << 20 }).run(() => {
      for (const byte of new TextEncoder().encode("no newline")) currentCpu().out8(0x3f8, byte);
      currentCpu().hlt();
    });
  `;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", program],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
  }).output();
  strictEqual(new TextDecoder().decode(stdout), "no newline");
  strictEqual(code, 0);
});

Deno.test("examples/hello_kernel.ts prints the seed's lines through COM1 and halts", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./hello_kernel.ts", import.meta.url).pathname],
    stdin: "null",
  }).output();
  strictEqual(new TextDecoder().decode(stderr), "");
  strictEqual(
    new TextDecoder().decode(stdout),
    "Exo-Kernel Core Library - Initialising...\r\n" +
      "The kernel is running!\r\n" +
      "Page table root (CR3): 0x1000\r\n",
  );
  strictEqual(code, 0);
});

Deno.test("examples/page_fault.ts maps pages on first touch and halts", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./page_fault.ts", import.meta.url).pathname],
    stdin: "null",
  }).output();
  strictEqual(new TextDecoder().decode(stderr), "");
  const lines = new TextDecoder().decode(stdout).split("\r\n");
  // A write to a page not present: error code 0b10 (W/R = 1, P = 0).
  strictEqual(
    lines[0],
    "#PF at 0xffff900000000008: CAUSED_BY_WRITE (rip 0x100000)",
  );
  strictEqual(
    lines[2],
    "#PF at 0xffff900000002008: CAUSED_BY_WRITE (rip 0x100000)",
  );
  strictEqual(lines[3]!.startsWith("sum = 3003,"), true);
  strictEqual(code, 0);
});

Deno.test("examples/timer.ts counts ten periods of the local-APIC timer", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./timer.ts", import.meta.url).pathname],
    stdin: "null",
  }).output();
  // Ten periods of 62,500 counts × 16 TSC ticks, and the 25 cycles of the
  // final rdtsc on the virtual clock.
  strictEqual(
    new TextDecoder().decode(stdout),
    "10 timer ticks in 10000026 TSC cycles\r\n",
  );
  strictEqual(code, 0);
});

Deno.test("examples/sync.ts: the seed's Mutex counter on 2 CPUs and its Once", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "sync"],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
  }).output();
  strictEqual(new TextDecoder().decode(stderr), "");
  strictEqual(
    new TextDecoder().decode(stdout),
    "MY_DATA = 200000 after 100000 increments on each of 2 CPUs\r\n" +
      "getResource() built 1 struct; the same each time: true\r\n",
  );
  strictEqual(code, 0);
});

Deno.test("examples/lazy_static.ts: the seed's GLOBAL_HEAP is built at its first use", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./lazy_static.ts", import.meta.url).pathname],
    stdin: "null",
  }).output();
  strictEqual(new TextDecoder().decode(stderr), "");
  strictEqual(
    new TextDecoder().decode(stdout),
    [
      "before the first allocation: 0 heaps",
      "heap: initialised at first use",
      "allocate(24) = 0x400000",
      "allocate(100) = 0x400020",
      "allocate(2 MiB) = None",
      "heaps created: 1",
      "",
    ].join("\r\n"),
  );
  strictEqual(code, 0);
});
