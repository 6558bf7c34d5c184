import type { PhysicalMemory } from "../machine/physical_memory.ts";
import { lockLabel } from "./_owner.ts";
import type { MemoryType } from "./memory_type.ts";

/**
 * The shape of one kind of lock: its `Int32` lock words. In the memory
 * form its data follows them at the next multiple of 8 bytes
 * ({@linkcode dataOffset}).
 */
export interface Layout {
  /** The kind, for labels: `Mutex`. */
  readonly kind: string;
  /** The number of `Int32` lock words. */
  readonly words: number;
}

/** Where the data of a memory-backed lock starts: its words, rounded up to 8 bytes. */
export function dataOffset(layout: Layout): number {
  return Math.ceil(layout.words / 2) * 8;
}

/** The data of a lock: a JS `{ value }`, or a {@linkcode MemoryCell}. */
export interface Cell<T> {
  /** The data. */
  value: T;
}

/**
 * Where a lock keeps its words and its data. The algorithms act on
 * `words[index + k]` and `cell.value`, whichever form the lock has.
 */
export interface Place<T> {
  /** The lock words: a small buffer of the lock's own, or all of RAM. */
  readonly words: Int32Array;
  /** The index of the first lock word in `words`. */
  readonly index: number;
  /** The data. */
  readonly cell: Cell<T>;
  /** `Mutex "name"`, with ` at 0x…` in the memory form, for messages. */
  readonly label: string;
  /** The layout the words follow. */
  readonly layout: Layout;
}

/**
 * Data in machine memory: every read and write of `value` goes to RAM at
 * `address` through its {@linkcode MemoryType}.
 */
class MemoryCell<T> implements Cell<T> {
  #memory: PhysicalMemory;
  #address: number;
  #type: MemoryType<T>;

  constructor(memory: PhysicalMemory, address: number, type: MemoryType<T>) {
    this.#memory = memory;
    this.#address = address;
    this.#type = type;
  }

  get value(): T {
    return this.#type.read(this.#memory, this.#address);
  }

  set value(value: T) {
    this.#type.write(this.#memory, this.#address, value);
  }
}

/** The data of a memory-backed lock without a type: none, 0 bytes. */
const NO_DATA: MemoryType<undefined> = {
  name: "no data",
  size: 0,
  align: 1,
  read: () => undefined,
  write: () => {},
};

// The memory place that the next constructor call takes (see `placeNext`).
let pending: Place<unknown> | undefined;

/**
 * The place of a new lock: the one {@linkcode placeNextInMemory} set, or else
 * `layout.words` zeroed words in a `SharedArrayBuffer` of the lock's own
 * and `value` in a JS cell.
 */
export function ownPlace<T>(
  layout: Layout,
  value: T,
  name: string | undefined,
): Place<T> {
  const next = pending;
  if (next !== undefined) {
    pending = undefined;
    if (next.layout.kind !== layout.kind) {
      throw new Error(
        `Internal error: a ${next.layout.kind} place was given to a ${layout.kind}`,
      );
    }
    return next as Place<T>;
  }
  return {
    words: new Int32Array(new SharedArrayBuffer(4 * layout.words)),
    index: 0,
    cell: { value },
    label: lockLabel(layout.kind, name),
    layout,
  };
}

/**
 * Makes the next {@linkcode ownPlace} call — the constructor that a static
 * `inMemory` calls right after this — return the place of a memory-backed
 * lock at `address` instead of a new buffer, so the memory form needs no
 * second constructor. Its words are the `Int32`s of RAM from `address`,
 * its data the value of `type` at `address + dataOffset(layout)` (none
 * without a type).
 *
 * @throws {RangeError} If `address` is not an integer, not a multiple of 4
 *   (or of the data's alignment), or the words and data do not fit RAM.
 */
export function placeNextInMemory<T>(
  layout: Layout,
  memory: PhysicalMemory,
  address: number,
  type: MemoryType<T> | undefined,
  name: string | undefined,
): void {
  const data = type ?? (NO_DATA as MemoryType<unknown> as MemoryType<T>);
  const label = lockLabel(layout.kind, name);
  const offset = dataOffset(layout);
  const dataAddress = address + offset;
  const end = dataAddress + data.size;
  const what = `its ${end - address} bytes (lock words${
    type === undefined ? "" : ` and ${data.name} data`
  })`;
  if (!Number.isSafeInteger(address) || address < 0) {
    throw new RangeError(
      `Invalid address ${address} for ${label}: expected a non-negative integer physical address`,
    );
  }
  if (address % 4 !== 0) {
    throw new RangeError(
      `Invalid address ${
        hex(address)
      } for ${label}: expected a multiple of 4 (its lock words are Int32s)`,
    );
  }
  if (dataAddress % data.align !== 0) {
    throw new RangeError(
      `Invalid address ${
        hex(address)
      } for ${label}: its ${data.name} data at +${offset} must be ${data.align}-byte aligned`,
    );
  }
  if (end > memory.size) {
    throw new RangeError(
      `Invalid address ${hex(address)} for ${label}: ${what} would end at ${
        hex(end)
      }, past the end of RAM at ${hex(memory.size)}`,
    );
  }
  pending = {
    words: new Int32Array(memory.buffer, 0, memory.size >> 2),
    index: address / 4,
    cell: new MemoryCell(memory, dataAddress, data),
    label: `${label} at ${hex(address)}`,
    layout,
  };
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
