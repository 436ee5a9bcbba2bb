/**
 * The binary layout of Raft state inside a key-value store.
 *
 * The log is stored as *runs*: each `save` writes its entries as one value under one key, so a
 * batch of a thousand proposals costs one put, not a thousand. A run's key holds its first and
 * last index as fixed-width big-endian numbers, so the store's lexicographic order is log order
 * and the whole run index can be rebuilt from keys alone.
 */
import type { Entry, HardState } from '../raft/types.js';

/** Prefix byte of a run key (`'r'`); followed by first and last index, 8 big-endian bytes each. */
const RUN_PREFIX = 0x72;
/** Length of a run key. */
const RUN_KEY_LENGTH = 17;
/** The one key that holds the hard state (`'h'`); sorts outside the run range. */
export const HARD_STATE_KEY: Uint8Array = Uint8Array.of(0x68);
/** Inclusive lower bound of every run key. */
export const RUN_KEY_MIN: Uint8Array = Uint8Array.of(RUN_PREFIX);
/** Exclusive upper bound of every run key. */
export const RUN_KEY_MAX: Uint8Array = Uint8Array.of(RUN_PREFIX + 1);

const HARD_STATE_VERSION = 1;
const TWO_POW_32 = 0x1_0000_0000;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** The index range a run key covers. */
export interface RunBounds {
  readonly first: number;
  readonly last: number;
}

/** The key of the run holding entries `first..last` (safe integers, `1 <= first <= last`). */
export function runKey(first: number, last: number): Uint8Array {
  const key = new Uint8Array(RUN_KEY_LENGTH);
  key[0] = RUN_PREFIX;
  writeU64(key, 1, first);
  writeU64(key, 9, last);
  return key;
}

/** The bounds stored in a key produced by {@link runKey}. */
export function parseRunKey(key: Uint8Array): RunBounds {
  if (key.length !== RUN_KEY_LENGTH || key[0] !== RUN_PREFIX) throw new Error('storage: not a run key');
  const first = readU64(key, 1);
  const last = readU64(key, 9);
  if (first < 1 || last < first) throw new Error(`storage: corrupt run key ${first}..${last}`);
  return { first, last };
}

/** Encodes consecutive entries as one value: per entry its term, kind, data length and data. */
export function encodeRun(entries: readonly Entry[]): Uint8Array {
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    size += varintLength(e.term) + 1 + varintLength(e.data.length) + e.data.length;
  }
  // Every byte is written below, so skip the zero-fill; `Slow` = a buffer of its own, never a
  // slice of Node's shared pool that the stored value would pin.
  const out: Uint8Array = Buffer.allocUnsafeSlow(size);
  let pos = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    pos = writeVarint(out, pos, e.term);
    out[pos++] = e.kind;
    const data = e.data;
    const len = data.length;
    pos = writeVarint(out, pos, len);
    if (len > 64) {
      out.set(data, pos);
    } else {
      // Short copies by hand: the call into `set` costs more than the bytes.
      for (let j = 0; j < len; j++) out[pos + j] = data[j]!;
    }
    pos += len;
  }
  return out;
}

/**
 * Decodes a run value into `out`, entries numbered from `first`; returns how many it found. The
 * bytes are copied once into a private buffer that the entries' `data` views share: callers never
 * alias the store's buffer (and `Buffer#slice`, which classic-level's values have, would not copy).
 */
export function decodeRun(first: number, value: Uint8Array, out: Entry[]): number {
  const bytes = new Uint8Array(value);
  const cursor = { pos: 0 };
  let index = first;
  while (cursor.pos < bytes.length) {
    const term = readVarint(bytes, cursor);
    const kind = bytes[cursor.pos++];
    if (kind !== 0 && kind !== 1) throw new Error(`storage: corrupt entry ${index} (kind ${String(kind)})`);
    const length = readVarint(bytes, cursor);
    const end = cursor.pos + length;
    if (end > bytes.length) throw new Error(`storage: corrupt entry ${index} (truncated data)`);
    out.push({ index, term, kind: kind, data: bytes.subarray(cursor.pos, end) });
    cursor.pos = end;
    index++;
  }
  return index - first;
}

/** Byte length of the first `count` entries of a run value: a run's prefix is itself a valid run. */
export function runPrefixLength(value: Uint8Array, count: number): number {
  const cursor = { pos: 0 };
  for (let i = 0; i < count; i++) {
    readVarint(value, cursor);
    cursor.pos++;
    const length = readVarint(value, cursor);
    cursor.pos += length;
    if (cursor.pos > value.length) throw new Error('storage: run shorter than expected');
  }
  return cursor.pos;
}

/** Encodes a hard state: version, term, commit, then the vote (absent or UTF-8). */
export function encodeHardState(hs: HardState): Uint8Array {
  const vote = hs.vote === null ? null : voteBytes(hs.vote);
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

let lastVote = '';
let lastVoteBytes = new Uint8Array(0);
/** The hard state is written on nearly every save and the vote rarely changes: encode it once. */
function voteBytes(vote: string): Uint8Array {
  if (vote !== lastVote) {
    lastVoteBytes = textEncoder.encode(vote);
    lastVote = vote;
  }
  return lastVoteBytes;
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

function writeU64(buf: Uint8Array, pos: number, v: number): void {
  writeU32(buf, pos, Math.floor(v / TWO_POW_32));
  writeU32(buf, pos + 4, v >>> 0);
}

function readU64(buf: Uint8Array, pos: number): number {
  return readU32(buf, pos) * TWO_POW_32 + readU32(buf, pos + 4);
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
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  let len = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    len++;
  }
  return len;
}

function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  // Terms and lengths are nearly always one or two bytes: keep that path free of checks.
  if (v >= 0 && v < 0x80 && (v | 0) === v) {
    buf[pos] = v;
    return pos + 1;
  }
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
