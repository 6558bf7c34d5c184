import { hex } from "../_hex.ts";

/**
 * The physical address of the local APIC's registers after reset: the
 * IA32_APIC_BASE MSR's default base (Intel SDM 3A §11.4.4). Each CPU sees
 * its own APIC in this one 4 KiB page.
 *
 * @example The default page
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(LOCAL_APIC_BASE, 0xfee0_0000);
 * strictEqual(LOCAL_APIC_BASE % 4096, 0);
 * ```
 */
export const LOCAL_APIC_BASE = 0xfee0_0000;

/**
 * The offsets of the xAPIC registers inside the APIC page (Intel SDM 3A
 * table 11-1). Each register is 32 bits wide at a 16-byte-aligned offset;
 * ISR, TMR and IRR are eight such registers each, 0x10 apart.
 *
 * @example Where the timer lives
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(ApicRegister.LVT_TIMER, 0x320);
 * strictEqual(ApicRegister.IRR + 0x10 * 7, 0x270); // IRR bits 255..224
 * ```
 */
export const ApicRegister = {
  /** Local APIC ID: bits 31..24 (read/write). */
  ID: 0x20,
  /** Version (read-only): bits 7..0 version, 23..16 max LVT entry. */
  VERSION: 0x30,
  /** Task priority register: bits 7..4 class, 3..0 sub-class. */
  TPR: 0x80,
  /** Arbitration priority register (read-only; reads 0 here). */
  APR: 0x90,
  /** Processor priority register (read-only). */
  PPR: 0xa0,
  /** End of interrupt (write-only): ends the highest in-service vector. */
  EOI: 0xb0,
  /** Remote read register (read-only; reads 0 here). */
  RRD: 0xc0,
  /** Logical destination register: bits 31..24. */
  LDR: 0xd0,
  /** Destination format register: bits 31..28 model, others read 1. */
  DFR: 0xe0,
  /** Spurious interrupt vector register: bit 8 enable, bits 7..0 vector. */
  SVR: 0xf0,
  /** In-service register, vectors 31..0; seven more follow 0x10 apart. */
  ISR: 0x100,
  /** Trigger mode register, vectors 31..0; seven more follow 0x10 apart. */
  TMR: 0x180,
  /** Interrupt request register, vectors 31..0; seven more follow. */
  IRR: 0x200,
  /** Error status register: write, then read the errors since. */
  ESR: 0x280,
  /** Interrupt command register, bits 31..0: a write sends the IPI. */
  ICR_LOW: 0x300,
  /** Interrupt command register, bits 63..32: bits 31..24 destination. */
  ICR_HIGH: 0x310,
  /** LVT timer: vector, mask (16), mode (18..17: 00 one-shot, 01 periodic). */
  LVT_TIMER: 0x320,
  /** LVT thermal sensor (stored; no source here). */
  LVT_THERMAL: 0x330,
  /** LVT performance-monitoring counters (stored; no source here). */
  LVT_PERFORMANCE: 0x340,
  /** LVT LINT0: the INTR pin, where the 8259 PIC arrives as ExtINT. */
  LVT_LINT0: 0x350,
  /** LVT LINT1: the NMI pin. */
  LVT_LINT1: 0x360,
  /** LVT error: the vector raised when ESR gains an error. */
  LVT_ERROR: 0x370,
  /** Timer initial count: a write starts the count, 0 stops it. */
  INITIAL_COUNT: 0x380,
  /** Timer current count (read-only). */
  CURRENT_COUNT: 0x390,
  /** Timer divide configuration: bits 3, 1, 0. */
  DIVIDE_CONFIGURATION: 0x3e0,
} as const;

/** Version 0x14 (an integrated xAPIC), max LVT entry 5 (six entries). */
const VERSION = 0x0005_0014;

/** The LVT mask bit (SDM 3A figure 11-8). */
const MASKED = 0x0001_0000;
/** LVT timer mode bits 18..17 = 01: periodic. */
const PERIODIC = 0x0002_0000;
/** LVT delivery mode 111 (bits 10..8): ExtINT. */
const EXT_INT = 0x700;
const DELIVERY_MODE = 0x700;

