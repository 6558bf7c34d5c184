import type { Cpu } from "../../machine/cpu/cpu.ts";
import { Msr } from "../../machine/cpu/msr.ts";
import { Reg, type RegisterFile } from "../../machine/cpu/register_file.ts";
import { currentCpu } from "../../machine/current_cpu.ts";

/** Where {@linkcode SystemCalls} puts its LSTAR entry by default. */
export const SYSCALL_ENTRY: number = 0x8_1000;

/** RFLAGS bits that `syscall` clears (FMASK) by default: TF, IF, DF, IOPL, NT, AC, as Linux. */
export const DEFAULT_FMASK: number = 0x4_7700;

/** Linux's answer to an unknown system-call number: -ENOSYS. */
export const ENOSYS: number = -38;

/**
 * The arguments of a system call, in the registers the System V kernel
 * convention uses: RDI, RSI, RDX, R10, R8, R9. One object serves every
 * call of a {@linkcode SystemCalls} table, so read them during the call.
 */
export class SyscallArguments {
  #cpu: Cpu | undefined;

  /** @internal Binds the object to the CPU of the call under way. */
  bind(cpu: Cpu): this {
    this.#cpu = cpu;
    return this;
  }

  /**
   * Argument `n`, as a 64-bit unsigned value.
   *
   * @param n 0 to 5.
   * @returns The register's value.
   */
  get(n: 0 | 1 | 2 | 3 | 4 | 5): bigint {
    return this.#cpu!.registers.get(ARGUMENTS[n]!);
  }

  /**
   * Argument `n`'s low 32 bits, as a `number`: the fast form for small
   * values (file descriptors, lengths, flags).
   *
   * @param n 0 to 5.
   * @returns Bits 31..0 of the register.
   */
  low(n: 0 | 1 | 2 | 3 | 4 | 5): number {
    return this.#cpu!.registers.low(ARGUMENTS[n]!);
  }
}

/** A system call's handler: it returns the value for RAX. */
export type SyscallHandler = (args: SyscallArguments) => number | bigint;

/** Settings of a {@linkcode SystemCalls} table. */
export interface SystemCallsOptions {
  /** The code address of the LSTAR entry; {@linkcode SYSCALL_ENTRY} by default. */
  entry?: number;
  /** The kernel's code selector, STAR[47:32] (SS is the next one); 0x08 by default. */
  kernelCode?: number;
  /**
   * STAR[63:48]: `sysret` loads SS with it + 8 and CS with it + 16, both
   * with RPL 3; 0x10 by default (user data 0x1B, user code 0x23).
   */
  userBase?: number;
  /** The RFLAGS bits `syscall` clears; {@linkcode DEFAULT_FMASK} by default. */
  fmask?: number;
}

/**
 * The kernel's system-call table and its LSTAR entry: `load()` writes
 * STAR, LSTAR and FMASK, sets EFER.SCE and registers an entry that
 * dispatches on RAX to the registered handler, puts its result in RAX
 * (`-ENOSYS` for an unknown number) and returns with `sysret`.
 *
 * @example A getpid call from user code
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../../machine/mod.ts";
 *
 * const machine = new Machine({ ramSize: 4 << 20 });
 * // Let user code reach the 2 MiB at 0x20_0000: U/S in the boot tables.
 * for (const entry of [0x1000, 0x2000, 0x4008]) {
 *   machine.memory.writeU32(entry, machine.memory.readU32(entry) | 4);
 * }
 * let pid = 0n;
 * machine.code.register(0x20_0000, () => {
 *   pid = syscall(39); // getpid, in user mode
 * });
 * machine.run(() => {
 *   const calls = new SystemCalls();
 *   calls.register(39, () => 42);
 *   calls.load();
 *   enterUserMode({ rip: 0x20_0000, rsp: 0x20_1000 });
 * });
 * strictEqual(pid, 42n);
 * ```
 */
export class SystemCalls {
  /** The code address of the entry. */
  readonly entry: number;
  #handlers: (SyscallHandler | undefined)[] = [];
  #options: Required<SystemCallsOptions>;
  #args = new SyscallArguments();

