import { hex } from "../_hex.ts";
import type { IoBus } from "../io_bus.ts";
import type { PhysicalMemory } from "../physical_memory.ts";
import {
  MachineReport,
  type MachineReportInit,
  MachineStopped,
} from "../machine_report.ts";
import {
  CR0_DEFINED,
  CR0_ET,
  cr0WriteFault,
  cr3WriteFault,
  cr4WriteFault,
  cr8WriteFault,
  EFER_LMA,
  reservedAddressHigh,
} from "./control_registers.ts";
import { cpuidLeaf, type CpuidResult } from "./cpuid.ts";
import {
  combineExceptions,
  hasErrorCode,
  idtErrorCode,
  Vector,
  vectorName,
} from "./exceptions.ts";
import { apicBaseAfterWrite, Msr, MSR_SLOTS, msrWriteFault } from "./msr.ts";
import { type CodeFunction, CodeSpace } from "../code_space.ts";
import { Access, Mmu } from "./mmu.ts";
import { FpuState, FXSAVE_SIZE, MXCSR_MASK } from "./fpu_state.ts";
import { Reg, REG_NAMES, RegisterFile } from "./register_file.ts";
import { type ClockMode, TimeStampCounter } from "./time_stamp_counter.ts";

// Register slots as module constants: hot paths index with them instead of
// loading `Reg.X` on every use.
const S_APIC_BASE = Reg.APIC_BASE;
const S_CR0 = Reg.CR0;
const S_CR2 = Reg.CR2;
const S_CR3 = Reg.CR3;
const S_CR4 = Reg.CR4;
const S_CR8 = Reg.CR8;
const S_CS = Reg.CS;
const S_DS = Reg.DS;
const S_EFER = Reg.EFER;
const S_ES = Reg.ES;
const S_FMASK = Reg.FMASK;
const S_FS = Reg.FS;
const S_GDTR_BASE = Reg.GDTR_BASE;
const S_GDTR_LIMIT = Reg.GDTR_LIMIT;
const S_GS = Reg.GS;
const S_GS_BASE = Reg.GS_BASE;
const S_IDTR_BASE = Reg.IDTR_BASE;
const S_IDTR_LIMIT = Reg.IDTR_LIMIT;
const S_KERNEL_GS_BASE = Reg.KERNEL_GS_BASE;
const S_LSTAR = Reg.LSTAR;
const S_PKRU = Reg.PKRU;
const S_R11 = Reg.R11;
const S_RCX = Reg.RCX;
const S_RFLAGS = Reg.RFLAGS;
const S_RIP = Reg.RIP;
const S_RSP = Reg.RSP;
const S_SS = Reg.SS;
const S_STAR = Reg.STAR;
const S_TR = Reg.TR;
const S_TR_BASE = Reg.TR_BASE;
const S_TSC = Reg.TSC;

/**
 * What each operation costs on the virtual clock, in TSC cycles: round
 * figures of the latencies of a current Intel core at 2 GHz, with port I/O
 * at the ~0.5 µs of an ISA bus access.
 */
export const CYCLES = {
  /** `rdtsc`. */
  rdtsc: 25,
  /** `rdmsr` or `wrmsr`. */
  msr: 100,
  /** A move to or from a control register. */
  controlRegister: 20,
  /** `cpuid`. */
  cpuid: 100,
  /** `in` or `out`. */
  portIo: 1000,
  /** `pause`. */
  pause: 140,
  /** `invlpg`. */
  invlpg: 100,
  /** `cli`, `sti`, reading RFLAGS. */
  flags: 1,
} as const;

/** RFLAGS.IF, bit 9. */
const IF = 1 << 9;

/** The settings a CPU is made with. */
export interface CpuOptions {
  /** The CPU number, which is also its initial APIC ID; 0 is the BSP. */
  readonly id: number;
  /** The machine's RAM. */
  readonly memory: PhysicalMemory;
  /** The machine's I/O bus. */
  readonly io: IoBus;
  /** MAXPHYADDR, 36 to 52. */
  readonly maxPhysAddr: number;
  /** How the TSC advances. */
  readonly clock: ClockMode;
  /** The TSC's nominal frequency, in cycles per second. */
  readonly tscHz: number;
  /** The machine's code: where IDT gates and the entry point lead. */
  readonly code?: CodeSpace;
}

/** Devices at physical addresses above RAM, as the CPU reaches them. */
export interface MmioBus {
  /** A 32-bit read at `address`, or `undefined` where no device answers. */
  read32(address: number): number | undefined;
  /** A 32-bit write at `address`; ignored where no device answers. */
  write32(address: number, value: number): void;
}

/**
 * Where a CPU's external interrupts come from (its local APIC and the
 * PIC): what is pending, and when the next one will be.
 */
export interface InterruptSource {
  /** The vector of the interrupt to take now (after INTA), or -1. */
  take(): number;
  /** The TSC at which an armed timer fires next, or `undefined`. */
  nextEvent(): number | undefined;
  /**
   * Why this CPU must stop now because another CPU ended the machine (a
   * debug exit or triple fault there), or `undefined`.
   */
  stopRequest():
    | Omit<MachineReportInit, "cpu" | "tsc" | "registers">
    | undefined;
  /**
   * Waits in `hlt` until another CPU may have sent an interrupt, at most
   * `timeoutMs` of host time (`undefined`: no limit).
   *
   * @returns `false` when nothing can ever wake this CPU.
   */
  idle(timeoutMs: number | undefined): boolean;
  /**
   * Called when `hlt` finds nothing to take and is about to wait: the
   * machine flushes this CPU's partial serial line then, so that a prompt
   * shows before input arrives.
   */
  halting?(): void;
}

/** A copy of every register, by lower-case name (`rax`, `cr3`, `cs`, …). */
export type RegisterSnapshot = Readonly<
  Record<Lowercase<keyof typeof Reg>, bigint>
>;

/**
 * One x86_64 processor: its register file, TSC and the instructions that
 * need a CPU, with the SDM's rules and faults.
 *
 * A CPU starts the way a 64-bit boot loader leaves it: long mode with
 * paging (CR0 = PE MP ET NE WP PG, CR4 = PAE PGE, EFER = LME LMA NXE), CS
 * 0x08, SS and data segments 0x10, RFLAGS 0x2 (interrupts off), no IDT
 * (IDTR limit 0).
 *
 * Faults are not JS errors: an instruction that faults delivers the
 * exception. With no IDT every exception ends in a triple fault, which stops
 * the machine by throwing {@linkcode MachineStopped} out of the running code.
 *
 * @example A reserved CR4 bit raises #GP, and with no IDT the machine stops
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { IoBus } from "../io_bus.ts";
 * import { PhysicalMemory } from "../physical_memory.ts";
 * import { MachineStopped } from "../machine_report.ts";
 *
 * const cpu = new Cpu({
 *   id: 0, memory: new PhysicalMemory(4096), io: new IoBus(),
 *   maxPhysAddr: 46, clock: "virtual", tscHz: 2e9,
 * });
 * throws(() => cpu.writeCr(4, 1 << 13, 0), MachineStopped);
 * strictEqual(cpu.report?.tripleFault?.vector, 13);
 * ```
 */
export class Cpu {
  /** The CPU number and initial APIC ID. */
  readonly id: number;
  /** The registers. */
  readonly registers: RegisterFile = new RegisterFile();
  /** The time-stamp counter. */
  readonly tsc: TimeStampCounter;
  /** The x87 and SSE registers, in FXSAVE layout. */
  readonly fpu: FpuState = new FpuState();
  /** The paging unit and its TLB. */
  readonly mmu: Mmu;
  /** The RAM this CPU reaches. */
  readonly memory: PhysicalMemory;
  /** The I/O bus this CPU reaches. */
  readonly io: IoBus;
  /** MAXPHYADDR. */
  readonly maxPhysAddr: number;
  /** The code the CPU can run: handlers and entry points. */
  readonly code: CodeSpace;
  /** External interrupts: set by the machine that owns the CPU. */
  interrupts: InterruptSource | undefined;
  /**
   * Memory-mapped devices above RAM (the local APIC), reached by 32-bit
   * accesses to physical addresses past RAM; set by the machine.
   */
  mmio: MmioBus | undefined;
  /**
   * Whether the CPU pushed an error code for the delivery whose handler
   * runs now (a software `int 14` pushes none).
   */
  deliveryHasErrorCode = false;
  // Nested deliveries under way, and the one-instruction shadow of `sti`.
  #depth = 0;
  #shadow = false;
  // #systemProbe's cache: for read, write, fetch, iretq's stack reads and
  // the fetch at LSTAR, SYSTEM_CACHE_STRIDE numbers each.
  #systemCache = new Float64Array(5 * SYSTEM_CACHE_STRIDE).fill(Number.NaN);
  // System calls under way (nested `syscall`s), and user code runs that
  // `sysret`/`iretq` started from the kernel.
  #syscalls = 0;
  #sysretDone = false;
  #lstarKey = new Float64Array(9);
  // CR3 bits 62..MAXPHYADDR, which a load must leave clear.
  #cr3Reserved: number;
  #lstarEntry: CodeFunction | undefined;
  // The fault the last #probe met.
  #fault: DeliveryFault = { vector: -1, code: 0, why: "" };
  // Memory accesses left before the next check for external interrupts.
  #pollBudget = POLL_INTERVAL;
  #stopped: MachineStopped | undefined;
  // A direct-mapped cache of 4 KiB page translations in front of the TLB,
  // for the accessors' fast path: an entry says "reads (or writes) of this
  // page were allowed at stamp s", where the stamp is the TLB's flush count
  // plus the register file's write count. Any flush or register write
  // changes the stamp and so retires every entry at once; the TLB, which
  // holds the architectural state, is then asked again.
  #fastPages = new Float64Array(FAST_ENTRIES).fill(Number.NaN);
  #fastFrames = new Float64Array(FAST_ENTRIES);
  #fastRead = new Float64Array(FAST_ENTRIES);
  #fastWrite = new Float64Array(FAST_ENTRIES);

