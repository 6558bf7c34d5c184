import { byteSize, hex } from "./_hex.ts";

/** The size of a page frame, in bytes: RAM sizes are a multiple of it. */
const FRAME_SIZE = 4096;

/**
 * Thrown when a physical address is not an integer address inside RAM.
 *
 * On real hardware such an access would reach no device (reads float high,
 * writes vanish); here it is a bug in the caller, so it is reported with the
 * address, the width of the access and the size of RAM.
 */
export class PhysicalAddressError extends RangeError {
  /** The address that was used. */
  readonly address: number;

  /**
   * Builds the error for an access of `width` bytes at `address`.
   *
   * @param address The address that was used.
   * @param width The width of the access, in bytes.
   * @param ramSize The size of RAM, in bytes.
   */
  constructor(address: number, width: number, ramSize: number) {
    super(
      Number.isInteger(address) && address >= 0
        ? `Physical access of ${width} byte${width === 1 ? "" : "s"} at ${
          hex(address)
        } is outside RAM: the machine has ${byteSize(ramSize)} (${
          hex(ramSize, 1)
        } bytes)`
        : `Invalid physical address ${address}: expected an integer from 0 to ${
          hex(ramSize - 1, 1)
        }`,
    );
    this.name = "PhysicalAddressError";
    this.address = address;
  }
}

/**
 * The machine's RAM: a `SharedArrayBuffer` read and written little-endian
 * through a `DataView`, at physical addresses from 0 to `size - 1`.
 *
 * Every access checks its address; 64-bit values are read and written as a
 * `bigint` or as two `u32` halves (the fast form). The buffer is shared so
 * that the CPUs of an SMP machine, one Worker each, see the same memory.
 *
 * @example Reading back a 64-bit value as a bigint and as halves
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const ram = new PhysicalMemory(64 * 1024);
 * ram.writeU64(0x1000, 0x1122_3344_5566_7788n);
 * strictEqual(ram.readU64(0x1000), 0x1122_3344_5566_7788n);
 * strictEqual(ram.readU64Low(0x1000), 0x5566_7788);
 * strictEqual(ram.readU64High(0x1000), 0x1122_3344);
 * strictEqual(ram.readU8(0x1000), 0x88); // little-endian
 * ```
 */
export class PhysicalMemory {
  /** The memory itself, shared with every CPU. */
  readonly buffer: SharedArrayBuffer;
  /** The size of RAM in bytes. */
  readonly size: number;
  // The fast path of every fixed-width access lets the DataView check the
  // bounds: each view has a fixed length, so it throws a RangeError exactly
  // when the access leaves RAM, and the slow path then reports it as a
  // PhysicalAddressError. A compare of our own before the DataView's made
  // these accesses 1.4–2.2× slower (bench/machine_bench.ts).
  #view: DataView;
  // RAM without its last 4 bytes: a 4-byte access at `a` fits it exactly
  // when an 8-byte access at `a` fits RAM (the low half of a u64).
  #lowView: DataView;
  // RAM from byte 4: a 4-byte access at `a` reads bytes a + 4 .. a + 7 and
  // fits it exactly when an 8-byte access at `a` fits RAM (the high half).
  #highView: DataView;
  #bytes: Uint8Array;
  // The same memory as 32-bit words, for the locked read-modify-writes.
  #words: Int32Array;

