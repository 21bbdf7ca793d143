/**
 * FNV-1a 32-bit over the UTF-8 bytes of `str`, as an unsigned integer: the cold-start
 * split's user hash and the content features' token hash.
 */
export function fnv1a32(str: string): number {
  const bytes = new TextEncoder().encode(str);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    // Math.imul keeps the multiplication by the FNV prime exact in 32 bits.
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
