/**
 * Formats a value as `0x` and `digits` hex digits grouped by four with `_`,
 * the way the Intel SDM and the error messages of this module write
 * addresses: `hex(0x1000, 16)` is `0x0000_0000_0000_1000`.
 */
export function hex(value: number | bigint, digits = 16): string {
  const raw = value.toString(16).padStart(digits, "0");
  let out = "";
  for (let end = raw.length; end > 0; end -= 4) {
    const part = raw.slice(Math.max(0, end - 4), end);
    out = out === "" ? part : `${part}_${out}`;
  }
  return `0x${out}`;
}

/** Formats a byte count as the largest whole binary unit, e.g. `16 MiB`. */
export function byteSize(bytes: number): string {
  for (
    const [unit, size] of [["GiB", 2 ** 30], ["MiB", 2 ** 20], [
      "KiB",
      2 ** 10,
    ]] as const
  ) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
