// The kernel image of the TLB-shootdown test: CPU 1 reads a page in a loop
// with interrupts on, and invalidates it when CPU 0's IPI asks.
import { kernelImage } from "../../../machine/kernel_image.ts";
import { readU32, writeU32 } from "../../../memory/virtual_memory.ts";
import { InterruptManager } from "../interrupt_manager.ts";
import { pause, sti } from "../instructions.ts";
import { invlpg } from "../tlb.ts";

/** The page whose mapping CPU 0 changes. */
export const PAGE = 0x4000_0000;
/** The STARTUP vector of CPU 1's entry. */
export const AP_VECTOR = 0x08;
/** The IPI that asks for the invalidation. */
export const SHOOTDOWN_VECTOR = 0xf0;
/** CPU 1's mailbox: the last value it read at PAGE, and its acks. */
export const SEEN = 0x20_0000;
export const ACKS = 0x20_0004;
/** What the new frame holds. */
export const NEW_VALUE = 0xbbbb;

const APIC_EOI = 0xfee0_00b0;
const APIC_SVR = 0xfee0_00f0;

export default kernelImage(import.meta.url, (code) => {
  code.register(AP_VECTOR * 0x1000, () => {
    const interrupts = new InterruptManager();
    interrupts.registerHandler(SHOOTDOWN_VECTOR, () => {
      invlpg(PAGE);
      writeU32(ACKS, readU32(ACKS) + 1);
      writeU32(APIC_EOI, 0);
    });
    interrupts.load();
    writeU32(APIC_SVR, 0x1ff); // APIC on, so that it accepts the IPI
    sti();
    let seen = 0;
    while (seen !== NEW_VALUE) {
      seen = readU32(PAGE);
      writeU32(SEEN, seen);
      pause(); // where the IPI is taken
    }
  });
});
