/**
 * Synchronous IPC for the tiny kernel, in the manner of seL4: a client
 * thread **calls** an {@linkcode Endpoint}, the kernel runs the server
 * thread that waits on it — in the server's own address space — and the
 * server **replies**; the client then gets the reply in its registers.
 *
 * Everything the kernel keeps lives in machine memory: endpoints (64
 * bytes), thread control blocks (1 KiB, the arch layer's saved context
 * first) and each address space's page tables. Only the kernel's "current
 * thread" of each CPU is a JS value.
 *
 * ## The register ABI (System V kernel registers, seL4's message registers)
 *
 * | step | RAX | RDI | RSI | RDX, R10, R8, R9 |
 * |---|---|---|---|---|
 * | client → kernel: `syscall` | {@linkcode IPC_CALL} | endpoint | message info | message words 0..3 |
 * | kernel → server: its handler starts | message info | badge | 0 | message words 0..3 |
 * | server → kernel: Reply, a `syscall` | {@linkcode IPC_REPLY} | — | reply info | reply words 0..3 |
 * | server → kernel: ReplyRecv, the handler's return | {@linkcode IPC_REPLY} | — | reply info | reply words 0..3 |
 * | kernel → client: `sysret` | reply info, or an {@linkcode IpcErrorCode} (< 0) | as before | as before | reply words 0..3 |
 *
 * A message info is `label << 16 | length` ({@linkcode messageInfo}): up
 * to 32 bytes travel in the four message registers; a longer message, up
 * to {@linkcode MAX_MESSAGE_BYTES}, is copied by the kernel from the
 * sender's IPC buffer (a virtual address in the sender's space) into the
 * receiver's (a virtual address in the receiver's space), through the page
 * tables of each. RCX and R11 are the `syscall`'s, as always.
 *
 * ## The call path, step by step ({@linkcode IpcKernel.call})
 *
 * 1. The client's {@linkcode call} sets RAX, RDI, RSI and executes
 *    `syscall`; the library's `SystemCalls` entry dispatches on RAX to the
 *    kernel.
 * 2. The kernel checks the endpoint (in RAM, with its magic word): a
 *    server must wait on it ({@linkcode IpcErrorCode.NO_SERVER}), on this
 *    CPU ({@linkcode IpcErrorCode.OTHER_CPU}: like seL4's fastpath, a call
 *    stays on its core; across CPUs use a `Channel`). Only this CPU
 *    changes the endpoint from then on.
 * 3. A long message: the client's buffer is translated page by page with
 *    the client's user rights under its CR3 (`Mmu.translate`, which sets A
 *    as the hardware does); a fault is {@linkcode IpcErrorCode.BAD_BUFFER},
 *    a buffer too small {@linkcode IpcErrorCode.MESSAGE_TOO_LONG}.
 * 4. CR3 ← the server's space, with the PCID "no flush" bit when
 *    CR4.PCIDE = 1 (its translations survive from its last run).
 * 5. A long message: the server's buffer is translated with the server's
 *    user rights (a write: D is set) and the bytes are copied physical
 *    range to physical range.
 * 6. The client's registers (RAX..R15, RIP, RFLAGS), FS/GS bases, CR3
 *    and, if used, its x87/SSE state are saved in its TCB, in the layout
 *    of the arch layer's `saveContext` (copied as 64-bit elements).
 * 7. The server is activated as a `sysret` to its handler would leave
 *    it: RAX the info, RDI the badge, the message words where they were,
 *    RSP its stack, RIP = RCX its entry, RFLAGS = R11 its flags, every
 *    other general register zero (nothing of the client leaks), its own
 *    FS/GS bases, CS/SS from its TCB (CPL 3). Its entry is fetched through
 *    the MMU as a user fetch (a fault or no code there:
 *    {@linkcode IpcErrorCode.SERVER_FAULT}), and the handler runs.
 * 8. The server replies either with {@linkcode reply}, a `syscall` that
 *    the kernel serves at once (a long reply is copied into the client's
 *    buffer, CR3 to the client's space and back; the info and words go
 *    into the client's saved registers), or by returning from the handler
 *    with RAX = {@linkcode IPC_REPLY} ({@linkcode ipcHandler} does that when
 *    the handler returns the reply info): the return is the server's
 *    kernel entry, seL4's `ReplyRecv`, and a short reply's words stay in
 *    the registers. Either way the server then waits again.
 * 9. The kernel restores the client: kernel CS/SS, CR3, its registers,
 *    with the reply info in RAX and the reply words in the message
 *    registers. No reply: {@linkcode IpcErrorCode.NO_REPLY}.
 * 10. The `SystemCalls` entry puts the result in RAX and `sysret`s.
 *
 * The server is a passive one: each call starts its handler afresh at its
 * entry with its stack (its registers are not kept between calls), which
 * JS code — whose state lives in closures and memory — can afford.
 *
 * @example A call and a reply between two address spaces
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "@exo-kernel/core/machine";
 * import { FrameAllocator } from "@exo-kernel/core/memory";
 * import {
 *   AddressSpace, call, Endpoint, ipcHandler, IpcKernel, messageInfo,
 *   messageRegister, reply, setMessageRegister, Thread, USER_BASE,
 * } from "./ipc.ts";
 *
 * const machine = new Machine({ ramSize: 8 << 20 });
 * let answer = 0;
 * machine.code.register(USER_BASE, () => { // the client's code
 *   setMessageRegister(0, 20);
 *   call(0x20_0000, messageInfo(1, 8));
 *   answer = messageRegister(0);
 * });
 * machine.code.register(USER_BASE + 0x1000, ipcHandler(() => { // the server's
 *   setMessageRegister(0, messageRegister(0) + 22);
 *   reply(messageInfo(0, 8));
 * }));
 * machine.run((boot) => {
 *   const frames = new FrameAllocator(boot.memoryMap);
 *   const client = AddressSpace.create(frames);
 *   const server = AddressSpace.create(frames);
 *   client.mapUser(USER_BASE, frames, { pages: 2, executable: true, writable: true });
 *   server.mapUser(USER_BASE, frames, { pages: 2, executable: true, writable: true });
 *   const memory = machine.memory;
 *   const kernel = new IpcKernel();
 *   kernel.load();
 *   const endpoint = Endpoint.create(memory, 0x20_0000);
 *   kernel.serve(endpoint, Thread.create(memory, 0x20_1000, {
 *     space: server, entry: USER_BASE + 0x1000, stack: USER_BASE + 0x2000,
 *   }));
 *   kernel.run(Thread.create(memory, 0x20_1400, {
 *     space: client, entry: USER_BASE, stack: USER_BASE + 0x2000,
 *   }));
 * });
 * strictEqual(answer, 42);
 * ```
 *
 * @module
 */
import {
  Access,
  BOOT_PML4,
  type CodeFunction,
  type Cpu,
  currentCpu,
  type PhysicalMemory,
  Reg,
} from "@exo-kernel/core/machine";
import {
  CONTEXT_SIZE,
  ContextLayout,
  enterUserMode,
  SystemCalls,
} from "@exo-kernel/core/arch/x86_64";
import {
  type FrameAllocator,
  Mapper,
  Page,
  PageTableFlags,
  type PhysFrame,
  VirtualAddress,
} from "@exo-kernel/core/memory";

