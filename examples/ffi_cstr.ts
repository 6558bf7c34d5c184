/**
 * The seed's `CStr` example: a C string from a literal with `cstr`, and a
 * C string that C code hands the kernel as a `const char *`, read from
 * machine memory with `CStr.fromPtr` and printed with `toStringLossy`. The
 * "C driver" here is a function that writes its message, nul included, into
 * its own buffer and returns the pointer; one byte of the message is
 * Latin-1, not UTF-8, as C code may well send. Run it with
 * `deno task ffi_cstr`.
 *
 * @module
 */
import { Machine } from "@exo-kernel/core/machine";
import { kprintln } from "@exo-kernel/core/macros";
import { CStr, cstr, CString } from "@exo-kernel/core/ffi";

// The C driver's static buffer, in the boot identity map.
const DRIVER_BUFFER = 0x20_0000;

// Stands for C code: `const char *nic_status(void)`, whose source file is
// Latin-1: its degree sign is the byte 0xB0 (UTF-8 would be C2 B0).
function nicStatus(): number {
  const ascii = (text: string) => new TextEncoder().encode(text);
  const message = Uint8Array.of(
    ...ascii("link up, 1000 Mbit/s, 42"),
    0xb0,
    ...ascii("C"),
  );
  CString.new(message).writeTo(DRIVER_BUFFER);
  return DRIVER_BUFFER;
}

const report = new Machine().run(() => {
  // Create a CStr from a literal
  const name = cstr("Exo-Kernel");
  kprintln("Driver for {} ({} bytes and a nul)", name, name.length);

  // Convert a string received from C code
  const ptrFromC = nicStatus();
  const cString = CStr.fromPtr(ptrFromC);
  kprintln("Message from the C driver: {}", cString.toStringLossy());

  // toStr is strict, as Rust's to_str
  try {
    cString.toStr();
  } catch (error) {
    kprintln("toStr: {}", (error as Error).message);
  }
});
if (report.reason !== "returned") {
  console.error(report.toString());
  Deno.exit(report.exitStatus || 1);
}
