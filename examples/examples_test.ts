import { ok, strictEqual } from "node:assert/strict";

// Runs `deno task <name>` from the repository root as a user would; it
// must succeed with nothing on stderr. Returns what it printed.
async function task(name: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", name],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
  }).output();
  strictEqual(new TextDecoder().decode(stderr), "");
  strictEqual(code, 0);
  return new TextDecoder().decode(stdout);
}

Deno.test("examples/serial_hello.ts prints through COM1 to stdout and halts", async () => {
  const stdout = await task("serial_hello");
  strictEqual(stdout, "Hello from COM1\n");
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
  const stdout = await task("hello");
  strictEqual(
    stdout,
    "Exo-Kernel Core Library - Initialising...\r\n" +
      "The kernel is running!\r\n" +
      "Page table root (CR3): 0x1000\r\n",
  );
});

Deno.test("examples/page_fault.ts maps pages on first touch and halts", async () => {
  const stdout = await task("page_fault");
  const lines = stdout.split("\r\n");
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
});

Deno.test("examples/timer.ts counts ten periods of the local-APIC timer", async () => {
  const stdout = await task("timer");
  // Ten periods of 62,500 counts × 16 TSC ticks, and the 25 cycles of the
  // final rdtsc on the virtual clock.
  strictEqual(
    stdout,
    "10 timer ticks in 10000026 TSC cycles\r\n",
  );
});

Deno.test("examples/sync.ts: the seed's Mutex counter on 2 CPUs and its Once", async () => {
  const stdout = await task("sync");
  strictEqual(
    stdout,
    "MY_DATA = 200000 after 100000 increments on each of 2 CPUs\r\n" +
      "getResource() built 1 struct; the same each time: true\r\n",
  );
});

Deno.test("examples/lazy_static.ts: the seed's GLOBAL_HEAP is built at its first use", async () => {
  const lines = (await task("lazy_static")).split("\r\n");
  strictEqual(lines[0], "before the first allocation: initialised = false");
  strictEqual(lines[1], "heap: initialised at first use");
  // Two blocks inside the heap's 4 MiB at 0x40_0000, 8-byte aligned.
  for (const [line, size] of [[lines[2], 24], [lines[3], 100]] as const) {
    const address = Number(
      line!.match(/^allocate\((\d+)\) = (0x[0-9a-f]+)$/)![2],
    );
    ok(
      address >= 0x40_0000 && address + size <= 0x80_0000 && address % 8 === 0,
      line,
    );
  }
  strictEqual(lines[4], "allocate(8 MiB) = None"); // more than the heap
  strictEqual(lines[5]!.endsWith("in 2 allocations"), true);
});

Deno.test("examples/ffi_cstr.ts: the seed's cstr! and a C string from machine memory, lossy as Rust", async () => {
  strictEqual(
    await task("ffi_cstr"),
    "Driver for Exo-Kernel (10 bytes and a nul)\r\n" +
      "Message from the C driver: link up, 1000 Mbit/s, 42\uFFFDC\r\n" +
      "toStr: Invalid utf-8 sequence of 1 bytes from index 24\r\n",
  );
});