// Register slots as module constants (no `Reg.X` load on every use).
const S_CR0 = Reg.CR0;
const S_CR3 = Reg.CR3;
const S_CR4 = Reg.CR4;
const S_CS = Reg.CS;
const S_EFER = Reg.EFER;
const S_FS_BASE = Reg.FS_BASE;
const S_GS_BASE = Reg.GS_BASE;
const S_KERNEL_GS_BASE = Reg.KERNEL_GS_BASE;
const S_R10 = Reg.R10;
const S_R11 = Reg.R11;
const S_R12 = Reg.R12;
const S_R13 = Reg.R13;
const S_R14 = Reg.R14;
const S_R15 = Reg.R15;
const S_R8 = Reg.R8;
const S_R9 = Reg.R9;
const S_RAX = Reg.RAX;
const S_RBP = Reg.RBP;
const S_RBX = Reg.RBX;
const S_RCX = Reg.RCX;
const S_RDI = Reg.RDI;
const S_RDX = Reg.RDX;
const S_RFLAGS = Reg.RFLAGS;
const S_RIP = Reg.RIP;
const S_RSI = Reg.RSI;
const S_RSP = Reg.RSP;
const S_SS = Reg.SS;

// ------------------------------------------------------------- constants

/** The system-call number of {@linkcode call} (RAX). */
export const IPC_CALL = 0x400;
/** The system-call number of {@linkcode reply} (RAX). */
export const IPC_REPLY = 0x401;
/**
 * The message registers, in order: message word `i` travels in
 * `MESSAGE_REGISTERS[i]` — RDX, R10, R8, R9 (the System V argument
 * registers that RAX, RDI and RSI leave free).
 */
export const MESSAGE_REGISTERS: readonly Reg[] = [
  S_RDX,
  S_R10,
  S_R8,
  S_R9,
];
/** The longest message that travels in registers: 4 words, 32 bytes. */
export const REGISTER_MESSAGE_BYTES = 32;
/** The longest message: 4 KiB, copied between IPC buffers. */
export const MAX_MESSAGE_BYTES = 4096;
/**
 * Where user space starts in an {@linkcode AddressSpace}: PML4 slot 1
 * (512 GiB). Slot 0 holds the boot tables' identity map of RAM, shared by
 * every space and supervisor-only; slots 1..255 are each space's own.
 */
export const USER_BASE = 2 ** 39;
/** The bytes of a thread control block ({@linkcode Thread}). */
export const THREAD_SIZE = 1024;
/** The bytes of an {@linkcode Endpoint}. */
export const ENDPOINT_SIZE = 64;

const USER_END = 2 ** 47;
const TWO_32 = 2 ** 32;
const PCIDE = 1 << 17;
const NO_FLUSH = 0x8000_0000;
const DEFAULT_RFLAGS = 0x202; // IF and bit 1

// Thread control block: the saved context (arch layout), then the kernel's
// fields. Word indexes (bytes / 4).
const CTX_CR3 = ContextLayout.CR3 / 4;
const CTX_SELECTORS = ContextLayout.SELECTORS / 4;
const CTX_FPU_INITIAL = ContextLayout.FPU_INITIAL / 4;
const CTX_FPU = ContextLayout.FPU / 4;
const TCB_MAGIC = 768 / 4;
const TCB_SERVING = 772 / 4;
const TCB_ENTRY = 776 / 4;
const TCB_STACK = 784 / 4;
const TCB_BUFFER = 792 / 4;
const TCB_BUFFER_SIZE = 800 / 4;
const TCB_RFLAGS = 804 / 4;
const THREAD_MAGIC = 0x4243_5454; // "TTCB"

// Endpoint: word indexes.
const EP_MAGIC = 0;
const EP_STATE = 1;
const EP_SERVER = 2;
const EP_CALLER = 3;
const EP_BADGE = 4;
const EP_REPLIED = 5;
const EP_CALLS = 6;
const EP_CPU = 7;
const ENDPOINT_MAGIC = 0x5450_4e45; // "ENPT"
const IDLE = 0;
const RECEIVING = 1;
const CALLING = 2;

// Register-file words (two per slot).
const W_RAX = S_RAX * 2;
const W_RCX = S_RCX * 2;
const W_RDX = S_RDX * 2;
const W_RSP = S_RSP * 2;
const W_RDI = S_RDI * 2;
const W_R8 = S_R8 * 2;
const W_R9 = S_R9 * 2;
const W_R10 = S_R10 * 2;
const W_R11 = S_R11 * 2;
const W_RIP = S_RIP * 2;
const W_RFLAGS = S_RFLAGS * 2;
const W_SS = S_SS * 2;
const W_RBX = S_RBX * 2;
const W_RBP = S_RBP * 2;
const W_RSI = S_RSI * 2;
const W_R12 = S_R12 * 2;
const W_R13 = S_R13 * 2;
const W_R14 = S_R14 * 2;
const W_R15 = S_R15 * 2;
const GENERAL_SLOTS = ContextLayout.GENERAL_SLOTS;
const CTX_BASE_SLOT = ContextLayout.BASES / 8;
const MESSAGE_WORDS = [W_RDX, W_R10, W_R8, W_R9];
const FETCHES = 4;
const FETCH_STRIDE = 7;

// ---------------------------------------------------------------- errors

/**
 * What a failed IPC returns in RAX (negative, as Linux's `-errno`), and
 * the `code` of an {@linkcode IpcError}.
 */
export const IpcErrorCode = {
  /** RDI is not the physical address of an endpoint. */
  INVALID_ENDPOINT: -1,
  /** No server waits on the endpoint: none was bound, or it is busy with a call. */
  NO_SERVER: -2,
  /** Longer than {@linkcode MAX_MESSAGE_BYTES}, or than the sender's or receiver's IPC buffer. */
  MESSAGE_TOO_LONG: -3,
  /** An IPC buffer is not mapped, with user rights, in its thread's space. */
  BAD_BUFFER: -4,
  /** The server's handler returned without replying. */
  NO_REPLY: -5,
  /** The server's handler is not user-executable code in the server's space. */
  SERVER_FAULT: -6,
  /** A reply with no call to answer. */
  NO_CALLER: -7,
  /** The endpoint's server waits on another CPU: no cross-CPU calls (use a channel). */
  OTHER_CPU: -8,
} as const;

/** One of the {@linkcode IpcErrorCode} values. */
export type IpcErrorCode = typeof IpcErrorCode[keyof typeof IpcErrorCode];

const ERROR_TEXT: Record<number, [string, string]> = {
  [-1]: ["INVALID_ENDPOINT", "RDI does not hold an endpoint's address"],
  [-2]: ["NO_SERVER", "no server waits on the endpoint"],
  [-3]: [
    "MESSAGE_TOO_LONG",
    `the message is longer than ${MAX_MESSAGE_BYTES} bytes or than an IPC buffer`,
  ],
  [-4]: [
    "BAD_BUFFER",
    "an IPC buffer is not mapped with user rights in its address space",
  ],
  [-5]: ["NO_REPLY", "the server's handler returned without replying"],
  [-6]: [
    "SERVER_FAULT",
    "the server's handler is not user-executable code in its address space",
  ],
  [-7]: ["NO_CALLER", "no call waits for this reply"],
  [-8]: [
    "OTHER_CPU",
    "the endpoint's server waits on another CPU (this kernel calls on one CPU only)",
  ],
};

/**
 * A failed {@linkcode call} or {@linkcode reply}: the kernel's error code
 * and its name.
 */