  /**
   * Creates a CPU in its boot state.
   *
   * @param options The CPU's settings.
   */
  constructor(options: CpuOptions) {
    this.id = options.id;
    this.code = options.code ?? new CodeSpace();
    this.memory = options.memory;
    this.io = options.io;
    this.maxPhysAddr = options.maxPhysAddr;
    this.#cr3Reserved = reservedAddressHigh(this.maxPhysAddr) & 0x7fff_ffff;
    const r = this.registers;
    r.setHalves(S_CR0, 0x8001_0033, 0);
    r.setHalves(S_CR4, 0xa0, 0);
    r.setHalves(S_EFER, 0xd00, 0);
    r.setHalves(S_RFLAGS, 0x2, 0);
    r.setHalves(S_CS, 0x08, 0);
    for (const seg of [S_SS, S_DS, S_ES, S_FS, S_GS]) {
      r.setHalves(seg, 0x10, 0);
    }
    r.setHalves(S_APIC_BASE, 0xfee0_0800 | (options.id === 0 ? 0x100 : 0), 0);
    this.tsc = new TimeStampCounter(r, options.clock, options.tscHz);
    this.mmu = new Mmu(r, this.memory, this.maxPhysAddr);
  }

  /** CR0 bits 31..0. */
  get cr0(): number {
    return this.registers.words[CR0_WORD]!;
  }
  /** CR3 bits 31..0. */
  get cr3(): number {
    return this.registers.words[CR3_WORD]!;
  }
  /** CR4 bits 31..0. */
  get cr4(): number {
    return this.registers.words[CR4_WORD]!;
  }
  /** IA32_EFER bits 31..0. */
  get efer(): number {
    return this.registers.words[EFER_WORD]!;
  }
  /** The current privilege level, CS bits 1..0. */
  get cpl(): number {
    return this.registers.words[CS2]! & 3;
  }

  /** Why and how the machine stopped, once it has. */
  get report(): MachineReport | undefined {
    return this.#stopped?.report;
  }

  /**
   * MOV from a control register.
   *
   * @param n The register: 0, 2, 3, 4 or 8.
   * @returns Its value.
   */
  readCr(n: 0 | 2 | 3 | 4 | 8): bigint {
    this.tsc.advance(CYCLES.controlRegister);
    return this.registers.get(CR_SLOTS[n]);
  }

  /**
   * MOV to a control register, with the checks of SDM 2B "MOV—Move to/from
   * Control Registers": a reserved bit or an invalid combination raises
   * #GP(0). Reserved CR0 bits 31..0 are ignored and CR0.ET stays 1. With
   * CR4.PCIDE = 1, CR3 bit 63 (do not flush) is not stored.
   *
   * @param n The register: 0, 2, 3, 4 or 8.
   * @param low Bits 31..0 of the value.
   * @param high Bits 63..32 of the value.
   */
  writeCr(n: 0 | 2 | 3 | 4 | 8, low: number, high: number): void {
    if (n === 3 && this.#loadCr3(low, high)) return;
    this.tsc.advance(CYCLES.controlRegister);
    // (The instruction's name is built only for the fault's message.)
    if (this.cpl !== 0 && this.#privileged(`mov cr${n}`)) return;
    const why = n === 0
      ? cr0WriteFault(low, high, this)
      : n === 3
      ? cr3WriteFault(low, high, this)
      : n === 4
      ? cr4WriteFault(low, high, this)
      : n === 8
      ? cr8WriteFault(low, high)
      : undefined;
    if (why !== undefined) {
      return this.raise(Vector.GP, 0, `mov cr${n}: ${why}`);
    }
    // (A CR3 write that gets here has faulted: #loadCr3 took every other.)
    if (n === 0) low = (low & CR0_DEFINED) | CR0_ET;
    const old = this.registers.low(CR_SLOTS[n]);
    this.registers.setHalves(CR_SLOTS[n], low >>> 0, high >>> 0);
    // TLB effects of SDM 3A §4.10.4.1: the current PCID is CR3 bits 11..0
    // with CR4.PCIDE = 1, else 0 (§4.10.1).
    const tlb = this.mmu.tlb;
    tlb.pcid = this.cr4 & CR4_PCIDE ? this.cr3 & 0xfff : 0;
    if (
      n === 4 &&
      ((old ^ low) & CR4_PGE || (old & ~low) & CR4_PCIDE ||
        (~old & low) & CR4_SMEP)
    ) tlb.flushAll();
  }

  // MOV to CR3 that does not fault (CPL 0, no reserved bit set): stores
  // it and applies its TLB effects — a CR3 load drops the non-global
  // translations of the new PCID unless bit 63 says not to (SDM 3A
  // §4.10.4.1). `false` sends the write to writeCr's checks, which raise
  // the fault.
  #loadCr3(low: number, high: number): boolean {
    const w = this.registers.words;
    const cr4 = w[CR4_WORD]!;
    if (
      w[CS2]! & 3 || high & this.#cr3Reserved ||
      (high & 0x8000_0000 && !(cr4 & CR4_PCIDE))
    ) return false;
    this.tsc.advance(CYCLES.controlRegister);
    this.registers.version++;
    w[CR3_WORD] = low;
    w[CR3_WORD + 1] = high & 0x7fff_ffff; // bit 63 is not stored
    const tlb = this.mmu.tlb;
    tlb.pcid = cr4 & CR4_PCIDE ? low & 0xfff : 0;
    if (!(high & 0x8000_0000)) tlb.flushNonGlobal();
    return true;
  }

  /**
   * INVLPG: drops the TLB's translation of the page that holds `vaddr`,
   * whatever its size. A non-canonical address makes it a no-op.
   *
   * @param vaddr The virtual address, as a signed number.
   */
  invlpg(vaddr: number): void {
    this.tsc.advance(CYCLES.invlpg);
    if (this.#privileged("invlpg")) return;
    if (vaddr >= -CANONICAL && vaddr < CANONICAL) this.mmu.tlb.flushPage(vaddr);
  }

  /**
   * Translates a virtual address for an access of `size` bytes by this CPU
   * at its CPL, delivering #GP(0) for a non-canonical address and #PF
   * (with CR2) for a page fault, and retrying once the handler returns.
   * The access must not cross a page; {@linkcode Cpu.readU32} and the other
   * accessors split those.
   *
   * @param vaddr The virtual address, as a signed number.
   * @param access 0 read, 1 write, 2 instruction fetch.
   * @returns The physical address.
   */
  translate(vaddr: number, access: Access): number {
    if (vaddr >= -CANONICAL && vaddr < CANONICAL) {
      const pa = this.mmu.translate(vaddr, access, this.cpl === 3);
      if (pa >= 0) {
        this.#remember(vaddr, pa, access);
        return pa;
      }
    }
    for (;;) {
      if (!(vaddr >= -CANONICAL && vaddr < CANONICAL)) {
        this.raise(
          Vector.GP,
          0,
          `${ACCESS_NAMES[access]} at non-canonical address ${
            hexAddress(vaddr)
          }`,
        );
        continue;
      }
      const pa = this.mmu.translate(vaddr, access, this.cpl === 3);
      if (pa >= 0) {
        this.#remember(vaddr, pa, access);
        return pa;
      }
      const code = this.mmu.faultCode;
      const unsigned = BigInt.asUintN(64, BigInt(vaddr));
      this.registers.set(S_CR2, unsigned);
      this.mmu.tlb.flushPage(vaddr);
      this.raise(
        Vector.PF,
        code,
        `${ACCESS_NAMES[access]} at ${hex(unsigned)}: ${
          describePageFault(code)
        }`,
      );
    }
  }

  #remember(vaddr: number, pa: number, access: Access): void {
    const offset = vaddr & 0xfff;
    if (access === Access.FETCH || pa - offset + 0x1000 > this.memory.size) {
      return;
    }
    const i = (vaddr >>> 12) & FAST_MASK;
    const page = vaddr - offset;
    const stamp = this.mmu.tlb.generation + this.registers.version;
    if (this.#fastPages[i] !== page || this.#fastFrames[i] !== pa - offset) {
      this.#fastPages[i] = page;
      this.#fastFrames[i] = pa - offset;
      this.#fastRead[i] = this.#fastWrite[i] = -1;
    }
    if (access === Access.READ) this.#fastRead[i] = stamp;
    else this.#fastWrite[i] = stamp;
  }

  // The physical address of a read of `size` bytes inside one page that
  // the fast cache allows now, or -1.
  #lastRead(vaddr: number, size: number): number {
    const offset = vaddr & 0xfff;
    const i = (vaddr >>> 12) & FAST_MASK;
    return this.#fastPages[i] === vaddr - offset && offset <= 0x1000 - size &&
        this.#fastRead[i] === this.mmu.tlb.generation + this.registers.version
      ? this.#fastFrames[i]! + offset
      : -1;
  }

