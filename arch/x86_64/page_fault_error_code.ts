/**
 * A decoded #PF error code (Intel SDM 3A §4.7, figure 4-12): why a page
 * fault happened.
 *
 * @example The code of a user write to a read-only page
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const code = new PageFaultErrorCode(0b111);
 * strictEqual(code.protectionViolation, true);
 * strictEqual(code.write, true);
 * strictEqual(code.user, true);
 * strictEqual(`${code}`, "PROTECTION_VIOLATION | CAUSED_BY_WRITE | USER_MODE");
 * ```
 */
export class PageFaultErrorCode {
  /** The raw error code. */
  readonly bits: number;

  /**
   * Decodes an error code.
   *
   * @param bits The error code the CPU pushed.
   */
  constructor(bits: number) {
    this.bits = bits >>> 0;
  }

  /** Bit 0 (P): 1 for a protection or reserved-bit violation, 0 for a page not present. */
  get protectionViolation(): boolean {
    return (this.bits & 1) !== 0;
  }
  /** Bit 1 (W/R): the access was a write. */
  get write(): boolean {
    return (this.bits & 2) !== 0;
  }
  /** Bit 2 (U/S): the access was made at CPL 3. */
  get user(): boolean {
    return (this.bits & 4) !== 0;
  }
  /** Bit 3 (RSVD): a reserved bit was set in a paging-structure entry. */
  get malformedTable(): boolean {
    return (this.bits & 8) !== 0;
  }
  /** Bit 4 (I/D): the access was an instruction fetch. */
  get instructionFetch(): boolean {
    return (this.bits & 16) !== 0;
  }
  /** Bit 5 (PK): a protection-key violation. */
  get protectionKey(): boolean {
    return (this.bits & 32) !== 0;
  }
  /** Bit 6 (SS): a shadow-stack access. */
  get shadowStack(): boolean {
    return (this.bits & 64) !== 0;
  }
  /** Bit 15 (SGX): an SGX-specific access-control violation. */
  get sgx(): boolean {
    return (this.bits & 0x8000) !== 0;
  }

  /**
   * The set bits by the names of the `x86_64` crate's flags, like Rust's
   * bitflags Debug; `(empty)` for 0 (a read of a page not present).
   *
   * @returns The names joined by ` | `.
   */
  toString(): string {
    const names = NAMES.filter(([bit]) => this.bits & bit).map(([, name]) =>
      name
    );
    return names.length === 0 ? "(empty)" : names.join(" | ");
  }
}

const NAMES: readonly (readonly [number, string])[] = [
  [1, "PROTECTION_VIOLATION"],
  [2, "CAUSED_BY_WRITE"],
  [4, "USER_MODE"],
  [8, "MALFORMED_TABLE"],
  [16, "INSTRUCTION_FETCH"],
  [32, "PROTECTION_KEY"],
  [64, "SHADOW_STACK"],
  [0x8000, "SGX"],
];
