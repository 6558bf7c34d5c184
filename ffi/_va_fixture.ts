// Loads the variadic calls that testdata/gen_gcc_va_list.py recorded from
// gcc-compiled code into a machine's memory, at the virtual addresses they
// had, so that a VaList (or a printf over one) reads what C's va_arg read.
//
//   const { cases } = await readGccVaCases(); // needs --allow-read
//   const report = runGccVaCases(cases, (c) => {
//     // c's regions are mapped and written: the va_list struct, the
//     // register save area, the stack arguments, the strings, the format.
//     const args = VaList.at(c.vaList);
//     for (const arg of c.args) assert(args[arg.reader]() === arg.value);
//     // vsnprintf(buf, c.printf.size, <string at c.printf.format>, copy)
//     // returned c.printf.returned and wrote c.printf.output; a copy or a
//     // buffer can go in the SCRATCH page.
//   });
//   assert(report.reason === "returned");
import { InterruptManager } from "../arch/x86_64/interrupt_manager.ts";
import { readCr2 } from "../arch/x86_64/control.ts";
import { Machine } from "../machine/machine.ts";
import type { MachineReport } from "../machine/machine_report.ts";
import { FrameAllocator } from "../memory/frame_allocator.ts";
import { Mapper } from "../memory/mapper.ts";
import { Page } from "../memory/page.ts";
import { PageTableFlags } from "../memory/page_table_flags.ts";
import { writeBytes } from "../memory/virtual_memory.ts";
import type { VaIntegerType } from "./va_list_builder.ts";

/** What a dumped region of memory held. */
export type GccRegionKind =
  | "va_list"
  | "reg_save_area"
  | "overflow_area"
  | "string"
  | "format";

