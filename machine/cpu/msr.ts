import {
  type ControlState,
  eferWriteFault,
  reservedAddressHigh,
} from "./control_registers.ts";
import { Reg } from "./register_file.ts";

/** The model-specific registers this CPU implements (Intel SDM vol. 4). */
export const Msr = {
  /** IA32_TIME_STAMP_COUNTER: the TSC; a write sets it. */
  IA32_TSC: 0x10,
  /** IA32_APIC_BASE: local APIC base address, BSP (bit 8), enable (bit 11). */
  IA32_APIC_BASE: 0x1b,
  /** IA32_EFER: SCE 0, LME 8, LMA 10, NXE 11. */
  IA32_EFER: 0xc000_0080,
  /** IA32_STAR: `syscall` CS/SS in bits 47..32, `sysret` in bits 63..48. */
  IA32_STAR: 0xc000_0081,
  /** IA32_LSTAR: the RIP that 64-bit `syscall` jumps to. */
  IA32_LSTAR: 0xc000_0082,
  /** IA32_FMASK: the RFLAGS bits that `syscall` clears. */
  IA32_FMASK: 0xc000_0084,
  /** IA32_FS_BASE: the FS segment base. */
  IA32_FS_BASE: 0xc000_0100,
  /** IA32_GS_BASE: the GS segment base. */
  IA32_GS_BASE: 0xc000_0101,
  /** IA32_KERNEL_GS_BASE: the value `swapgs` exchanges with GS base. */
  IA32_KERNEL_GS_BASE: 0xc000_0102,
  /** IA32_TSC_AUX: the value `rdtscp` returns in ECX (bits 31..0). */
  IA32_TSC_AUX: 0xc000_0103,
} as const;

/** The register-file slot of each MSR. */
export const MSR_SLOTS: ReadonlyMap<number, Reg> = new Map<number, Reg>([
  [Msr.IA32_TSC, Reg.TSC],
  [Msr.IA32_APIC_BASE, Reg.APIC_BASE],
  [Msr.IA32_EFER, Reg.EFER],
  [Msr.IA32_STAR, Reg.STAR],
  [Msr.IA32_LSTAR, Reg.LSTAR],
  [Msr.IA32_FMASK, Reg.FMASK],
  [Msr.IA32_FS_BASE, Reg.FS_BASE],
  [Msr.IA32_GS_BASE, Reg.GS_BASE],
  [Msr.IA32_KERNEL_GS_BASE, Reg.KERNEL_GS_BASE],
  [Msr.IA32_TSC_AUX, Reg.TSC_AUX],
]);

/** IA32_APIC_BASE bits 31..0 that software may write: EN (11) and the base. */
const APIC_BASE_WRITABLE = 0xffff_f800;

/**
 * Checks a WRMSR: the write raises #GP(0) when it sets a reserved bit or
 * puts a non-canonical address in an address MSR (SDM 2B "WRMSR").
 *
 * @param msr The MSR number, one of {@linkcode Msr}.
 * @param low Bits 31..0 of the new value.
 * @param high Bits 63..32 of the new value.
 * @param state The current control state.
 * @returns Why the write raises #GP(0), or `undefined`.
 */
export function msrWriteFault(
  msr: number,
  low: number,
  high: number,
  state: ControlState,
): string | undefined {
  switch (msr) {
    case Msr.IA32_EFER:
      return eferWriteFault(low, high, state);
    case Msr.IA32_LSTAR:
    case Msr.IA32_FS_BASE:
    case Msr.IA32_GS_BASE:
    case Msr.IA32_KERNEL_GS_BASE: {
      const top = high >> 15; // bits 63..47 as a signed number
      return top === 0 || top === -1
        ? undefined
        : "the address is not canonical: bits 63..48 must copy bit 47";
    }
    case Msr.IA32_FMASK:
    case Msr.IA32_TSC_AUX:
      return high !== 0 ? "bits 63..32 are reserved and must be 0" : undefined;
    case Msr.IA32_APIC_BASE:
      return (low & 0x6ff) || (high & reservedAddressHigh(state.maxPhysAddr))
        ? `bits 7..0, 9, 10 and 63..${state.maxPhysAddr} of IA32_APIC_BASE are reserved`
        : undefined;
    default:
      return undefined;
  }
}

/**
 * The value IA32_APIC_BASE holds after a write: the BSP flag (bit 8) is
 * read-only and keeps its old value.
 *
 * @param old Bits 31..0 before the write.
 * @param low Bits 31..0 written.
 * @returns The new bits 31..0.
 */
export function apicBaseAfterWrite(old: number, low: number): number {
  return ((low & APIC_BASE_WRITABLE) | (old & 0x100)) >>> 0;
}
