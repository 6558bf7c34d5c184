/**
 * The seed's `arch::x86_64::registers`: control registers, MSRs, RFLAGS,
 * the TSC and the instructions that need a CPU, as one namespace.
 *
 * @module
 */
export * from "./control.ts";
export * from "./msr.ts";
export * from "./rflags.ts";
export * from "./instructions.ts";
export * from "./tlb.ts";
export * from "./pkru.ts";
export * from "./cr0_flags.ts";
export * from "./cr4_flags.ts";
export * from "./efer_flags.ts";
