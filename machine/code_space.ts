import { hex } from "./_hex.ts";
import type { Cpu } from "./cpu/cpu.ts";

/** A JS function the machine can run at a code address. */
export type CodeFunction = (cpu: Cpu) => void;

const CANONICAL = 2 ** 47;

/**
 * The machine's code: JS functions registered at code addresses. An IDT
 * gate or an MSR such as LSTAR holds such an address, and the CPU reaches
 * the function by an instruction fetch there through the MMU, so the page
 * must be mapped, present and executable (NX, SMEP).
 *
 * @example Registering a handler
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const code = new CodeSpace();
 * const handler = () => {};
 * code.register(0x8_0000, handler);
 * strictEqual(code.at(0x8_0000), handler);
 * ```
 */
export class CodeSpace {
  #functions = new Map<number, CodeFunction>();
  /** Counts the registrations, for caches of what is where. */
  version = 0;

  /**
   * Places `fn` at `address`, replacing what was there.
   *
   * @param address A canonical address, as a signed number.
   * @param fn The function.
   * @throws {RangeError} If the address is not a canonical signed integer.
   */
  register(address: number, fn: CodeFunction): void {
    if (
      !Number.isInteger(address) || address < -CANONICAL || address >= CANONICAL
    ) {
      throw new RangeError(
        `Invalid code address ${address}: expected a canonical address as a signed integer`,
      );
    }
    this.#functions.set(address, fn);
    this.version++;
  }

  /**
   * The function at `address`, if any.
   *
   * @param address The address, as a signed number.
   * @returns The function, or `undefined`.
   */
  at(address: number): CodeFunction | undefined {
    return this.#functions.get(address);
  }

  /**
   * Describes `address` for a report.
   *
   * @param address The address, as a signed number.
   * @returns The address in hex, and whether code is there.
   */
  describe(address: number): string {
    return `${hex(BigInt.asUintN(64, BigInt(address)))}${
      this.#functions.has(address) ? "" : " (no code there)"
    }`;
  }
}
