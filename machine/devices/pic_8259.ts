import type { IoBus, IoDevice } from "../io_bus.ts";

/**
 * The command port of the master 8259A PIC (IRQ 0..7); its data port is
 * `PIC1 + 1`.
 *
 * @example The master's two ports
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(PIC1, 0x20); // command: ICW1, OCW2, OCW3; reads IRR or ISR
 * strictEqual(PIC1 + 1, 0x21); // data: ICW2..ICW4, OCW1 (IMR)
 * ```
 */
export const PIC1 = 0x20;

/**
 * The command port of the slave 8259A PIC (IRQ 8..15, cascaded on the
 * master's IR2); its data port is `PIC2 + 1`.
 *
 * @example The slave's two ports
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(PIC2, 0xa0);
 * strictEqual(PIC2 + 1, 0xa1);
 * ```
 */
export const PIC2 = 0xa0;

/** The master input that the slave's INT output drives on a PC. */
const CASCADE_LINE = 2;

// ICW1 bits (command port, bit 4 set).
const ICW1_IC4 = 0x01; // ICW4 will be written
const ICW1_SNGL = 0x02; // single PIC: no ICW3
const ICW1_LTIM = 0x08; // level-triggered inputs
const ICW1_INIT = 0x10;

// ICW4 bits.
const ICW4_AEOI = 0x02;

// OCW3 bits (command port, bits 4..3 = 01).
const OCW3_SELECT = 0x08;
const OCW3_RIS = 0x01; // read ISR rather than IRR
const OCW3_RR = 0x02; // the read-register select is valid
const OCW3_POLL = 0x04;
const OCW3_SMM = 0x20; // special mask mode on/off
const OCW3_ESMM = 0x40; // the SMM bit is valid

// Where the data port's next write goes.
const READY = 0;
const WANT_ICW2 = 2;
const WANT_ICW3 = 3;
const WANT_ICW4 = 4;

/**
 * One 8259A: its request, in-service and mask registers, its programming
 * and its priority logic (8259A datasheet, "Functional description").
 */
class Chip {
  /** Interrupt request register: the inputs asking for service. */
  irr = 0;
  /** In-service register: the levels acknowledged and not yet ended. */
  isr = 0;
  /** Interrupt mask register (OCW1). */
  imr = 0;
  /** The last sampled level of each IR input. */
  level = 0;
  /** ICW2: the vector of IR0 (bits 7..3). */
  offset: number;
  /** ICW3: master, the inputs with a slave; slave, its id (bits 2..0). */
  icw3: number;
  /** ICW4 bits 4..0. */
  icw4 = 0x01;
  /** ICW1 bit 1: a single PIC, no cascade. */
  single = false;
  /** ICW1 bit 3: level-triggered inputs. */
  levelTriggered = false;
  /** ICW4 bit 1: automatic end of interrupt. */
  autoEoi = false;
  /** OCW2 "rotate in automatic EOI mode". */
  rotateOnAutoEoi = false;
  /** The IR line of priority 0; rotation moves it (fixed: 0). */
  priorityBase = 0;
  /** OCW3 special mask mode. */
  specialMask = false;
  /** OCW3: the command port reads ISR rather than IRR. */
  readIsr = false;
  /** OCW3 poll command: the next command-port read is a poll. */
  poll = false;
  /** Where the next data-port write goes during initialisation. */
  step = READY;
  /** ICW1 bit 0 of the sequence in progress. */
  wantIcw4 = false;

  constructor(offset: number, icw3: number) {
    this.offset = offset;
    this.icw3 = icw3;
  }

  /** The IR input `line` is at `high`. */
  input(line: number, high: boolean): void {
    const bit = 1 << line;
    if (high) {
      // Edge mode: only a rising edge requests. Level mode: the level does.
      if (this.levelTriggered || (this.level & bit) === 0) this.irr |= bit;
      this.level |= bit;
    } else {
      // The request goes with the input: it must stay high until the INTA
      // cycle, or the chip answers with its default IR7 (datasheet,
      // "Edge triggered mode").
      this.irr &= ~bit;
      this.level &= ~bit;
    }
  }

