import type { Cpu } from "../../machine/cpu/cpu.ts";
import { Reg } from "../../machine/cpu/register_file.ts";

/** The general registers, by name. */
export type GeneralRegister =
  | "rax"
  | "rbx"
  | "rcx"
  | "rdx"
  | "rsi"
  | "rdi"
  | "rbp"
  | "r8"
  | "r9"
  | "r10"
  | "r11"
  | "r12"
  | "r13"
  | "r14"
  | "r15";

const GPR: Record<GeneralRegister, Reg> = {
  rax: Reg.RAX,
  rbx: Reg.RBX,
  rcx: Reg.RCX,
  rdx: Reg.RDX,
  rsi: Reg.RSI,
  rdi: Reg.RDI,
  rbp: Reg.RBP,
  r8: Reg.R8,
  r9: Reg.R9,
  r10: Reg.R10,
  r11: Reg.R11,
  r12: Reg.R12,
  r13: Reg.R13,
  r14: Reg.R14,
  r15: Reg.R15,
};

/**
 * What an interrupt handler sees: the vector, the error code where the
 * vector has one, the frame the CPU pushed on the stack — RIP, CS, RFLAGS,
 * RSP and SS, read and written in machine memory, so that `iretq`
 * restores what the handler leaves there — and the interrupted general
 * registers.
 *
 * @example Reading the frame of a breakpoint
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 * import { InterruptManager } from "./interrupt_manager.ts";
 * import { int3 } from "./interrupts.ts";
 *
 * let seen = "";
 * const report = new Machine({ ramSize: 2 << 20 }).run(() => {
 *   const idt = new InterruptManager();
 *   idt.registerHandler(3, (ctx) => {
 *     seen = `vector ${ctx.vector}, cs ${ctx.cs}, error code ${ctx.errorCode}`;
 *   });
 *   idt.load();
 *   int3();
 * });
 * strictEqual(report.reason, "returned");
 * strictEqual(seen, "vector 3, cs 8, error code undefined");
 * ```
 */
export class InterruptContext {
  /** The vector, 0 to 255. */
  readonly vector: number;
  #cpu: Cpu;
  #frame: number;
  #hasErrorCode: boolean;

  /**
   * The context of the delivery under way on `cpu`; its RSP points at the
   * error code, or at RIP when there is none.
   *
   * @param cpu The CPU.
   * @param vector The vector.
   * @param hasErrorCode Whether an error code was pushed.
   */
  constructor(cpu: Cpu, vector: number, hasErrorCode: boolean) {
    this.#cpu = cpu;
    this.vector = vector;
    this.#hasErrorCode = hasErrorCode;
    const rsp = (cpu.registers.high(Reg.RSP) | 0) * 2 ** 32 +
      cpu.registers.low(Reg.RSP);
    this.#frame = rsp + (hasErrorCode ? 8 : 0);
  }

  /** The error code the CPU pushed, or `undefined` for vectors without one. */
  get errorCode(): number | undefined {
    return this.#hasErrorCode ? this.#cpu.readU32(this.#frame - 8) : undefined;
  }

  /** The interrupted RIP (unsigned 64-bit); set it to return elsewhere. */
  get rip(): bigint {
    return this.#cpu.readU64(this.#frame);
  }
  set rip(value: bigint) {
    this.#cpu.writeU64(this.#frame, BigInt.asUintN(64, value));
  }

  /** The interrupted CS; bits 1..0 are the CPL it ran at. */
  get cs(): number {
    return Number(this.#cpu.readU64(this.#frame + 8) & 0xffffn);
  }
  set cs(value: number) {
    this.#cpu.writeU64(this.#frame + 8, BigInt(value & 0xffff));
  }

  /** The interrupted RFLAGS. */
  get rflags(): number {
    return Number(this.#cpu.readU64(this.#frame + 16) & 0xffff_ffffn);
  }
  set rflags(value: number) {
    this.#cpu.writeU64(this.#frame + 16, BigInt(value >>> 0));
  }

  /** The interrupted RSP (unsigned 64-bit). */
  get rsp(): bigint {
    return this.#cpu.readU64(this.#frame + 24);
  }
  set rsp(value: bigint) {
    this.#cpu.writeU64(this.#frame + 24, BigInt.asUintN(64, value));
  }

  /** The interrupted SS. */
  get ss(): number {
    return Number(this.#cpu.readU64(this.#frame + 32) & 0xffffn);
  }
  set ss(value: number) {
    this.#cpu.writeU64(this.#frame + 32, BigInt(value & 0xffff));
  }

  /** The virtual address of the frame (of its RIP slot). */
  get frameAddress(): bigint {
    return BigInt.asUintN(64, BigInt(this.#frame));
  }

  /**
   * An interrupted general register.
   *
   * @param name The register.
   * @returns Its value.
   */
  register(name: GeneralRegister): bigint {
    return this.#cpu.registers.get(GPR[name]);
  }

  /**
   * Changes an interrupted general register: the interrupted code sees the
   * new value after `iretq`.
   *
   * @param name The register.
   * @param value The new value (taken modulo 2^64).
   */
  setRegister(name: GeneralRegister, value: bigint): void {
    this.#cpu.registers.set(GPR[name], value);
  }
}
