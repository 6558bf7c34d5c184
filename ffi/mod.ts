/**
 * Interoperability with C, on the machine's memory: NUL-terminated C
 * strings ({@linkcode CStr}, {@linkcode CString}, {@linkcode cstr} for the
 * seed's `cstr!`), the System V AMD64 {@linkcode VaList} read from a
 * `va_list` struct in machine memory exactly as gcc's `va_arg` reads it,
 * and a C `printf` family that prints what glibc 2.36 prints, byte for
 * byte ({@linkcode sprintf}, {@linkcode vsnprintfAt} into machine memory,
 * {@linkcode kprintf} to COM1, and the engine's `formatPrintf` and
 * `vsnprintf` over any argument source).
 *
 * @example The seed's `CStr` and `VaList` examples
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Machine } from "../machine/mod.ts";
 * import { CStr, cstr, VaList, VaListBuilder } from "./mod.ts";
 *
 * new Machine().run(() => {
 *   // Create a CStr from a literal
 *   const name = cstr("Exo-Kernel");
 *   strictEqual(name.length, 10);
 *
 *   // C code calls us with a string and two numbers, as a variadic call
 *   // lays them out in memory
 *   const args = new VaListBuilder()
 *     .arg("string", "link up").arg("size_t", 7n).arg("int", -1)
 *     .build(0x30_0000);
 *
 *   // Convert a string received from C code
 *   const ptrFromC = args.ptr();
 *   const cString = CStr.fromPtr(ptrFromC);
 *   strictEqual(cString.toStringLossy(), "link up");
 *
 *   // A function that imitates printf: it takes its arguments from a VaList
 *   function myPrintf(args: VaList): [bigint, number] {
 *     const arg1 = args.usize();
 *     const arg2 = args.i32();
 *     return [arg1, arg2];
 *   }
 *   strictEqual(myPrintf(args).join(), "7,-1");
 * });
 * ```
 *
 * @module
 */

export * from "./c_str.ts";
export * from "./c_str_errors.ts";
export * from "./c_string.ts";
export * from "./cstr.ts";
export * from "./va_list.ts";
export * from "./va_list_error.ts";
export * from "./va_list_builder.ts";
export * from "./c_printf.ts";
export * from "./printf/mod.ts";
