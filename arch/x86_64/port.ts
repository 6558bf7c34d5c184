import { currentCpu } from "../../machine/current_cpu.ts";
import { PortError } from "../../machine/io_bus.ts";

/** The width of a port access in bits: `in`/`out` of AL, AX or EAX. */
export type PortWidth = 8 | 16 | 32;

function checkPort(port: number, width: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new PortError(
      `Invalid I/O port ${port}: expected an integer from 0 to 0xFFFF`,
    );
  }
  if (width !== 8 && width !== 16 && width !== 32) {
    throw new PortError(`Invalid port width ${width}: expected 8, 16 or 32`);
  }
}

function read(port: number, width: PortWidth): number {
  const cpu = currentCpu();
  return width === 8
    ? cpu.in8(port)
    : width === 16
    ? cpu.in16(port)
    : cpu.in32(port);
}

function write(port: number, width: PortWidth, value: number): void {
  const cpu = currentCpu();
  if (width === 8) cpu.out8(port, value);
  else if (width === 16) cpu.out16(port, value);
  else cpu.out32(port, value);
}

/**
 * An I/O port that can only be read, like the `x86_64` crate's
 * `PortReadOnly<T>`.
 *
 * @example Reading COM1's line status register
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   const lsr = new PortReadOnly(0x3f8 + 5);
 *   strictEqual(lsr.read() & 0x20, 0x20); // THRE: ready to transmit
 * });
 * ```
 */
export class PortReadOnly {
  /** The port number. */
  readonly port: number;
  /** The access width in bits. */
  readonly width: PortWidth;

  /**
   * Names a port.
   *
   * @param port The port, 0 to 0xFFFF.
   * @param width The access width, 8 bits by default.
   * @throws {PortError} If the port or the width is invalid.
   */
  constructor(port: number, width: PortWidth = 8) {
    checkPort(port, width);
    this.port = port;
    this.width = width;
  }

  /**
   * Reads the port (`in`).
   *
   * @returns The value; all ones from a port no device claims.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  read(): number {
    return read(this.port, this.width);
  }
}

/**
 * An I/O port that can be read and written, like the `x86_64` crate's
 * `Port<T>`: `new Port(0x3f8)` is a byte port, `new Port(0xcf8, 32)` a
 * 32-bit one.
 *
 * @example Writing a byte to COM1's scratch register and reading it back
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * new Machine({ ramSize: 1 << 20 }).run(() => {
 *   const scratch = new Port(0x3f8 + 7);
 *   scratch.write(0x5a);
 *   strictEqual(scratch.read(), 0x5a);
 * });
 * ```
 */
export class Port extends PortReadOnly {
  /**
   * Writes the port (`out`).
   *
   * @param value The value, which must fit the width.
   * @throws {NoCpuError} Outside `Machine.run`.
   * @throws {PortError} If the value is too wide for the port.
   */
  write(value: number): void {
    write(this.port, this.width, value);
  }
}

/**
 * An I/O port that can only be written, like the `x86_64` crate's
 * `PortWriteOnly<T>`.
 *
 * @example Leaving through the debug-exit port
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * const report = new Machine({ ramSize: 1 << 20 }).run(() => {
 *   new PortWriteOnly(0xf4).write(0x10);
 * });
 * strictEqual(report.exitStatus, 0x21);
 * ```
 */
export class PortWriteOnly {
  /** The port number. */
  readonly port: number;
  /** The access width in bits. */
  readonly width: PortWidth;

  /**
   * Names a port.
   *
   * @param port The port, 0 to 0xFFFF.
   * @param width The access width, 8 bits by default.
   * @throws {PortError} If the port or the width is invalid.
   */
  constructor(port: number, width: PortWidth = 8) {
    checkPort(port, width);
    this.port = port;
    this.width = width;
  }

  /**
   * Writes the port (`out`).
   *
   * @param value The value, which must fit the width.
   * @throws {NoCpuError} Outside `Machine.run`.
   * @throws {PortError} If the value is too wide for the port.
   */
  write(value: number): void {
    write(this.port, this.width, value);
  }
}