  #lastWrite(vaddr: number, size: number): number {
    const offset = vaddr & 0xfff;
    const i = (vaddr >>> 12) & FAST_MASK;
    return this.#fastPages[i] === vaddr - offset && offset <= 0x1000 - size &&
        this.#fastWrite[i] === this.mmu.tlb.generation + this.registers.version
      ? this.#fastFrames[i]! + offset
      : -1;
  }

  /**
   * Reads a byte at a virtual address (`mov al, [vaddr]`).
   *
   * @param vaddr The virtual address, as a signed number.
   * @returns The byte; 0xFF where the page maps no RAM.
   */
  readU8(vaddr: number): number {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastRead(vaddr, 1);
    if (last >= 0) return this.memory.readU8(last);
    const pa = this.translate(vaddr, Access.READ);
    return pa < this.memory.size ? this.memory.readU8(pa) : 0xff;
  }

  /**
   * Reads 16 bits at a virtual address, little-endian.
   *
   * @param vaddr The virtual address, as a signed number.
   * @returns The value.
   */
  readU16(vaddr: number): number {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastRead(vaddr, 2);
    if (last >= 0) return this.memory.readU16(last);
    if ((vaddr & 0xfff) > 0xffe) return Number(this.#readSplit(vaddr, 2));
    const pa = this.translate(vaddr, Access.READ);
    return pa + 2 <= this.memory.size ? this.memory.readU16(pa) : 0xffff;
  }

  /**
   * Reads 32 bits at a virtual address, little-endian.
   *
   * @param vaddr The virtual address, as a signed number.
   * @returns The value.
   */
  readU32(vaddr: number): number {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastRead(vaddr, 4);
    if (last >= 0) return this.memory.readU32(last);
    if ((vaddr & 0xfff) > 0xffc) return Number(this.#readSplit(vaddr, 4));
    const pa = this.translate(vaddr, Access.READ);
    if (pa + 4 <= this.memory.size) return this.memory.readU32(pa);
    return this.mmio?.read32(pa) ?? 0xffff_ffff; // a device, or nothing
  }

  /**
   * Reads 64 bits at a virtual address, little-endian, as a `bigint`.
   *
   * @param vaddr The virtual address, as a signed number.
   * @returns The value.
   */
  readU64(vaddr: number): bigint {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastRead(vaddr, 8);
    if (last >= 0) return this.memory.readU64(last);
    if ((vaddr & 0xfff) > 0xff8) return this.#readSplit(vaddr, 8);
    const pa = this.translate(vaddr, Access.READ);
    return pa + 8 <= this.memory.size
      ? this.memory.readU64(pa)
      : 0xffff_ffff_ffff_ffffn;
  }

  /**
   * Writes a byte at a virtual address (`mov [vaddr], al`).
   *
   * @param vaddr The virtual address, as a signed number.
   * @param value The byte.
   */
  writeU8(vaddr: number, value: number): void {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastWrite(vaddr, 1);
    if (last >= 0) return this.memory.writeU8(last, value);
    const pa = this.translate(vaddr, Access.WRITE);
    if (pa < this.memory.size) this.memory.writeU8(pa, value);
  }

  /**
   * Writes 16 bits at a virtual address, little-endian.
   *
   * @param vaddr The virtual address, as a signed number.
   * @param value The value.
   */
  writeU16(vaddr: number, value: number): void {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastWrite(vaddr, 2);
    if (last >= 0) return this.memory.writeU16(last, value);
    if ((vaddr & 0xfff) > 0xffe) {
      return this.#writeSplit(vaddr, 2, BigInt(value));
    }
    const pa = this.translate(vaddr, Access.WRITE);
    if (pa + 2 <= this.memory.size) this.memory.writeU16(pa, value);
  }

  /**
   * Writes 32 bits at a virtual address, little-endian.
   *
   * @param vaddr The virtual address, as a signed number.
   * @param value The value.
   */
  writeU32(vaddr: number, value: number): void {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastWrite(vaddr, 4);
    if (last >= 0) return this.memory.writeU32(last, value);
    if ((vaddr & 0xfff) > 0xffc) {
      return this.#writeSplit(vaddr, 4, BigInt(value));
    }
    const pa = this.translate(vaddr, Access.WRITE);
    if (pa + 4 <= this.memory.size) this.memory.writeU32(pa, value);
    else this.mmio?.write32(pa, value >>> 0);
  }

  /**
   * Writes 64 bits at a virtual address, little-endian.
   *
   * @param vaddr The virtual address, as a signed number.
   * @param value The value.
   */
  writeU64(vaddr: number, value: bigint): void {
    if (--this.#pollBudget < 0) this.#pollFromAccess();
    const last = this.#lastWrite(vaddr, 8);
    if (last >= 0) return this.memory.writeU64(last, value);
    if ((vaddr & 0xfff) > 0xff8) return this.#writeSplit(vaddr, 8, value);
    const pa = this.translate(vaddr, Access.WRITE);
    if (pa + 8 <= this.memory.size) this.memory.writeU64(pa, value);
  }

  /**
   * Copies `length` bytes out of virtual memory, page by page (like `rep
   * movsb`: a fault part-way leaves the earlier pages read).
   *
   * @param vaddr The virtual address of the first byte, as a signed number.
   * @param length The number of bytes.
   * @returns The bytes; 0xFF where a page maps no RAM.
   */
  readBytes(vaddr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const chunk = Math.min(length - done, 0x1000 - ((vaddr + done) & 0xfff));
      const pa = this.translate(vaddr + done, Access.READ);
      if (pa + chunk <= this.memory.size) {
        out.set(this.memory.readBytes(pa, chunk), done);
      } else {
        for (let i = 0; i < chunk; i++) {
          out[done + i] = pa + i < this.memory.size
            ? this.memory.readU8(pa + i)
            : 0xff;
        }
      }
      done += chunk;
    }
    return out;
  }

  /**
   * Copies bytes into virtual memory, page by page (like `rep movsb`).
   *
   * @param vaddr The virtual address of the first byte, as a signed number.
   * @param bytes The bytes.
   */
  writeBytes(vaddr: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length;) {
      const chunk = Math.min(
        bytes.length - done,
        0x1000 - ((vaddr + done) & 0xfff),
      );
      const pa = this.translate(vaddr + done, Access.WRITE);
      const end = Math.min(chunk, Math.max(0, this.memory.size - pa));
      if (end > 0) this.memory.writeBytes(pa, bytes.subarray(done, done + end));
      done += chunk;
    }
  }

  // An access that crosses into the next page: both pages are translated
  // (and may fault) before any byte moves, as on the CPU.
  #crossing(vaddr: number, access: Access): [number, number, number] {
    const first = 0x1000 - (vaddr & 0xfff);
    const low = this.translate(vaddr, access);
    const high = this.translate(vaddr + first, access);
    return [low, high, first];
  }

  #readSplit(vaddr: number, size: number): bigint {
    const [low, high, first] = this.#crossing(vaddr, Access.READ);
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) {
      const pa = i < first ? low + i : high + i - first;
      value = value << 8n |
        BigInt(pa < this.memory.size ? this.memory.readU8(pa) : 0xff);
    }
    return value;
  }

  #writeSplit(vaddr: number, size: number, value: bigint): void {
    const [low, high, first] = this.#crossing(vaddr, Access.WRITE);
    for (let i = 0; i < size; i++) {
      const pa = i < first ? low + i : high + i - first;
      if (pa < this.memory.size) {
        this.memory.writeU8(pa, Number(value >> BigInt(8 * i) & 0xffn));
      }
    }
  }

  /**
   * RDMSR. An MSR this CPU does not implement raises #GP(0).
   *
   * @param msr The MSR number.
   * @returns Its value.
   */
  rdmsr(msr: number): bigint {
    this.tsc.advance(CYCLES.msr);
    if (this.#privileged("rdmsr")) return 0n;
    const slot = MSR_SLOTS.get(msr);
    if (slot === undefined) {
      this.raise(Vector.GP, 0, `rdmsr: MSR ${hex(msr, 8)} is not implemented`);
      return 0n;
    }
    if (slot === S_TSC) return BigInt(this.tsc.read());
    return this.registers.get(slot);
  }

  /**
   * WRMSR. An MSR this CPU does not implement, a reserved bit or a
   * non-canonical address raises #GP(0).
   *
   * @param msr The MSR number.
   * @param low Bits 31..0 of the value.
   * @param high Bits 63..32 of the value.
   */
  wrmsr(msr: number, low: number, high: number): void {
    this.tsc.advance(CYCLES.msr);
    if (this.#privileged("wrmsr")) return;
    const slot = MSR_SLOTS.get(msr);
    const why = slot === undefined
      ? `MSR ${hex(msr, 8)} is not implemented`
      : msrWriteFault(msr, low, high, this);
    if (slot === undefined || why !== undefined) {
      return this.raise(Vector.GP, 0, `wrmsr ${hex(msr, 8)}: ${why}`);
    }
    if (msr === Msr.IA32_TSC) return this.tsc.write(high * 2 ** 32 + low);
    if (msr === Msr.IA32_EFER) low = (low & ~EFER_LMA) | (this.efer & EFER_LMA);
    if (msr === Msr.IA32_APIC_BASE) {
      low = apicBaseAfterWrite(this.registers.low(slot), low);
    }
    this.registers.setHalves(slot, low >>> 0, high >>> 0);
  }

  /**
   * RDTSC.
   *
   * @returns The time-stamp counter.
   */
  rdtsc(): bigint {
    this.tsc.advance(CYCLES.rdtsc);
    return BigInt(this.tsc.read());
  }

  /**
   * CPUID.
   *
   * @param leaf The leaf (EAX).
   * @param subleaf The subleaf (ECX).
   * @returns EAX, EBX, ECX and EDX.
   */
  cpuid(leaf: number, subleaf: number): CpuidResult {
    this.tsc.advance(CYCLES.cpuid);
    return cpuidLeaf(leaf >>> 0, subleaf >>> 0, this.id, this.maxPhysAddr);
  }

  /**
   * Reads RFLAGS (`pushfq`); bits 63..22 are reserved and read 0.
   *
   * @returns RFLAGS.
   */
  readRflags(): number {
    this.tsc.advance(CYCLES.flags);
    return this.registers.low(S_RFLAGS);
  }

  /**
   * RDPKRU: the protection-key rights register. #UD unless CR4.PKE = 1.
   *
   * @returns PKRU.
   */
  rdpkru(): number {
    if (!(this.cr4 & CR4_PKE)) {
      this.raise(Vector.UD, 0, "rdpkru with CR4.PKE = 0");
      return 0;
    }
    return this.registers.low(S_PKRU);
  }

  /**
   * WRPKRU: sets the protection-key rights register; for key k, bit 2k is
   * AD (access disable) and bit 2k + 1 WD (write disable). #UD unless
   * CR4.PKE = 1.
   *
   * @param value The new PKRU, 32 bits.
   */
  wrpkru(value: number): void {
    if (!(this.cr4 & CR4_PKE)) {
      return this.raise(Vector.UD, 0, "wrpkru with CR4.PKE = 0");
    }
    this.registers.setHalves(S_PKRU, value >>> 0, 0);
  }

  /** CLI: clears RFLAGS.IF. At CPL > IOPL it raises #GP(0). */
  cli(): void {
    this.#setInterruptFlag(false);
  }

  /** STI: sets RFLAGS.IF. At CPL > IOPL it raises #GP(0). */
  sti(): void {
    this.#setInterruptFlag(true);
  }

  /**
   * SWAPGS: exchanges IA32_GS_BASE and IA32_KERNEL_GS_BASE, so that a
   * kernel entered from user mode finds its per-CPU data at GS.
   */
  swapgs(): void {
    if (this.#privileged("swapgs")) return;
    const r = this.registers;
    const low = r.low(S_GS_BASE), high = r.high(S_GS_BASE);
    r.setHalves(
      S_GS_BASE,
      r.low(S_KERNEL_GS_BASE),
      r.high(S_KERNEL_GS_BASE),
    );
    r.setHalves(S_KERNEL_GS_BASE, low, high);
  }

  /**
   * SYSCALL (SDM 2B): #UD unless EFER.SCE; RCX ← RIP, R11 ← RFLAGS,
   * RFLAGS ← RFLAGS & ~FMASK (RF cleared), CS ← STAR[47:32],
   * SS ← STAR[47:32] + 8, CPL 0, RIP ← LSTAR; then runs the kernel code
   * registered at LSTAR, reached by a supervisor fetch through the MMU.
   * That code ends with `sysret` (or `iretq`), and `syscall` returns to the
   * caller with the state `sysret` set: RAX holds the result.
   *
   * @throws {SyscallReturnError} If the code at LSTAR returns without a
   *   `sysret`.
   */
  syscall(): void {
    const r = this.registers;
    if (!(r.low(S_EFER) & EFER_SCE)) {
      return this.raise(Vector.UD, 0, "syscall with EFER.SCE = 0");
    }
    // Straight into the register file's words: one counted write for the
    // ten words of this hot path.
    const w = r.words;
    r.version++;
    w[RCX2] = w[RIP2]!;
    w[RCX2 + 1] = w[RIP2 + 1]!;
    const flags = w[RFLAGS2]!;
    w[R11_2] = flags;
    w[R11_2 + 1] = 0;
    w[RFLAGS2] = (flags & ~w[FMASK2]! & ~RF) | 2;
    w[RFLAGS2 + 1] = 0;
    const selector = w[STAR2 + 1]! & 0xfffc;
    w[CS2] = selector;
    w[CS2 + 1] = 0;
    w[SS2] = (selector + 8) & 0xffff;
    w[SS2 + 1] = 0;
    const low = w[LSTAR2]!, high = w[LSTAR2 + 1]!;
    w[RIP2] = low;
    w[RIP2 + 1] = high;
    // The fetch at LSTAR and the code found there are kept while nothing
    // they depend on changes: LSTAR, CR3, CR0, CR4, EFER, the TLB's flush
    // count and the code space.
    const key = this.#lstarKey;
    let entry = this.#lstarEntry;
    if (
      entry === undefined || key[0] !== low || key[1] !== high ||
      key[2] !== w[S_CR3 * 2] || key[3] !== w[S_CR3 * 2 + 1] ||
      key[4] !== w[S_CR0 * 2] || key[5] !== w[S_CR4 * 2] ||
      key[6] !== w[S_EFER * 2] || key[7] !== this.mmu.tlb.generation ||
      key[8] !== this.code.version
    ) {
      this.#lstarEntry = undefined;
      entry = this.#fetchKernel(signed(low, high), "LSTAR");
      key[0] = low;
      key[1] = high;
      key[2] = w[S_CR3 * 2]!;
      key[3] = w[S_CR3 * 2 + 1]!;
      key[4] = w[S_CR0 * 2]!;
      key[5] = w[S_CR4 * 2]!;
      key[6] = w[S_EFER * 2]!;
      key[7] = this.mmu.tlb.generation;
      key[8] = this.code.version;
      this.#lstarEntry = entry;
    }
    const outer = this.#sysretDone;
    this.#sysretDone = false;
    this.#syscalls++;
    try {
      entry(this);
    } finally {
      this.#syscalls--;
    }
    const returned = this.#sysretDone;
    this.#sysretDone = outer;
    if (!returned) {
      throw new SyscallReturnError(this.code.describe(signed(low, high)));
    }
  }

  /**
   * SYSRET (64-bit, SDM 2B): #UD unless EFER.SCE, #GP(0) outside ring 0
   * or for a non-canonical RCX (Intel raises it in ring 0); RIP ← RCX,
   * RFLAGS ← R11 (RF and VM cleared, bit 1 set), CS ← STAR[63:48] + 16
   * | 3, SS ← STAR[63:48] + 8 | 3, CPL 3.
   *
   * Inside a `syscall`, the kernel code then returns and the user code
   * that made the call goes on. Outside one, `sysret` enters user mode:
   * it runs the user code registered at RCX, fetched through the MMU as a
   * user fetch (U/S = 1 at every level, not NX), until that code returns
   * or the kernel calls {@linkcode Cpu.endUserRun}; then the kernel's
   * RIP, RFLAGS, CS and SS are back as they were before the `sysret` and
   * `sysret` returns (RSP is the kernel's to restore: it set the user's).
   */
  sysret(): void {
    const r = this.registers;
    if (!(r.low(S_EFER) & EFER_SCE)) {
      return this.raise(Vector.UD, 0, "sysret with EFER.SCE = 0");
    }
    if (this.#privileged("sysret")) return;
    // Canonical: bits 63..47 all equal, that is the high half is 0 to
    // 0x7FFF or 0xFFFF_8000 up.
    const high = r.high(S_RCX);
    if (high > 0x7fff && high < 0xffff_8000) {
      return this.raise(Vector.GP, 0, "sysret to a non-canonical RCX");
    }
    if (this.#syscalls > 0) {
      this.#toUser();
      this.#sysretDone = true;
      return;
    }
    this.#runUser(() => this.#toUser());
  }

  /**
   * Ends the user code that the kernel's `sysret` (or `iretq`) entered
   * from outside a system call: from a system call or an exception taken
   * in that code, the kernel abandons it — an `exit` system call, a fatal
   * fault — and the `sysret` that started it returns.
   *
   * @throws {Error} If no user code run is under way.
   */
  endUserRun(): never {
    if (this.#userRuns === 0) {
      throw new Error(
        "endUserRun() outside user code: no sysret or iretq entered user mode from the kernel",
      );
    }
    throw USER_RUN_ENDED;
  }

  /**
   * FXSAVE64: stores the x87 and SSE state in the 512-byte area at `vaddr`
   * (SDM 1 table 10-2). #NM with CR0.TS, #UD with CR0.EM, #GP(0) if
   * `vaddr` is not 16-byte aligned; the area is written through the MMU.
   *
   * @param vaddr The area's virtual address, as a signed number.
   */
  fxsave(vaddr: number): void {
    if (!this.#fxsrUsable("fxsave", vaddr)) return;
    // Bytes 464..511 are software's: FXSAVE does not write them.
    this.writeBytes(vaddr, this.fpu.bytes.subarray(0, 464));
  }

  /**
   * FXRSTOR64: loads the x87 and SSE state from the 512-byte area at
   * `vaddr`. Besides FXSAVE's faults, #GP(0) if the MXCSR image sets a bit
   * outside MXCSR_MASK.
   *
   * @param vaddr The area's virtual address, as a signed number.
   */
  fxrstor(vaddr: number): void {
    if (!this.#fxsrUsable("fxrstor", vaddr)) return;
    const image = this.readBytes(vaddr, FXSAVE_SIZE);
    const mxcsr = new DataView(image.buffer).getUint32(24, true);
    if (mxcsr & ~MXCSR_MASK) {
      return this.raise(
        Vector.GP,
        0,
        `fxrstor of MXCSR ${hex(mxcsr, 8)}: bits outside MXCSR_MASK`,
      );
    }
    this.fpu.write(0, image.subarray(0, 416)); // MXCSR_MASK stays the CPU's
  }

  #fxsrUsable(instruction: string, vaddr: number): boolean {
    const cr0 = this.registers.low(S_CR0);
    if (cr0 & CR0_EM) {
      this.raise(Vector.UD, 0, `${instruction} with CR0.EM = 1`);
    } else if (cr0 & CR0_TS) {
      this.raise(Vector.NM, 0, `${instruction} with CR0.TS = 1`);
    } else if (vaddr & 15) {
      this.raise(Vector.GP, 0, `${instruction} area not 16-byte aligned`);
    } else return true;
    return false;
  }

  // Sets what sysret loads: RIP from RCX, RFLAGS from R11, and CS and SS
  // from STAR[63:48].
  #toUser(): void {
    const r = this.registers;
    const w = r.words;
    r.version++;
    w[RIP2] = w[RCX2]!;
    w[RIP2 + 1] = w[RCX2 + 1]!;
    w[RFLAGS2] = (w[R11_2]! & 0x3c_7fd7) | 2;
    w[RFLAGS2 + 1] = 0;
    const base = w[STAR2 + 1]! >>> 16;
    w[CS2] = ((base + 16) | 3) & 0xffff;
    w[CS2 + 1] = 0;
    w[SS2] = ((base + 8) | 3) & 0xffff;
    w[SS2 + 1] = 0;
  }

  #userRuns = 0;

  // Enters user mode from the kernel (`sysret` or `iretq` outside a system
  // call or handler), runs the user code at the new RIP, and comes back.
  #runUser(enter: () => void): void {
    const r = this.registers;
    const kept = [S_RIP, S_RFLAGS, S_CS, S_SS].map((reg) =>
      [reg, r.low(reg), r.high(reg)] as const
    );
    enter();
    this.#userRuns++;
    try {
      const rip = signed(r.low(S_RIP), r.high(S_RIP));
      this.translate(rip, Access.FETCH); // a user fetch, which may fault
      const user = this.code.at(rip) ??
        this.#noCode(rip, "user mode was entered");
      user(this);
    } catch (error) {
      if (error !== USER_RUN_ENDED) throw error;
    } finally {
      this.#userRuns--;
    }
    for (const [reg, low, high] of kept) r.setHalves(reg, low, high);
  }

  // Stops the machine: the CPU reached an address where no code is
  // registered (on hardware it would run whatever bytes are there).
  #noCode(address: number, where: string): never {
    return this.stop({
      reason: "triple-fault",
      exitStatus: 2,
      message: `no code at ${this.code.describe(address)}, where ${where}`,
    });
  }

  // The kernel code at `target` (LSTAR), after a supervisor fetch there
  // that may fault.
  #fetchKernel(target: number, what: string): CodeFunction {
    while (this.#systemProbe(target, Access.FETCH, SYSCALL_FETCH) < 0) {
      const fault = this.#lastFault();
      this.raise(fault.vector, fault.code, `fetch at ${what}: ${fault.why}`);
    }
    return this.code.at(target) ?? this.#noCode(target, `${what} leads`);
  }

  /**
   * HLT: waits for an interrupt. When nothing can ever wake the CPU — IF is
   * clear, or no device can raise an interrupt — the machine stops as
   * "halted", which is how a kernel's final `loop { hlt() }` ends.
   */
  hlt(): void {
    if (this.#stopped) throw this.#stopped;
    if (this.#privileged("hlt")) return;
    this.#shadow = false; // `sti; hlt` waits with interrupts on
    const source = this.interrupts;
    if (this.registers.low(S_RFLAGS) & IF && source !== undefined) {
      const request = source.stopRequest();
      if (request !== undefined) this.stop(request);
      let vector = source.take();
      let awake = true;
      if (vector < 0) {
        source.halting?.();
        const next = source.nextEvent();
        if (next !== undefined && this.tsc.mode === "virtual") {
          this.#waitUntil(next);
        } else {
          awake = source.idle(
            next === undefined
              ? undefined
              : Math.max(0, (next - this.tsc.read()) * 1000 / this.tsc.hz),
          );
        }
        // Woken without an interrupt to take, hlt ends as on a spurious wake.
        if (awake && (vector = source.take()) < 0) return;
      }
      if (awake) {
        return this.#deliver(
          vector,
          0,
          false,
          EXTERNAL,
          "external interrupt in hlt",
        );
      }
    }
    this.stop({
      reason: "halted",
      exitStatus: 0,
      message: !(this.registers.low(S_RFLAGS) & IF)
        ? "hlt with interrupts disabled (RFLAGS.IF = 0)"
        : "hlt with interrupts enabled, but no device can raise an interrupt and no other CPU runs",
    });
  }

  /** PAUSE: the spin-loop hint. */
  pause(): void {
    if (this.#stopped) throw this.#stopped;
    this.tsc.advance(CYCLES.pause);
    this.pollInterrupts();
  }

  #pollFromAccess(): void {
    this.#pollBudget = POLL_INTERVAL;
    this.pollInterrupts();
  }

  // Lets time pass until the TSC reaches `tsc`: at once on the virtual
  // clock, by waiting on the host clock.
  #waitUntil(tsc: number): void {
    const now = this.tsc.read();
    if (tsc > now) this.tsc.advance(tsc - now);
  }

  /**
   * IN of a byte.
   *
   * @param port The port, 0 to 0xFFFF.
   * @returns The byte read.
   */
  in8(port: number): number {
    this.tsc.advance(CYCLES.portIo);
    const value = this.io.read8(port);
    this.pollInterrupts();
    return value;
  }

  /**
   * IN of 16 bits.
   *
   * @param port The port, 0 to 0xFFFF.
   * @returns The value read.
   */
  in16(port: number): number {
    this.tsc.advance(CYCLES.portIo);
    const value = this.io.read16(port);
    this.pollInterrupts();
    return value;
  }

  /**
   * IN of 32 bits.
   *
   * @param port The port, 0 to 0xFFFF.
   * @returns The value read.
   */
  in32(port: number): number {
    this.tsc.advance(CYCLES.portIo);
    const value = this.io.read32(port);
    this.pollInterrupts();
    return value;
  }

  /**
   * OUT of a byte.
   *
   * @param port The port, 0 to 0xFFFF.
   * @param value The byte.
   */
  out8(port: number, value: number): void {
    this.tsc.advance(CYCLES.portIo);
    this.io.write8(port, value);
    this.pollInterrupts();
  }

  /**
   * OUT of 16 bits.
   *
   * @param port The port, 0 to 0xFFFF.
   * @param value The value.
   */
  out16(port: number, value: number): void {
    this.tsc.advance(CYCLES.portIo);
    this.io.write16(port, value);
    this.pollInterrupts();
  }

  /**
   * OUT of 32 bits.
   *
   * @param port The port, 0 to 0xFFFF.
   * @param value The value.
   */
  out32(port: number, value: number): void {
    this.tsc.advance(CYCLES.portIo);
    this.io.write32(port, value);
    this.pollInterrupts();
  }

  /**
   * Raises an exception on this CPU and delivers it through the IDT (SDM 3A
   * §6.12). A fault while delivering is combined with the first by SDM 3A
   * table 6-5; a fault while delivering #DF is a triple fault, which stops
   * the machine with a report of the whole chain.
   *
   * Until the interrupts module loads an IDT (IDTR limit 0), no gate can be
   * reached: every delivery raises #GP, and so every exception ends in a
   * triple fault.
   *
   * @param vector The exception vector.
   * @param errorCode The error code (0 where the vector pushes none).
   * @param why What caused it, for the report.
   */
  raise(vector: number, errorCode: number, why: string): void {
    this.#deliver(vector, errorCode, hasErrorCode(vector), EXCEPTION, why);
  }

  /**
   * INT n, INT3 or INTO: a software interrupt through gate `vector`, which
   * raises #GP when the gate's DPL is below the CPL (SDM 3A §6.12.1.1).
   *
   * @param vector The vector, 0 to 255.
   */
  softwareInterrupt(vector: number): void {
    this.#deliver(vector, 0, false, SOFTWARE, `int ${vector}`);
  }

  /**
   * Takes a pending external interrupt, if interrupts are enabled and no
   * `sti` shadow covers this instruction: the CPU's check between
   * instructions. Port I/O and `pause` call it.
   */
  pollInterrupts(): void {
    const request = this.interrupts?.stopRequest();
    if (request !== undefined) this.stop(request);
    if (this.#shadow) {
      this.#shadow = false;
      return;
    }
    if (
      !(this.registers.low(S_RFLAGS) & IF) || this.interrupts === undefined
    ) return;
    const vector = this.interrupts.take();
    if (vector >= 0) {
      this.#deliver(vector, 0, false, EXTERNAL, `external interrupt ${vector}`);
    }
  }

  // Delivers an event, and whatever its delivery raises, by SDM 3A table
  // 6-5; a fault while delivering #DF shuts the machine down.
  #deliver(
    vector: number,
    errorCode: number,
    withCode: boolean,
    kind: EventKind,
    why: string,
  ): void {
    if (this.#stopped) throw this.#stopped;
    const r = this.registers;
    const ripLow = r.low(S_RIP), ripHigh = r.high(S_RIP);
    const cr2Low = r.low(S_CR2), cr2High = r.high(S_CR2);
    // The report's first line and state, made only if delivery goes wrong.
    let first:
      | { vector: number; errorCode: number; rip: bigint; cr2: bigint }
      | undefined;
    let chain: string[] = [];
    for (;;) {
      const fault = this.#deliverOnce(vector, errorCode, withCode, kind);
      if (fault === undefined) return;
      if (first === undefined) {
        const rip = BigInt(ripHigh) << 32n | BigInt(ripLow);
        first = {
          vector,
          errorCode,
          rip,
          cr2: BigInt(cr2High) << 32n | BigInt(cr2Low),
        };
        chain = [`${describe(vector, errorCode)} at RIP ${hex(rip)}: ${why}`];
      }
      const next = combineExceptions(vector, fault.vector);
      chain.push(
        `delivering ${vectorName(vector)}: ${fault.why}, raising ${
          describe(fault.vector, fault.code)
        }` +
          (next === "triple fault"
            ? " → triple fault"
            : next === Vector.DF
            ? " → #DF"
            : ""),
      );
      if (next === "triple fault") {
        return this.stop({
          reason: "triple-fault",
          exitStatus: 2,
          message: `triple fault after ${chain[0]}`,
          tripleFault: { ...first, chain },
        });
      }
      vector = next;
      errorCode = next === Vector.DF ? 0 : fault.code;
      withCode = hasErrorCode(next);
      kind = EXCEPTION;
    }
  }

  // One attempt to deliver through the IDT (SDM 3A §6.12, §6.14): read the
  // gate, switch stacks, push the frame, fetch the handler, run it, then
  // `iretq`. Returns the fault that stopped the delivery, if any; the state
  // is then as before the attempt.
  #deliverOnce(
    vector: number,
    errorCode: number,
    withCode: boolean,
    kind: EventKind,
  ): DeliveryFault | undefined {
    const r = this.registers;
    const external = kind !== SOFTWARE;
    const gateError = idtErrorCode(vector, external);
    const limit = r.low(S_IDTR_LIMIT);
    if (vector * 16 + 15 > limit) {
      return {
        vector: Vector.GP,
        code: gateError,
        why: `vector ${vector} is beyond the IDT limit ${hex(limit, 4)}`,
      };
    }
    const gateAddress = signed(r.low(S_IDTR_BASE), r.high(S_IDTR_BASE)) +
      vector * 16;
    let w0: number, w1: number, w2: number;
    const gatePa = (gateAddress & 0xfff) <= 0xff0
      ? this.#systemProbe(gateAddress, Access.READ)
      : -2;
    if (gatePa >= 0 && gatePa + 12 <= this.memory.size) {
      w0 = this.memory.readU32(gatePa);
      w1 = this.memory.readU32(gatePa + 4);
      w2 = this.memory.readU32(gatePa + 8);
    } else {
      if (gatePa === -1) return this.#lastFault();
      w0 = this.#systemRead32(gateAddress);
      w1 = w0 < 0 ? -1 : this.#systemRead32(gateAddress + 4);
      w2 = w1 < 0 ? -1 : this.#systemRead32(gateAddress + 8);
      if (w2 < 0) return this.#lastFault();
    }
    const type = w1 >>> 8 & 0xf;
    const dpl = w1 >>> 13 & 3;
    const cpl = this.cpl;
    if (type !== 0xe && type !== 0xf) {
      return {
        vector: Vector.GP,
        code: gateError,
        why: `gate ${vector} has type ${
          hex(type, 1)
        }, not a 64-bit interrupt or trap gate`,
      };
    }
    if (kind === SOFTWARE && cpl > dpl) {
      return {
        vector: Vector.GP,
        code: gateError,
        why: `int ${vector} at CPL ${cpl} through a gate of DPL ${dpl}`,
      };
    }
    if (!(w1 & 0x8000)) {
      return {
        vector: Vector.NP,
        code: gateError,
        why: `gate ${vector} is not present`,
      };
    }
    const selector = w0 >>> 16;
    const target = signed(((w1 & 0xffff_0000) | (w0 & 0xffff)) >>> 0, w2);
    if (!(target >= -CANONICAL && target < CANONICAL)) {
      return {
        vector: Vector.GP,
        code: 0,
        why: `gate ${vector} points at a non-canonical address`,
      };
    }
    const newCpl = this.#codeSegmentDpl(selector);
    if (newCpl < 0 || newCpl > cpl) {
      return {
        vector: Vector.GP,
        code: (selector & 0xfffc) | (external ? 1 : 0),
        why: `gate ${vector} selector ${
          hex(selector, 4)
        } is not a usable 64-bit code segment`,
      };
    }
    // The stack: IST[n] if the gate names one, RSP0..2 on a privilege change.
    const ist = w1 & 7;
    let rsp = signed(r.low(S_RSP), r.high(S_RSP));
    if (ist !== 0 || newCpl < cpl) {
      const slot = ist !== 0 ? 0x24 + (ist - 1) * 8 : 4 + newCpl * 8;
      const tss = signed(r.low(S_TR_BASE), r.high(S_TR_BASE));
      if (r.low(S_TR) === 0) {
        return {
          vector: Vector.TS,
          code: external ? 1 : 0,
          why: `no TSS loaded for the ${
            ist ? `IST${ist}` : `RSP${newCpl}`
          } stack`,
        };
      }
      const low = this.#systemRead32(tss + slot);
      const high = low < 0 ? -1 : this.#systemRead32(tss + slot + 4);
      if (high < 0) return this.#lastFault();
      rsp = signed(low, high);
    }
    rsp -= rsp & 0xf; // aligned to 16 (SDM 3A §6.14.2)
    // The frame, as u32 halves: SS, RSP, RFLAGS, CS, RIP, error code.
    const oldCs = r.low(S_CS),
      oldSs = r.low(S_SS),
      oldFlags = r.low(S_RFLAGS);
    const rspLow = r.low(S_RSP), rspHigh = r.high(S_RSP);
    const ripLow = r.low(S_RIP), ripHigh = r.high(S_RIP);
    const top = rsp - (withCode ? 48 : 40);
    r.setHalves(S_CS, (selector & 0xfffc) | newCpl, 0);
    const samePage = ((top ^ (rsp - 8)) & ~0xfff) === 0 && top >= -CANONICAL;
    const framePa = samePage ? this.#systemProbe(rsp - 8, Access.WRITE) : -2;
    if (
      framePa >= 0 && framePa + 8 <= this.memory.size &&
      framePa >= (rsp - 8 - top)
    ) {
      const m = this.memory;
      const base = framePa + 8; // physical address of `rsp`
      m.writeU64Halves(base - 8, oldSs, 0);
      m.writeU64Halves(base - 16, rspLow, rspHigh);
      m.writeU64Halves(base - 24, oldFlags, 0);
      m.writeU64Halves(base - 32, oldCs, 0);
      m.writeU64Halves(base - 40, ripLow, ripHigh);
      if (withCode) m.writeU64Halves(base - 48, errorCode >>> 0, 0);
    } else if (
      framePa === -1 ||
      !this.#push(rsp - 8, oldSs, 0) ||
      !this.#push(rsp - 16, rspLow, rspHigh) ||
      !this.#push(rsp - 24, oldFlags, 0) || !this.#push(rsp - 32, oldCs, 0) ||
      !this.#push(rsp - 40, ripLow, ripHigh) ||
      (withCode && !this.#push(rsp - 48, errorCode >>> 0, 0))
    ) {
      r.setHalves(S_CS, oldCs, 0);
      return this.#lastFault();
    }
    if (newCpl < cpl) r.setHalves(S_SS, newCpl, 0); // a NULL SS with RPL = CPL
    const fetch = this.#systemProbe(target, Access.FETCH);
    if (fetch < 0) {
      r.setHalves(S_CS, oldCs, 0);
      r.setHalves(S_SS, oldSs, 0);
      const fault = this.#lastFault();
      return { ...fault, why: `fetching its handler: ${fault.why}` };
    }
    setSigned(r, S_RSP, top);
    const flags = oldFlags & ~(TF | NT | RF | VM) & ~(type === 0xe ? IF : 0);
    r.setHalves(S_RFLAGS, flags | 2, 0);
    setSigned(r, S_RIP, target);
    const handler = this.code.at(target) ??
      this.#noCode(target, `gate ${vector} (${vectorName(vector)}) leads`);
    if (++this.#depth > MAX_DEPTH) {
      this.stop({
        reason: "triple-fault",
        exitStatus: 2,
        message:
          `interrupts nested ${MAX_DEPTH} deep: the handlers keep faulting`,
      });
    }
    const outer = this.deliveryHasErrorCode;
    this.deliveryHasErrorCode = withCode;
    try {
      handler(this);
    } finally {
      this.#depth--;
      this.deliveryHasErrorCode = outer;
    }
    this.iretq(withCode);
    return undefined;
  }

  /**
   * IRETQ at the end of a handler: skips the error code if there is one,
   * then pops RIP, CS, RFLAGS, RSP and SS — the values a handler left in
   * the frame.
   *
   * @param skipErrorCode Whether an error code sits above the frame.
   */
  iretq(skipErrorCode: boolean): void {
    const r = this.registers;
    const rsp = signed(r.low(S_RSP), r.high(S_RSP)) +
      (skipErrorCode ? 8 : 0);
    // One translation when the frame lies in one page (it usually does).
    const pa = (rsp & 0xfff) <= 0xfd8 && this.cpl === 0
      ? this.#systemProbe(rsp, Access.READ, STACK_READ)
      : (rsp & 0xfff) <= 0xfd8
      ? this.translate(rsp, Access.READ)
      : -1;
    let ripLow, ripHigh, cs, rflags, rspLow, rspHigh, ss;
    if (pa >= 0 && pa + 40 <= this.memory.size) {
      const m = this.memory;
      ripLow = m.readU32(pa);
      ripHigh = m.readU32(pa + 4);
      cs = m.readU32(pa + 8) & 0xffff;
      rflags = m.readU32(pa + 16);
      rspLow = m.readU32(pa + 24);
      rspHigh = m.readU32(pa + 28);
      ss = m.readU32(pa + 32) & 0xffff;
    } else {
      ripLow = this.readU32(rsp);
      ripHigh = this.readU32(rsp + 4);
      cs = this.readU32(rsp + 8) & 0xffff;
      rflags = this.readU32(rsp + 16);
      rspLow = this.readU32(rsp + 24);
      rspHigh = this.readU32(rsp + 28);
      ss = this.readU32(rsp + 32) & 0xffff;
    }
    r.setHalves(S_RIP, ripLow, ripHigh);
    r.setHalves(S_CS, cs, 0);
    r.setHalves(S_RFLAGS, (rflags & 0x3f_7fd5) | 2, 0);
    r.setHalves(S_RSP, rspLow, rspHigh);
    r.setHalves(S_SS, ss, 0);
  }

  /**
   * LIDT: loads the IDT register.
   *
   * @param base The IDT's linear address, as a signed number.
   * @param limit Its size in bytes minus 1 (4095 for 256 gates).
   */
  lidt(base: number, limit: number): void {
    if (this.#privileged("lidt")) return;
    this.registers.set(S_IDTR_BASE, BigInt(base));
    this.registers.setHalves(S_IDTR_LIMIT, limit & 0xffff, 0);
  }

  /**
   * LGDT: loads the GDT register.
   *
   * @param base The GDT's linear address, as a signed number.
   * @param limit Its size in bytes minus 1.
   */
  lgdt(base: number, limit: number): void {
    if (this.#privileged("lgdt")) return;
    this.registers.set(S_GDTR_BASE, BigInt(base));
    this.registers.setHalves(S_GDTR_LIMIT, limit & 0xffff, 0);
  }

  /**
   * LTR: loads the task register from a 16-byte available 64-bit TSS
   * descriptor (type 9) in the GDT, and marks it busy (type 11). A selector
   * outside the GDT or of another type raises #GP(selector); a descriptor
   * not present, #NP(selector).
   *
   * @param selector The TSS selector.
   */
  ltr(selector: number): void {
    if (this.#privileged("ltr")) return;
    const r = this.registers;
    const index = selector & 0xfff8;
    if (index === 0 || index + 15 > r.low(S_GDTR_LIMIT)) {
      return this.raise(
        Vector.GP,
        index,
        `ltr ${hex(selector, 4)}: outside the GDT`,
      );
    }
    const address = signed(r.low(S_GDTR_BASE), r.high(S_GDTR_BASE)) + index;
    const low = this.readU32(address + 4);
    if ((low >>> 8 & 0x1f) !== 0x09) {
      return this.raise(
        Vector.GP,
        index,
        `ltr ${hex(selector, 4)}: not an available 64-bit TSS`,
      );
    }
    if (!(low & 0x8000)) {
      return this.raise(
        Vector.NP,
        index,
        `ltr ${hex(selector, 4)}: not present`,
      );
    }
    const base = ((this.readU32(address) >>> 16) | (low & 0xff) << 16 |
      (low & 0xff00_0000)) >>> 0;
    const baseHigh = this.readU32(address + 8);
    this.writeU32(address + 4, (low | 0x200) >>> 0); // busy
    r.setHalves(S_TR, index, 0);
    r.setHalves(S_TR_BASE, base, baseHigh);
  }

  // The DPL of the 64-bit code segment `selector` names in the GDT, or -1;
  // with no GDT loaded, a 64-bit ring-0 code segment is assumed.
  #codeSegmentDpl(selector: number): number {
    const r = this.registers;
    const limit = r.low(S_GDTR_LIMIT);
    if (limit === 0) return 0;
    const index = selector & 0xfff8;
    if (index === 0 || index + 7 > limit) return -1;
    const high = this.#systemRead32(
      signed(r.low(S_GDTR_BASE), r.high(S_GDTR_BASE)) + index + 4,
    );
    if (high < 0) return -1;
    const present = high & 0x8000,
      code = (high & 0x1800) === 0x1800,
      long = high & 0x20_0000;
    return present && code && long ? high >>> 13 & 3 : -1;
  }

  // A supervisor read of 32 bits by the CPU itself (IDT, GDT, TSS), or -1
  // with the fault it met kept for #lastFault.
  #systemRead32(address: number): number {
    if ((address & 3) !== 0) {
      let value = 0;
      for (let i = 3; i >= 0; i--) {
        const pa = this.#probe(address + i, Access.READ, false);
        if (pa < 0) return -1;
        value = value * 256 +
          (pa < this.memory.size ? this.memory.readU8(pa) : 0xff);
      }
      return value;
    }
    const pa = this.#probe(address, Access.READ, false);
    if (pa < 0) return -1;
    return pa + 4 <= this.memory.size ? this.memory.readU32(pa) : 0xffff_ffff;
  }

  // A supervisor write of a 64-bit stack slot (8-aligned, so in one page).
  #push(address: number, low: number, high: number): boolean {
    const pa = this.#probe(address, Access.WRITE, false);
    if (pa < 0) return false;
    if (pa + 8 <= this.memory.size) {
      this.memory.writeU64Halves(pa, low >>> 0, high >>> 0);
    }
    return true;
  }

  // Translates without delivering: the physical address, or -1 with the
  // #PF (CR2 set) or #GP a delivery would meet kept for #lastFault.
  #probe(vaddr: number, access: Access, user: boolean): number {
    if (!(vaddr >= -CANONICAL && vaddr < CANONICAL)) {
      this.#fault = {
        vector: Vector.GP,
        code: 0,
        why: "non-canonical address",
      };
      return -1;
    }
    const pa = this.mmu.translate(vaddr, access, user);
    if (pa >= 0) return pa;
    const unsigned = BigInt.asUintN(64, BigInt(vaddr));
    this.registers.set(S_CR2, unsigned);
    this.mmu.tlb.flushPage(vaddr);
    this.#fault = {
      vector: Vector.PF,
      code: this.mmu.faultCode,
      why: `${ACCESS_NAMES[access]} at ${hex(unsigned)}: ${
        describePageFault(this.mmu.faultCode)
      }`,
    };
    return -1;
  }

  // #probe for the CPU's own accesses (IDT, stack frame, handler fetch),
  // through a one-page cache per kind of access. An entry stands for a TLB
  // entry: it lasts until a TLB flush, or a change to CR0, CR4 or EFER,
  // which the rights of a supervisor access depend on.
  #systemProbe(vaddr: number, access: Access, slot: number = access): number {
    const r = this.registers;
    const offset = vaddr & 0xfff;
    const page = vaddr - offset;
    const c = this.#systemCache;
    const k = slot * SYSTEM_CACHE_STRIDE;
    const generation = this.mmu.tlb.generation;
    const cr0 = r.low(S_CR0), cr4 = r.low(S_CR4), efer = r.low(S_EFER);
    // CR3 too: with PCIDs a CR3 load may keep the TLB (and its generation).
    const cr3 = r.low(S_CR3) + r.high(S_CR3) * 2 ** 32;
    if (
      c[k] === page && c[k + 2] === generation && c[k + 3] === cr0 &&
      c[k + 4] === cr4 && c[k + 5] === efer && c[k + 6] === cr3
    ) return c[k + 1]! + offset;
    const pa = this.#probe(vaddr, access, false);
    if (pa >= 0) {
      c[k] = page;
      c[k + 1] = pa - offset;
      c[k + 2] = generation;
      c[k + 3] = cr0;
      c[k + 4] = cr4;
      c[k + 5] = efer;
      c[k + 6] = cr3;
    }
    return pa;
  }

  #lastFault(): DeliveryFault {
    return this.#fault;
  }

  /**
   * Stops the machine: records why and throws {@linkcode MachineStopped}
   * out of the code running on this CPU.
   *
   * @param stop Why the machine stops.
   * @throws {MachineStopped} Always.
   */
  stop(stop: Omit<MachineReportInit, "cpu" | "tsc" | "registers">): never {
    this.#stopped ??= new MachineStopped(
      new MachineReport({
        ...stop,
        cpu: this.id,
        tsc: BigInt(this.tsc.read()),
        registers: this.snapshot(),
      }),
    );
    throw this.#stopped;
  }

  /**
   * A copy of every register.
   *
   * @returns The registers by lower-case name.
   */
  snapshot(): RegisterSnapshot {
    const out: Record<string, bigint> = {};
    REG_NAMES.forEach((name, slot) => {
      out[name.toLowerCase()] = slot === S_TSC
        ? BigInt(this.tsc.read())
        : this.registers.get(slot as Reg);
    });
    return out as RegisterSnapshot;
  }

  // Privileged instructions raise #GP(0) outside ring 0 (SDM 3A §5.9).
  #privileged(instruction: string): boolean {
    if (this.cpl === 0) return false;
    this.raise(Vector.GP, 0, `${instruction} at CPL ${this.cpl}`);
    return true;
  }

  #setInterruptFlag(on: boolean): void {
    this.tsc.advance(CYCLES.flags);
    const flags = this.registers.low(S_RFLAGS);
    const iopl = flags >>> 12 & 3;
    if (this.cpl > iopl) {
      return this.raise(
        Vector.GP,
        0,
        `${on ? "sti" : "cli"} at CPL ${this.cpl} > IOPL ${iopl}`,
      );
    }
    if (on && !(flags & IF)) this.#shadow = true; // one-instruction shadow
    this.registers.setHalves(S_RFLAGS, on ? flags | IF : flags & ~IF, 0);
  }
}

