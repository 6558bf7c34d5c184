import { ok, throws } from "node:assert/strict";
import { PhysicalMemory } from "../machine/physical_memory.ts";
import { Lazy } from "./lazy.ts";
import { type MemoryType, MemoryTypes } from "./memory_type.ts";
import { Mutex } from "./mutex.ts";
import { Once } from "./once.ts";
import { RwLock } from "./rw_lock.ts";
import { TicketMutex } from "./ticket_mutex.ts";

type Make = (
  memory: PhysicalMemory,
  address: number,
  type?: MemoryType<bigint>,
) => unknown;

/** Each memory form, with the offset of its data (its documented layout). */
const FORMS: [kind: string, dataOffset: number, make: Make][] = [
  [
    "Mutex",
    8,
    (memory, address, type) => Mutex.inMemory(memory, address, type),
  ],
  [
    "TicketMutex",
    8,
    (memory, address, type) => TicketMutex.inMemory(memory, address, type),
  ],
  [
    "RwLock",
    80,
    (memory, address, type) => RwLock.inMemory(memory, address, type),
  ],
  ["Once", 8, (memory, address, type) => Once.inMemory(memory, address, type)],
  [
    "Once", // Lazy.inMemory is a Once in memory
    8,
    (memory, address, type) =>
      Lazy.inMemory(memory, address, {
        type: type ?? MemoryTypes.u64,
        init: () => 0n,
      }),
  ],
];

const RAM = 64 * 1024;

Deno.test("memory forms refuse bad addresses with a clear RangeError", async (t) => {
  const memory = new PhysicalMemory(RAM);
  for (const [kind, offset, make] of FORMS) {
    await t.step(`${kind}, data at +${offset}`, () => {
      for (const bad of [-4, 0.5, NaN, Infinity, 2 ** 53]) {
        throws(() => make(memory, bad), {
          name: "RangeError",
          message:
            `Invalid address ${bad} for unnamed ${kind}: expected a non-negative integer physical address`,
        });
      }
      throws(() => make(memory, 0x1002), {
        name: "RangeError",
        message:
          `Invalid address 0x1002 for unnamed ${kind}: expected a multiple of 4 (its lock words are Int32s)`,
      });
      throws(() => make(memory, 0x1004, MemoryTypes.u64), {
        name: "RangeError",
        message:
          `Invalid address 0x1004 for unnamed ${kind}: its u64 data at +${offset} must be 8-byte aligned`,
      });
      const last = RAM - offset - 8; // the last address with room for a u64
      ok(make(memory, last, MemoryTypes.u64));
      const over = last + 8;
      throws(() => make(memory, over, MemoryTypes.u64), {
        name: "RangeError",
        message:
          `Invalid address 0x${over.toString(16)} for unnamed ${kind}: ` +
          `its ${offset + 8} bytes (lock words and u64 data) would end at 0x${
            (RAM + 8).toString(16)
          }, past the end of RAM at 0x${RAM.toString(16)}`,
      });
    });
  }

  await t.step("without a type, the lock words alone must fit", () => {
    ok(Mutex.inMemory(memory, RAM - 8));
    throws(() => Mutex.inMemory(memory, RAM - 4), {
      name: "RangeError",
      message:
        "Invalid address 0xfffc for unnamed Mutex: its 8 bytes (lock words) would end at 0x10004, past the end of RAM at 0x10000",
    });
    throws(
      () => RwLock.inMemory(memory, RAM - 4, undefined, { name: "table" }),
      /for RwLock "table": its 80 bytes \(lock words\)/,
    );
  });
});
