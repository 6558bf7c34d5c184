/**
 * Demand paging: a #PF handler maps a fresh frame at the faulting address
 * on first touch, printing CR2 and the decoded error code, and the access
 * that faulted is retried and succeeds. Run it with `deno task page_fault`.
 *
 * @module
 */
import { Machine } from "@exo-kernel/core/machine";
import {
  InterruptManager,
  PageFaultErrorCode,
  registers,
} from "@exo-kernel/core/arch/x86_64";
import { kprintln } from "@exo-kernel/core/macros";
import {
  FrameAllocator,
  Mapper,
  Page,
  PageTableFlags,
  readU64,
  writeU64,
} from "@exo-kernel/core/memory";

// A heap in the higher half that nothing maps yet.
const HEAP = 0xffff_9000_0000_0000n;

const report = new Machine().run((boot) => {
  const frames = new FrameAllocator(boot.memoryMap);
  const mapper = new Mapper();
  const flags = new PageTableFlags().present().writable().noExecute();

  const interrupts = new InterruptManager();
  interrupts.registerHandler(14, (context) => {
    const address = registers.readCr2();
    const code = new PageFaultErrorCode(context.errorCode!);
    kprintln(
      "#PF at {:#018x}: {} (rip {:#x})",
      address,
      `${code}`,
      context.rip,
    );
    if (code.protectionViolation) {
      kprintln("a real protection fault: giving up");
      registers.cli();
      for (;;) registers.hlt();
    }
    const frame = frames.allocate();
    if (frame === undefined) throw new Error("out of memory");
    mapper.mapTo(Page.containingAddress(address), frame, flags, frames).flush();
  });
  interrupts.load();

  // Three pages touched: three faults, each mapped on demand.
  for (let i = 0n; i < 3n; i++) writeU64(HEAP + i * 0x1000n + 8n, 1000n + i);
  let sum = 0n;
  for (let i = 0n; i < 3n; i++) sum += readU64(HEAP + i * 0x1000n + 8n);
  kprintln("sum = {}, free frames left: {}", sum, frames.freeFrames);

  registers.cli();
  for (;;) registers.hlt();
});
if (report.reason !== "halted") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
