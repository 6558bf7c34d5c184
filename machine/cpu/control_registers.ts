// The rules of MOV to CR0/CR3/CR4/CR8 and WRMSR to IA32_EFER in 64-bit mode
// (Intel SDM 2B "MOV—Move to/from Control Registers", SDM 3A §2.5). Each
// check takes the value as two u32 halves and returns why the write raises
// #GP(0), or `undefined` when it is allowed.

/** CR0 bits this CPU implements: PE MP EM TS ET NE WP AM NW CD PG. */
export const CR0_DEFINED = 0xe005_003f;
/** CR0.ET is hardwired to 1 on every processor since the Pentium 4. */
export const CR0_ET = 1 << 4;
const CR0_PE = 1 << 0;
const CR0_NW = 1 << 29;
const CR0_CD = 1 << 30;
const CR0_PG = 1 << 31;

/**
 * CR4 bits this CPU implements: every bit of SDM 3A §2.5 except LA57 (it
 * walks 4 levels only), VMXE, SMXE and OSXSAVE (it has no VMX, SMX or XSAVE).
 */
export const CR4_SUPPORTED = 0x0073_0fff;
const CR4_NAMES: Record<number, string> = {
  12: "LA57: this CPU has no 5-level paging",
  13: "VMXE: this CPU has no VMX",
  14: "SMXE: this CPU has no SMX",
  18: "OSXSAVE: this CPU has no XSAVE",
};
const CR4_PAE = 1 << 5;
const CR4_PCIDE = 1 << 17;

/** IA32_EFER bits this CPU implements: SCE 0, LME 8, LMA 10, NXE 11. */
export const EFER_DEFINED = 0x0d01;
/** IA32_EFER.LMA (bit 10), set by the CPU itself; writes leave it alone. */
export const EFER_LMA = 1 << 10;
const EFER_LME = 1 << 8;

/** The part of the machine state that the checks depend on. */
export interface ControlState {
  /** CR0 bits 31..0. */
  readonly cr0: number;
  /** CR3 bits 31..0. */
  readonly cr3: number;
  /** CR4 bits 31..0. */
  readonly cr4: number;
  /** IA32_EFER bits 31..0. */
  readonly efer: number;
  /** MAXPHYADDR, the number of physical-address bits. */
  readonly maxPhysAddr: number;
}

function firstBit(mask: number, from: number): number {
  for (let bit = from; bit < 32; bit++) if (mask & (1 << bit)) return bit;
  return -1;
}

/**
 * Checks a write to CR0. Reserved bits 31..0 are ignored, not faulted.
 *
 * @param low Bits 31..0 of the new value.
 * @param high Bits 63..32 of the new value.
 * @param state The current state.
 * @returns Why the write raises #GP(0), or `undefined`.
 */
export function cr0WriteFault(
  low: number,
  high: number,
  state: ControlState,
): string | undefined {
  if (high !== 0) return "bits 63..32 of CR0 are reserved and must be 0";
  if ((low & CR0_PG) && !(low & CR0_PE)) return "CR0.PG = 1 needs CR0.PE = 1";
  if ((low & CR0_NW) && !(low & CR0_CD)) return "CR0.NW = 1 needs CR0.CD = 1";
  if ((state.efer & EFER_LMA) && !(low & CR0_PG)) {
    return "clearing CR0.PG in 64-bit mode";
  }
  return undefined;
}

/**
 * Checks a write to CR3: bits 62..MAXPHYADDR are reserved; bit 63 is the
 * "do not flush" hint with CR4.PCIDE = 1 and reserved without it.
 *
 * @param low Bits 31..0 of the new value.
 * @param high Bits 63..32 of the new value.
 * @param state The current state.
 * @returns Why the write raises #GP(0), or `undefined`.
 */
export function cr3WriteFault(
  _low: number,
  high: number,
  state: ControlState,
): string | undefined {
  if ((high & 0x8000_0000) && !(state.cr4 & CR4_PCIDE)) {
    return "CR3 bit 63 is reserved when CR4.PCIDE = 0";
  }
  const reservedHigh = reservedAddressHigh(state.maxPhysAddr) & 0x7fff_ffff;
  if (high & reservedHigh) {
    return `CR3 bits 62..${state.maxPhysAddr} are reserved (MAXPHYADDR = ${state.maxPhysAddr})`;
  }
  return undefined;
}

/**
 * The mask of bits 63..32 that lie at or above MAXPHYADDR.
 *
 * @param maxPhysAddr MAXPHYADDR, 36 to 52.
 * @returns The reserved bits of the high half.
 */
export function reservedAddressHigh(maxPhysAddr: number): number {
  return (~0 << (maxPhysAddr - 32)) >>> 0;
}

/**
 * Checks a write to CR4.
 *
 * @param low Bits 31..0 of the new value.
 * @param high Bits 63..32 of the new value.
 * @param state The current state.
 * @returns Why the write raises #GP(0), or `undefined`.
 */
export function cr4WriteFault(
  low: number,
  high: number,
  state: ControlState,
): string | undefined {
  if (high !== 0) return "bits 63..32 of CR4 are reserved and must be 0";
  const reserved = low & ~CR4_SUPPORTED;
  if (reserved) {
    const bit = firstBit(reserved, 0);
    return `CR4 bit ${bit} is reserved` +
      (CR4_NAMES[bit] ? ` (${CR4_NAMES[bit]})` : "");
  }
  if ((state.efer & EFER_LMA) && !(low & CR4_PAE)) {
    return "clearing CR4.PAE would leave IA-32e mode";
  }
  if ((low & CR4_PCIDE) && !(state.cr4 & CR4_PCIDE)) {
    if (!(state.efer & EFER_LMA)) return "CR4.PCIDE needs IA-32e mode";
    if (state.cr3 & 0xfff) return "setting CR4.PCIDE needs CR3 bits 11..0 = 0";
  }
  return undefined;
}

/**
 * Checks a write to CR8, the task-priority register: bits 63..4 are
 * reserved.
 *
 * @param low Bits 31..0 of the new value.
 * @param high Bits 63..32 of the new value.
 * @returns Why the write raises #GP(0), or `undefined`.
 */
export function cr8WriteFault(low: number, high: number): string | undefined {
  return (high !== 0 || (low & ~0xf))
    ? "CR8 bits 63..4 are reserved and must be 0"
    : undefined;
}

/**
 * Checks a write to IA32_EFER: undefined bits are reserved, and LME cannot
 * change while paging is on (SDM 3A §10.8.5).
 *
 * @param low Bits 31..0 of the new value.
 * @param high Bits 63..32 of the new value.
 * @param state The current state.
 * @returns Why the write raises #GP(0), or `undefined`.
 */
export function eferWriteFault(
  low: number,
  high: number,
  state: ControlState,
): string | undefined {
  if (high !== 0 || (low & ~EFER_DEFINED)) {
    const bit = high !== 0
      ? 32 + firstBit(high, 0)
      : firstBit(low & ~EFER_DEFINED, 0);
    return `IA32_EFER bit ${bit} is reserved`;
  }
  if ((state.cr0 & CR0_PG) && ((low ^ state.efer) & EFER_LME)) {
    return "IA32_EFER.LME cannot change while CR0.PG = 1";
  }
  return undefined;
}