  /**
   * Creates zeroed RAM of `size` bytes, or wraps an existing buffer (the
   * form a Worker uses to see the same memory).
   *
   * @param size The size in bytes (a positive multiple of 4096), or the
   *   `SharedArrayBuffer` to use.
   * @throws {RangeError} If the size is not a positive multiple of 4096.
   */
  constructor(size: number | SharedArrayBuffer) {
    const buffer = typeof size === "number" ? undefined : size;
    const bytes = buffer === undefined ? size as number : buffer.byteLength;
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % FRAME_SIZE) {
      throw new RangeError(
        `Invalid RAM size ${bytes}: expected a positive multiple of ${FRAME_SIZE} bytes`,
      );
    }
    this.buffer = buffer ?? new SharedArrayBuffer(bytes);
    this.size = bytes;
    // Explicit lengths: a growable buffer must not widen the views.
    this.#view = new DataView(this.buffer, 0, bytes);
    this.#lowView = new DataView(this.buffer, 0, bytes - 4);
    this.#highView = new DataView(this.buffer, 4, bytes - 4);
    this.#bytes = new Uint8Array(this.buffer, 0, bytes);
    this.#words = new Int32Array(this.buffer, 0, bytes >> 2);
  }

  /**
   * Reads the byte at `address`.
   *
   * @param address The physical address.
   * @returns The byte, 0 to 255.
   * @throws {PhysicalAddressError} If the address is not in RAM.
   */
  readU8(address: number): number {
    if (isWhole(address)) {
      try {
        return this.#view.getUint8(address);
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 1);
    return this.#view.getUint8(address);
  }

  /**
   * Reads the little-endian 16-bit value at `address`.
   *
   * @param address The physical address.
   * @returns The value, 0 to 0xFFFF.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   */
  readU16(address: number): number {
    if (isWhole(address)) {
      try {
        return this.#view.getUint16(address, true);
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 2);
    return this.#view.getUint16(address, true);
  }

  /**
   * Reads the little-endian 32-bit value at `address`.
   *
   * @param address The physical address.
   * @returns The value, 0 to 0xFFFF_FFFF.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   */
  readU32(address: number): number {
    if (isWhole(address)) {
      try {
        return this.#view.getUint32(address, true);
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 4);
    return this.#view.getUint32(address, true);
  }

  /**
   * Reads the little-endian 64-bit value at `address` as a `bigint`.
   *
   * @param address The physical address.
   * @returns The value, 0 to 2^64 − 1.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   */
  readU64(address: number): bigint {
    if (isWhole(address)) {
      try {
        return this.#view.getBigUint64(address, true);
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 8);
    return this.#view.getBigUint64(address, true);
  }

  /**
   * Reads bits 31..0 of the 64-bit value at `address` (the fast form).
   *
   * @param address The physical address of the 64-bit value.
   * @returns The low half, 0 to 0xFFFF_FFFF.
   * @throws {PhysicalAddressError} If the 64-bit value is not inside RAM.
   */
  readU64Low(address: number): number {
    if (isWhole(address)) {
      try {
        return this.#lowView.getUint32(address, true);
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 8);
    return this.#view.getUint32(address, true);
  }

  /**
   * Reads bits 63..32 of the 64-bit value at `address` (the fast form).
   *
   * @param address The physical address of the 64-bit value.
   * @returns The high half, 0 to 0xFFFF_FFFF.
   * @throws {PhysicalAddressError} If the 64-bit value is not inside RAM.
   */
  readU64High(address: number): number {
    if (isWhole(address)) {
      try {
        return this.#highView.getUint32(address, true);
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 8);
    return this.#view.getUint32(address + 4, true);
  }

  /**
   * Writes a byte.
   *
   * @param address The physical address.
   * @param value The byte, 0 to 255.
   * @throws {PhysicalAddressError} If the address is not in RAM.
   * @throws {RangeError} If the value does not fit 8 bits.
   */
  writeU8(address: number, value: number): void {
    if (isWhole(address)) {
      try {
        if (isUint(value, 0xff)) {
          return this.#view.setUint8(address, value);
        }
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 1);
    if ((value & 0xff) !== value) throw valueError(value, 8);
    this.#view.setUint8(address, value);
  }

  /**
   * Writes a little-endian 16-bit value.
   *
   * @param address The physical address.
   * @param value The value, 0 to 0xFFFF.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   * @throws {RangeError} If the value does not fit 16 bits.
   */
  writeU16(address: number, value: number): void {
    if (isWhole(address)) {
      try {
        if (isUint(value, 0xffff)) {
          return this.#view.setUint16(address, value, true);
        }
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 2);
    if ((value & 0xffff) !== value) throw valueError(value, 16);
    this.#view.setUint16(address, value, true);
  }

  /**
   * Writes a little-endian 32-bit value.
   *
   * @param address The physical address.
   * @param value The value, 0 to 0xFFFF_FFFF.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   * @throws {RangeError} If the value does not fit 32 bits.
   */
  writeU32(address: number, value: number): void {
    if (isWhole(address)) {
      try {
        if (isUint(value, 0xffff_ffff)) {
          return this.#view.setUint32(address, value, true);
        }
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 4);
    if ((value >>> 0) !== value) throw valueError(value, 32);
    this.#view.setUint32(address, value, true);
  }

  /**
   * Writes a little-endian 64-bit value given as a `bigint`.
   *
   * @param address The physical address.
   * @param value The value, 0 to 2^64 − 1.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   * @throws {RangeError} If the value does not fit 64 unsigned bits.
   */
  writeU64(address: number, value: bigint): void {
    if (isWhole(address)) {
      try {
        if (BigInt.asUintN(64, value) === value) {
          return this.#view.setBigUint64(address, value, true);
        }
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 8);
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
      throw valueError(value, 64);
    }
    this.#view.setBigUint64(address, value, true);
  }

  /**
   * Writes a 64-bit value given as two `u32` halves (the fast form).
   *
   * @param address The physical address.
   * @param low Bits 31..0.
   * @param high Bits 63..32.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   * @throws {RangeError} If a half does not fit 32 bits.
   */
  writeU64Halves(address: number, low: number, high: number): void {
    if (isWhole(address)) {
      try {
        if (isUint(low, 0xffff_ffff) && isUint(high, 0xffff_ffff)) {
          // The low half first, through the view that checks all 8 bytes, so
          // nothing is written unless the whole value fits.
          this.#lowView.setUint32(address, low, true);
          return this.#view.setUint32(address + 4, high, true);
        }
      } catch { /* the slow path below reports it */ }
    }
    this.#checkAccess(address, 8);
    if ((low >>> 0) !== low) throw valueError(low, 32);
    if ((high >>> 0) !== high) throw valueError(high, 32);
    this.#view.setUint32(address, low, true);
    this.#view.setUint32(address + 4, high, true);
  }

  /**
   * Sets bits in the aligned 32-bit value at `address` with one atomic
   * read-modify-write, as a `lock or` does, so CPUs on other Workers never
   * lose each other's updates (the MMU sets page-table A and D bits so).
   *
   * @param address The physical address, a multiple of 4.
   * @param bits The bits to set.
   * @returns The value before.
   * @throws {PhysicalAddressError} If the access is not inside RAM.
   * @throws {RangeError} If the address is not 4-byte aligned or the bits
   *   do not fit 32 bits.
   */
  orU32(address: number, bits: number): number {
    this.#checkAccess(address, 4);
    if (address % 4 !== 0) {
      throw new RangeError(
        `Unaligned atomic access at ${address}: expected a multiple of 4`,
      );
    }
    if (!isUint(bits, 0xffff_ffff)) throw valueError(bits, 32);
    return Atomics.or(this.#words, address >> 2, bits | 0) >>> 0;
  }

  /**
   * Copies `length` bytes from `source` to `destination`; the ranges may
   * overlap (like `memmove`).
   *
   * @param destination The physical address of the first byte written.
   * @param source The physical address of the first byte read.
   * @param length The number of bytes.
   * @throws {PhysicalAddressError} If either range is not inside RAM.
   */
  copy(destination: number, source: number, length: number): void {
    this.#checkRange(source, length);
    this.#checkRange(destination, length);
    this.#bytes.copyWithin(destination, source, source + length);
  }

  /**
   * Sets `length` bytes from `address` to `byte` (like `memset`).
   *
   * @param address The physical address of the first byte.
   * @param length The number of bytes.
   * @param byte The value of each byte, 0 by default.
   * @throws {PhysicalAddressError} If the range is not inside RAM.
   * @throws {RangeError} If the byte does not fit 8 bits.
   */
  fill(address: number, length: number, byte = 0): void {
    this.#checkRange(address, length);
    if ((byte & 0xff) !== byte) throw valueError(byte, 8);
    this.#bytes.fill(byte, address, address + length);
  }

  /**
   * Copies `length` bytes out of RAM.
   *
   * @param address The physical address of the first byte.
   * @param length The number of bytes.
   * @returns A new array holding the bytes.
   * @throws {PhysicalAddressError} If the range is not inside RAM.
   */
  readBytes(address: number, length: number): Uint8Array {
    this.#checkRange(address, length);
    return this.#bytes.slice(address, address + length);
  }

  /**
   * Copies `bytes` into RAM at `address`.
   *
   * @param address The physical address of the first byte.
   * @param bytes The bytes to write.
   * @throws {PhysicalAddressError} If the range is not inside RAM.
   */
  writeBytes(address: number, bytes: Uint8Array): void {
    this.#checkRange(address, bytes.length);
    this.#bytes.set(bytes, address);
  }

  // The slow path of the fixed-width accesses, reached only when the fast
  // path did not complete: the full address check, which throws unless the
  // access is inside RAM. The `>>>` keeps the TypeError that a bigint or a
  // symbol address has always raised.
  #checkAccess(address: number, width: number): void {
    if ((address >>> 0) !== address || address > this.size - width) {
      this.#check(address, width);
    }
  }

  // Throws unless the `width` bytes from `address` are inside RAM.
  #check(address: number, width: number): void {
    if (
      !Number.isSafeInteger(address) || address < 0 ||
      address > this.size - width
    ) {
      throw new PhysicalAddressError(address, width, this.size);
    }
  }

  #checkRange(address: number, length: number): void {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(
        `Invalid length ${length}: expected a non-negative integer`,
      );
    }
    this.#check(address, length);
  }
}

function valueError(value: number | bigint, bits: number): RangeError {
  return new RangeError(
    `Invalid ${bits}-bit value ${value}: expected an integer from 0 to 2^${bits} - 1`,
  );
}

// Whether `address` is a number with no fraction: the part of the address
// check that a DataView does not make (it would truncate 1.5 to 1). Not
// `address % 1`: on a double that is a slow fmod call.
function isWhole(address: number): boolean {
  return typeof address === "number" && Math.floor(address) === address;
}

// Whether `value` is an integer from 0 to `max` (the form of the check that
// V8 compiles to plain compares; `(value >>> 0) === value` costs more).
function isUint(value: number, max: number): boolean {
  return typeof value === "number" && value >= 0 && value <= max &&
    Math.floor(value) === value;
}
