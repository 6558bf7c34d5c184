/**
 * The 8259 PIC pair, as the kernel sets it up: remapped above the
 * exceptions (IRQ n at vector 0x20 + n) and masked except for the lines
 * the kernel handles. On the BSP, whose local APIC is in virtual-wire
 * mode, the PIC's INTR reaches the CPU through LINT0 as ExtINT.
 *
 * @module
 */
import { PortWriteOnly } from "@exo-kernel/core/arch/x86_64";
import { Vector } from "./interrupts.ts";

const MASTER_COMMAND = 0x20;
const MASTER_DATA = 0x21;
const SLAVE_COMMAND = 0xa0;
const SLAVE_DATA = 0xa1;
/** OCW2: non-specific end of interrupt. */
const EOI = 0x20;

/**
 * Initialises both PICs (ICW1 to ICW4): edge-triggered, cascaded on IRQ 2,
 * 8086 mode, IRQ 0–7 at `Vector.PIC_BASE` and 8–15 eight above, and then
 * masks every line but `unmasked`.
 *
 * @param unmasked The IRQ lines (0–15) to leave open.
 */
export function initPic(unmasked: readonly number[]): void {
  const port = (p: number) => new PortWriteOnly(p);
  port(MASTER_COMMAND).write(0x11); // ICW1: init, ICW4 needed
  port(SLAVE_COMMAND).write(0x11);
  port(MASTER_DATA).write(Vector.PIC_BASE); // ICW2: vector base
  port(SLAVE_DATA).write(Vector.PIC_BASE + 8);
  port(MASTER_DATA).write(0x04); // ICW3: slave on IRQ 2
  port(SLAVE_DATA).write(0x02); // ICW3: cascade identity 2
  port(MASTER_DATA).write(0x01); // ICW4: 8086 mode
  port(SLAVE_DATA).write(0x01);
  let mask = 0xffff;
  for (const irq of unmasked) mask &= ~(1 << irq);
  if ((mask & 0xff00) !== 0xff00) mask &= ~(1 << 2); // the cascade
  port(MASTER_DATA).write(mask & 0xff); // OCW1: masks
  port(SLAVE_DATA).write(mask >> 8);
}

/**
 * Ends the interrupt of an IRQ line: a non-specific EOI to the master,
 * and to the slave too for lines 8–15.
 *
 * @param irq The line.
 */
export function picEndOfInterrupt(irq: number): void {
  if (irq >= 8) new PortWriteOnly(SLAVE_COMMAND).write(EOI);
  new PortWriteOnly(MASTER_COMMAND).write(EOI);
}
