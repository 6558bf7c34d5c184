// A plain JS model of the scheduler's documented rules, for the property
// test: arrays and objects instead of TCBs in machine memory, no locks.
import type { ThreadStateName } from "./scheduler.ts";

interface ModelThread {
  state: ThreadStateName;
  priority: number;
  cpu: number;
  runs: number;
  request: "none" | "block" | "exit";
  arg: number;
}

/** The scheduler's rules, one CPU's queue per priority as a JS array. */
export class SchedulerModel {
  readonly threads: ModelThread[] = [];
  readonly queues: number[][][];
  readonly current: number[];
  readonly steals: number[];
  readonly stolen: number[];
  readonly dispatched: number[];
  #free: number[] = []; // a stack: the last freed is reused first
  #cursor = 0;

  constructor(readonly cpus: number, readonly maxThreads: number) {
    this.queues = Array.from(
      { length: cpus },
      () => Array.from({ length: 32 }, () => []),
    );
    this.current = Array(cpus).fill(-1);
    this.steals = Array(cpus).fill(0);
    this.stolen = Array(cpus).fill(0);
    this.dispatched = Array(cpus).fill(0);
  }

  spawn(arg: number, priority = 16, cpu?: number): number {
    if (cpu === undefined) {
      cpu = this.cpus === 1 ? 0 : this.#cursor++ % this.cpus;
    }
    let tid = this.#free.pop();
    if (tid === undefined) {
      if (this.threads.length >= this.maxThreads) return -1;
      tid = this.threads.length;
    }
    this.threads[tid] = {
      state: "ready",
      priority,
      cpu,
      runs: 0,
      request: "none",
      arg,
    };
    this.queues[cpu]![priority]!.push(tid);
    return tid;
  }

  pickNext(cpu: number): number {
    this.#putBack(cpu);
    let tid = this.#pop(cpu);
    if (tid < 0 && this.cpus > 1) {
      let victim = -1;
      let most = 0;
      for (let k = 1; k < this.cpus; k++) {
        const other = (cpu + k) % this.cpus;
        const ready = this.ready(other);
        if (ready > most) [most, victim] = [ready, other];
      }
      if (victim >= 0) {
        tid = this.#pop(victim);
        this.steals[cpu]!++;
        this.stolen[victim]!++;
      }
    }
    if (tid >= 0) {
      const t = this.threads[tid]!;
      Object.assign(t, { state: "running", request: "none", cpu });
      t.runs++;
      this.current[cpu] = tid;
      this.dispatched[cpu]!++;
    }
    return tid;
  }

  /** `yield` and `preempt` outside a dispatch. */
  endTurn(cpu: number): number {
    const tid = this.current[cpu]!;
    this.#putBack(cpu);
    return tid;
  }

  block(tid: number): boolean {
    const t = this.threads[tid];
    if (t?.state === "ready") {
      this.#remove(tid);
      t.state = "blocked";
      return true;
    }
    if (t?.state === "running") {
      if (t.request === "none") t.request = "block";
      return t.request === "block";
    }
    return false;
  }

  unblock(tid: number): boolean {
    const t = this.threads[tid];
    if (t?.state === "blocked") {
      t.state = "ready";
      this.queues[t.cpu]![t.priority]!.push(tid);
      return true;
    }
    if (t?.state === "running" && t.request === "block") {
      t.request = "none";
      return true;
    }
    return false;
  }

  exit(tid: number): boolean {
    const t = this.threads[tid];
    if (t?.state === "ready" || t?.state === "blocked") {
      if (t.state === "ready") this.#remove(tid);
      this.#exited(tid);
      return true;
    }
    if (t?.state === "running" && t.request !== "exit") {
      t.request = "exit";
      return true;
    }
    return false;
  }

  ready(cpu: number): number {
    return this.queues[cpu]!.reduce((n, queue) => n + queue.length, 0);
  }

  count(state: ThreadStateName): number {
    return this.threads.filter((t) => t.state === state).length;
  }

  #exited(tid: number): void {
    this.threads[tid]!.state = "exited";
    this.#free.push(tid);
  }

  #pop(cpu: number): number {
    for (let p = 31; p >= 0; p--) {
      const queue = this.queues[cpu]![p]!;
      if (queue.length > 0) return queue.shift()!;
    }
    return -1;
  }

  #remove(tid: number): void {
    const t = this.threads[tid]!;
    const queue = this.queues[t.cpu]![t.priority]!;
    queue.splice(queue.indexOf(tid), 1);
  }

  #putBack(cpu: number): void {
    const tid = this.current[cpu]!;
    if (tid < 0) return;
    this.current[cpu] = -1;
    const t = this.threads[tid]!;
    if (t.request === "exit") this.#exited(tid);
    else if (t.request === "block") t.state = "blocked";
    else {
      t.state = "ready";
      this.queues[cpu]![t.priority]!.push(tid);
    }
  }
}
