/**
 * FNV-1a over the UTF-16 code units of a string: a fast, well-spread, non-cryptographic hash for
 * picking and checking, never for security.
 */

/** The FNV-1a offset basis: the `seed` of a fresh hash. */
const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a of `text`, unsigned 32-bit, continuing from `seed` (so two strings hash as one without concatenating them). */
export function fnv1a(text: string, seed: number = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