/** SVR bit 8: APIC software enable. */
const SVR_ENABLE = 0x100;

// The writable bits of each LVT entry (SDM 3A figure 11-8): delivery
// status (12) and remote IRR (14) are read-only; the timer has no
// TSC-deadline mode (CPUID.01H:ECX[24] = 0), so bit 18 is reserved.
const LVT_TIMER_BITS = 0x0003_00ff;
const LVT_DELIVERY_BITS = 0x0001_07ff; // thermal, performance
const LVT_LINT_BITS = 0x0001_a7ff; // + polarity (13), trigger mode (15)
const LVT_ERROR_BITS = 0x0001_00ff;

// ICR bits software writes: vector, delivery mode, destination mode,
// level, trigger mode, shorthand. Delivery status (12) reads 0: IPIs leave
// at once.
const ICR_LOW_BITS = 0x000c_cfff;
const ICR_HIGH_BITS = 0xff00_0000;

// ESR bits (SDM 3A figure 11-9).
const SEND_ILLEGAL_VECTOR = 0x20;
const RECEIVE_ILLEGAL_VECTOR = 0x40;
const ILLEGAL_REGISTER_ADDRESS = 0x80;

// Indexes into #lvt, in register order from 0x320: timer, thermal,
// performance, LINT0, LINT1, error.
const TIMER = 0;
const LINT0 = 3;
const ERROR = 5;
const LVT_BITS = [
  LVT_TIMER_BITS,
  LVT_DELIVERY_BITS,
  LVT_DELIVERY_BITS,
  LVT_LINT_BITS,
  LVT_LINT_BITS,
  LVT_ERROR_BITS,
] as const;

/**
 * Options for {@linkcode LocalApic}: its id, its clock, where it sits and
 * where its IPIs go.
 *
 * @example The APIC of CPU 1 on a virtual clock
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * let tsc = 0;
 * const options: LocalApicOptions = { id: 1, now: () => tsc };
 * const apic = new LocalApic(options);
 * strictEqual(apic.read32(0x20), 0x0100_0000);
 * strictEqual(apic.base, 0xfee0_0000);
 * ```
 */
export interface LocalApicOptions {
  /** The APIC id, 0..255: ID register bits 31..24 after reset. */
  id: number;
  /**
   * The CPU's time-stamp counter, in cycles: the timer counts in these
   * ticks (before the divider). It must not run backwards.
   */
  now: () => number;
  /**
   * The physical base of the register page; by default
   * {@linkcode LOCAL_APIC_BASE}. The APIC only reports it: routing
   * accesses there is the CPU's business.
   */
  base?: number;
  /**
   * Called on every write to ICR low (the write that sends an IPI), with
   * both halves as stored. The APIC delivers nothing itself, not even a
   * self-IPI: the receiver of the callback does, by calling
   * {@linkcode LocalApic.requestInterrupt} on the destination APICs.
   */
  onIpi?: (icrLow: number, icrHigh: number) => void;
  /**
   * Starts with LVT LINT0 = 0x0000_0700 (ExtINT, unmasked), as QEMU resets
   * the bootstrap processor's APIC and a BIOS leaves it in virtual-wire
   * mode (MP spec 1.4 §3.6.2.2), so that the 8259 PIC reaches the CPU
   * through LINT0 without the kernel touching the APIC. By default every
   * LVT entry starts masked, as the SDM's reset state has it.
   */
  virtualWire?: boolean;
}

