/**
 * A software walk of 4-level page tables (Intel SDM 3A §4.5), as the
 * shell's `pt` command shows it: each level's entry — its table, index,
 * physical address, value and flags — down to the frame, or to the level
 * where the walk stops.
 *
 * The walk reads entries through a function, so that the kernel reads
 * them through its direct map and a test reads them from RAM.
 *
 * @module
 */
import { PageTableFlags, VirtualAddress } from "@exo-kernel/core/memory";

/** The tables' names, by level. */
export const LEVEL_NAMES = {
  4: "PML4",
  3: "PDPT",
  2: "PD",
  1: "PT",
} as const;

/** One level of a walk. */
export interface WalkStep {
  /** 4 (PML4) to 1 (PT). */
  readonly level: 1 | 2 | 3 | 4;
  /** The table's name at that level. */
  readonly table: "PML4" | "PDPT" | "PD" | "PT";
  /** The entry's index in its table, from the address's bits. */
  readonly index: number;
  /** The entry's physical address. */
  readonly entryAddress: number;
  /** The entry's 64 bits. */
  readonly value: bigint;
  /** Its flags (every bit the library names). */
  readonly flags: PageTableFlags;
}

/** How a walk ended. */
export type WalkResult =
  | {
    /** The address is mapped. */
    readonly kind: "mapped";
    /** The page size. */
    readonly pageSize: "4 KiB" | "2 MiB" | "1 GiB";
    /** The frame's physical address. */
    readonly frame: number;
    /** The offset in the page. */
    readonly offset: number;
    /** The physical address the virtual one translates to. */
    readonly physical: number;
  }
  | {
    /** An entry has P = 0: the walk stops at `level`. */
    readonly kind: "not present";
    /** The level of the entry that is not present. */
    readonly level: 1 | 2 | 3 | 4;
  };

/** A whole walk. */
export interface PageWalk {
  /** The address walked. */
  readonly address: VirtualAddress;
  /** The PML4's physical address (CR3 bits 51..12). */
  readonly root: number;
  /** The entries read, PML4 first. */
  readonly steps: readonly WalkStep[];
  /** The end of the walk. */
  readonly result: WalkResult;
}

const ADDRESS_MASK = 0x000f_ffff_ffff_f000n;
const SIZES = { 3: "1 GiB", 2: "2 MiB", 1: "4 KiB" } as const;
const BYTES = { 3: 2 ** 30, 2: 2 ** 21, 1: 4096 } as const;

/**
 * Walks the tables under `cr3` for `address`.
 *
 * @param readEntry Reads the 64-bit entry at a physical address.
 * @param cr3 CR3 (its PCID and flag bits are ignored).
 * @param address The virtual address.
 * @returns Every entry read, and where the walk ended.
 */
export function walkPageTables(
  readEntry: (physical: number) => bigint,
  cr3: number | bigint,
  address: VirtualAddress,
): PageWalk {
  const root = Number(BigInt(cr3) & ADDRESS_MASK);
  const indices = {
    4: address.p4Index(),
    3: address.p3Index(),
    2: address.p2Index(),
    1: address.p1Index(),
  };
  const steps: WalkStep[] = [];
  let table = root;
  for (const level of [4, 3, 2, 1] as const) {
    const index = indices[level];
    const entryAddress = table + index * 8;
    const value = readEntry(entryAddress);
    const flags = PageTableFlags.fromBitsTruncate(value);
    steps.push({
      level,
      table: LEVEL_NAMES[level],
      index,
      entryAddress,
      value,
      flags,
    });
    if ((value & 1n) === 0n) {
      return { address, root, steps, result: { kind: "not present", level } };
    }
    const next = Number(value & ADDRESS_MASK);
    if (level === 1 || (level !== 4 && (value & 0x80n) !== 0n)) {
      const size = level as 1 | 2 | 3;
      const bytes = BYTES[size];
      const frame = Math.floor(next / bytes) * bytes;
      const offset = Number(address.toBigInt() % BigInt(bytes));
      return {
        address,
        root,
        steps,
        result: {
          kind: "mapped",
          pageSize: SIZES[size],
          frame,
          offset,
          physical: frame + offset,
        },
      };
    }
    table = next;
  }
  throw new Error("unreachable: level 1 always ends the walk");
}

/**
 * A number as `0x` and 16 hex digits, as the kernel prints addresses.
 *
 * @param value The value (a number up to 2^53, or 64 bits as a bigint).
 * @returns The text.
 */
export function hex16(value: number | bigint): string {
  return `0x${
    BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, "0")
  }`;
}

/**
 * The walk as the `pt` command prints it: a title line with the indices,
 * one line per entry, and the outcome.
 *
 * @param walk The walk.
 * @param pcid The current PCID, for the title.
 * @returns The lines.
 */
export function formatWalk(walk: PageWalk, pcid = 0): string[] {
  const a = walk.address;
  const lines = [
    `${a} (CR3 ${
      hex16(walk.root)
    }, PCID ${pcid}): PML4 ${a.p4Index()}, PDPT ${a.p3Index()}, PD ${a.p2Index()}, PT ${a.p1Index()}, offset ${
      hex3(a.pageOffset())
    }`,
  ];
  for (const s of walk.steps) {
    const leaf = s.level === 1 ||
      (s.level !== 4 && (s.value & 0x81n) === 0x81n);
    lines.push(
      `  ${s.table.padEnd(4)} [${String(s.index).padStart(3)}] at ${
        hex16(s.entryAddress)
      } = ${hex16(s.value)}  ${s.flags}${
        (s.value & 1n) === 0n
          ? " (not present)"
          : leaf
          ? ""
          : ` -> ${LEVEL_NAMES[(s.level - 1) as 1 | 2 | 3]} at ${
            hex16(s.value & ADDRESS_MASK)
          }`
      }`,
    );
  }
  const r = walk.result;
  lines.push(
    r.kind === "mapped"
      ? `  => ${r.pageSize} page: frame ${hex16(r.frame)} + ${
        hexShort(r.offset)
      } = physical ${hex16(r.physical)}`
      : `  => not mapped: the ${LEVEL_NAMES[r.level]} entry is not present`,
  );
  return lines;
}

function hex3(value: number): string {
  return `0x${value.toString(16).padStart(3, "0")}`;
}

function hexShort(value: number): string {
  return `0x${value.toString(16)}`;
}

/**
 * Parses the `pt` command's address: hex with `0x` (underscores allowed,
 * as in `0xffff_8000_0000_0000`) or decimal.
 *
 * @param text The argument.
 * @returns The address, or a message that says what is wrong.
 */
export function parseVirtualAddress(
  text: string,
): VirtualAddress | { readonly error: string } {
  const clean = text.replaceAll("_", "");
  let value: bigint;
  if (/^0x[0-9a-f]{1,32}$/i.test(clean) || /^[0-9]{1,40}$/.test(clean)) {
    value = BigInt(clean);
  } else {
    return {
      error:
        `not an address: ${text} (expected hex such as 0xffff800000000000, or decimal)`,
    };
  }
  if (value >= 2n ** 64n) {
    return { error: `not an address: ${text} is wider than 64 bits` };
  }
  const address = VirtualAddress.tryNew(value);
  if (address === undefined) {
    return {
      error: `${hex16(value)} is not canonical: bits 63..48 must copy bit 47`,
    };
  }
  return address;
}
