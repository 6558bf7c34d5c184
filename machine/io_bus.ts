import { hex } from "./_hex.ts";

/** The number of ports of the x86 I/O address space (SDM 1 §19.2). */
export const PORT_COUNT = 65536;

/**
 * A device on the I/O bus. It handles byte accesses to the ports it claims;
 * a 16- or 32-bit access goes to `read16`/`read32` (or the write forms)
 * when the device has them and owns every byte of the access, and is
 * otherwise split into byte accesses, low byte first, as the ISA bus does.
 */
export interface IoDevice {
  /** A name for diagnostics, such as `"COM1"`. */
  readonly name: string;
  /** Reads the byte at `port`. */
  read8(port: number): number;
  /** Writes the byte `value` to `port`. */
  write8(port: number, value: number): void;
  /** Reads a 16-bit value at `port`, if the device has 16-bit registers. */
  read16?(port: number): number;
  /** Writes a 16-bit value at `port`, if the device has 16-bit registers. */
  write16?(port: number, value: number): void;
  /** Reads a 32-bit value at `port`, if the device has 32-bit registers. */
  read32?(port: number): number;
  /** Writes a 32-bit value at `port`, if the device has 32-bit registers. */
  write32?(port: number, value: number): void;
}

/**
 * Thrown for a port outside 0..0xFFFF, a value too wide for the access, or
 * a claim that overlaps another device's ports.
 */
export class PortError extends RangeError {
  /**
   * Builds the error.
   *
   * @param message What was wrong and what was expected.
   */
  constructor(message: string) {
    super(message);
    this.name = "PortError";
  }
}

/**
 * The I/O address space: 65,536 byte ports, each owned by at most one
 * device. A read of an unclaimed port returns all ones and a write to one
 * is ignored, as on a PC bus with nothing to answer.
 *
 * @example An unclaimed port floats high
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const bus = new IoBus();
 * strictEqual(bus.read8(0x80), 0xff);
 * strictEqual(bus.read16(0x80), 0xffff);
 * strictEqual(bus.read32(0x80), 0xffff_ffff);
 * ```
 */
export class IoBus {
  // Index into #devices of each port's owner; 0 means unclaimed.
  #owner = new Uint8Array(PORT_COUNT);
  #devices: (IoDevice | undefined)[] = [undefined];

  /**
   * Gives `count` ports from `first` to `device`.
   *
   * @param device The device that answers.
   * @param first The first port.
   * @param count How many consecutive ports.
   * @throws {PortError} If the range leaves 0..0xFFFF or a port is taken.
   */
  claim(device: IoDevice, first: number, count: number): void {
    checkPort(first);
    if (!Number.isInteger(count) || count < 1 || first + count > PORT_COUNT) {
      throw new PortError(
        `Invalid port count ${count} from ${hex(first, 4)}: expected 1 to ${
          PORT_COUNT - first
        }`,
      );
    }
    for (let port = first; port < first + count; port++) {
      const owner = this.#devices[this.#owner[port]!];
      if (owner !== undefined) {
        throw new PortError(
          `Port ${
            hex(port, 4)
          } is already claimed by ${owner.name}: ${device.name} cannot claim it`,
        );
      }
    }
    let index = this.#devices.indexOf(device);
    if (index < 0) index = this.#devices.push(device) - 1;
    if (index > 255) throw new PortError("Too many devices: at most 255");
    this.#owner.fill(index, first, first + count);
  }

  /**
   * The device that owns `port`, if any.
   *
   * @param port The port.
   * @returns The device, or `undefined` when the port is unclaimed.
   * @throws {PortError} If the port is outside 0..0xFFFF.
   */
  deviceAt(port: number): IoDevice | undefined {
    checkPort(port);
    return this.#devices[this.#owner[port]!];
  }

  /**
   * Reads a byte (the `in al, dx` instruction).
   *
   * @param port The port, 0 to 0xFFFF.
   * @returns The byte; 0xFF from an unclaimed port.
   * @throws {PortError} If the port is outside 0..0xFFFF.
   */
  read8(port: number): number {
    if ((port & 0xffff) !== port) checkPort(port);
    const device = this.#devices[this.#owner[port]!];
    return device === undefined ? 0xff : device.read8(port);
  }