export class IpcError extends Error {
  /** The error code, as RAX held it. */
  readonly code: number;
  /** The code's name in {@linkcode IpcErrorCode}, or `"UNKNOWN"`. */
  readonly kind: string;

  /**
   * Makes the error of a code.
   *
   * @param code The code the kernel returned.
   * @param operation `"call"` or `"reply"`, for the message.
   */
  constructor(code: number, operation: "call" | "reply" = "call") {
    const [kind, text] = ERROR_TEXT[code] ?? ["UNKNOWN", "unknown error"];
    super(`IPC ${operation} failed: ${text} (${kind}, ${code})`);
    this.name = "IpcError";
    this.code = code;
    this.kind = kind;
  }
}

// ---------------------------------------------------------- message info

/**
 * A message info: `label << 16 | length`.
 *
 * @param label What the message means to its receiver, 0 to 65,535.
 * @param length The message's bytes, 0 to {@linkcode MAX_MESSAGE_BYTES}:
 *   up to 32 in the message registers, more in the IPC buffer.
 * @returns The info, for RSI (or RAX at the receiver).
 * @throws {RangeError} If a field is out of range.
 */
export function messageInfo(label: number, length: number): number {
  if (
    !Number.isInteger(label) || label < 0 || label > 0xffff ||
    !Number.isInteger(length) || length < 0 || length > 0xffff
  ) {
    throw new RangeError(
      `Invalid message info (label ${label}, length ${length}): expected integers from 0 to 65535`,
    );
  }
  return (label << 16 | length) >>> 0;
}

/**
 * The label of a message info.
 *
 * @param info The info.
 * @returns Bits 31..16.
 */
export function messageLabel(info: number): number {
  return info >>> 16;
}

/**
 * The length of a message info.
 *
 * @param info The info.
 * @returns Bits 15..0: the message's bytes.
 */
export function messageLength(info: number): number {
  return info & 0xffff;
}

// ------------------------------------------------ user side: the syscalls

/**
 * Calls an endpoint from user code (seL4's `Call`): RAX = {@linkcode IPC_CALL},
 * RDI = `endpoint`, RSI = `info`, the message words in the message
 * registers as {@linkcode setMessageRegister} left them (a long message in
 * the caller's IPC buffer), then `syscall`. It returns when the server has
 * replied, with the reply's words in the message registers (a long reply
 * in the IPC buffer).
 *
 * @param endpoint The endpoint's physical address (below 4 GiB): the
 *   capability of this tiny kernel.
 * @param info The message info ({@linkcode messageInfo}).
 * @returns The reply's message info.
 * @throws {IpcError} If the kernel returned an error code.
 */
export function call(endpoint: number, info: number): number {
  const cpu = currentCpu();
  const w = registerWords(cpu);
  w[W_RAX] = IPC_CALL;
  w[W_RAX + 1] = 0;
  w[W_RDI] = endpoint;
  w[W_RDI + 1] = 0;
  w[W_RSI] = info;
  w[W_RSI + 1] = 0;
  cpu.syscall();
  if (w[W_RAX + 1] !== 0) throw new IpcError(w[W_RAX]!, "call");
  return w[W_RAX]! >>> 0;
}

/**
 * Replies to the call that a server's handler serves (seL4's `Reply`):
 * RAX = {@linkcode IPC_REPLY}, RSI = `info`, the words in the message
 * registers (a long reply in the server's IPC buffer), then `syscall`.
 * The handler then returns, and the kernel resumes the client.
 *
 * @param info The reply's message info.
 * @throws {IpcError} If the kernel refused the reply: no call to answer,
 *   a reply too long, or a bad buffer (then the handler may reply again).
 */
export function reply(info: number): void {
  const cpu = currentCpu();
  const w = registerWords(cpu);
  w[W_RAX] = IPC_REPLY;
  w[W_RAX + 1] = 0;
  w[W_RSI] = info;
  w[W_RSI + 1] = 0;
  cpu.syscall();
  if (w[W_RAX + 1] !== 0) throw new IpcError(w[W_RAX]!, "reply");
}

/**
 * Sets message register `index` (seL4's `SetMR`) — the CPU register
 * itself, so set them right before {@linkcode call} or {@linkcode reply}.
 *
 * @param index 0 to 3: RDX, R10, R8, R9.
 * @param value The word: a `number` (an integer; negative ones as two's
 *   complement) or a `bigint` (its low 64 bits).
 */
export function setMessageRegister(
  index: 0 | 1 | 2 | 3,
  value: number | bigint,
): void {
  const cpu = currentCpu();
  const at = MESSAGE_WORDS[index]!;
  if (typeof value === "number" && value >>> 0 === value) {
    const w = registerWords(cpu);
    w[at] = value;
    w[at + 1] = 0;
  } else {
    cpu.registers.set(
      MESSAGE_REGISTERS[index]!,
      BigInt.asUintN(64, BigInt(value)),
    );
  }
}

/**
 * Reads message register `index` (seL4's `GetMR`) as a `number`: exact up
 * to 2^53 − 1; {@linkcode messageRegisterBig} reads all 64 bits.
 *
 * @param index 0 to 3: RDX, R10, R8, R9.
 * @returns The register, unsigned.
 */
export function messageRegister(index: 0 | 1 | 2 | 3): number {
  const w = registerWords(currentCpu());
  const at = MESSAGE_WORDS[index]!;
  return (w[at + 1]! >>> 0) * TWO_32 + (w[at]! >>> 0);
}

/**
 * Reads message register `index` as a 64-bit unsigned `bigint`.
 *
 * @param index 0 to 3: RDX, R10, R8, R9.
 * @returns The register.
 */
export function messageRegisterBig(index: 0 | 1 | 2 | 3): bigint {
  return currentCpu().registers.get(MESSAGE_REGISTERS[index]!);
}

/**
 * Wraps a server's handler as code to register at its entry address: the
 * kernel starts it with the message info in RAX and the endpoint's badge
 * in RDI, which it passes on. A handler that returns a message info
 * replies by returning (seL4's `ReplyRecv`: RAX ← {@linkcode IPC_REPLY},
 * RSI ← the info, and the return enters the kernel), with the words in
 * the message registers; one that returns nothing has replied with
 * {@linkcode reply}, or does not reply.
 *
 * @param handler The handler.
 * @returns The code function.
 */
export function ipcHandler(
  handler: (info: number, badge: number) => number | void,
): CodeFunction {
  return (cpu) => {
    const w = registerWords(cpu);
    const replyInfo = handler(w[W_RAX]! >>> 0, w[W_RDI]! >>> 0);
    if (typeof replyInfo === "number") {
      w[W_RAX] = IPC_REPLY;
      w[W_RAX + 1] = 0;
      w[W_RSI] = replyInfo;
      w[W_RSI + 1] = 0;
    }
  };
}

// --------------------------------------------------------- address spaces

/** The settings of {@linkcode AddressSpace.create}. */
export interface AddressSpaceOptions {
  /** The PCID, 0 to 4095, for CR3 bits 11..0 under CR4.PCIDE; 0 by default. */
  readonly pcid?: number;
  /** The machine's RAM; by default the current CPU's. */
  readonly memory?: PhysicalMemory;
}

/** The settings of {@linkcode AddressSpace.mapUser}. */
export interface UserPagesOptions {
  /** How many 4 KiB pages; 1 by default. */
  readonly pages?: number;
  /** Whether user code may write them; `false` by default. */
  readonly writable?: boolean;
  /** Whether they may hold code (else NX is set); `false` by default. */
  readonly executable?: boolean;
}

