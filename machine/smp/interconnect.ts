/**
 * What the CPUs of one machine share besides RAM, in a `SharedArrayBuffer`
 * that every CPU's Worker maps: the APIC bus that carries IPIs (a pending
 * vector bitmap and a start vector per CPU), each CPU's run state, the
 * machine's end, each CPU's final report, and one serial log in which the
 * CPUs' COM1 lines meet in the order they were written.
 *
 * Every field is an `Int32` changed only with `Atomics`. A sender sets the
 * target's bits before it raises the target's pending flag and wakes it,
 * and a CPU marks itself idle before it checks its flag, so no IPI is lost
 * between the check and the sleep.
 */

/** A CPU's run state, as the other CPUs see it. */
export const CpuState = {
  /** Not started: waiting for a STARTUP IPI (the SDM's wait-for-SIPI). */
  WAIT_FOR_SIPI: 0,
  /** Running code. */
  RUNNING: 1,
  /** In `hlt` with interrupts on and no timer armed: only an IPI wakes it. */
  IDLE: 2,
  /** In `hlt` until its timer fires (host clock) or an IPI comes. */
  IDLE_TIMED: 3,
  /** Stopped for good; its report is published. */
  STOPPED: 4,
} as const;

/** The value of the machine's end word when every CPU sat idle. */
export const ALL_IDLE = -1;

// Global words.
const ENDED = 0; // 0, ALL_IDLE, or the ending CPU's id + 1
const END_STATUS = 1; // the ending CPU's exit status
const CHANGES = 2; // bumped and notified on every state change
const LOG_LOCK = 3;
const LOG_LENGTH = 4;
const LOG_LOST = 5;
const HEADER_WORDS = 8;
// Per-CPU words, at HEADER_WORDS + id * STRIDE.
const STATE = 0;
const WAKE = 1;
const PENDING = 2;
const START = 3; // the STARTUP vector + 1, or 0
const READY = 4; // 0 loading, 1 ready, 2 failed
const REPORT_LENGTH = 5;
const IRR = 8; // 8 words: vectors 0..255
const STRIDE = 16;
const REPORT_BYTES = 32 * 1024;
const LOG_BYTES = 1 << 20;

// ICR fields (SDM 3A §11.6.1, figure 11-12).
const DELIVERY_FIXED = 0;
const DELIVERY_LOWEST = 1;
const DELIVERY_STARTUP = 6;
const SHORTHAND_NONE = 0;
const SHORTHAND_SELF = 1;
const SHORTHAND_ALL = 2;
const PHYSICAL_BROADCAST = 0xff;

/** The shared state of one machine's CPUs. */
export class Interconnect {
  /** The buffer, to hand to each CPU's Worker. */
  readonly buffer: SharedArrayBuffer;
  /** The number of CPUs. */
  readonly cpus: number;
  #words: Int32Array;
  #bytes: Uint8Array;
  #reportsAt: number;
  #logAt: number;

  /**
   * Creates the state of `cpus` CPUs, or maps the buffer another thread made.
   *
   * @param cpus The CPU count, or the buffer of an existing interconnect.
   */
  constructor(cpus: number | SharedArrayBuffer) {
    const count = typeof cpus === "number"
      ? cpus
      : new Int32Array(cpus, 0, 1)[0]!;
    const reportsAt = 4 * (HEADER_WORDS + count * STRIDE);
    const logAt = reportsAt + count * REPORT_BYTES;
    this.buffer = typeof cpus === "number"
      ? new SharedArrayBuffer(4 + logAt + LOG_BYTES)
      : cpus;
    // Word 0 of the buffer holds the count; the fields start at byte 4.
    this.#words = new Int32Array(this.buffer, 4);
    this.#bytes = new Uint8Array(this.buffer, 4);
    if (typeof cpus === "number") new Int32Array(this.buffer, 0, 1)[0] = count;
    this.cpus = count;
    this.#reportsAt = reportsAt;
    this.#logAt = logAt;
  }

