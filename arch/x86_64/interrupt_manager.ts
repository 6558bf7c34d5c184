import { currentCpu } from "../../machine/current_cpu.ts";
import { InterruptContext } from "./interrupt_context.ts";
import { signedAddress, type VirtualAddressLike } from "./tlb.ts";

/** An interrupt or exception handler. */
export type InterruptHandler = (context: InterruptContext) => void;

/** The options of one IDT gate. */
export interface GateOptions {
  /** The DPL: the highest CPL that may `int n` through it; 0 by default. */
  readonly dpl?: 0 | 1 | 2 | 3;
  /** The IST stack (1..7) to switch to, or 0 (the default) for none. */
  readonly ist?: number;
  /** A trap gate (IF unchanged) instead of an interrupt gate (IF cleared). */
  readonly trap?: boolean;
}

/** The settings of an {@linkcode InterruptManager}. */
export interface InterruptManagerOptions {
  /** Where the 4 KiB IDT goes (a mapped, writable virtual address); 0x7_0000. */
  readonly idtAddress?: VirtualAddressLike;
  /**
   * Where the handlers' code addresses start: vector v's handler is at
   * `handlerBase + 16·v`, which must be mapped and executable; 0x8_0000.
   */
  readonly handlerBase?: VirtualAddressLike;
  /** The kernel code-segment selector in the gates; 0x08. */
  readonly codeSelector?: number;
}

/** Thrown for a vector the SDM reserves (15, 22–27, 31) or outside 0..255. */
export class ReservedVectorError extends RangeError {
  /** The vector. */
  readonly vector: number;

  /**
   * Builds the error.
   *
   * @param vector The vector.
   */
  constructor(vector: number) {
    super(
      Number.isInteger(vector) && vector >= 0 && vector <= 255
        ? `Vector ${vector} is reserved by Intel (SDM 3A table 6-1): handlers go on 0–14, 16–21, 28–30 and 32–255`
        : `Invalid vector ${vector}: expected an integer from 0 to 255`,
    );
    this.name = "ReservedVectorError";
    this.vector = vector;
  }
}

const IDT_BYTES = 256 * 16;

/**
 * Builds and loads the IDT, like the seed's `InterruptManager`: 256
 * 16-byte gates in machine memory (Intel SDM 3A §6.14.1), each leading to a
 * JS handler registered at a code address. Delivery is the CPU's: the frame
 * is pushed on the right stack, the handler runs, and `iretq` returns —
 * to a faulting access, which is then retried.
 *
 * @example The seed's page-fault handler, mapping pages on first touch
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { readCr2 } from "./control.ts";
 * import {
 *   FrameAllocator,
 *   Mapper,
 *   Page,
 *   PageTableFlags,
 *   readU8,
 *   writeU8,
 * } from "../../memory/mod.ts";
 *
 * const faults: bigint[] = [];
 * const report = new Machine({ ramSize: 4 << 20 }).run((boot) => {
 *   const frames = new FrameAllocator(boot.memoryMap);
 *   const mapper = new Mapper();
 *   const manager = new InterruptManager();
 *   manager.registerHandler(14, () => {
 *     const address = readCr2();
 *     faults.push(address);
 *     const flags = new PageTableFlags().present().writable();
 *     mapper.mapTo(Page.containingAddress(address), frames.allocate()!, flags, frames).flush();
 *   });
 *   manager.load();
 *   writeU8(0x4000_0000_1234, 7); // faults, is mapped, and is retried
 *   strictEqual(readU8(0x4000_0000_1234), 7);
 * });
 * strictEqual(report.reason, "returned");
 * strictEqual(faults.length, 1);
 * strictEqual(faults[0], 0x4000_0000_1234n);
 * ```
 */
export class InterruptManager {
  /** The IDT's virtual address, as a signed number. */
  readonly idtAddress: number;
  /** The code address of vector 0's handler, as a signed number. */
  readonly handlerBase: number;
  readonly #selector: number;

  /**
   * Writes an IDT at `idtAddress` whose 256 gates are all missing: 64-bit
   * interrupt gates with P = 0, as the `x86_64` crate's `Entry::missing`,
   * so that reaching one raises #NP (a zeroed gate would raise #GP).
   *
   * @param options Where the IDT and the handlers go.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  constructor(options: InterruptManagerOptions = {}) {
    this.idtAddress = signedAddress(options.idtAddress ?? 0x7_0000);
    this.handlerBase = signedAddress(options.handlerBase ?? 0x8_0000);
    this.#selector = options.codeSelector ?? 0x08;
    const idt = new Uint8Array(IDT_BYTES);
    for (let v = 0; v < 256; v++) idt[v * 16 + 5] = 0x0e;
    currentCpu().writeBytes(this.idtAddress, idt);
  }

  /**
   * Registers `handler` for `vector` and writes its gate: present, an
   * interrupt gate of DPL 0 with no IST unless `options` says otherwise.
   * Once the IDT is loaded, the change takes effect at once.
   *
   * @param vector The vector: 0–14, 16–21, 28–30 or 32–255.
   * @param handler The handler.
   * @param options The gate's DPL, IST index and type.
   * @throws {ReservedVectorError} For a reserved or invalid vector.
   * @throws {RangeError} For an IST index outside 0..7.
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  registerHandler(
    vector: number,
    handler: InterruptHandler,
    options: GateOptions = {},
  ): void {
    if (
      !Number.isInteger(vector) || vector < 0 || vector > 255 ||
      vector === 15 ||
      (vector >= 22 && vector <= 27) || vector === 31
    ) throw new ReservedVectorError(vector);
    const ist = options.ist ?? 0;
    if (!Number.isInteger(ist) || ist < 0 || ist > 7) {
      throw new RangeError(`Invalid IST index ${ist}: expected 0 (none) to 7`);
    }
    const cpu = currentCpu();
    const target = this.handlerBase + vector * 16;
    cpu.code.register(target, (c) => {
      handler(new InterruptContext(c, vector, c.deliveryHasErrorCode));
    });
    const gate = new DataView(new ArrayBuffer(16));
    const offset = BigInt.asUintN(64, BigInt(target));
    gate.setUint16(0, Number(offset & 0xffffn), true);
    gate.setUint16(2, this.#selector, true);
    gate.setUint8(4, ist);
    gate.setUint8(
      5,
      0x80 | (options.dpl ?? 0) << 5 | (options.trap ? 0xf : 0xe),
    );
    gate.setUint16(6, Number(offset >> 16n & 0xffffn), true);
    gate.setUint32(8, Number(offset >> 32n), true);
    cpu.writeBytes(this.idtAddress + vector * 16, new Uint8Array(gate.buffer));
  }

  /**
   * Loads the IDT (`lidt`): base `idtAddress`, limit 4095.
   *
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  load(): void {
    currentCpu().lidt(this.idtAddress, IDT_BYTES - 1);
  }
}
