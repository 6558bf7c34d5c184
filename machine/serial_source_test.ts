import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { ScriptedSource, StdinSource } from "./serial_source.ts";

// A program that reads its standard input through a StdinSource for up to
// 5 s, and prints what it saw as JSON: each read() until the end, with
// "-" for each run of reads that found nothing yet.
const READER = (options: string) => `
  import { StdinSource } from "./machine/serial_source.ts";
  const source = new StdinSource(${options});
  const seen = [];
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline) {
    const byte = source.read();
    if (byte !== undefined) { seen.push(byte); continue; }
    if (source.ended) break;
    if (seen.at(-1) !== "-") seen.push("-");
    source.wait(50);
  }
  source.close();
  console.log(JSON.stringify({ seen, ended: source.ended }));
`;

async function read(
  options: string,
  write: (writer: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>,
): Promise<{ seen: (number | "-")[]; ended: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", READER(options)],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await write(writer);
  await writer.close();
  const { code, stdout } = await child.output();
  strictEqual(code, 0);
  return JSON.parse(new TextDecoder().decode(stdout));
}

const bytes = (text: string) => [...new TextEncoder().encode(text)];

Deno.test("StdinSource: a pipe's bytes in order, then the end-of-input byte once", async () => {
  const { seen, ended } = await read("{ endOfInput: 4 }", async (w) => {
    await w.write(new TextEncoder().encode("help\nps\n"));
  });
  deepStrictEqual(seen.filter((b) => b !== "-"), [...bytes("help\nps\n"), 4]);
  strictEqual(ended, true);
});

Deno.test("StdinSource: read() does not wait while the line is quiet", async () => {
  const { seen, ended } = await read("{}", async (w) => {
    await w.write(new TextEncoder().encode("a"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await w.write(new TextEncoder().encode("b"));
  });
  // "a", a quiet spell of 300 ms in which read() finds nothing, "b"; no
  // EOT (maybe quiet reads before "a" and between "b" and the end).
  const first = seen.indexOf(0x61), last = seen.indexOf(0x62);
  deepStrictEqual(seen.slice(first, last + 1), [0x61, "-", 0x62]);
  deepStrictEqual(seen.filter((b) => b !== "-"), [0x61, 0x62]);
  strictEqual(ended, true);
});

Deno.test("StdinSource: more input than its ring waits for the reader, none lost", async () => {
  const big = new Uint8Array(200_000).map((_, i) => 0x41 + i % 26);
  const { seen } = await read("{ endOfInput: 0 }", async (w) => {
    await w.write(big);
  });
  const got = seen.filter((b) => b !== "-");
  strictEqual(got.length, big.length + 1);
  strictEqual(got.at(-1), 0);
  deepStrictEqual(got.slice(0, -1), [...big]);
});

Deno.test("StdinSource: the end-of-input byte must be a byte", () => {
  throws(() => new StdinSource({ endOfInput: 256 }), RangeError);
  throws(() => new StdinSource({ endOfInput: -1 }), RangeError);
});

Deno.test("ScriptedSource: the bytes, then nothing", () => {
  const source = new ScriptedSource(Uint8Array.of(1, 2));
  deepStrictEqual([source.read(), source.read(), source.read()], [
    1,
    2,
    undefined,
  ]);
});
