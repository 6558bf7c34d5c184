/**
 * The seed's `sync` examples, `Mutex` and `Once`, on a machine of two
 * CPUs: both CPUs run `incrementCounter` on one counter in machine memory,
 * and `getResource` builds its struct once. Run it with `deno task sync`
 * (the second CPU's Worker needs `--allow-read`).
 *
 * @module
 */
import { Machine } from "@exo-kernel/core/machine";
import { kprintln } from "@exo-kernel/core/macros";
import { Once } from "@exo-kernel/core/sync";
import { pause } from "@exo-kernel/core/arch/x86_64";
import image, {
  AP_DONE,
  AP_ENTRY,
  incrementCounter,
  MY_DATA,
  ROUNDS,
} from "./sync_kernel.ts";

class MyComplexStruct {
  static built = 0;
  constructor() {
    MyComplexStruct.built++;
  }
}

// static EXPENSIVE_RESOURCE: Once<MyComplexStruct> = Once::new();
const EXPENSIVE_RESOURCE = new Once<MyComplexStruct>();

function getResource(): MyComplexStruct {
  return EXPENSIVE_RESOURCE.callOnce(() => {
    // this code runs only once
    return new MyComplexStruct();
  });
}

const machine = new Machine({ cpus: 2, image });
const report = machine.run(() => {
  const cpu = machine.cpus[0]!;
  // Start CPU 1 as a kernel does: INIT, then STARTUP with vector 0x08.
  cpu.writeU32(0xfee0_0310, 1 << 24);
  cpu.writeU32(0xfee0_0300, 0x4500);
  cpu.writeU32(0xfee0_0300, 0x4600 | (AP_ENTRY >> 12));

  for (let i = 0; i < ROUNDS; i++) incrementCounter();
  while (cpu.memory.readU32(AP_DONE) === 0) pause();
  {
    using data = MY_DATA.value.lock();
    kprintln(
      "MY_DATA = {} after {} increments on each of 2 CPUs",
      data.value,
      ROUNDS,
    );
  }

  const same = getResource() === getResource();
  kprintln(
    "getResource() built {} struct; the same each time: {}",
    MyComplexStruct.built,
    same,
  );
});
if (report.reason !== "returned" || report.cpus[1]?.reason !== "returned") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