  /**
   * Sends the IPI that a write to ICR low of `from`'s APIC asks for:
   * fixed and lowest-priority IPIs set the vector pending at their
   * destinations, STARTUP starts a CPU that waits for it, INIT is accepted
   * and has no effect (a CPU that waits for SIPI keeps waiting; resetting
   * a running CPU is not modelled). Destinations: physical APIC IDs
   * (0xFF: all) or a shorthand. NMI, SMI and logical destinations are not
   * modelled and deliver nothing.
   *
   * @param from The sending CPU.
   * @param icrLow ICR bits 31..0.
   * @param icrHigh ICR bits 63..32.
   */
  sendIpi(from: number, icrLow: number, icrHigh: number): void {
    const vector = icrLow & 0xff;
    const mode = icrLow >>> 8 & 7;
    const logical = (icrLow & 0x800) !== 0;
    const shorthand = icrLow >>> 18 & 3;
    const destination = icrHigh >>> 24;
    const targets: number[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const chosen = shorthand === SHORTHAND_NONE
        ? !logical &&
          (destination === cpu || destination === PHYSICAL_BROADCAST)
        : shorthand === SHORTHAND_SELF
        ? cpu === from
        : shorthand === SHORTHAND_ALL || cpu !== from;
      if (chosen) targets.push(cpu);
    }
    if (mode === DELIVERY_FIXED) {
      for (const cpu of targets) this.#post(cpu, vector);
    } else if (mode === DELIVERY_LOWEST) {
      // Every CPU runs at the same priority: the first destination wins.
      if (targets[0] !== undefined) this.#post(targets[0], vector);
    } else if (mode === DELIVERY_STARTUP) {
      for (const cpu of targets) this.#start(cpu, vector);
    }
    // INIT leaves a CPU that waits for SIPI waiting (and is not modelled
    // for a running one); NMI, SMI and the reserved modes deliver nothing.
  }