/** Bytes of the gcc program's memory, at their (user-space) address. */
export interface GccRegion {
  readonly what: GccRegionKind;
  /** The virtual address, unsigned. */
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

/**
 * The C types of the recorded arguments: the builder's integer types
 * (but `signed char`, `ssize_t` and `ptr`), the two pointer types the
 * harness passes, `double` and `float`.
 */
export type GccCType =
  | Exclude<VaIntegerType, "signed char" | "ssize_t" | "ptr">
  | "void*"
  | "char*"
  | "double"
  | "float";

/** The `VaList` method that reads an argument of a C type. */
export type VaListReader =
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "isize"
  | "usize"
  | "ptr"
  | "f64";

/** One variadic argument and what gcc's `va_arg` read for it. */
export interface GccArg {
  readonly type: GccCType;
  /** The `VaList` method for it (a `float` is read as the double it became). */
  readonly reader: VaListReader;
  /**
   * What `va_arg` read, as the reader returns it: a `number` for i8..u32
   * and f64, a `bigint` otherwise (a `char*` is its address).
   */
  readonly value: number | bigint;
  /** The 64 bits behind `value` (a double's IEEE-754 bits), unsigned. */
  readonly bits: bigint;
}

/** A `vsnprintf(buffer, size, format, copy)` over a `va_copy` of the list. */
export interface GccPrintf {
  /** The format string's address (its bytes are a "format" region). */
  readonly format: bigint;
  /** The format as text. */
  readonly text: string;
  /** The buffer size passed. */
  readonly size: number;
  /** The bytes written before the terminating NUL (none when size is 0). */
  readonly output: Uint8Array;
  /** What vsnprintf returned: the length of the whole output. */
  readonly returned: number;
}

/** One recorded call `probe_*(named…, args…)`, seen after `va_start`. */
export interface GccVaCase {
  readonly id: number;
  readonly kind: "types" | "grid" | "random";
  /** The C prototype of the variadic function. */
  readonly prototype: string;
  /** The named INTEGER and SSE parameters that took registers. */
  readonly named: { readonly gp: number; readonly fp: number };
  /** The address of the 24-byte `va_list` struct. */
  readonly vaList: bigint;
  readonly regSaveArea: bigint;
  readonly overflowArgArea: bigint;
  /** All the memory the case reads, with the bytes right after `va_start`. */
  readonly regions: readonly GccRegion[];
  readonly args: readonly GccArg[];
  /** The struct's 24 bytes after `va_arg` read every argument. */
  readonly after: Uint8Array;
  readonly printf: GccPrintf;
}

/** The whole recording. */
export interface GccVaData {
  /** `gcc --version`'s first line. */
  readonly gcc: string;
  /** `ldd --version`'s first line (glibc's vsnprintf). */
  readonly glibc: string;
  /** How the program was built and run. */
  readonly command: string;
  readonly cases: readonly GccVaCase[];
}

interface RawCase {
  id: number;
  kind: GccVaCase["kind"];
  prototype: string;
  named: { gp: number; fp: number };
  vaList: string;
  regSaveArea: string;
  overflowArgArea: string;
  regions: { what: GccRegionKind; address: string; bytes: string }[];
  args: { type: GccCType; value: string }[];
  after: string;
  printf: {
    format: string;
    text: string;
    size: number;
    output: string;
    returned: number;
  };
}

const READERS: Record<GccCType, VaListReader> = {
  "char": "i8",
  "unsigned char": "u8",
  "short": "i16",
  "unsigned short": "u16",
  "int": "i32",
  "unsigned int": "u32",
  "long": "i64",
  "unsigned long": "u64",
  "long long": "i64",
  "unsigned long long": "u64",
  "size_t": "usize",
  "ptrdiff_t": "isize",
  "void*": "ptr",
  "char*": "ptr",
  "double": "f64",
  "float": "f64",
};

function bytesOf(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

const float = new DataView(new ArrayBuffer(8));

function argOf(raw: { type: GccCType; value: string }): GccArg {
  const reader = READERS[raw.type];
  const read = BigInt(raw.value);
  const bits = BigInt.asUintN(64, read);
  let value: number | bigint = read;
  if (reader === "f64") {
    float.setBigUint64(0, bits);
    value = float.getFloat64(0);
  } else if (/^[iu](8|16|32)$/.test(reader)) {
    value = Number(read);
  }
  return { type: raw.type, reader, value, bits };
}

function caseOf(raw: RawCase): GccVaCase {
  return {
    id: raw.id,
    kind: raw.kind,
    prototype: raw.prototype,
    named: raw.named,
    vaList: BigInt(raw.vaList),
    regSaveArea: BigInt(raw.regSaveArea),
    overflowArgArea: BigInt(raw.overflowArgArea),
    regions: raw.regions.map((r) => ({
      what: r.what,
      address: BigInt(r.address),
      bytes: bytesOf(r.bytes),
    })),
    args: raw.args.map(argOf),
    after: bytesOf(raw.after),
    printf: {
      format: BigInt(raw.printf.format),
      text: raw.printf.text,
      size: raw.printf.size,
      output: bytesOf(raw.printf.output),
      returned: raw.printf.returned,
    },
  };
}

/**
 * Reads testdata/gcc_va_list.json (needs --allow-read).
 *
 * @returns The recording, with addresses as bigints and bytes decoded.
 */
export async function readGccVaCases(): Promise<GccVaData> {
  const raw = JSON.parse(
    await Deno.readTextFile(
      new URL("./testdata/gcc_va_list.json", import.meta.url),
    ),
  );
  return { ...raw, cases: (raw.cases as RawCase[]).map(caseOf) };
}

/** What fresh frames hold before a case's bytes go in: not a plausible value. */
export const POISON = 0xcc;
const POISON_PAGE = new Uint8Array(4096).fill(POISON);

/**
 * The memory of one case at a time, inside `Machine.run`: `load` unmaps
 * the pages of the case before, maps every page that the case's regions
 * touch to a fresh frame (user-accessible, writable) filled with
 * {@linkcode POISON}, and writes the regions' bytes at their addresses.
 * Anything outside the regions' pages is unmapped, so a read that strays
 * further is a page fault.
 */
export class GccCaseMemory {
  #frames: FrameAllocator;
  #mapper = new Mapper();
  #mapped: Page[] = [];
  #flags = new PageTableFlags().present().writable().userAccessible();

  /**
   * @param frames Where the frames come from, and go back to.
   */
  constructor(frames: FrameAllocator) {
    this.#frames = frames;
  }

  /**
   * Maps and writes the case's memory.
   *
   * @param gccCase The case.
   */
  load(gccCase: GccVaCase): void {
    for (const page of this.#mapped) {
      const [frame, flush] = this.#mapper.unmap(page);
      flush.flush();
      this.#frames.deallocate(frame);
    }
    this.#mapped = [];
    const starts = new Set<bigint>();
    for (const { address, bytes } of gccCase.regions) {
      if (bytes.length === 0) continue;
      const last = (address + BigInt(bytes.length) - 1n) >> 12n;
      for (let page = address >> 12n; page <= last; page++) starts.add(page);
    }
    for (const start of starts) {
      const page = Page.containingAddress(start << 12n);
      const frame = this.#frames.allocate();
      if (frame === undefined) throw new Error("The fixture ran out of frames");
      this.#mapper.mapTo(page, frame, this.#flags, this.#frames).flush();
      writeBytes(page.startAddress(), POISON_PAGE);
      this.#mapped.push(page);
    }
    for (const { address, bytes } of gccCase.regions) {
      writeBytes(address, bytes);
    }
  }
}

/**
 * A 4 KiB kernel page (supervisor-only, writable) that
 * {@linkcode runGccVaCases} maps for the callback's own use: a `va_copy`
 * destination, an output buffer.
 */
export const SCRATCH = 0xffff_8000_0000_0000n;

/**
 * Runs `each` for every case on one machine, with the case's memory
 * loaded (see {@linkcode GccCaseMemory}) and {@linkcode SCRATCH} mapped.
 * A page fault (a read outside the case's pages) throws an Error naming
 * the case and the address.
 *
 * @param cases The cases.
 * @param each What to do with each; it runs on the machine's CPU.
 * @returns The machine's report ("returned" when all went well).
 */
export function runGccVaCases(
  cases: readonly GccVaCase[],
  each: (gccCase: GccVaCase) => void,
): MachineReport {
  return new Machine({ ramSize: 4 << 20 }).run((boot) => {
    const frames = new FrameAllocator(boot.memoryMap);
    const scratch = frames.allocate()!;
    new Mapper().mapTo(
      Page.containingAddress(SCRATCH),
      scratch,
      new PageTableFlags().present().writable(),
      frames,
    ).flush();
    const memory = new GccCaseMemory(frames);
    let current: GccVaCase | undefined;
    const interrupts = new InterruptManager();
    interrupts.registerHandler(14, () => {
      throw new Error(
        `Page fault at 0x${
          readCr2().toString(16).padStart(16, "0")
        } in case ${current?.id}: outside the memory gcc's code read`,
      );
    });
    interrupts.load();
    for (const gccCase of cases) {
      current = gccCase;
      memory.load(gccCase);
      each(gccCase);
    }
  });
}