const CANONICAL = 2 ** 47;
const TF = 1 << 8;
const NT = 1 << 14;
const RF = 1 << 16;
const VM = 1 << 17;
const MAX_DEPTH = 64;
// The #systemProbe cache slot of iretq's stack reads (0–2 are by access).
const STACK_READ = 3;
// The numbers of one #systemProbe cache slot: page, frame, TLB generation,
// CR0, CR4, EFER, CR3.
const SYSTEM_CACHE_STRIDE = 7;
// The #systemProbe cache slot of the fetch at LSTAR.
const SYSCALL_FETCH = 4;
const EFER_SCE = 1;
// Word indexes of the registers syscall and sysret move (two per slot).
const RIP2 = S_RIP * 2, RCX2 = S_RCX * 2, R11_2 = S_R11 * 2;
const RFLAGS2 = S_RFLAGS * 2, FMASK2 = S_FMASK * 2, STAR2 = S_STAR * 2;
const CS2 = S_CS * 2, SS2 = S_SS * 2, LSTAR2 = S_LSTAR * 2;
// The low words of the control registers the getters read.
const CR0_WORD = S_CR0 * 2, CR3_WORD = S_CR3 * 2, CR4_WORD = S_CR4 * 2;
const EFER_WORD = S_EFER * 2;
const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
// Thrown by endUserRun to unwind user code back to the kernel's sysret.
const USER_RUN_ENDED = Symbol("user run ended");
/**
 * External interrupts are checked at least once every this many virtual
 * memory accesses, besides at `sti` (after its shadow), `hlt`, `pause` and
 * port I/O.
 */
