/**
 * The binary layout of Raft state inside a key-value store. Keys are fixed-width so that the
 * store's lexicographic order is log order; values are compact so one `save` stays cheap.
 */
import type { Entry, EntryKind, HardState } from '../raft/types.js';

/** Prefix byte of an entry key (`'e'`); followed by the index as 8 big-endian bytes. */
const ENTRY_PREFIX = 0x65;
/** The one key that holds the hard state (`'h'`); sorts outside the entry range. */
export const HARD_STATE_KEY: Uint8Array = Uint8Array.of(0x68);
/** Inclusive lower bound of every entry key. */
export const ENTRY_KEY_MIN: Uint8Array = Uint8Array.of(ENTRY_PREFIX);
/** Exclusive upper bound of every entry key. */
export const ENTRY_KEY_MAX: Uint8Array = Uint8Array.of(ENTRY_PREFIX + 1);

const HARD_STATE_VERSION = 1;
const TWO_POW_32 = 0x1_0000_0000;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** The key of the entry at `index` (a safe integer ≥ 0). */
export function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = ENTRY_PREFIX;
  writeU32(key, 1, Math.floor(index / TWO_POW_32));
  writeU32(key, 5, index >>> 0);
  return key;
}

/** The index stored in an entry key produced by {@link entryKey}. */
export function entryKeyIndex(key: Uint8Array): number {
  if (key.length !== 9 || key[0] !== ENTRY_PREFIX) throw new Error('storage: not an entry key');
  return readU32(key, 1) * TWO_POW_32 + readU32(key, 5);
}

/** Encodes an entry's term, kind and data; the index lives in the key. */
export function encodeEntryValue(entry: Entry): Uint8Array {
  const termLen = varintLength(entry.term);
  const out = new Uint8Array(termLen + 1 + entry.data.length);
  writeVarint(out, 0, entry.term);
  out[termLen] = entry.kind;
  out.set(entry.data, termLen + 1);
  return out;
}

/**
 * Decodes an entry value. `data` is copied into a plain Uint8Array: callers must never alias the
 * store's buffer, and `Buffer#slice` (what classic-level hands back) would not copy.
 */
export function decodeEntryValue(index: number, value: Uint8Array): Entry {
  const cursor = { pos: 0 };
  const term = readVarint(value, cursor);
  const kind = value[cursor.pos];
  if (kind !== 0 && kind !== 1) throw new Error(`storage: corrupt entry ${index} (kind ${String(kind)})`);
  return { index, term, kind: kind as EntryKind, data: new Uint8Array(value.subarray(cursor.pos + 1)) };
}

/** Encodes a hard state: version, term, commit, then the vote (absent or UTF-8). */
export function encodeHardState(hs: HardState): Uint8Array {
  const vote = hs.vote === null ? null : textEncoder.encode(hs.vote);
  const termLen = varintLength(hs.term);
  const commitLen = varintLength(hs.commit);
  const out = new Uint8Array(1 + termLen + commitLen + 1 + (vote?.length ?? 0));
  out[0] = HARD_STATE_VERSION;
  let pos = writeVarint(out, 1, hs.term);
  pos = writeVarint(out, pos, hs.commit);
  out[pos++] = vote === null ? 0 : 1;
  if (vote !== null) out.set(vote, pos);
  return out;
}

/** Decodes a value written by {@link encodeHardState}. */
export function decodeHardState(value: Uint8Array): HardState {
  if (value[0] !== HARD_STATE_VERSION) throw new Error(`storage: unknown hard state version ${String(value[0])}`);
  const cursor = { pos: 1 };
  const term = readVarint(value, cursor);
  const commit = readVarint(value, cursor);
  const hasVote = value[cursor.pos];
  if (hasVote !== 0 && hasVote !== 1) throw new Error('storage: corrupt hard state');
  const vote = hasVote === 1 ? textDecoder.decode(value.subarray(cursor.pos + 1)) : null;
  return { term, vote, commit };
}

function writeU32(buf: Uint8Array, pos: number, v: number): void {
  buf[pos] = v >>> 24;
  buf[pos + 1] = (v >>> 16) & 0xff;
  buf[pos + 2] = (v >>> 8) & 0xff;
  buf[pos + 3] = v & 0xff;
}

function readU32(buf: Uint8Array, pos: number): number {
  return ((buf[pos]! << 24) >>> 0) + (buf[pos + 1]! << 16) + (buf[pos + 2]! << 8) + buf[pos + 3]!;
}

/** LEB128 length of a non-negative safe integer (arithmetic, not bit ops: values may exceed 2^32). */
function varintLength(v: number): number {
  let len = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    len++;
  }
  return len;
}

function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`storage: cannot encode ${v}`);
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

function readVarint(buf: Uint8Array, cursor: { pos: number }): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[cursor.pos++];
    if (byte === undefined || scale > 2 ** 49) throw new Error('storage: truncated or oversized varint');
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result;
    scale *= 0x80;
  }
}
