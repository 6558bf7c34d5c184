import { match, strictEqual, throws } from "node:assert/strict";
import { expectGp0, run } from "./_testing.ts";
import { EferFlags } from "./efer_flags.ts";
import { Msr, rdmsr, readEfer, writeEfer, wrmsr } from "./msr.ts";

// SDM 2B "RDMSR"/"WRMSR" and SDM vol. 4: an MSR the CPU does not implement,
// a reserved bit, or a non-canonical address in an address MSR is #GP(0).

Deno.test("MSRs", async (t) => {
  await t.step("rdmsr of an unimplemented MSR raises #GP(0)", () => {
    const report = expectGp0(() => rdmsr(0xc000_1234));
    match(
      report.tripleFault?.chain[0] ?? "",
      /MSR 0xc000_1234 is not implemented/,
    );
  });

  await t.step("wrmsr of an unimplemented MSR raises #GP(0)", () => {
    expectGp0(() => wrmsr(0x1234, 0));
  });

  await t.step("EFER: a reserved bit raises #GP(0)", () => {
    expectGp0(() => writeEfer(readEfer() | 1 << 1));
    expectGp0(() => writeEfer(BigInt(readEfer()) | 1n << 40n));
  });

  await t.step("EFER: LME cannot change while paging is on", () => {
    expectGp0(() => writeEfer(readEfer() & ~EferFlags.LME));
  });

  await t.step("EFER: LMA is the CPU's, a write leaves it alone", () => {
    run(() => {
      writeEfer(readEfer() & ~EferFlags.LMA);
      strictEqual(readEfer() & EferFlags.LMA, EferFlags.LMA);
    });
  });

  await t.step("address MSRs take canonical addresses only", () => {
    for (
      const msr of [
        Msr.IA32_LSTAR,
        Msr.IA32_FS_BASE,
        Msr.IA32_GS_BASE,
        Msr.IA32_KERNEL_GS_BASE,
      ]
    ) {
      run(() => {
        wrmsr(msr, 0x0000_7fff_ffff_f000n);
        wrmsr(msr, -0x1000); // 0xffff_ffff_ffff_f000, sign-extended
        strictEqual(rdmsr(msr), 0xffff_ffff_ffff_f000n);
      });
      expectGp0(() => wrmsr(msr, 0x0000_8000_0000_0000n));
    }
  });

  await t.step("STAR takes any value, FMASK and TSC_AUX only 32 bits", () => {
    run(() => {
      wrmsr(Msr.IA32_STAR, 0x0013_0008_0000_0000n);
      strictEqual(rdmsr(Msr.IA32_STAR), 0x0013_0008_0000_0000n);
      wrmsr(Msr.IA32_FMASK, 0x4_0700);
      strictEqual(rdmsr(Msr.IA32_FMASK), 0x4_0700n);
    });
    expectGp0(() => wrmsr(Msr.IA32_FMASK, 1n << 32n));
    expectGp0(() => wrmsr(Msr.IA32_TSC_AUX, 1n << 32n));
  });

  await t.step(
    "IA32_APIC_BASE: BSP is read-only, bits 7..0 are reserved",
    () => {
      run(() => {
        wrmsr(Msr.IA32_APIC_BASE, 0xfed0_0800); // move the APIC, clear BSP
        strictEqual(rdmsr(Msr.IA32_APIC_BASE), 0xfed0_0900n);
      });
      expectGp0(() => wrmsr(Msr.IA32_APIC_BASE, 0xfee0_0801));
    },
  );

  await t.step("IA32_TSC sets the time-stamp counter", () => {
    run(() => {
      wrmsr(Msr.IA32_TSC, 1_000_000n);
      const tsc = rdmsr(Msr.IA32_TSC);
      strictEqual(tsc >= 1_000_000n && tsc < 1_001_000n, true);
    });
  });

  await t.step("MSR numbers must fit 32 bits", () => {
    run(() => {
      throws(() => rdmsr(-1), RangeError);
      throws(() => wrmsr(2 ** 32, 0), RangeError);
      throws(() => wrmsr(Msr.IA32_STAR, 2n ** 64n), RangeError);
    });
  });
});