export const POLL_INTERVAL = 1024;
const EXCEPTION = 0;
const EXTERNAL = 1;
const SOFTWARE = 2;
type EventKind = typeof EXCEPTION | typeof EXTERNAL | typeof SOFTWARE;

/** A fault met while delivering an event. */
interface DeliveryFault {
  readonly vector: number;
  readonly code: number;
  readonly why: string;
}

// Stores a signed number (a canonical address) in a register as 64 bits.
function setSigned(r: RegisterFile, reg: Reg, value: number): void {
  const high = Math.floor(value / 2 ** 32);
  r.setHalves(reg, value - high * 2 ** 32, high >>> 0);
}

// A 64-bit value from u32 halves, as the signed number that keeps a
// canonical address exact.
function signed(low: number, high: number): number {
  return (high | 0) * 2 ** 32 + low;
}
const FAST_ENTRIES = 256;
const FAST_MASK = FAST_ENTRIES - 1;
const CR4_PGE = 1 << 7;
const CR4_PCIDE = 1 << 17;
const CR4_SMEP = 1 << 20;
const CR4_PKE = 1 << 22;
const ACCESS_NAMES = ["read", "write", "instruction fetch"];

function hexAddress(vaddr: number): string {
  return Number.isSafeInteger(vaddr) && vaddr >= -(2 ** 63)
    ? hex(BigInt.asUintN(64, BigInt(vaddr)))
    : String(vaddr);
}