/**
 * A CPU's local APIC in xAPIC mode (Intel SDM 3A chapter 11): the
 * memory-mapped registers of table 11-1 in a 4 KiB page, the IRR/ISR
 * priority logic, the timer and the error status register.
 *
 * It is not on the I/O bus: the CPU passes it the 32-bit loads and stores
 * that hit its page, as {@linkcode LocalApic.read32} and
 * {@linkcode LocalApic.write32} with the offset inside the page.
 * Registers are 16-byte aligned; the SDM leaves any other access
 * undefined, and here a load or store whose offset is not a register's
 * (inside a register's 16-byte slot, or misaligned) reads 0 and is
 * ignored. One at an unimplemented register reads 0 and sets ESR bit 7
 * (illegal register address).
 *
 * Reset state (SDM 3A §11.4.7.1): ID = `id` << 24, TPR, IRR, ISR, TMR,
 * ESR, ICR, LDR and the timer counts 0, DFR 0xFFFF_FFFF, SVR 0xFF
 * (software disabled, spurious vector 0xFF), every LVT entry 0x0001_0000
 * (masked).
 *
 * While software-disabled (SVR bit 8 clear; SDM 3A §11.4.7.2) LVT writes
 * cannot clear the mask bit (clearing SVR bit 8 sets it in every entry),
 * and no interrupt is delivered: IRR and ISR keep what they hold until the
 * APIC is enabled again. (Only the `virtualWire` option's LINT0 starts
 * unmasked while disabled, as in QEMU.)
 *
 * Interrupts are edge-triggered: TMR always reads 0 and EOI broadcasts to
 * no I/O APIC.
 *
 * @example The CPU's side: take, handle, EOI
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * const apic = new LocalApic({ id: 0, now: () => 0 });
 * apic.write32(0xf0, 0x1ff); // SVR: enable, spurious vector 0xFF
 * apic.requestInterrupt(0x41);
 * const vector = apic.pendingVector();
 * strictEqual(vector, 0x41);
 * strictEqual(apic.acknowledge(vector), 0x41);
 * strictEqual(apic.read32(0x100 + 0x20), 0x2); // ISR bit 65
 * apic.write32(0xb0, 0); // EOI
 * strictEqual(apic.read32(0x100 + 0x20), 0);
 * ```
 */
export class LocalApic {
  #now: () => number;
  #base: number;
  #onIpi: ((icrLow: number, icrHigh: number) => void) | undefined;

  #id: number;
  #tpr = 0;
  #ldr = 0;
  #dfr = 0xffff_ffff;
  #svr = 0xff;
  #isr = new Uint32Array(8);
  #tmr = new Uint32Array(8);
  #irr = new Uint32Array(8);
  // Errors detected since the last ESR write, and what ESR shows.
  #errors = 0;
  #esr = 0;
  #icrLow = 0;
  #icrHigh = 0;
  #lvt: number[] = [MASKED, MASKED, MASKED, MASKED, MASKED, MASKED];

  #initialCount = 0;
  #divideConfiguration = 0;
  #divide = 2;
  // The TSC at which the count next reaches 0, while the timer runs.
  #deadline: number | undefined = undefined;