  /** Level mode: every input still high requests again. */
  refresh(): void {
    if (this.levelTriggered) this.irr |= this.level;
  }

  /** The priority of the first set line of `mask`, 0 highest, 8 if none. */
  best(mask: number): number {
    for (let p = 0; p < 8; p++) {
      if (mask & 1 << (p + this.priorityBase & 7)) return p;
    }
    return 8;
  }

  /** The line of priority `p`. */
  line(p: number): number {
    return p + this.priorityBase & 7;
  }

  /**
   * The INT output: the unmasked request of highest priority, if it beats
   * every level in service (in special mask mode, masked levels in service
   * do not count), else -1.
   */
  request(): number {
    const pending = this.irr & ~this.imr & 0xff;
    if (pending === 0) return -1;
    const p = this.best(pending);
    const inService = this.specialMask ? this.isr & ~this.imr : this.isr;
    return p < this.best(inService) ? this.line(p) : -1;
  }

  /** The INTA cycle for `line`: IRR to ISR, or nothing in AEOI mode. */
  acknowledge(line: number): void {
    const bit = 1 << line;
    this.irr &= ~bit;
    if (!this.autoEoi) this.isr |= bit;
    else if (this.rotateOnAutoEoi) this.priorityBase = line + 1 & 7;
  }

  /** ICW1: starts initialisation (datasheet, "Initialization command words"). */
  writeIcw1(value: number): void {
    this.irr = 0; // the edge-sense latches reset: an input must rise anew
    this.isr = 0; // as Bochs and QEMU do; the datasheet is silent
    this.imr = 0;
    this.priorityBase = 0; // IR7 gets priority 7
    this.specialMask = false;
    this.readIsr = false;
    this.poll = false;
    this.rotateOnAutoEoi = false;
    this.icw4 = 0; // "If IC4 = 0, then all functions selected in ICW4 are set to zero"
    this.autoEoi = false;
    this.single = (value & ICW1_SNGL) !== 0;
    this.levelTriggered = (value & ICW1_LTIM) !== 0;
    this.wantIcw4 = (value & ICW1_IC4) !== 0;
    this.step = WANT_ICW2;
  }

  writeData(value: number): void {
    switch (this.step) {
      case WANT_ICW2:
        this.offset = value & 0xf8;
        this.step = !this.single
          ? WANT_ICW3
          : this.wantIcw4
          ? WANT_ICW4
          : READY;
        break;
      case WANT_ICW3:
        this.icw3 = value;
        this.step = this.wantIcw4 ? WANT_ICW4 : READY;
        break;
      case WANT_ICW4:
        this.icw4 = value & 0x1f;
        this.autoEoi = (value & ICW4_AEOI) !== 0;
        this.step = READY;
        break;
      default:
        this.imr = value; // OCW1
    }
  }

  /** OCW2: end of interrupt and rotation, by bits 7..5 (R, SL, EOI). */
  writeOcw2(value: number): void {
    const level = value & 7;
    switch (value >>> 5) {
      case 0b001: // non-specific EOI
        this.#endHighest();
        break;
      case 0b011: // specific EOI
        this.isr &= ~(1 << level);
        break;
      case 0b101: { // rotate on non-specific EOI
        const line = this.#endHighest();
        if (line >= 0) this.priorityBase = line + 1 & 7;
        break;
      }
      case 0b111: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.priorityBase = level + 1 & 7;
        break;
      case 0b110: // set priority: `level` becomes the lowest
        this.priorityBase = level + 1 & 7;
        break;
      case 0b100: // rotate in automatic EOI mode (set)
        this.rotateOnAutoEoi = true;
        break;
      case 0b000: // rotate in automatic EOI mode (clear)
        this.rotateOnAutoEoi = false;
        break;
      default: // 0b010: no operation
        break;
    }
  }