/**
 * An address space: a PML4 of its own that copies the boot PML4 — so the
 * kernel's identity map of RAM (supervisor-only, PML4 slot 0) is there as
 * in every space — and private user pages from {@linkcode USER_BASE} up,
 * mapped with the library's `Mapper` in tables no other space shares.
 */
export class AddressSpace {
  /** The PML4's frame. */
  readonly level4: PhysFrame;
  /** The PCID. */
  readonly pcid: number;
  /** A mapper over this space's tables. */
  readonly mapper: Mapper;
  /** The CR3 value: the PML4's address | the PCID. */
  readonly cr3: number;
  #memory: PhysicalMemory;

  private constructor(
    level4: PhysFrame,
    pcid: number,
    memory: PhysicalMemory,
  ) {
    this.level4 = level4;
    this.pcid = pcid;
    this.#memory = memory;
    this.mapper = new Mapper({ level4, memory });
    this.cr3 = level4.startAddress().value + pcid;
  }

  /**
   * Makes a space: a new PML4, a copy of the boot one.
   *
   * @param frames Where the PML4 (and later tables) come from.
   * @param options The PCID and the RAM.
   * @returns The space.
   * @throws {RangeError} If the PCID is out of range, no frame is left or
   *   the PML4 would lie above 4 GiB.
   */
  static create(
    frames: FrameAllocator,
    options: AddressSpaceOptions = {},
  ): AddressSpace {
    const pcid = options.pcid ?? 0;
    if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff) {
      throw new RangeError(`Invalid PCID ${pcid}: expected 0 to 4095`);
    }
    const memory = options.memory ?? currentCpu().memory;
    const frame = frames.allocate();
    if (frame === undefined || frame.startAddress().value >= TWO_32) {
      throw new RangeError(
        "Cannot make an address space: no frame below 4 GiB for its PML4",
      );
    }
    memory.copy(frame.startAddress().value, BOOT_PML4, 4096);
    return new AddressSpace(frame, pcid, memory);
  }

  /**
   * Maps fresh zeroed frames as user pages at `address`.
   *
   * @param address The first page's address: page-aligned, from
   *   {@linkcode USER_BASE} up, the pages below 2^47.
   * @param frames Where the frames and tables come from.
   * @param options How many pages, and their rights.
   * @returns The frames' physical addresses, in page order.
   * @throws {RangeError} If the range is not user space of this kernel.
   * @throws {MapperError} If a page is mapped already.
   */
  mapUser(
    address: number,
    frames: FrameAllocator,
    options: UserPagesOptions = {},
  ): number[] {
    const pages = options.pages ?? 1;
    if (
      !Number.isInteger(address) || address % 4096 !== 0 ||
      address < USER_BASE || !Number.isInteger(pages) || pages < 1 ||
      address + pages * 4096 > USER_END
    ) {
      throw new RangeError(
        `Invalid user pages at ${address} (${pages}): expected page-aligned pages from 0x${
          USER_BASE.toString(16)
        } to 2^47`,
      );
    }
    let flags = new PageTableFlags().present().userAccessible();
    if (options.writable) flags = flags.writable();
    if (!options.executable) flags = flags.noExecute();
    const mapped: number[] = [];
    for (let i = 0; i < pages; i++) {
      const frame = frames.allocate();
      if (frame === undefined) {
        throw new RangeError("Cannot map user pages: no frame left");
      }
      const start = frame.startAddress().value;
      this.#memory.fill(start, 4096, 0);
      // A new mapping needs no invlpg: a TLB never holds a not-present
      // translation (Intel SDM 3A §4.10.2.3).
      this.mapper.mapTo(
        Page.containingAddress(address + i * 4096),
        frame,
        flags,
        frames,
      ).ignore();
      mapped.push(start);
    }
    return mapped;
  }

  /**
   * The physical address `address` maps to in this space, by a software
   * walk (`Mapper.translate`), and whether user code may reach it.
   *
   * @param address A virtual address.
   * @returns The physical address and the leaf's USER_ACCESSIBLE, or
   *   `undefined` where nothing is mapped.
   */
  translate(address: number): { address: number; user: boolean } | undefined {
    const found = this.mapper.translate(new VirtualAddress(address));
    if (found.kind !== "mapped") return undefined;
    return {
      address: found.address.value,
      user: found.flags.contains(new PageTableFlags().userAccessible()),
    };
  }
}

// ---------------------------------------------------------------- threads

/** The settings of {@linkcode Thread.create}. */
export interface ThreadOptions {
  /** The thread's address space, or a CR3 value. */
  readonly space: AddressSpace | number;
  /** Where it starts: a client's code, a server's handler (user code). */
  readonly entry: number;
  /** Its user stack's top. */
  readonly stack: number;
  /** Its IPC buffer: a virtual address in its space; none by default. */
  readonly ipcBuffer?: number;
  /** The IPC buffer's bytes; {@linkcode MAX_MESSAGE_BYTES} with a buffer, else 0. */
  readonly ipcBufferSize?: number;
  /** RFLAGS in user mode; 0x202 (IF) by default. */
  readonly rflags?: number;
}

/**
 * A thread control block in machine memory, {@linkcode THREAD_SIZE} bytes:
 *
 * | offset | size | contents |
 * |---|---|---|
 * | 0 | 768 | the saved context, in the arch layer's `saveContext` layout (registers, RIP, RFLAGS, CR3 at 144, FS/GS bases, CS/SS, x87/SSE) |
 * | 768 | 4 | magic 0x4243_5454 |
 * | 772 | 4 | the endpoint whose call it serves now (physical address), 0 if none |
 * | 776 | 8 | entry: where it starts (a signed virtual address) |
 * | 784 | 8 | its user stack's top |
 * | 792 | 8 | its IPC buffer (virtual address in its space) |
 * | 800 | 4 | the IPC buffer's bytes (0: none) |
 * | 804 | 4 | its user RFLAGS |
 */
export class Thread {
  /** The TCB's physical address. */
  readonly address: number;
  #ram: Int32Array;

  private constructor(memory: PhysicalMemory, address: number) {
    this.address = address;
    this.#ram = ramWords(memory);
  }

  /**
   * Writes a new TCB: the context holds the entry, the stack, the CR3 and
   * user selectors (CS 0x23, SS 0x1B), every other register zero.
   *
   * @param memory The machine's RAM.
   * @param address Where: a multiple of 256, below 4 GiB.
   * @param options Its space, entry, stack and IPC buffer.
   * @returns The thread.
   * @throws {RangeError} If the address or a field is invalid.
   */
  static create(
    memory: PhysicalMemory,
    address: number,
    options: ThreadOptions,
  ): Thread {
    checkBlock(memory, address, THREAD_SIZE, 256, "thread control block");
    const buffer = options.ipcBuffer;
    const size = options.ipcBufferSize ??
      (buffer === undefined ? 0 : MAX_MESSAGE_BYTES);
    if (!Number.isInteger(size) || size < 0 || size > MAX_MESSAGE_BYTES) {
      throw new RangeError(
        `Invalid IPC buffer size ${size}: expected 0 to ${MAX_MESSAGE_BYTES}`,
      );
    }
    const cr3 = typeof options.space === "number"
      ? options.space
      : options.space.cr3;
    memory.fill(address, THREAD_SIZE, 0);
    const thread = new Thread(memory, address);
    const w = thread.#ram;
    const at = address >> 2;
    const rflags = options.rflags ?? DEFAULT_RFLAGS;
    writeSigned(w, at + S_RSP * 2, options.stack);
    writeSigned(w, at + W_RIP, options.entry);
    w[at + W_RFLAGS] = rflags;
    writeSigned(w, at + CTX_CR3, cr3);
    w[at + CTX_SELECTORS] = 0x23 | 0x1b << 16;
    w[at + CTX_FPU_INITIAL] = 1;
    w[at + TCB_MAGIC] = THREAD_MAGIC;
    writeSigned(w, at + TCB_ENTRY, options.entry);
    writeSigned(w, at + TCB_STACK, options.stack);
    writeSigned(w, at + TCB_BUFFER, buffer ?? 0);
    w[at + TCB_BUFFER_SIZE] = buffer === undefined ? 0 : size;
    w[at + TCB_RFLAGS] = rflags;
    return thread;
  }

