import type { CodeSpace } from "./code_space.ts";

/**
 * The code of a kernel, as every CPU of an SMP machine loads it: a module
 * (its URL) whose default export is this image, and a function that
 * registers the module's code — the application processors' entry points,
 * IPI and other interrupt handlers — at its code addresses.
 *
 * Each application processor runs in a Worker of its own, and JS functions
 * cannot cross Workers, so each Worker imports the module by its URL and
 * installs the image into its CPU's code space; the bootstrap processor
 * installs it too. The module is imported once per CPU: keep it free of
 * side effects (create no `Machine` in it, run no tests).
 *
 * A STARTUP IPI with vector `VV` starts a CPU at physical address
 * `VV × 0x1000`, as on a real PC, so an AP entry point is registered at a
 * page address below 1 MiB (0x8000 is free with the boot tables of up to
 * 4 GiB of RAM: vector 0x08).
 *
 * @example An image module (`smp_kernel.ts`)
 * ```ts ignore
 * import { currentCpu, kernelImage } from "@exo-kernel/core/machine";
 *
 * export const AP_ENTRY = 0x8000; // STARTUP vector 0x08
 *
 * export default kernelImage(import.meta.url, (code) => {
 *   code.register(AP_ENTRY, () => {
 *     // an application processor starts here
 *     currentCpu().hlt();
 *   });
 * });
 * ```
 */
export interface KernelImage {
  /** The URL of the module whose default export this image is. */
  readonly url: string;
  /**
   * Registers the image's code in a CPU's code space.
   *
   * @param code The code space.
   */
  install(code: CodeSpace): void;
}

/**
 * Builds the {@linkcode KernelImage} of the calling module.
 *
 * @param url The module's own URL: `import.meta.url`.
 * @param install Registers the module's code.
 * @returns The image, to `export default`.
 *
 * @example Installing an image
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { CodeSpace } from "./code_space.ts";
 *
 * const image = kernelImage(import.meta.url, (code) => {
 *   code.register(0x8000, () => {});
 * });
 * const code = new CodeSpace();
 * image.install(code);
 * ok(code.at(0x8000) !== undefined);
 * ```
 */
export function kernelImage(
  url: string,
  install: (code: CodeSpace) => void,
): KernelImage {
  return Object.freeze({ url, install });
}

/**
 * Whether `value` is a {@linkcode KernelImage}.
 *
 * @param value Anything, such as a module's default export.
 * @returns `true` for an image.
 */
export function isKernelImage(value: unknown): value is KernelImage {
  const v = value as Partial<KernelImage> | null | undefined;
  return typeof v?.url === "string" && typeof v.install === "function";
}