  writeOcw3(value: number): void {
    if (value & OCW3_ESMM) this.specialMask = (value & OCW3_SMM) !== 0;
    if (value & OCW3_POLL) this.poll = true;
    if (value & OCW3_RR) this.readIsr = (value & OCW3_RIS) !== 0;
  }

  /**
   * A command-port read: the poll word after a poll command (bit 7 set
   * when a level requests service, bits 2..0 that level, which goes in
   * service as on an INTA), else IRR or ISR as OCW3 selected.
   */
  readCommand(): number {
    if (this.poll) {
      this.poll = false;
      const line = this.request();
      if (line < 0) return 0;
      this.acknowledge(line);
      return 0x80 | line;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  // Clears the in-service level of highest priority; returns it, or -1.
  #endHighest(): number {
    const p = this.best(this.isr);
    if (p === 8) return -1;
    const line = this.line(p);
    this.isr &= ~(1 << line);
    return line;
  }
}

/**
 * The two cascaded Intel 8259A programmable interrupt controllers of a PC:
 * the master at ports 0x20/0x21 takes IRQ 0..7, the slave at 0xA0/0xA1
 * takes IRQ 8..15 and drives the master's IR2 with its INT output.
 *
 * Programming follows the 8259A datasheet. A write to a command port with
 * bit 4 set is ICW1 and starts initialisation (bit 0: ICW4 follows, bit 1:
 * single, bit 3 LTIM: level-triggered inputs); the data port then takes
 * ICW2 (vector of IR0, bits 7..3), ICW3 unless single (master: a bit per
 * input with a slave; slave: its id) and ICW4 if announced (bit 1: AEOI).
 * ICW1 clears IMR, IRR and ISR, resets rotation and special mask mode and
 * selects IRR for reads. Afterwards the data port is OCW1 (IMR, read
 * back); a command write with bits 4..3 = 00 is OCW2 (0x20 non-specific
 * EOI, 0x60 | level specific EOI, and the rotate and set-priority
 * commands) and with bits 4..3 = 01 is OCW3 (0x0A: reads return IRR,
 * 0x0B: ISR, bit 2 poll, bits 6..5 special mask mode). Command-port reads
 * return IRR until OCW3 selects ISR. Not modelled: MCS-80/85 mode (ICW4
 * bit 0 = 0; vectors are always formed as in 8086 mode), buffered mode and
 * special fully nested mode (ICW4 bits 3..2 and 4 are stored but have no
 * effect), and the ELCR of later chipsets.
 *
 * Before any initialisation the pair is as SeaBIOS's `pic_reset` leaves
 * it: vectors 0x08..0x0F and 0x70..0x77, 8086 mode, the slave on master
 * IR2, master IMR 0xFB and slave IMR 0xFF (everything masked but the
 * cascade).
 *
 * Inputs are edge-triggered unless ICW1 set LTIM: a 0→1 transition of a
 * line sets its IRR bit. The request must stay high until the CPU's INTA
 * cycle ({@linkcode Pic8259Pair.acknowledge}): a line that falls first
 * clears its IRR bit again, and an INTA that finds no request gets the
 * default IR7 — the spurious IRQ 7 (master) or IRQ 15 (slave) that every
 * PC kernel must check ISR for.
 *
 * The master latches its cascade input IR2 while the slave's INT output is
 * high and keeps it until its INTA cycle, so a slave request that goes
 * away after the master has seen it yields the spurious IRQ 15 with the
 * master's IR2 in service: the kernel must then send EOI to the master but
 * not to the slave.
 *
 * Priority is fixed, IR0 highest, unless rotated by OCW2; IRQ 8..15 rank
 * as the master's IR2, between IRQ 1 and IRQ 3.
 *
 * @example The remap every PC kernel does, then a keyboard interrupt
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { IoBus } from "../io_bus.ts";
 *
 * const bus = new IoBus();
 * const pic = new Pic8259Pair();
 * pic.attach(bus);
 * for (const [port, value] of [
 *   [0x20, 0x11], [0xa0, 0x11], // ICW1: edge, cascade, ICW4 follows
 *   [0x21, 0x20], [0xa1, 0x28], // ICW2: vectors 32..39 and 40..47
 *   [0x21, 0x04], [0xa1, 0x02], // ICW3: slave on IR2, slave id 2
 *   [0x21, 0x01], [0xa1, 0x01], // ICW4: 8086 mode
 * ]) bus.write8(port!, value!);
 * pic.raise(1);
 * strictEqual(pic.interruptRequested, true);
 * strictEqual(pic.acknowledge(), 33);
 * bus.write8(0x20, 0x20); // EOI
 * strictEqual(pic.interruptRequested, false);
 * ```
 */
export class Pic8259Pair implements IoDevice {
  /** The device's name. */
  readonly name = "PIC";
  #master = new Chip(0x08, 1 << CASCADE_LINE);
  #slave = new Chip(0x70, CASCADE_LINE);
  // IRQs pulled high by raise().
  #pushed = 0;
  // The lines connected to each IRQ, and which IRQs have any.
  #lines: (() => boolean)[][] = Array.from({ length: 16 }, () => []);
  #connected: number[] = [];

