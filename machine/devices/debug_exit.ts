import type { IoBus, IoDevice } from "../io_bus.ts";

/** The port of the debug-exit device, as QEMU users configure it. */
export const DEBUG_EXIT_PORT = 0xf4;

/**
 * A debug-exit device like QEMU's `isa-debug-exit,iobase=0xf4,iosize=4`: a
 * write of `v` to its port stops the machine with exit status
 * `(v << 1) | 1`, so a test kernel can report success or failure to the
 * host. Reads return 0.
 *
 * @example A write reports its exit status
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { IoBus } from "../io_bus.ts";
 *
 * let status = -1;
 * const bus = new IoBus();
 * new DebugExit((s) => status = s).attach(bus);
 * bus.write8(DEBUG_EXIT_PORT, 0x10);
 * strictEqual(status, 0x21);
 * ```
 */
export class DebugExit implements IoDevice {
  /** The device's name. */
  readonly name = "debug-exit";
  #exit: (status: number) => void;

  /**
   * Creates the device.
   *
   * @param exit Called with the exit status when software writes the port.
   */
  constructor(exit: (status: number) => void) {
    this.#exit = exit;
  }

  /**
   * Claims ports 0xF4..0xF7.
   *
   * @param bus The I/O bus.
   */
  attach(bus: IoBus): void {
    bus.claim(this, DEBUG_EXIT_PORT, 4);
  }

  /**
   * Reads 0.
   *
   * @returns 0.
   */
  read8(_port: number): number {
    return 0;
  }

  /**
   * Reads 0.
   *
   * @returns 0.
   */
  read16(_port: number): number {
    return 0;
  }

  /**
   * Reads 0.
   *
   * @returns 0.
   */
  read32(_port: number): number {
    return 0;
  }

  /**
   * Exits with status `(value << 1) | 1`.
   *
   * @param value The byte written.
   */
  write8(_port: number, value: number): void {
    this.#exit(value * 2 + 1);
  }

  /**
   * Exits with status `(value << 1) | 1`.
   *
   * @param value The 16-bit value written.
   */
  write16(_port: number, value: number): void {
    this.#exit(value * 2 + 1);
  }

  /**
   * Exits with status `(value << 1) | 1`.
   *
   * @param value The 32-bit value written.
   */
  write32(_port: number, value: number): void {
    this.#exit(value * 2 + 1);
  }
}