function describePageFault(code: number): string {
  const cause = code & 8
    ? "reserved bit set in a paging-structure entry"
    : code & 1
    ? "protection violation"
    : "page not present";
  return `${cause} (error code ${hex(code, 1)}: ${code & 1 ? "P" : "not P"}${
    code & 2 ? " W" : " R"
  }${code & 4 ? " U" : " S"}${code & 8 ? " RSVD" : ""}${
    code & 16 ? " I/D" : ""
  })`;
}

const CR_SLOTS = {
  0: S_CR0,
  2: S_CR2,
  3: S_CR3,
  4: S_CR4,
  8: S_CR8,
} as const;

function describe(vector: number, errorCode: number): string {
  return hasErrorCode(vector)
    ? `${vectorName(vector)}(${hex(errorCode, 1)})`
    : vectorName(vector);
}

/**
 * Thrown by `Cpu.syscall` when the kernel code at LSTAR returns without
 * executing `sysret`: on hardware it would run on into whatever follows
 * it, so this is a bug in the kernel's system-call entry.
 *
 * @example The message names the entry
 * ```ts
 * import { match } from "node:assert/strict";
 *
 * match(new SyscallReturnError("0x0000_0000_0009_0000").message, /sysret/);
 * ```
 */
export class SyscallReturnError extends Error {
  /**
   * Builds the error.
   *
   * @param entry The entry's address, as the report writes it.
   */
  constructor(entry: string) {
    super(
      `The system-call entry at ${entry} returned without sysret: end it with sysret() (or iretq) to return to user mode`,
    );
    this.name = "SyscallReturnError";
  }
}