  /**
   * Builds the pair in the state a BIOS leaves it (see the class
   * description).
   */
  constructor() {
    this.#master.imr = 0xff & ~(1 << CASCADE_LINE);
    this.#slave.imr = 0xff;
  }

  /**
   * Claims the master's ports 0x20–0x21 and the slave's 0xA0–0xA1 on `bus`.
   *
   * @param bus The I/O bus.
   * @throws {PortError} If another device owns one of the ports.
   *
   * @example Attaching the pair
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { IoBus } from "../io_bus.ts";
   *
   * const bus = new IoBus();
   * const pic = new Pic8259Pair();
   * pic.attach(bus);
   * strictEqual(bus.deviceAt(0x21), pic);
   * strictEqual(bus.deviceAt(0xa0), pic);
   * strictEqual(bus.read8(0x21), 0xfb); // master IMR as the BIOS left it
   * ```
   */
  attach(bus: IoBus): void {
    bus.claim(this, PIC1, 2);
    bus.claim(this, PIC2, 2);
  }

  /**
   * Connects a device's interrupt output to IRQ `irq` as a level that the
   * pair samples whenever the CPU looks ({@linkcode interruptRequested},
   * {@linkcode acknowledge}) or software reads IRR. Several lines on one
   * IRQ are wired-OR, and combine with {@linkcode raise}.
   *
   * @param irq The IRQ, 0..15 except 2 (the cascade; an ISA card's IRQ 2
   *   pin arrives as IRQ 9).
   * @param line Returns whether the device's output is high now; it should
   *   be cheap and free of side effects that software could see.
   * @throws {RangeError} If `irq` is not an integer in 0..15 or is 2.
   *
   * @example A device's INTR output on IRQ 4
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * let high = false;
   * const pic = new Pic8259Pair();
   * pic.write8(0x21, 0x00); // unmask everything
   * pic.connect(4, () => high);
   * strictEqual(pic.interruptRequested, false);
   * high = true;
   * strictEqual(pic.interruptRequested, true);
   * strictEqual(pic.acknowledge(), 0x08 + 4);
   * ```
   */
  connect(irq: number, line: () => boolean): void {
    checkIrq(irq);
    this.#lines[irq]!.push(line);
    if (!this.#connected.includes(irq)) this.#connected.push(irq);
    this.#sample();
  }

  /**
   * Drives IRQ `irq` high, for a device that pushes its output rather than
   * being sampled. In edge-triggered mode only the 0→1 transition
   * requests an interrupt, so raising a raised line does nothing.
   *
   * @param irq The IRQ, 0..15 except 2.
   * @throws {RangeError} If `irq` is not an integer in 0..15 or is 2.
   *
   * @example A second raise without a lower is no new edge
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const pic = new Pic8259Pair();
   * pic.write8(0x21, 0x00);
   * pic.raise(0);
   * strictEqual(pic.acknowledge(), 0x08);
   * pic.write8(0x20, 0x20); // EOI
   * pic.raise(0);
   * strictEqual(pic.interruptRequested, false);
   * ```
   */
  raise(irq: number): void {
    checkIrq(irq);
    this.#pushed |= 1 << irq;
    this.#drive(irq);
    this.#cascade();
  }

  /**
   * Drives IRQ `irq` low. A request not yet acknowledged goes with it.
   *
   * @param irq The IRQ, 0..15 except 2.
   * @throws {RangeError} If `irq` is not an integer in 0..15 or is 2.
   *
   * @example A pulse: raise, acknowledge, lower
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const pic = new Pic8259Pair();
   * pic.write8(0x21, 0x00);
   * pic.raise(3);
   * strictEqual(pic.acknowledge(), 0x0b);
   * pic.lower(3);
   * pic.write8(0x20, 0x20);
   * pic.raise(3); // a new edge
   * strictEqual(pic.interruptRequested, true);
   * ```
   */
  lower(irq: number): void {
    checkIrq(irq);
    this.#pushed &= ~(1 << irq);
    this.#drive(irq);
    this.#cascade();
  }

  /**
   * The master's INT output, which goes to the CPU's INTR pin (or the
   * local APIC's LINT0): whether the master has an unmasked request of
   * higher priority than every level it has in service. Samples the
   * connected lines first.
   *
   * @returns `true` when the CPU should run an INTA cycle.
   *
   * @example Masked requests do not reach the CPU
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const pic = new Pic8259Pair(); // BIOS state: IRQ 0 masked
   * pic.raise(0);
   * strictEqual(pic.interruptRequested, false);
   * pic.write8(0x21, 0xfa); // unmask IRQ 0
   * strictEqual(pic.interruptRequested, true);
   * ```
   */
  get interruptRequested(): boolean {
    this.#sample();
    return this.#master.request() >= 0;
  }

  /**
   * The INTA cycle: returns the vector of the highest-priority request and
   * moves it from IRR to ISR (not in AEOI mode). For IRQ 8..15 both the
   * master's IR2 and the slave's line go in service. With no request
   * left, it returns the spurious vector: the master's IR7 (its offset + 7)
   * with no ISR bit set, or — when the master had latched the slave's
   * request — the slave's IR7 (slave offset + 7, IRQ 15) with the slave's
   * ISR untouched but the master's IR2 in service, so the handler must
   * send EOI to the master only. When ICW3 names a cascade input that no
   * slave answers, nothing drives the data bus and the vector reads 0xFF.
   *
   * @returns The vector, 0..255.
   *
   * @example A slave IRQ puts both chips' levels in service
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const pic = new Pic8259Pair();
   * pic.write8(0xa1, 0x00); // unmask the slave's lines
   * pic.raise(12);
   * strictEqual(pic.acknowledge(), 0x70 + 4);
   * pic.write8(0x20, 0x0b); // OCW3: read ISR
   * pic.write8(0xa0, 0x0b);
   * strictEqual(pic.read8(0x20), 0x04); // master IR2
   * strictEqual(pic.read8(0xa0), 0x10); // slave IR4
   * ```
   */
  acknowledge(): number {
    this.#sample();
    const master = this.#master;
    const line = master.request();
    if (line < 0) return master.offset + 7;
    master.acknowledge(line);
    let vector = master.offset + line;
    if (!master.single && master.icw3 & 1 << line) {
      const slave = this.#slave;
      if (line !== CASCADE_LINE || (slave.icw3 & 7) !== CASCADE_LINE) {
        vector = 0xff; // no slave answers this cascade address
      } else {
        const slaveLine = slave.request();
        if (slaveLine < 0) {
          vector = slave.offset + 7;
        } else {
          slave.acknowledge(slaveLine);
          vector = slave.offset + slaveLine;
        }
      }
    }
    this.#cascade();
    return vector;
  }

  /**
   * Reads a register: from a command port, IRR or ISR as OCW3 selected
   * (IRR by default), or the poll word after an OCW3 poll command; from a
   * data port, IMR.
   *
   * @param port 0x20, 0x21, 0xA0 or 0xA1.
   * @returns The register; 0xFF for any other port.
   *
   * @example Reading IRR and ISR
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const pic = new Pic8259Pair();
   * pic.write8(0x21, 0x00);
   * pic.raise(5);
   * strictEqual(pic.read8(0x20), 0x20); // IRR bit 5
   * pic.acknowledge();
   * strictEqual(pic.read8(0x20), 0x00);
   * pic.write8(0x20, 0x0b); // OCW3: read ISR
   * strictEqual(pic.read8(0x20), 0x20);
   * ```
   */
  read8(port: number): number {
    const chip = this.#chip(port);
    if (chip === undefined) return 0xff;
    if (port & 1) return chip.imr;
    this.#sample();
    const value = chip.readCommand();
    this.#cascade();
    return value;
  }

  /**
   * Writes a register: ICW1, OCW2 or OCW3 to a command port (by bits 4..3),
   * ICW2..ICW4 during initialisation or OCW1 (IMR) to a data port.
   *
   * @param port 0x20, 0x21, 0xA0 or 0xA1; writes elsewhere are ignored.
   * @param value The byte.
   *
   * @example Masking IRQ 0
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   *
   * const pic = new Pic8259Pair();
   * pic.write8(0x21, 0x01);
   * strictEqual(pic.read8(0x21), 0x01);
   * pic.raise(0);
   * strictEqual(pic.interruptRequested, false);
   * ```
   */
  write8(port: number, value: number): void {
    const chip = this.#chip(port);
    if (chip === undefined) return;
    value &= 0xff;
    if (port & 1) chip.writeData(value);
    else if (value & ICW1_INIT) chip.writeIcw1(value);
    else if (value & OCW3_SELECT) chip.writeOcw3(value);
    else chip.writeOcw2(value);
    this.#sample();
  }

  #chip(port: number): Chip | undefined {
    switch (port & ~1) {
      case PIC1:
        return this.#master;
      case PIC2:
        return this.#slave;
      default:
        return undefined;
    }
  }