  /**
   * Builds a local APIC in its reset state.
   *
   * @param options The id, the clock, the base and the IPI callback.
   * @throws {RangeError} If `id` is not an integer in 0..255, or `base` is
   *   not a 4 KiB-aligned physical address below 2^52.
   */
  constructor(options: LocalApicOptions) {
    const { id, now, base = LOCAL_APIC_BASE } = options;
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new RangeError(
        `Invalid APIC id ${id}: expected an integer from 0 to 255`,
      );
    }
    if (!Number.isInteger(base) || base < 0 || base >= 2 ** 52 || base % 4096) {
      throw new RangeError(
        `Invalid local APIC base ${
          Number.isInteger(base) && base >= 0 ? hex(base) : base
        }: expected a 4 KiB-aligned physical address below 2^52`,
      );
    }
    this.#id = id << 24 >>> 0;
    this.#now = now;
    this.#base = base;
    this.#onIpi = options.onIpi;
    if (options.virtualWire === true) this.#lvt[LINT0] = EXT_INT;
  }

  /**
   * The physical address of the register page.
   *
   * @returns The base, 4 KiB-aligned.
   *
   * @example A relocated APIC
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0, base: 0xfec0_1000 });
   * strictEqual(apic.base, 0xfec0_1000);
   * ```
   */
  get base(): number {
    return this.#base;
  }

  /**
   * The APIC id: ID register bits 31..24.
   *
   * @returns The id, 0..255.
   *
   * @example The id given at construction
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * strictEqual(new LocalApic({ id: 3, now: () => 0 }).id, 3);
   * ```
   */
  get id(): number {
    return this.#id >>> 24;
  }

  /**
   * Whether the APIC is software-enabled: SVR bit 8.
   *
   * @returns `true` once software set SVR bit 8.
   *
   * @example Disabled at reset, enabled through SVR
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * strictEqual(apic.enabled, false);
   * apic.write32(0xf0, 0x1ff);
   * strictEqual(apic.enabled, true);
   * ```
   */
  get enabled(): boolean {
    return (this.#svr & SVR_ENABLE) !== 0;
  }

  /**
   * The spurious-interrupt vector: SVR bits 7..0. The CPU gets it from an
   * INTA that finds the interrupt gone (SDM 3A §11.9); its handler must
   * not send EOI, since no ISR bit was set.
   *
   * @returns The vector, 0..255 (0xFF after reset).
   *
   * @example The vector software chose
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * strictEqual(apic.spuriousVector, 0xff);
   * apic.write32(0xf0, 0x1ef);
   * strictEqual(apic.spuriousVector, 0xef);
   * ```
   */
  get spuriousVector(): number {
    return this.#svr & 0xff;
  }

  /**
   * Whether the 8259 PIC's INTR reaches the CPU through LINT0: the LVT
   * LINT0 entry is unmasked with delivery mode ExtINT (0b111), the
   * virtual-wire mode. An ExtINT interrupt bypasses IRR, ISR and the
   * priority rules: the CPU runs the PIC's INTA cycle itself. (When
   * IA32_APIC_BASE bit 11 is clear the APIC is off and INTR goes straight
   * to the CPU; that is the CPU's business.)
   *
   * @returns `true` when the PIC's requests should be taken.
   *
   * @example Programming LINT0 as ExtINT
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * strictEqual(apic.acceptsExtInt, false); // masked at reset
   * apic.write32(0xf0, 0x1ff);
   * apic.write32(0x350, 0x700);
   * strictEqual(apic.acceptsExtInt, true);
   * ```
   */
  get acceptsExtInt(): boolean {
    return (this.#lvt[LINT0]! & (MASKED | DELIVERY_MODE)) === EXT_INT;
  }

  /**
   * Reads the register at `offset` in the APIC page (a 32-bit load).
   * Reading the current count first brings the timer up to `now()`.
   *
   * @param offset The byte offset inside the page, 0 to 0xFFF.
   * @returns The register's value, 0..0xFFFF_FFFF.
   * @throws {RangeError} If `offset` is not an integer in 0..0xFFF.
   *
   * @example The version register
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * strictEqual(apic.read32(0x30), 0x0005_0014);
   * ```
   */
  read32(offset: number): number {
    checkOffset(offset);
    if (offset & 0xf) return 0;
    if (offset >= 0x100 && offset < 0x280) {
      const index = offset >>> 4 & 7;
      if (offset < 0x180) return this.#isr[index]!;
      if (offset < 0x200) return this.#tmr[index]!;
      return this.#irr[index]!;
    }
    if (offset >= 0x320 && offset <= 0x370) {
      return this.#lvt[(offset - 0x320) >>> 4]!;
    }
    switch (offset) {
      case ApicRegister.ID:
        return this.#id;
      case ApicRegister.VERSION:
        return VERSION;
      case ApicRegister.TPR:
        return this.#tpr;
      case ApicRegister.APR: // no arbitration modelled
      case ApicRegister.EOI: // EOI is write-only
      case ApicRegister.RRD: // no remote reads
        return 0;
      case ApicRegister.PPR:
        return this.#ppr();
      case ApicRegister.LDR:
        return this.#ldr;
      case ApicRegister.DFR:
        return this.#dfr;
      case ApicRegister.SVR:
        return this.#svr;
      case ApicRegister.ESR:
        return this.#esr;
      case ApicRegister.ICR_LOW:
        return this.#icrLow;
      case ApicRegister.ICR_HIGH:
        return this.#icrHigh;
      case ApicRegister.INITIAL_COUNT:
        return this.#initialCount;
      case ApicRegister.CURRENT_COUNT:
        return this.#currentCount();
      case ApicRegister.DIVIDE_CONFIGURATION:
        return this.#divideConfiguration;
      default:
        this.#error(ILLEGAL_REGISTER_ADDRESS);
        return 0;
    }
  }

  /**
   * Writes the register at `offset` in the APIC page (a 32-bit store).
   * Read-only registers ignore the write; ICR low sends an IPI through
   * `onIpi`; initial count starts (or, with 0, stops) the timer.
   *
   * @param offset The byte offset inside the page, 0 to 0xFFF.
   * @param value The value, 0..0xFFFF_FFFF.
   * @throws {RangeError} If `offset` is not an integer in 0..0xFFF or
   *   `value` is not a 32-bit unsigned integer.
   *
   * @example Raising the task priority
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * apic.write32(0x80, 0x20);
   * strictEqual(apic.read32(0x80), 0x20);
   * strictEqual(apic.read32(0xa0), 0x20); // PPR follows TPR
   * ```
   */
  write32(offset: number, value: number): void {
    checkOffset(offset);
    if ((value >>> 0) !== value) {
      throw new RangeError(
        `Invalid value ${value} for local APIC register ${
          hex(offset, 3)
        }: expected an integer from 0 to 0xFFFF_FFFF`,
      );
    }
    if (offset & 0xf) return;
    if (offset >= 0x100 && offset < 0x280) return; // ISR, TMR, IRR
    if (offset >= 0x320 && offset <= 0x370) {
      this.#writeLvt((offset - 0x320) >>> 4, value);
      return;
    }
    switch (offset) {
      case ApicRegister.ID:
        this.#id = (value & 0xff00_0000) >>> 0;
        break;
      case ApicRegister.TPR:
        this.#tpr = value & 0xff;
        break;
      case ApicRegister.EOI:
        this.#endOfInterrupt();
        break;
      case ApicRegister.LDR:
        this.#ldr = (value & 0xff00_0000) >>> 0;
        break;
      case ApicRegister.DFR:
        this.#dfr = (value | 0x0fff_ffff) >>> 0;
        break;
      case ApicRegister.SVR:
        this.#writeSvr(value);
        break;
      case ApicRegister.ESR:
        // The write latches the errors detected since the previous one.
        this.#esr = this.#errors;
        this.#errors = 0;
        break;
      case ApicRegister.ICR_LOW:
        this.#writeIcr(value);
        break;
      case ApicRegister.ICR_HIGH:
        this.#icrHigh = (value & ICR_HIGH_BITS) >>> 0;
        break;
      case ApicRegister.INITIAL_COUNT:
        this.#writeInitialCount(value);
        break;
      case ApicRegister.DIVIDE_CONFIGURATION:
        this.#writeDivideConfiguration(value);
        break;
      case ApicRegister.VERSION:
      case ApicRegister.APR:
      case ApicRegister.PPR:
      case ApicRegister.RRD:
      case ApicRegister.CURRENT_COUNT:
        break;
      default:
        this.#error(ILLEGAL_REGISTER_ADDRESS);
    }
  }

  /**
   * The vector the CPU should take now, after bringing the timer up to
   * `now()`: the highest vector in IRR whose priority class (bits 7..4)
   * is above the processor priority's class (SDM 3A §11.8.3.1), or -1 when
   * there is none or the APIC is software-disabled.
   *
   * @returns The vector, 16..255, or -1.
   *
   * @example TPR holds back a lower class
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * apic.write32(0xf0, 0x1ff);
   * apic.write32(0x80, 0x50); // TPR class 5
   * apic.requestInterrupt(0x55);
   * strictEqual(apic.pendingVector(), -1); // class 5 is not above 5
   * apic.requestInterrupt(0x61);
   * strictEqual(apic.pendingVector(), 0x61);
   * ```
   */
  pendingVector(): number {
    if (this.#deadline !== undefined) this.#update(this.#now());
    if (!(this.#svr & SVR_ENABLE)) return -1;
    const vector = highest(this.#irr);
    return vector >= 0 && (vector & 0xf0) > (this.#ppr() & 0xf0) ? vector : -1;
  }

  /**
   * The CPU's INTA cycle for `vector` (normally what
   * {@linkcode pendingVector} just returned): moves it from IRR to ISR and
   * returns it. If by now it is no longer pending and above the processor
   * priority, returns the spurious vector instead, with ISR untouched
   * (SDM 3A §11.9).
   *
   * @param vector The vector the CPU is taking, 0..255.
   * @returns The vector to deliver: `vector` or {@linkcode spuriousVector}.
   * @throws {RangeError} If `vector` is not an integer in 0..255.
   *
   * @example Software raised TPR between request and INTA
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * apic.write32(0xf0, 0x1ef);
   * apic.requestInterrupt(0x40);
   * const vector = apic.pendingVector();
   * apic.write32(0x80, 0xf0);
   * strictEqual(apic.acknowledge(vector), 0xef); // spurious
   * strictEqual(apic.read32(0x100 + 0x20), 0); // nothing in service
   * ```
   */
  acknowledge(vector: number): number {
    checkVector(vector);
    const word = vector >>> 5;
    const bit = 1 << (vector & 31);
    if (
      !(this.#svr & SVR_ENABLE) || (this.#irr[word]! & bit) === 0 ||
      (vector & 0xf0) <= (this.#ppr() & 0xf0)
    ) {
      return this.#svr & 0xff;
    }
    this.#irr[word]! &= ~bit;
    this.#isr[word]! |= bit;
    return vector;
  }

  /**
   * Accepts a fixed interrupt: sets `vector`'s IRR bit, as an IPI or a
   * local source does. Vectors 0..15 are illegal (SDM 3A §11.5.3): the
   * APIC sets ESR bit 6 (receive illegal vector) and drops them. A vector
   * already pending stays pending once.
   *
   * @param vector The vector, 0..255.
   * @throws {RangeError} If `vector` is not an integer in 0..255.
   *
   * @example An illegal vector goes to ESR, not IRR
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const apic = new LocalApic({ id: 0, now: () => 0 });
   * apic.requestInterrupt(14);
   * strictEqual(apic.read32(0x200), 0);
   * apic.write32(0x280, 0); // latch the errors
   * strictEqual(apic.read32(0x280), 0x40);
   * ```
   */
  requestInterrupt(vector: number): void {
    checkVector(vector);
    this.#accept(vector);
  }

  /**
   * The TSC at which the timer next raises its interrupt, so that a CPU in
   * `hlt` can jump its virtual clock there; `undefined` when the timer is
   * stopped or its interrupt could not be delivered (LVT timer masked, or
   * the APIC software-disabled).
   *
   * @returns The TSC value, or `undefined`.
   *
   * @example A one-shot count of 10 at divide 1
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * let tsc = 500;
   * const apic = new LocalApic({ id: 0, now: () => tsc });
   * apic.write32(0xf0, 0x1ff);
   * apic.write32(0x3e0, 0xb); // divide by 1
   * apic.write32(0x320, 0x30); // one-shot, vector 0x30
   * strictEqual(apic.nextEvent(), undefined);
   * apic.write32(0x380, 10);
   * strictEqual(apic.nextEvent(), 510);
   * ```
   */
  nextEvent(): number | undefined {
    if (this.#deadline === undefined) return undefined;
    this.#update(this.#now());
    if (!(this.#svr & SVR_ENABLE) || this.#lvt[TIMER]! & MASKED) {
      return undefined;
    }
    return this.#deadline;
  }

  // PPR (SDM 3A §11.8.3.1): TPR if its class is at least the highest
  // in-service vector's, else that vector's class.
  #ppr(): number {
    const isrv = Math.max(highest(this.#isr), 0);
    return (this.#tpr >>> 4) >= (isrv >>> 4) ? this.#tpr : isrv & 0xf0;
  }

  #accept(vector: number): void {
    if (vector < 16) {
      this.#error(RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    this.#irr[vector >>> 5]! |= 1 << (vector & 31);
  }

  // Records an error and raises the LVT error interrupt (SDM 3A §11.5.3).
  #error(bit: number): void {
    this.#errors |= bit;
    const lvt = this.#lvt[ERROR]!;
    if (lvt & MASKED) return;
    const vector = lvt & 0xff;
    if (vector >= 16) this.#irr[vector >>> 5]! |= 1 << (vector & 31);
    else this.#errors |= RECEIVE_ILLEGAL_VECTOR;
  }

  #endOfInterrupt(): void {
    const vector = highest(this.#isr);
    if (vector >= 0) this.#isr[vector >>> 5]! &= ~(1 << (vector & 31));
  }

  #writeSvr(value: number): void {
    this.#svr = value & 0x1ff;
    if (!(value & SVR_ENABLE)) {
      for (let i = 0; i < this.#lvt.length; i++) this.#lvt[i]! |= MASKED;
    }
  }

  #writeLvt(index: number, value: number): void {
    if (index === TIMER && this.#deadline !== undefined) {
      this.#update(this.#now()); // a fire before the write uses the old entry
    }
    let entry = value & LVT_BITS[index]!;
    if (!(this.#svr & SVR_ENABLE)) entry |= MASKED;
    // Remote IRR (LINT bit 14) stays 0: no level-triggered LINT input.
    this.#lvt[index] = entry >>> 0;
  }

  #writeIcr(value: number): void {
    this.#icrLow = (value & ICR_LOW_BITS) >>> 0;
    // Fixed (000) and lowest-priority (001) IPIs carry a vector.
    if ((value & DELIVERY_MODE) <= 0x100 && (value & 0xff) < 16) {
      this.#error(SEND_ILLEGAL_VECTOR);
    }
    this.#onIpi?.(this.#icrLow, this.#icrHigh);
  }

  #writeInitialCount(value: number): void {
    this.#initialCount = value;
    this.#deadline = value === 0
      ? undefined
      : this.#now() + value * this.#divide;
  }

  #writeDivideConfiguration(value: number): void {
    const now = this.#now();
    if (this.#deadline !== undefined) this.#update(now);
    this.#divideConfiguration = value & 0xb;
    const code = (value & 0x8) >>> 1 | value & 0x3;
    const divide = code === 7 ? 1 : 2 << code;
    const deadline = this.#deadline;
    if (deadline !== undefined && divide !== this.#divide) {
      // The count goes on from where it is, at the new rate.
      const left = Math.ceil((deadline - now) / this.#divide);
      this.#deadline = now + left * divide;
    }
    this.#divide = divide;
  }

  #currentCount(): number {
    const deadline = this.#deadline;
    if (deadline === undefined) return 0;
    const now = this.#now();
    this.#update(now);
    const next = this.#deadline;
    return next === undefined ? 0 : Math.ceil((next - now) / this.#divide);
  }

  // Fires the timer if its deadline has passed: once, however many
  // periods went by, since IRR holds one bit per vector.
  #update(now: number): void {
    const deadline = this.#deadline;
    if (deadline === undefined || now < deadline) return;
    const lvt = this.#lvt[TIMER]!;
    if (lvt & PERIODIC) {
      const period = this.#initialCount * this.#divide;
      this.#deadline = deadline +
        period * (Math.floor((now - deadline) / period) + 1);
    } else {
      this.#deadline = undefined;
    }
    if (!(lvt & MASKED) && this.#svr & SVR_ENABLE) this.#accept(lvt & 0xff);
  }
}

// The highest set bit of a 256-bit register, or -1.
function highest(register: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const word = register[i]!;
    if (word !== 0) return i * 32 + 31 - Math.clz32(word);
  }
  return -1;
}

function checkOffset(offset: number): void {
  if ((offset & 0xfff) !== offset) {
    throw new RangeError(
      `Invalid local APIC offset ${offset}: expected an integer from 0 to 0xFFF`,
    );
  }
}

function checkVector(vector: number): void {
  if ((vector & 0xff) !== vector) {
    throw new RangeError(
      `Invalid interrupt vector ${vector}: expected an integer from 0 to 255`,
    );
  }
}