  /**
   * Reads 16 bits (the `in ax, dx` instruction).
   *
   * @param port The port of the low byte, 0 to 0xFFFF.
   * @returns The value; 0xFFFF from unclaimed ports.
   * @throws {PortError} If the port is outside 0..0xFFFF.
   */
  read16(port: number): number {
    if ((port & 0xffff) !== port) checkPort(port);
    const device = this.#whole(port, 2);
    if (device?.read16 !== undefined) return device.read16(port);
    return this.#byte(port) | this.#byte(port + 1) << 8;
  }

  /**
   * Reads 32 bits (the `in eax, dx` instruction).
   *
   * @param port The port of the low byte, 0 to 0xFFFF.
   * @returns The value; 0xFFFF_FFFF from unclaimed ports.
   * @throws {PortError} If the port is outside 0..0xFFFF.
   */
  read32(port: number): number {
    if ((port & 0xffff) !== port) checkPort(port);
    const device = this.#whole(port, 4);
    if (device?.read32 !== undefined) return device.read32(port);
    return (this.#byte(port) | this.#byte(port + 1) << 8 |
      this.#byte(port + 2) << 16 | this.#byte(port + 3) << 24) >>> 0;
  }

  /**
   * Writes a byte (the `out dx, al` instruction).
   *
   * @param port The port, 0 to 0xFFFF.
   * @param value The byte, 0 to 0xFF.
   * @throws {PortError} If the port or the value is out of range.
   */
  write8(port: number, value: number): void {
    if ((port & 0xffff) !== port) checkPort(port);
    if ((value & 0xff) !== value) throw valueError(port, value, 8);
    this.#devices[this.#owner[port]!]?.write8(port, value);
  }

  /**
   * Writes 16 bits (the `out dx, ax` instruction).
   *
   * @param port The port of the low byte, 0 to 0xFFFF.
   * @param value The value, 0 to 0xFFFF.
   * @throws {PortError} If the port or the value is out of range.
   */
  write16(port: number, value: number): void {
    if ((port & 0xffff) !== port) checkPort(port);
    if ((value & 0xffff) !== value) throw valueError(port, value, 16);
    const device = this.#whole(port, 2);
    if (device?.write16 !== undefined) return device.write16(port, value);
    this.#putByte(port, value & 0xff);
    this.#putByte(port + 1, value >>> 8);
  }

  /**
   * Writes 32 bits (the `out dx, eax` instruction).
   *
   * @param port The port of the low byte, 0 to 0xFFFF.
   * @param value The value, 0 to 0xFFFF_FFFF.
   * @throws {PortError} If the port or the value is out of range.
   */
  write32(port: number, value: number): void {
    if ((port & 0xffff) !== port) checkPort(port);
    if ((value >>> 0) !== value) throw valueError(port, value, 32);
    const device = this.#whole(port, 4);
    if (device?.write32 !== undefined) return device.write32(port, value);
    for (let i = 0; i < 4; i++) this.#putByte(port + i, value >>> 8 * i & 0xff);
  }

  // The device owning all `width` ports from `port`, if one does.
  #whole(port: number, width: number): IoDevice | undefined {
    if (port + width > PORT_COUNT) return undefined;
    const index = this.#owner[port]!;
    for (let i = 1; i < width; i++) {
      if (this.#owner[port + i] !== index) return undefined;
    }
    return this.#devices[index];
  }

  // One byte of a split access; a byte past 0xFFFF reaches no device.
  #byte(port: number): number {
    return port < PORT_COUNT ? this.read8(port) : 0xff;
  }

  #putByte(port: number, value: number): void {
    if (port < PORT_COUNT) {
      this.#devices[this.#owner[port]!]?.write8(port, value);
    }
  }
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new PortError(
      `Invalid I/O port ${port}: expected an integer from 0 to 0xFFFF`,
    );
  }
}

function valueError(port: number, value: number, bits: number): PortError {
  return new PortError(
    `Invalid ${bits}-bit value ${value} for port ${
      hex(port, 4)
    }: expected an integer from 0 to ${hex(2 ** bits - 1, 1)}`,
  );
}
