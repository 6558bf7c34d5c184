/** The four registers that `cpuid` returns. */
export interface CpuidResult {
  /** EAX. */
  readonly eax: number;
  /** EBX. */
  readonly ebx: number;
  /** ECX. */
  readonly ecx: number;
  /** EDX. */
  readonly edx: number;
}

/** The vendor string of this CPU, as leaf 0 returns it in EBX, EDX, ECX. */
export const CPU_VENDOR = "ExoKernelCPU";

function ascii(text: string, at: number): number {
  let value = 0;
  for (let i = 3; i >= 0; i--) value = value << 8 | text.charCodeAt(at + i);
  return value >>> 0;
}

const bits = (...positions: number[]): number =>
  positions.reduce((mask, bit) => (mask | 1 << bit) >>> 0, 0);

/**
 * The `cpuid` leaves of this CPU (Intel SDM 2A "CPUID"). It reports what
 * the machine implements and nothing more: a kernel that probes a feature
 * finds out whether setting its control bit would fault.
 *
 * - leaf 0: highest leaf 7, vendor `ExoKernelCPU`;
 * - leaf 1: family 6; initial APIC ID in EBX 31..24; EDX FPU TSC MSR PAE
 *   APIC PGE FXSR SSE SSE2; ECX PCID;
 * - leaf 7 subleaf 0: EBX FSGSBASE SMEP SMAP; ECX UMIP PKU;
 * - leaf 0x8000_0000: highest extended leaf 0x8000_0008;
 * - leaf 0x8000_0001: EDX SYSCALL NX Page1GB LM;
 * - leaf 0x8000_0008: EAX 7..0 MAXPHYADDR, 15..8 linear bits (48).
 *
 * Other leaves return zeros, as leaves above the highest do on Intel
 * processors only approximately (they repeat the highest basic leaf).
 *
 * @param leaf The leaf, EAX.
 * @param subleaf The subleaf, ECX.
 * @param apicId The CPU's initial APIC ID.
 * @param maxPhysAddr MAXPHYADDR.
 * @returns The four registers.
 */
export function cpuidLeaf(
  leaf: number,
  subleaf: number,
  apicId: number,
  maxPhysAddr: number,
): CpuidResult {
  switch (leaf) {
    case 0:
      return {
        eax: 7,
        ebx: ascii(CPU_VENDOR, 0),
        edx: ascii(CPU_VENDOR, 4),
        ecx: ascii(CPU_VENDOR, 8),
      };
    case 1:
      return {
        eax: 0x0000_0600,
        ebx: (apicId << 24) >>> 0,
        ecx: bits(17),
        edx: bits(0, 4, 5, 6, 9, 13, 24, 25, 26),
      };
    case 7:
      return subleaf === 0
        ? { eax: 0, ebx: bits(0, 7, 20), ecx: bits(2, 3), edx: 0 }
        : ZERO;
    case 0x8000_0000:
      return { eax: 0x8000_0008, ebx: 0, ecx: 0, edx: 0 };
    case 0x8000_0001:
      return { eax: 0, ebx: 0, ecx: 0, edx: bits(11, 20, 26, 29) };
    case 0x8000_0008:
      return { eax: 48 << 8 | maxPhysAddr, ebx: 0, ecx: 0, edx: 0 };
    default:
      return ZERO;
  }
}

const ZERO: CpuidResult = Object.freeze({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