  // Feeds IRQ `irq`'s current level to its chip.
  #drive(irq: number): void {
    let high = (this.#pushed & 1 << irq) !== 0;
    if (!high) {
      for (const line of this.#lines[irq]!) {
        if (line()) {
          high = true;
          break;
        }
      }
    }
    if (irq < 8) this.#master.input(irq, high);
    else this.#slave.input(irq - 8, high);
  }

  // Samples every connected line, then the cascade.
  #sample(): void {
    for (const irq of this.#connected) this.#drive(irq);
    this.#cascade();
  }

  // The slave's INT output into the master's IR2.
  #cascade(): void {
    const slave = this.#slave;
    const master = this.#master;
    slave.refresh();
    const high = slave.request() >= 0;
    const bit = 1 << CASCADE_LINE;
    if (master.levelTriggered) {
      master.input(CASCADE_LINE, high);
    } else if (high) {
      master.irr |= bit; // latched until the INTA cycle
      master.level |= bit;
    } else {
      master.level &= ~bit;
    }
    master.refresh();
  }
}

function checkIrq(irq: number): void {
  if (!Number.isInteger(irq) || irq < 0 || irq > 15) {
    throw new RangeError(
      `Invalid IRQ ${irq}: expected an integer from 0 to 15`,
    );
  }
  if (irq === CASCADE_LINE) {
    throw new RangeError(
      "Invalid IRQ 2: it is the master's cascade input from the slave; an ISA card's IRQ 2 pin arrives as IRQ 9",
    );
  }
}