  /**
   * Moves the IPIs pending for `cpu` into its APIC.
   *
   * @param cpu The receiving CPU.
   * @param accept Sets one vector in the APIC's IRR.
   */
  drain(cpu: number, accept: (vector: number) => void): void {
    const w = this.#words;
    const at = HEADER_WORDS + cpu * STRIDE;
    if (Atomics.load(w, at + PENDING) === 0) return;
    Atomics.store(w, at + PENDING, 0);
    for (let i = 0; i < 8; i++) {
      let bits = Atomics.exchange(w, at + IRR + i, 0);
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits);
        bits &= ~(1 << bit);
        accept(i * 32 + bit);
      }
    }
  }

  /**
   * The CPU whose debug exit or triple fault ended the machine, if another
   * CPU should stop now: its id and exit status.
   *
   * @returns `undefined` while the machine runs (or only idles).
   */
  endedBy(): { cpu: number; exitStatus: number } | undefined {
    const ended = Atomics.load(this.#words, ENDED);
    if (ended <= 0) return undefined;
    return {
      cpu: ended - 1,
      exitStatus: Atomics.load(this.#words, END_STATUS),
    };
  }

  /**
   * Whether the machine ended because every CPU was idle or stopped.
   *
   * @returns `true` once nothing can run again.
   */
  allIdle(): boolean {
    return Atomics.load(this.#words, ENDED) === ALL_IDLE;
  }

  /**
   * Ends the machine for every CPU (a debug exit or a triple fault on
   * `cpu`): the others stop at their next check. The first end counts.
   *
   * @param cpu The ending CPU.
   * @param exitStatus Its exit status.
   */
  end(cpu: number, exitStatus: number): void {
    Atomics.compareExchange(this.#words, END_STATUS, 0, exitStatus);
    this.#finish(cpu + 1);
  }

  /**
   * Ends the machine once no CPU runs any more: CPUs still waiting for a
   * STARTUP IPI report that they never started.
   */
  close(): void {
    this.#finish(ALL_IDLE);
  }

  /**
   * Waits in `hlt` for an IPI, for `timeoutMs` (a host-clock timer), or
   * for the machine's end.
   *
   * @param cpu The waiting CPU.
   * @param timeoutMs How long at most, or `undefined` for ever.
   * @returns `false` if nothing can ever wake the CPU: every CPU is idle
   *   without a timer, or stopped.
   */
  idle(cpu: number, timeoutMs: number | undefined): boolean {
    const w = this.#words;
    const at = HEADER_WORDS + cpu * STRIDE;
    const wake = Atomics.load(w, at + WAKE);
    this.#setState(
      cpu,
      timeoutMs === undefined ? CpuState.IDLE : CpuState.IDLE_TIMED,
    );
    if (
      Atomics.load(w, at + PENDING) === 0 && Atomics.load(w, ENDED) === 0
    ) {
      if (timeoutMs === undefined) this.#checkAllIdle();
      Atomics.wait(w, at + WAKE, wake, timeoutMs ?? Infinity);
    }
    this.#setState(cpu, CpuState.RUNNING);
    return !this.allIdle();
  }

  /**
   * Marks `cpu` running (the BSP at power-on).
   *
   * @param cpu The CPU.
   */
  running(cpu: number): void {
    this.#setState(cpu, CpuState.RUNNING);
  }

  /**
   * Waits (in the AP's Worker) until a STARTUP IPI arrives.
   *
   * @param cpu The waiting CPU.
   * @returns The start address (vector × 4096), or -1 if the machine ended
   *   first.
   */
  waitForStartup(cpu: number): number {
    const w = this.#words;
    const at = HEADER_WORDS + cpu * STRIDE;
    for (;;) {
      const wake = Atomics.load(w, at + WAKE);
      const start = Atomics.load(w, at + START);
      if (start !== 0) return (start - 1) * 0x1000;
      if (Atomics.load(w, ENDED) !== 0) return -1;
      Atomics.wait(w, at + WAKE, wake);
    }
  }

  /**
   * The CPU's run state.
   *
   * @param cpu The CPU.
   * @returns One of {@linkcode CpuState}.
   */
  state(cpu: number): number {
    return Atomics.load(this.#words, HEADER_WORDS + cpu * STRIDE + STATE);
  }

  /**
   * Records that the CPU's Worker has loaded the kernel image.
   *
   * @param cpu The CPU.
   */
  loaded(cpu: number): void {
    Atomics.store(this.#words, HEADER_WORDS + cpu * STRIDE + READY, 1);
    this.#changed();
  }

  /**
   * Records that the CPU's Worker failed — it could not load the kernel
   * image, or the kernel's code threw a JS error — with the error's text
   * as its report, stops the CPU and ends the machine.
   *
   * @param cpu The CPU.
   * @param error The error's text.
   */
  failed(cpu: number, error: string): void {
    this.#writeReport(cpu, error);
    Atomics.store(this.#words, HEADER_WORDS + cpu * STRIDE + READY, 2);
    this.#setState(cpu, CpuState.STOPPED);
    this.end(cpu, 1);
  }

  /**
   * Whether the CPU's Worker has loaded.
   *
   * @param cpu The CPU.
   * @returns 0 while loading, 1 when ready, 2 when it failed.
   */
  loadState(cpu: number): number {
    return Atomics.load(this.#words, HEADER_WORDS + cpu * STRIDE + READY);
  }

  /**
   * Publishes the CPU's final report and marks it stopped.
   *
   * @param cpu The CPU.
   * @param report The report as JSON text.
   */
  stopped(cpu: number, report: string): void {
    this.#writeReport(cpu, report);
    this.#setState(cpu, CpuState.STOPPED);
    this.#checkAllIdle();
  }

  /**
   * The text a CPU published: its report, or why its Worker failed.
   *
   * @param cpu The CPU.
   * @returns The text, or `undefined` if none was published.
   */
  report(cpu: number): string | undefined {
    const length = Atomics.load(
      this.#words,
      HEADER_WORDS + cpu * STRIDE + REPORT_LENGTH,
    );
    if (length === 0) return undefined;
    const at = this.#reportsAt + cpu * REPORT_BYTES;
    return new TextDecoder().decode(this.#bytes.slice(at, at + length));
  }

  /**
   * Waits until some CPU changes state, or `timeoutMs` passes.
   *
   * @param seen The change count read before the caller checked.
   * @param timeoutMs How long at most.
   */
  waitForChange(seen: number, timeoutMs: number): void {
    Atomics.wait(this.#words, CHANGES, seen, timeoutMs);
  }

  /**
   * The change count, to pass to {@linkcode Interconnect.waitForChange}.
   *
   * @returns The count.
   */
  changes(): number {
    return Atomics.load(this.#words, CHANGES);
  }

  /**
   * Appends bytes (whole lines) to the shared serial log; if the log is
   * full, they are counted as lost.
   *
   * @param bytes The bytes.
   */
  appendLog(bytes: Uint8Array): void {
    const w = this.#words;
    this.#lockLog();
    const length = w[LOG_LENGTH]!;
    if (length + bytes.length > LOG_BYTES) {
      w[LOG_LOST] = w[LOG_LOST]! + bytes.length;
    } else {
      this.#bytes.set(bytes, this.#logAt + length);
      w[LOG_LENGTH] = length + bytes.length;
    }
    Atomics.store(w, LOG_LOCK, 0);
  }

  /**
   * Takes everything in the serial log.
   *
   * @returns The bytes, and how many were lost since the last take.
   */
  takeLog(): { bytes: Uint8Array; lost: number } {
    const w = this.#words;
    this.#lockLog();
    const length = w[LOG_LENGTH]!;
    const bytes = this.#bytes.slice(this.#logAt, this.#logAt + length);
    const lost = w[LOG_LOST]!;
    w[LOG_LENGTH] = 0;
    w[LOG_LOST] = 0;
    Atomics.store(w, LOG_LOCK, 0);
    return { bytes, lost };
  }

  #lockLog(): void {
    while (Atomics.compareExchange(this.#words, LOG_LOCK, 0, 1) !== 0) {
      // Held by another CPU for a copy of one line: spin.
    }
  }

  #post(cpu: number, vector: number): void {
    const w = this.#words;
    const at = HEADER_WORDS + cpu * STRIDE;
    const state = Atomics.load(w, at + STATE);
    // A CPU that waits for SIPI or has stopped takes no interrupts.
    if (state === CpuState.WAIT_FOR_SIPI || state === CpuState.STOPPED) return;
    Atomics.or(w, at + IRR + (vector >>> 5), 1 << (vector & 31));
    Atomics.store(w, at + PENDING, 1);
    // Running again from now on, so that no one takes it for idle.
    Atomics.compareExchange(w, at + STATE, CpuState.IDLE, CpuState.RUNNING);
    this.#wake(cpu);
  }

  #start(cpu: number, vector: number): void {
    const w = this.#words;
    const at = HEADER_WORDS + cpu * STRIDE;
    if (
      Atomics.compareExchange(
        w,
        at + STATE,
        CpuState.WAIT_FOR_SIPI,
        CpuState.RUNNING,
      ) !== CpuState.WAIT_FOR_SIPI
    ) return; // SIPI is ignored by a CPU that is not waiting for one
    Atomics.store(w, at + START, vector + 1);
    this.#changed();
    this.#wake(cpu);
  }

  #wake(cpu: number): void {
    const at = HEADER_WORDS + cpu * STRIDE + WAKE;
    Atomics.add(this.#words, at, 1);
    Atomics.notify(this.#words, at);
  }

  #setState(cpu: number, state: number): void {
    Atomics.store(this.#words, HEADER_WORDS + cpu * STRIDE + STATE, state);
    this.#changed();
  }

  #changed(): void {
    Atomics.add(this.#words, CHANGES, 1);
    Atomics.notify(this.#words, CHANGES);
  }

  // Ends the machine if no CPU runs, none has a timer armed and no idle
  // CPU has an IPI pending: then nothing can ever wake anyone.
  #checkAllIdle(): void {
    const w = this.#words;
    let idle = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const at = HEADER_WORDS + cpu * STRIDE;
      const state = Atomics.load(w, at + STATE);
      if (state === CpuState.RUNNING || state === CpuState.IDLE_TIMED) return;
      if (state === CpuState.IDLE) {
        if (Atomics.load(w, at + PENDING) !== 0) return;
        idle++;
      }
    }
    if (idle > 0) this.#finish(ALL_IDLE);
  }

  #finish(value: number): void {
    if (Atomics.compareExchange(this.#words, ENDED, 0, value) !== 0) return;
    for (let cpu = 0; cpu < this.cpus; cpu++) this.#wake(cpu);
    this.#changed();
  }

  #writeReport(cpu: number, text: string): void {
    const at = this.#reportsAt + cpu * REPORT_BYTES;
    const { written } = new TextEncoder().encodeInto(
      text,
      this.#bytes.subarray(at, at + REPORT_BYTES),
    );
    Atomics.store(
      this.#words,
      HEADER_WORDS + cpu * STRIDE + REPORT_LENGTH,
      written,
    );
  }
}
