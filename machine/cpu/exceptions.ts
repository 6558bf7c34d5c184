/**
 * The exception vectors of Intel SDM 3A §6.3, table 6-1.
 */
export const Vector = {
  /** #DE, divide error. */
  DE: 0,
  /** #DB, debug exception. */
  DB: 1,
  /** NMI, non-maskable interrupt. */
  NMI: 2,
  /** #BP, breakpoint (`int3`). */
  BP: 3,
  /** #OF, overflow (`into`). */
  OF: 4,
  /** #BR, BOUND range exceeded. */
  BR: 5,
  /** #UD, invalid opcode. */
  UD: 6,
  /** #NM, device not available. */
  NM: 7,
  /** #DF, double fault; its error code is always 0. */
  DF: 8,
  /** #TS, invalid TSS. */
  TS: 10,
  /** #NP, segment not present. */
  NP: 11,
  /** #SS, stack-segment fault. */
  SS: 12,
  /** #GP, general protection. */
  GP: 13,
  /** #PF, page fault. */
  PF: 14,
  /** #MF, x87 floating-point error. */
  MF: 16,
  /** #AC, alignment check. */
  AC: 17,
  /** #MC, machine check. */
  MC: 18,
  /** #XM, SIMD floating-point exception. */
  XM: 19,
  /** #VE, virtualization exception. */
  VE: 20,
  /** #CP, control-protection exception. */
  CP: 21,
  /** #HV, hypervisor injection exception. */
  HV: 28,
  /** #VC, VMM communication exception. */
  VC: 29,
  /** #SX, security exception. */
  SX: 30,
} as const;

const NAMES = new Map<number, string>(
  Object.entries(Vector).map(([name, vector]) => [
    vector,
    name === "NMI" ? name : `#${name}`,
  ]),
);

/**
 * The SDM's mnemonic for a vector: `#GP` for 13, `NMI` for 2, and
 * `vector 0x20` for the others.
 *
 * @param vector The vector, 0 to 255.
 * @returns Its name.
 */
export function vectorName(vector: number): string {
  return NAMES.get(vector) ?? `vector 0x${vector.toString(16)}`;
}

/**
 * Whether the CPU pushes an error code for this exception: 8, 10..14, 17,
 * 21, 29 and 30 (SDM 3A §6.13, table 6-1).
 *
 * @param vector The vector, 0 to 255.
 * @returns `true` if an error code is pushed.
 */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 ||
    vector === 21 || vector === 29 || vector === 30;
}

/** How SDM 3A table 6-4 classes an exception for double-fault purposes. */
export type ExceptionClass = "benign" | "contributory" | "page fault";

/**
 * The class of an exception in SDM 3A table 6-4: contributory for #DE, #TS,
 * #NP, #SS and #GP, page fault for #PF (and #VE), benign for the rest.
 *
 * @param vector The vector.
 * @returns Its class.
 */
export function exceptionClass(vector: number): ExceptionClass {
  if (vector === Vector.PF || vector === Vector.VE) return "page fault";
  if (vector === 0 || (vector >= 10 && vector <= 13)) return "contributory";
  return "benign";
}

/**
 * What happens when `second` is raised while the CPU delivers `first`
 * (SDM 3A table 6-5): the second exception is handled serially, it turns
 * into a double fault, or — when `first` is #DF — the CPU shuts down.
 *
 * @param first The exception being delivered.
 * @param second The exception raised while delivering it.
 * @returns The vector to deliver next, or `"triple fault"`.
 */
export function combineExceptions(
  first: number,
  second: number,
): number | "triple fault" {
  if (first === Vector.DF) return "triple fault";
  const a = exceptionClass(first);
  const b = exceptionClass(second);
  if (a === "contributory" && b === "contributory") return Vector.DF;
  if (a === "page fault" && b !== "benign") return Vector.DF;
  return second;
}

/**
 * The error code of a fault that names an IDT gate (SDM 3A §6.13, figure
 * 6-7): the vector in bits 15..3, IDT (bit 1) set, and EXT (bit 0) set when
 * the fault happened while delivering another event.
 *
 * @param vector The vector of the gate.
 * @param external Whether the fault happened during an event's delivery.
 * @returns The error code.
 */
export function idtErrorCode(vector: number, external: boolean): number {
  return vector << 3 | 2 | (external ? 1 : 0);
}
