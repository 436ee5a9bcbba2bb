/**
 * Byte sizes as users write them (`2GB`, `500MB`, `1.5GB`) turned into bytes.
 *
 * Multiples are binary — 1 KB = 1024 bytes, 1 MB = 1024², 1 GB = 1024³ — as the original Go
 * service read `QUEUE_MEMORY_LIMIT` (its `ParseMemoryLimit` multiplied `KB`/`MB`/`GB` by powers
 * of 1024), so an existing `QUEUE_MEMORY_LIMIT=2GB` means the same limit here. The IEC spellings
 * (`KiB`, `MiB`, `GiB`, `TiB`) are accepted as the same multiples.
 */
import { describe } from './describe.js';

const KIB = 1024;
const MULTIPLIER: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: KIB,
  kb: KIB,
  kib: KIB,
  m: KIB ** 2,
  mb: KIB ** 2,
  mib: KIB ** 2,
  g: KIB ** 3,
  gb: KIB ** 3,
  gib: KIB ** 3,
  t: KIB ** 4,
  tb: KIB ** 4,
  tib: KIB ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;
const MAX_LENGTH = 64;

/**
 * Parses a byte size.
 *
 * Accepts a non-negative finite number of bytes, or a string: a non-negative decimal number
 * followed by an optional unit `B`, `KB`, `MB`, `GB`, `TB` (also `K`, `M`, `G`, `T` and `KiB`,
 * `MiB`, `GiB`, `TiB`), case-insensitive, binary multiples (1 KB = 1024 bytes). `'1024'` is
 * 1024 bytes; `'1.5GB'` is 1610612736. Fractions of a byte are rounded down.
 *
 * The errors carry no field name: the caller knows which setting it parsed and names it (the
 * scheduler turns them into a `ValidationError` `INVALID_SIZE` with this message).
 *
 * @param value - The size as given by the user.
 * @returns Bytes, a non-negative safe integer.
 * @throws `TypeError` for a value that is neither a number nor a string; `RangeError` for
 *   anything else refused.
 */
export function parseSize(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`must be a non-negative finite number of bytes, got ${String(value)}`);
    }
    return Math.floor(value);
  }
  if (typeof value !== 'string') {
    throw new TypeError(`must be a number of bytes or a string like "500MB", got ${describe(value)}`);
  }
  const text = value.trim();
  const m = text.length <= MAX_LENGTH ? SIZE.exec(text) : null;
  const multiplier = m === null ? undefined : MULTIPLIER[(m[2] as string).toLowerCase()];
  if (m === null || multiplier === undefined) {
    throw new RangeError(
      `invalid size ${JSON.stringify(text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text)}: use bytes or a number with KB, MB, GB or TB (binary: 1 KB = 1024 bytes), e.g. "500MB", "1.5GB"`,
    );
  }
  const bytes = Math.floor(Number(m[1]) * multiplier);
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(`is too large: ${JSON.stringify(text)}`);
  }
  return bytes;
}