  /**
   * Creates an empty table.
   *
   * @param options Where the entry goes and what STAR and FMASK hold.
   */
  constructor(options: SystemCallsOptions = {}) {
    this.#options = {
      entry: SYSCALL_ENTRY,
      kernelCode: 0x08,
      userBase: 0x10,
      fmask: DEFAULT_FMASK,
      ...options,
    };
    this.entry = this.#options.entry;
  }

  /**
   * Sets the handler of system call `nr`.
   *
   * @param nr The number, 0 to 65,535.
   * @param handler The handler.
   * @throws {RangeError} If `nr` is out of range.
   */
  register(nr: number, handler: SyscallHandler): void {
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffff) {
      throw new RangeError(
        `Invalid system-call number ${nr}: expected an integer from 0 to 65535`,
      );
    }
    this.#handlers[nr] = handler;
  }

  /** Installs the entry and enables `syscall` on the current CPU. */
  load(): void {
    const cpu = currentCpu();
    const { entry, kernelCode, userBase, fmask } = this.#options;
    const handlers = this.#handlers;
    const args = this.#args;
    cpu.code.register(entry, (cpu) => {
      const r = cpu.registers;
      const nr = r.high(Reg.RAX) === 0 ? r.low(Reg.RAX) : -1;
      const handler = nr >= 0 ? handlers[nr] : undefined;
      const result = handler === undefined ? ENOSYS : handler(args.bind(cpu));
      if (typeof result === "number") {
        r.setHalves(Reg.RAX, result >>> 0, result < 0 ? 0xffff_ffff : 0);
      } else {
        r.set(Reg.RAX, result);
      }
      cpu.sysret();
    });
    cpu.wrmsr(Msr.IA32_STAR, 0, ((userBase << 16) | kernelCode) >>> 0);
    cpu.wrmsr(Msr.IA32_LSTAR, entry, entry < 0 ? 0xffff_ffff : 0);
    cpu.wrmsr(Msr.IA32_FMASK, fmask, 0);
    cpu.wrmsr(Msr.IA32_EFER, cpu.efer | 1, 0);
  }
}

/**
 * Makes a system call from user code: RAX = `nr`, the arguments in RDI,
 * RSI, RDX, R10, R8, R9, then `syscall`.
 *
 * @param nr The system-call number.
 * @param args Up to six arguments.
 * @returns RAX after the call, as a signed 64-bit value.
 */
export function syscall(nr: number, ...args: (number | bigint)[]): bigint {
  const cpu = currentCpu();
  const r = cpu.registers;
  r.setHalves(Reg.RAX, nr >>> 0, 0);
  const count = args.length < 6 ? args.length : 6;
  for (let i = 0; i < count; i++) setArgument(r, ARGUMENTS[i]!, args[i]!);
  cpu.syscall();
  // Most results are small (a count, a descriptor, -errno): those come
  // from a table of bigints instead of a new one each time.
  const low = r.low(Reg.RAX), high = r.high(Reg.RAX);
  if (high === 0 && low < SMALL_RESULTS) return POSITIVE[low]!;
  if (high === 0xffff_ffff && low > 0xffff_ffff - SMALL_RESULTS) {
    return NEGATIVE[0xffff_ffff - low]!;
  }
  return r.view.getBigInt64(Reg.RAX * 8, true);
}

const SMALL_RESULTS = 4096;
const POSITIVE = Array.from({ length: SMALL_RESULTS }, (_, i) => BigInt(i));
const NEGATIVE = Array.from(
  { length: SMALL_RESULTS },
  (_, i) => BigInt(-1 - i),
);

// An argument register from a number (the common, allocation-free case) or
// a bigint.
function setArgument(
  r: RegisterFile,
  reg: Reg,
  value: number | bigint,
): void {
  if (typeof value === "number" && value >= 0 && value < 2 ** 32) {
    r.setHalves(reg, value, 0);
  } else {
    r.set(reg, BigInt(value));
  }
}

/** Where and how {@linkcode enterUserMode} starts user code. */
export interface UserEntry {
  /** The user code's address: a registered function on a user page. */
  rip: number;
  /** The user stack pointer. */
  rsp: number | bigint;
  /** RFLAGS in user mode; IF and bit 1 (0x202) by default. */
  rflags?: number;
}

/**
 * Enters user mode the way a kernel starts a process: RCX = `rip`,
 * R11 = `rflags`, RSP = `rsp`, then `sysret`. It returns when the user
 * code returns or the kernel ends it with `Cpu.endUserRun` (an `exit`
 * system call, a fatal fault), with the kernel's RIP, RSP, RFLAGS, CS and
 * SS as before. Needs `syscall` enabled (EFER.SCE), as
 * {@linkcode SystemCalls.load} does.
 *
 * @param entry The user code and stack.
 */
export function enterUserMode(entry: UserEntry): void {
  const cpu = currentCpu();
  const r = cpu.registers;
  r.set(Reg.RCX, BigInt(entry.rip));
  r.setHalves(Reg.R11, entry.rflags ?? 0x202, 0);
  const kernelStack = r.get(Reg.RSP);
  r.set(Reg.RSP, BigInt(entry.rsp));
  cpu.sysret();
  r.set(Reg.RSP, kernelStack);
}

/** SWAPGS: exchanges the GS base with IA32_KERNEL_GS_BASE. */
export function swapgs(): void {
  currentCpu().swapgs();
}

const ARGUMENTS = [Reg.RDI, Reg.RSI, Reg.RDX, Reg.R10, Reg.R8, Reg.R9];
