import { currentCpu } from "../machine/current_cpu.ts";
import { format } from "./format.ts";
import { SerialPort } from "./serial_port.ts";

const COM1 = new SerialPort(0x3f8);
// The I/O buses whose COM1 is known to be set up.
const ready = new WeakSet<object>();
const encoder = new TextEncoder();
let buffer = new Uint8Array(256);

// COM1 of the calling CPU's machine, set up on first use there.
function com1(): SerialPort {
  const bus = currentCpu().io;
  if (!ready.has(bus)) {
    if (!COM1.isInitialised()) COM1.init();
    ready.add(bus);
  }
  return COM1;
}

function send(text: string): void {
  com1();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return sendUtf8(text.slice(i));
    COM1.send(c);
  }
}

function sendUtf8(text: string): void {
  if (buffer.length < text.length * 3) buffer = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, buffer);
  for (let i = 0; i < written; i++) COM1.send(buffer[i]!);
}

/**
 * Sends raw bytes to COM1 as {@linkcode kprint} sends its text (`\n` goes
 * out as `\r\n`): for output that is bytes already, such as C's `printf`.
 *
 * @param bytes The bytes.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Bytes that are not UTF-8
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { Machine, MemorySink } from "../machine/mod.ts";
 *
 * const sink = new MemorySink();
 * new Machine({ ramSize: 1 << 20, sink }).run(() => kwrite(Uint8Array.of(0xb0, 0x0a)));
 * deepStrictEqual([...sink.bytes()], [0xb0, 0x0d, 0x0a]);
 * ```
 */
export function kwrite(bytes: Uint8Array): void {
  const port = com1();
  for (let i = 0; i < bytes.length; i++) port.send(bytes[i]!);
}

/**
 * Prints like Rust's `print!`, but to the serial port COM1 of the machine
 * the calling code runs on, through the 16550 protocol: each byte waits for
 * LSR.THRE, then goes to THR; `\n` goes out as `\r\n`. The first call on a
 * machine initialises COM1 if the kernel has not.
 *
 * @param fmt A format string, as for {@linkcode format}.
 * @param args Its arguments.
 * @throws {FormatError} If the format string or the arguments are invalid.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Printing without a newline
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine, MemorySink } from "../machine/mod.ts";
 *
 * const sink = new MemorySink();
 * new Machine({ ramSize: 1 << 20, sink }).run(() => kprint("{}+{}=", 1, 2));
 * strictEqual(sink.text(), "1+2=");
 * ```
 */
export function kprint(fmt: string, ...args: unknown[]): void {
  send(format(fmt, ...args));
}

/**
 * Prints a line like Rust's `println!`, but to the serial port COM1: the
 * seed's `kprintln!`. See {@linkcode kprint}.
 *
 * @param fmt A format string, as for {@linkcode format}.
 * @param args Its arguments.
 * @throws {FormatError} If the format string or the arguments are invalid.
 * @throws {NoCpuError} Outside `Machine.run`.
 *
 * @example Printing CR3 as Rust would
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine, MemorySink } from "../machine/mod.ts";
 *
 * const sink = new MemorySink();
 * new Machine({ ramSize: 1 << 20, sink }).run(() => kprintln("cr3 = {:#x}", 0x1000));
 * strictEqual(sink.text(), "cr3 = 0x1000\r\n");
 * ```
 */
export function kprintln(fmt = "", ...args: unknown[]): void {
  send(format(fmt, ...args));
  send("\n");
}
