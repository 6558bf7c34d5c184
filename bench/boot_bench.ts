/**
 * Boot to the prompt: the example kernel (`examples/kernel/boot.ts`, 2 CPUs
 * and 1 GiB of RAM) from the machine's creation to its first `exo> `.
 *
 * - `BOOT_IN_PROCESS`: `boot()` in this process, with COM1's output
 *   discarded and a scripted `halt` after the prompt; the time runs from
 *   just before `new Machine` (the application processors' Workers load
 *   the kernel image in it) to the prompt. Goal: < 100 ms.
 * - `BOOT_PROCESS`: `deno run --allow-read examples/kernel/boot.ts` as a
 *   user starts it, with `halt` on its standard input; the time runs from
 *   the spawn to the moment `exo> ` appears on its standard output. Goal:
 *   < 300 ms. (On an SMP machine COM1's lines reach standard output whole,
 *   so the prompt's line shows once the shell has echoed `halt` after it,
 *   one timer tick later at most.)
 *
 * Run with `deno bench --allow-read --allow-run bench/boot_bench.ts`;
 * compare medians over several runs of `deno bench --json`.
 *
 * @module
 */
import { DiscardSink, ScriptedSource } from "../machine/mod.ts";
import { boot } from "../examples/kernel/boot.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PROMPT = new TextEncoder().encode("exo> ");

Deno.bench({
  name: "BOOT_IN_PROCESS",
  group: "boot to the prompt",
  baseline: true,
  n: 15,
  warmup: 2,
  fn(b) {
    b.start();
    const { report } = boot({
      sink: new DiscardSink(),
      source: new ScriptedSource("halt\n"),
      onPrompt: () => b.end(),
    });
    if (report.reason !== "halted") throw new Error(report.toString());
  },
});

// Whether `bytes` holds the prompt.
function hasPrompt(bytes: Uint8Array, length: number): boolean {
  outer: for (let i = 0; i + PROMPT.length <= length; i++) {
    for (let j = 0; j < PROMPT.length; j++) {
      if (bytes[i + j] !== PROMPT[j]) continue outer;
    }
    return true;
  }
  return false;
}

Deno.bench({
  name: "BOOT_PROCESS",
  group: "boot to the prompt",
  n: 10,
  warmup: 1,
  async fn(b) {
    b.start();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "examples/kernel/boot.ts"],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("halt\n"));
    const seen = new Uint8Array(1 << 16);
    let length = 0;
    let ended = false;
    const reader = child.stdout.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen.set(value.subarray(0, seen.length - length), length);
      length = Math.min(seen.length, length + value.length);
      if (!ended && hasPrompt(seen, length)) {
        b.end();
        ended = true;
      }
    }
    await writer.close();
    const status = await child.status;
    if (!ended || status.code !== 0) {
      throw new Error(`boot.ts exited with ${status.code} without a prompt`);
    }
  },
});
