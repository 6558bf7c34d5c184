import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { AddressNotAlignedError } from "./address_not_aligned_error.ts";
import { Size1GiB, Size2MiB, Size4KiB } from "./page_size.ts";
import {
  PhysFrame,
  PhysFrameRange,
  PhysFrameRangeInclusive,
} from "./phys_frame.ts";
import {
  InvalidPhysicalAddressError,
  PhysicalAddress,
} from "./physical_address.ts";

// Facts: frames are naturally aligned 4 KiB / 2 MiB / 1 GiB blocks of a
// physical address space of at most 2^52 bytes (Intel SDM 3A §4.1.4,
// §4.5). The Rust `x86_64` crate's `PhysFrame`: `containing_address`
// aligns down, `from_start_address` fails with `AddressNotAligned`,
// `Debug` prints `PhysFrame[4KiB](0x1000)`.

Deno.test("PhysFrame", async (t) => {
  await t.step("containingAddress aligns down for every size", () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }),
      fc.constantFrom(Size4KiB, Size2MiB, Size1GiB),
      (p, size) => {
        const frame = PhysFrame.containingAddress(p, size);
        strictEqual(
          frame.startAddress().toBigInt(),
          p - p % BigInt(size.bytes),
        );
        strictEqual(frame.size, size);
        strictEqual(
          PhysFrame.containingAddress(new PhysicalAddress(p), size).equals(
            frame,
          ),
          true,
        );
      },
    ));
  });

  await t.step("fromStartAddress needs natural alignment", () => {
    strictEqual(
      PhysFrame.fromStartAddress(0x4000_0000, Size1GiB).size,
      Size1GiB,
    );
    throws(() => PhysFrame.fromStartAddress(0x1001), {
      name: "AddressNotAlignedError",
      message:
        "0x0000_0000_0000_1001 is not aligned to 4 KiB: expected a multiple of 0x1000",
    });
    throws(
      () => PhysFrame.fromStartAddress(0x20_0000, Size1GiB),
      AddressNotAlignedError,
    );
    throws(
      () => PhysFrame.fromStartAddress(1n << 52n),
      InvalidPhysicalAddressError,
    );
  });

  await t.step("add and sub stay in the physical address space", () => {
    const frame = PhysFrame.containingAddress(0x20_0000, Size2MiB);
    strictEqual(frame.add(2).startAddress().value, 0x60_0000);
    strictEqual(frame.sub(1n).startAddress().value, 0);
    throws(() => frame.sub(2), InvalidPhysicalAddressError);
    throws(
      () => PhysFrame.containingAddress(2 ** 52 - 1).add(1),
      InvalidPhysicalAddressError,
    );
    throws(() => frame.add(0.5), RangeError);
  });

  await t.step("toString, equals, compare", () => {
    strictEqual(
      `${PhysFrame.containingAddress(0x20_0000, Size2MiB)}`,
      "PhysFrame[2MiB](0x200000)",
    );
    strictEqual(
      PhysFrame.containingAddress(0).equals(
        PhysFrame.containingAddress(0, Size2MiB),
      ),
      false,
    );
    strictEqual(
      PhysFrame.containingAddress(0).compare(PhysFrame.containingAddress(1)),
      0,
    );
  });
});

Deno.test("PhysFrameRange", async (t) => {
  await t.step("half-open and inclusive", () => {
    const a = PhysFrame.containingAddress(0x1000);
    const range = PhysFrame.range(a, a.add(3));
    strictEqual(range instanceof PhysFrameRange, true);
    deepStrictEqual(
      [...range].map((f) => f.startAddress().value),
      [0x1000, 0x2000, 0x3000],
    );
    const inclusive = PhysFrame.rangeInclusive(a, a.add(3));
    strictEqual(inclusive instanceof PhysFrameRangeInclusive, true);
    strictEqual(inclusive.length, 4);
    strictEqual(PhysFrame.range(a, a).isEmpty(), true);
    strictEqual(PhysFrame.rangeInclusive(a, a).isEmpty(), false);
    strictEqual(PhysFrame.rangeInclusive(a.add(1), a).length, 0);
    strictEqual(
      `${PhysFrame.range(a, a.add(1))}`,
      "PhysFrameRange { start: PhysFrame[4KiB](0x1000), end: PhysFrame[4KiB](0x2000) }",
    );
  });

  await t.step("the last frame of the address space", () => {
    const last = PhysFrame.containingAddress(2 ** 52 - 1, Size1GiB);
    const range = PhysFrame.rangeInclusive(last.sub(1), last);
    deepStrictEqual(
      [...range].map((f) => f.startAddress().toBigInt()),
      [(1n << 52n) - 2n ** 31n, (1n << 52n) - 2n ** 30n],
    );
  });

  await t.step("sizes must match", () => {
    throws(
      () =>
        PhysFrame.range(
          PhysFrame.containingAddress(0),
          PhysFrame.containingAddress(0, Size2MiB),
        ),
      {
        name: "TypeError",
        message:
          "Invalid frame range from a 4KiB frame to a 2MiB frame: expected frames of one size",
      },
    );
  });
});