  /**
   * A view of the TCB at `address`.
   *
   * @param memory The machine's RAM.
   * @param address The TCB's physical address.
   * @returns The thread.
   * @throws {RangeError} If no TCB is there.
   */
  static at(memory: PhysicalMemory, address: number): Thread {
    checkBlock(memory, address, THREAD_SIZE, 256, "thread control block");
    if (ramWords(memory)[(address >> 2) + TCB_MAGIC] !== THREAD_MAGIC) {
      throw new RangeError(
        `No thread control block at 0x${address.toString(16)}`,
      );
    }
    return new Thread(memory, address);
  }

  /** The CR3 of its space. */
  get cr3(): number {
    return readSigned(this.#ram, (this.address >> 2) + CTX_CR3);
  }
  /** Where it starts. */
  get entry(): number {
    return readSigned(this.#ram, (this.address >> 2) + TCB_ENTRY);
  }
  /** Its stack's top. */
  get stack(): number {
    return readSigned(this.#ram, (this.address >> 2) + TCB_STACK);
  }
  /** Its IPC buffer's virtual address (0 if none). */
  get ipcBuffer(): number {
    return readSigned(this.#ram, (this.address >> 2) + TCB_BUFFER);
  }
  /** Its IPC buffer's bytes (0 if none). */
  get ipcBufferSize(): number {
    return this.#ram[(this.address >> 2) + TCB_BUFFER_SIZE]!;
  }
  /** Its user RFLAGS. */
  get rflags(): number {
    return this.#ram[(this.address >> 2) + TCB_RFLAGS]! >>> 0;
  }
}

// -------------------------------------------------------------- endpoints

/** The settings of {@linkcode Endpoint.create}. */
export interface EndpointOptions {
  /** The badge the server gets in RDI with each message; 0 by default. */
  readonly badge?: number;
}

/** What an endpoint is doing. */
export type EndpointState = "idle" | "receiving" | "calling";

/**
 * An IPC endpoint in machine memory, {@linkcode ENDPOINT_SIZE} bytes:
 *
 * | offset | size | contents |
 * |---|---|---|
 * | 0 | 4 | magic 0x5450_4E45 |
 * | 4 | 4 | state: 0 idle (no server), 1 a server receives, 2 a call is under way |
 * | 8 | 4 | the server's TCB (physical address) |
 * | 12 | 4 | the caller's TCB, during a call |
 * | 16 | 4 | the badge |
 * | 20 | 4 | 1 once the server replied to the call under way |
 * | 24 | 4 | calls answered (u32, wrapping) |
 * | 28 | 4 | the server's CPU: its number + 1 (0: none) |
 * | 32 | 32 | reserved, zero |
 *
 * Once a server waits, only the kernel of its CPU changes the endpoint
 * (a call from another CPU is refused), so plain reads and writes do.
 */
export class Endpoint {
  /** The endpoint's physical address: what {@linkcode call} takes. */
  readonly address: number;
  #ram: Int32Array;

  private constructor(memory: PhysicalMemory, address: number) {
    this.address = address;
    this.#ram = ramWords(memory);
  }

  /**
   * Writes a new, idle endpoint.
   *
   * @param memory The machine's RAM.
   * @param address Where: a multiple of 64, below 4 GiB.
   * @param options The badge.
   * @returns The endpoint.
   * @throws {RangeError} If the address or badge is invalid.
   */
  static create(
    memory: PhysicalMemory,
    address: number,
    options: EndpointOptions = {},
  ): Endpoint {
    checkBlock(memory, address, ENDPOINT_SIZE, 64, "endpoint");
    const badge = options.badge ?? 0;
    if (!Number.isInteger(badge) || badge < 0 || badge > 0xffff_ffff) {
      throw new RangeError(`Invalid badge ${badge}: expected a u32`);
    }
    memory.fill(address, ENDPOINT_SIZE, 0);
    const endpoint = new Endpoint(memory, address);
    const e = address >> 2;
    endpoint.#ram[e + EP_BADGE] = badge;
    Atomics.store(endpoint.#ram, e + EP_MAGIC, ENDPOINT_MAGIC);
    return endpoint;
  }

  /**
   * A view of the endpoint at `address`.
   *
   * @param memory The machine's RAM.
   * @param address Its physical address.
   * @returns The endpoint.
   * @throws {RangeError} If no endpoint is there.
   */
  static at(memory: PhysicalMemory, address: number): Endpoint {
    checkBlock(memory, address, ENDPOINT_SIZE, 64, "endpoint");
    if (ramWords(memory)[address >> 2] !== ENDPOINT_MAGIC) {
      throw new RangeError(`No endpoint at 0x${address.toString(16)}`);
    }
    return new Endpoint(memory, address);
  }

  /** What it is doing. */
  get state(): EndpointState {
    const state = Atomics.load(this.#ram, (this.address >> 2) + EP_STATE);
    return state === RECEIVING
      ? "receiving"
      : state === CALLING
      ? "calling"
      : "idle";
  }
  /** The server's TCB address (0 if none). */
  get server(): number {
    return this.#ram[(this.address >> 2) + EP_SERVER]!;
  }
  /** The badge. */
  get badge(): number {
    return this.#ram[(this.address >> 2) + EP_BADGE]! >>> 0;
  }
  /** The calls answered so far (a u32). */
  get calls(): number {
    return this.#ram[(this.address >> 2) + EP_CALLS]! >>> 0;
  }
}

// ----------------------------------------------------------------- kernel

/** The settings of an {@linkcode IpcKernel}. */
export interface IpcKernelOptions {
  /** The system-call table to add the IPC calls to; a new one by default. */
  readonly calls?: SystemCalls;
}

/**
 * The IPC part of the tiny kernel on one CPU: the {@linkcode IPC_CALL} and
 * {@linkcode IPC_REPLY} system calls, the current thread, and the path
 * that switches between the client's and the server's address spaces.
 * Each CPU (each Worker) makes its own; endpoints and TCBs live in the
 * shared RAM.
 */
export class IpcKernel {
  /** The system-call table. */
  readonly calls: SystemCalls;
  #cpu: Cpu | undefined;
  #ram: Int32Array = new Int32Array(0);
  #regs: Int32Array = new Int32Array(0);
  #ram64: BigInt64Array = new BigInt64Array(0);
  #regs64: BigInt64Array = new BigInt64Array(0);
  #memory: PhysicalMemory | undefined;
  #current = 0;
  // Physical (address, bytes) pairs of a long message's source and target.
  #source = new Float64Array(8);
  #target = new Float64Array(8);
  // The last fetches of server entries (see #fetch).
  #fetches = new Float64Array(FETCHES * FETCH_STRIDE).fill(Number.NaN);
  #fetched: (CodeFunction | undefined)[] = [];
  #nextFetch = 0;

  /**
   * Makes the kernel part; {@linkcode IpcKernel.load} installs it.
   *
   * @param options The system-call table to use.
   */
  constructor(options: IpcKernelOptions = {}) {
    this.calls = options.calls ?? new SystemCalls();
  }

  /**
   * Registers the IPC calls in the table and loads it on the current CPU
   * (STAR, LSTAR, FMASK, EFER.SCE), which this kernel then serves.
   *
   * @throws {NoCpuError} Outside `Machine.run`.
   */
  load(): void {
    const cpu = currentCpu();
    this.#cpu = cpu;
    this.#memory = cpu.memory;
    this.#ram = ramWords(cpu.memory);
    this.#regs = registerWords(cpu);
    this.#ram64 = new BigInt64Array(cpu.memory.buffer, 0, cpu.memory.size >> 3);
    const view = cpu.registers.view;
    this.#regs64 = new BigInt64Array(
      view.buffer,
      view.byteOffset,
      view.byteLength >> 3,
    );
    this.calls.register(IPC_CALL, () => this.call());
    this.calls.register(IPC_REPLY, () => this.#reply());
    this.calls.load();
  }

  /** The current thread's TCB address on this CPU, 0 if none. */
  get current(): number {
    return this.#current;
  }

  /**
   * Makes `server` wait on `endpoint` (seL4's `Recv`) on this CPU: calls
   * to it — from threads on this CPU — run the server's handler, at its
   * entry, in its space.
   *
   * @param endpoint The endpoint.
   * @param server The server thread.
   * @throws {Error} If the endpoint already has a server.
   */
  serve(endpoint: Endpoint, server: Thread): void {
    const ram = this.#loaded().#ram;
    const e = endpoint.address >> 2;
    if (Atomics.load(ram, e + EP_STATE) !== IDLE) {
      throw new Error(
        `Endpoint 0x${endpoint.address.toString(16)} has a server already`,
      );
    }
    ram[e + EP_SERVER] = server.address;
    ram[e + EP_CPU] = this.#cpu!.id + 1;
    Atomics.store(ram, e + EP_STATE, RECEIVING);
  }

  /**
   * Runs `thread` in user mode on this CPU: CR3 ← its space, then
   * `sysret` to its entry with its stack; returns when its code returns
   * (or the kernel ends it), with the kernel's CR3 back.
   *
   * @param thread The thread.
   */
  run(thread: Thread): void {
    const cpu = this.#loaded().#cpu!;
    const r = cpu.registers;
    const low = r.low(S_CR3), high = r.high(S_CR3);
    const previous = this.#current;
    this.#current = thread.address;
    this.#loadCr3(thread.cr3 >>> 0, 0);
    try {
      enterUserMode({
        rip: thread.entry,
        rsp: thread.stack,
        rflags: thread.rflags,
      });
    } finally {
      this.#current = previous;
      this.#loadCr3(low, high);
    }
  }

  /**
   * Makes `thread` current without entering user mode, loading its CR3:
   * kernel code then acts for it, and may use {@linkcode IpcKernel.call}
   * directly (the in-kernel path, without `syscall`).
   *
   * @param thread The thread, or `undefined` for none (CR3 stays).
   */
  enter(thread: Thread | undefined): void {
    this.#loaded();
    this.#current = thread?.address ?? 0;
    if (thread !== undefined) this.#loadCr3(thread.cr3 >>> 0, 0);
  }

  /**
   * The kernel's side of {@linkcode call}, for the current thread, with the
   * registers as the `syscall` left them: RDI the endpoint, RSI the info,
   * the message words in the message registers. The `IPC_CALL` system
   * call runs it; kernel code may call it directly after
   * {@linkcode IpcKernel.enter}, giving the endpoint and info (the message
   * words stay in the message registers). The steps are in the module's
   * doc.
   *
   * @param endpoint If given, RDI ← the endpoint's address first.
   * @param info If given, RSI ← the message info first.
   * @returns The reply info, or an {@linkcode IpcErrorCode} (which the
   *   system call's entry puts in RAX).
   * @throws {Error} If no thread is current.
   */
  call(endpoint?: number, info?: number): number {
    const cpu = this.#cpu!;
    const r = cpu.registers;
    if (endpoint !== undefined) r.setHalves(S_RDI, endpoint >>> 0, 0);
    if (info !== undefined) r.setHalves(S_RSI, info >>> 0, 0);
    const ram = this.#ram;
    const regs = this.#regs;
    // 1. The endpoint: a server waiting on this CPU.
    const ep = r.low(S_RDI);
    if (
      r.high(S_RDI) !== 0 || (ep & 63) !== 0 ||
      ep + ENDPOINT_SIZE > ram.length * 4 || ram[ep >> 2] !== ENDPOINT_MAGIC
    ) return IpcErrorCode.INVALID_ENDPOINT;
    const client = this.#current;
    if (client === 0) throw new Error("IPC call with no current thread");
    const e = ep >> 2;
    if (ram[e + EP_STATE] !== RECEIVING) return IpcErrorCode.NO_SERVER;
    if (ram[e + EP_CPU] !== cpu.id + 1) return IpcErrorCode.OTHER_CPU;
    const server = ram[e + EP_SERVER]!;
    const c = client >> 2, s = server >> 2;
    const message = r.low(S_RSI);
    const length = message & 0xffff;
    // 2. The server's space; a long message is copied on the way.
    const clientCr3Low = r.low(S_CR3), clientCr3High = r.high(S_CR3);
    if (length > REGISTER_MESSAGE_BYTES) {
      const status = this.#copyMessage(c, s, length);
      if (status < 0) return status;
    } else {
      this.#loadCr3(ram[s + CTX_CR3]! >>> 0, ram[s + CTX_CR3 + 1]! >>> 0);
    }
    // 3. Save the client (CR3 as it was).
    // (as 64-bit elements: a copy of bits that makes no number of them)
    const ram64 = this.#ram64, regs64 = this.#regs64, c8 = client >> 3;
    for (let i = 0; i < GENERAL_SLOTS; i++) ram64[c8 + i] = regs64[i]!;
    const cb = c8 + CTX_BASE_SLOT;
    ram64[cb] = regs64[S_FS_BASE]!;
    ram64[cb + 1] = regs64[S_GS_BASE]!;
    ram64[cb + 2] = regs64[S_KERNEL_GS_BASE]!;
    ram[c + CTX_CR3] = clientCr3Low;
    ram[c + CTX_CR3 + 1] = clientCr3High;
    // (CS and SS are the kernel's now: the TCB keeps the thread's own)
    const selectors = r.low(S_CS) | r.low(S_SS) << 16;
    const fpuInitial = cpu.fpu.initial;
    ram[c + CTX_FPU_INITIAL] = fpuInitial ? 1 : 0;
    if (!fpuInitial) cpu.fpu.storeWords(ram, c + CTX_FPU);
    ram[e + EP_STATE] = CALLING;
    ram[e + EP_CALLER] = client;
    ram[s + TCB_SERVING] = ep;
    this.#current = server;
    // 4. Activate the server, as a sysret to its handler would: the
    // message words stay in their registers, RAX and RDI get the info and
    // badge, and every other general register is set or cleared, so that
    // nothing of the client's leaks.
    const entryLow = ram[s + TCB_ENTRY]!, entryHigh = ram[s + TCB_ENTRY + 1]!;
    const rflags = ram[s + TCB_RFLAGS]!;
    regs[W_RAX] = message;
    regs[W_RAX + 1] = 0;
    regs[W_RCX] = entryLow;
    regs[W_RCX + 1] = entryHigh;
    regs[W_RBX] = 0;
    regs[W_RBX + 1] = 0;
    regs[W_RSP] = ram[s + TCB_STACK]!;
    regs[W_RSP + 1] = ram[s + TCB_STACK + 1]!;
    regs[W_RBP] = 0;
    regs[W_RBP + 1] = 0;
    regs[W_RSI] = 0;
    regs[W_RSI + 1] = 0;
    regs[W_RDI] = ram[e + EP_BADGE]!;
    regs[W_RDI + 1] = 0;
    regs[W_R11] = rflags;
    regs[W_R11 + 1] = 0;
    regs[W_R12] = 0;
    regs[W_R12 + 1] = 0;
    regs[W_R13] = 0;
    regs[W_R13 + 1] = 0;
    regs[W_R14] = 0;
    regs[W_R14 + 1] = 0;
    regs[W_R15] = 0;
    regs[W_R15 + 1] = 0;
    regs[W_RIP] = entryLow;
    regs[W_RIP + 1] = entryHigh;
    regs[W_RFLAGS] = rflags;
    regs[W_RFLAGS + 1] = 0;
    const sb = (server >> 3) + CTX_BASE_SLOT;
    regs64[S_FS_BASE] = ram64[sb]!;
    regs64[S_GS_BASE] = ram64[sb + 1]!;
    regs64[S_KERNEL_GS_BASE] = ram64[sb + 2]!;
    if (!fpuInitial) cpu.fpu.reset();
    const serverSelectors = ram[s + CTX_SELECTORS]!;
    regs[W_SS] = serverSelectors >>> 16; // SS: no part in translation
    r.setHalves(S_CS, serverSelectors & 0xffff, 0); // the CPL: it has
    // 5. Fetch and run its handler. Its return enters the kernel; with
    // RAX = IPC_REPLY it is the server's ReplyRecv.
    let result: number = IpcErrorCode.SERVER_FAULT;
    let inRegisters = false; // a short reply by return: words in registers
    let m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0, m6 = 0, m7 = 0;
    try {
      const code = this.#fetch(entryHigh * TWO_32 + (entryLow >>> 0));
      if (code !== undefined) {
        code(cpu);
        // The return enters the kernel.
        regs[W_SS] = selectors >>> 16;
        r.setHalves(S_CS, selectors & 0xffff, 0);
        if (ram[e + EP_REPLIED] === 1) {
          result = ram[c + W_RAX]! >>> 0; // the IPC_REPLY system call
        } else if (r.low(S_RAX) === IPC_REPLY && r.high(S_RAX) === 0) {
          const replyInfo = r.low(S_RSI);
          if ((replyInfo & 0xffff) <= REGISTER_MESSAGE_BYTES) {
            result = replyInfo;
            inRegisters = true;
            m0 = regs[W_RDX]!, m1 = regs[W_RDX + 1]!;
            m2 = regs[W_R10]!, m3 = regs[W_R10 + 1]!;
            m4 = regs[W_R8]!, m5 = regs[W_R8 + 1]!;
            m6 = regs[W_R9]!, m7 = regs[W_R9 + 1]!;
          } else {
            const status = this.#reply();
            result = status < 0 ? status : replyInfo;
          }
        } else result = IpcErrorCode.NO_REPLY;
      }
    } finally {
      // 6. Back to the client: kernel mode, its space, its registers, the
      // reply's in RAX and the message registers.
      if (r.low(S_CS) !== (selectors & 0xffff)) {
        regs[W_SS] = selectors >>> 16;
        r.setHalves(S_CS, selectors & 0xffff, 0);
      }
      ram[s + TCB_SERVING] = 0;
      this.#current = client;
      this.#loadCr3(clientCr3Low, clientCr3High);
      for (let i = 0; i < GENERAL_SLOTS; i++) regs64[i] = ram64[c8 + i]!;
      regs64[S_FS_BASE] = ram64[cb]!;
      regs64[S_GS_BASE] = ram64[cb + 1]!;
      regs64[S_KERNEL_GS_BASE] = ram64[cb + 2]!;
      if (!fpuInitial) cpu.fpu.loadWords(ram, c + CTX_FPU);
      else if (!cpu.fpu.initial) cpu.fpu.reset();
      if (inRegisters) {
        regs[W_RDX] = m0, regs[W_RDX + 1] = m1;
        regs[W_R10] = m2, regs[W_R10 + 1] = m3;
        regs[W_R8] = m4, regs[W_R8 + 1] = m5;
        regs[W_R9] = m6, regs[W_R9 + 1] = m7;
      }
      if (result >= 0) ram[e + EP_CALLS]!++;
      ram[e + EP_REPLIED] = 0;
      ram[e + EP_CALLER] = 0;
      ram[e + EP_STATE] = RECEIVING;
    }
    return result;
  }

  // The kernel's side of a reply, for the current (server) thread: the
  // IPC_REPLY system call, or the handler's return with RAX = IPC_REPLY.
  // RSI is the reply info, the message registers its words.
  #reply(): number {
    const cpu = this.#cpu!;
    const r = cpu.registers;
    const ram = this.#ram;
    const server = this.#current;
    const ep = server === 0 ? 0 : ram[(server >> 2) + TCB_SERVING]!;
    if (ep === 0) return IpcErrorCode.NO_CALLER;
    const e = ep >> 2;
    if (ram[e + EP_STATE] !== CALLING || ram[e + EP_REPLIED] !== 0) {
      return IpcErrorCode.NO_CALLER;
    }
    const c = ram[e + EP_CALLER]! >> 2, s = server >> 2;
    const info = r.low(S_RSI);
    const length = info & 0xffff;
    if (length > REGISTER_MESSAGE_BYTES) {
      // Through the client's space, and back.
      const status = this.#copyMessage(s, c, length);
      this.#loadCr3(ram[s + CTX_CR3]! >>> 0, ram[s + CTX_CR3 + 1]! >>> 0);
      if (status < 0) return status;
    }
    // The reply goes into the client's saved registers.
    const regs = this.#regs;
    ram[c + W_RAX] = info;
    ram[c + W_RAX + 1] = 0;
    ram[c + W_RDX] = regs[W_RDX]!;
    ram[c + W_RDX + 1] = regs[W_RDX + 1]!;
    ram[c + W_R10] = regs[W_R10]!;
    ram[c + W_R10 + 1] = regs[W_R10 + 1]!;
    ram[c + W_R8] = regs[W_R8]!;
    ram[c + W_R8 + 1] = regs[W_R8 + 1]!;
    ram[c + W_R9] = regs[W_R9]!;
    ram[c + W_R9 + 1] = regs[W_R9 + 1]!;
    ram[e + EP_REPLIED] = 1;
    return 0;
  }

  // Copies a long message of `length` bytes from the IPC buffer of the
  // thread whose TCB is at word `from` — under the current CR3, its
  // space's — to the IPC buffer of the thread at word `to`, translating
  // each with its thread's user rights; CR3 is then `to`'s space's (or
  // `from`'s again after an error). Returns 0 or an error code.
  #copyMessage(from: number, to: number, length: number): number {
    const cpu = this.#cpu!;
    const ram = this.#ram;
    if (
      length > MAX_MESSAGE_BYTES || length > ram[from + TCB_BUFFER_SIZE]! ||
      length > ram[to + TCB_BUFFER_SIZE]!
    ) return IpcErrorCode.MESSAGE_TOO_LONG;
    const source = this.#source, target = this.#target;
    const sources = userRanges(
      cpu,
      readSigned(ram, from + TCB_BUFFER),
      length,
      Access.READ,
      source,
    );
    if (sources < 0) return IpcErrorCode.BAD_BUFFER;
    const fromLow = cpu.registers.low(S_CR3);
    const fromHigh = cpu.registers.high(S_CR3);
    this.#loadCr3(ram[to + CTX_CR3]! >>> 0, ram[to + CTX_CR3 + 1]! >>> 0);
    const targets = userRanges(
      cpu,
      readSigned(ram, to + TCB_BUFFER),
      length,
      Access.WRITE,
      target,
    );
    if (targets < 0) {
      this.#loadCr3(fromLow, fromHigh);
      return IpcErrorCode.BAD_BUFFER;
    }
    copyRanges(this.#memory!, source, sources, target, targets);
    return 0;
  }

  // The code at a server's entry, after a user fetch there under the
  // current CR3 and CPL — or `undefined` if the fetch faults or no code is
  // there. A few fetches are kept, each with what it depends on (as a TLB
  // entry would be): the address, CR3, the TLB's flush count, CR0, CR4,
  // EFER and the CPL.
  #fetch(entry: number): CodeFunction | undefined {
    const cpu = this.#cpu!;
    const r = cpu.registers;
    const cr3 = r.high(S_CR3) * TWO_32 + r.low(S_CR3);
    const generation = cpu.mmu.tlb.generation;
    const cr0 = r.low(S_CR0), cr4 = r.low(S_CR4);
    const efer = r.low(S_EFER), cpl = r.low(S_CS) & 3;
    const k = this.#fetches;
    for (let j = 0; j < FETCHES; j++) {
      const i = j * FETCH_STRIDE;
      if (
        k[i] === entry && k[i + 1] === cr3 && k[i + 2] === generation &&
        k[i + 3] === cr0 && k[i + 4] === cr4 && k[i + 5] === efer &&
        k[i + 6] === cpl
      ) return this.#fetched[j];
    }
    if (cpu.mmu.translate(entry, Access.FETCH, cpl === 3) < 0) return undefined;
    const code = cpu.code.at(entry);
    if (code === undefined) return undefined;
    const j = this.#nextFetch;
    this.#nextFetch = (j + 1) % FETCHES;
    const i = j * FETCH_STRIDE;
    k[i] = entry;
    k[i + 1] = cr3;
    k[i + 2] = cpu.mmu.tlb.generation; // the walk may have flushed
    k[i + 3] = cr0;
    k[i + 4] = cr4;
    k[i + 5] = efer;
    k[i + 6] = cpl;
    this.#fetched[j] = code;
    return code;
  }

  // CR3 ← (low, high) unless it holds that already; under CR4.PCIDE with
  // bit 63 set, so that the PCID keeps its translations.
  #loadCr3(low: number, high: number): void {
    const cpu = this.#cpu!;
    const r = cpu.registers;
    if (r.low(S_CR3) === low && r.high(S_CR3) === high) return;
    cpu.writeCr(
      3,
      low,
      r.low(S_CR4) & PCIDE ? (high | NO_FLUSH) >>> 0 : high,
    );
  }

  #loaded(): this {
    if (this.#cpu === undefined) {
      throw new Error("IpcKernel used before load(): load it on its CPU first");
    }
    return this;
  }
}

// ---------------------------------------------------------------- helpers

// The physical ranges of [vaddr, vaddr + length) for a user access under
// the current CR3, as (address, bytes) pairs in `out`; the number of
// pairs, or -1 if a page faults or the range leaves user space.
function userRanges(
  cpu: Cpu,
  vaddr: number,
  length: number,
  access: Access,
  out: Float64Array,
): number {
  if (!(vaddr >= 0 && vaddr + length <= USER_END)) return -1;
  let n = 0;
  while (length > 0) {
    const pa = cpu.mmu.translate(vaddr, access, true);
    if (pa < 0) return -1;
    const bytes = Math.min(0x1000 - (vaddr & 0xfff), length);
    if (n > 0 && out[2 * n - 2]! + out[2 * n - 1]! === pa) {
      out[2 * n - 1]! += bytes;
    } else {
      out[2 * n] = pa;
      out[2 * n + 1] = bytes;
      n++;
    }
    vaddr += bytes;
    length -= bytes;
  }
  return n;
}

// Copies the bytes of the source ranges into the target ranges (of the
// same total).
function copyRanges(
  memory: PhysicalMemory,
  source: Float64Array,
  sources: number,
  target: Float64Array,
  targets: number,
): void {
  let i = 0, j = 0;
  let from = source[0]!, fromLeft = source[1]!;
  let to = target[0]!, toLeft = target[1]!;
  while (i < sources && j < targets) {
    const bytes = Math.min(fromLeft, toLeft);
    memory.copy(to, from, bytes);
    from += bytes;
    to += bytes;
    fromLeft -= bytes;
    toLeft -= bytes;
    if (fromLeft === 0 && ++i < sources) {
      from = source[2 * i]!;
      fromLeft = source[2 * i + 1]!;
    }
    if (toLeft === 0 && ++j < targets) {
      to = target[2 * j]!;
      toLeft = target[2 * j + 1]!;
    }
  }
}

function checkBlock(
  memory: PhysicalMemory,
  address: number,
  size: number,
  align: number,
  what: string,
): void {
  if (
    !Number.isInteger(address) || address <= 0 || address % align !== 0 ||
    address + size > Math.min(memory.size, TWO_32)
  ) {
    throw new RangeError(
      `Invalid ${what} address ${address}: expected a multiple of ${align} in RAM, below 4 GiB`,
    );
  }
}

// A signed 64-bit value (a canonical address) as two words, and back.
function writeSigned(w: Int32Array, at: number, value: number): void {
  w[at] = value % TWO_32;
  w[at + 1] = Math.floor(value / TWO_32);
}

function readSigned(w: Int32Array, at: number): number {
  return w[at + 1]! * TWO_32 + (w[at]! >>> 0);
}

// The general registers are written as words, as the arch layer's context
// switch writes them: they take no part in translation, so the register
// file's write count (which caches of translations watch) need not move.
let wordsCpu: Cpu | undefined;
let words: Int32Array = new Int32Array(0);

function registerWords(cpu: Cpu): Int32Array {
  if (cpu !== wordsCpu) {
    const view = cpu.registers.view;
    words = new Int32Array(view.buffer, view.byteOffset, view.byteLength >> 2);
    wordsCpu = cpu;
  }
  return words;
}

const ramViews = new WeakMap<SharedArrayBuffer, Int32Array>();

function ramWords(memory: PhysicalMemory): Int32Array {
  let words = ramViews.get(memory.buffer);
  if (words === undefined) {
    words = new Int32Array(memory.buffer, 0, memory.size >> 2);
    ramViews.set(memory.buffer, words);
  }
  return words;
}

// The context of a TCB is the arch layer's.
if (CONTEXT_SIZE > 768) throw new Error("The arch context outgrew the TCB");
