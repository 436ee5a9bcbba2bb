/**
 * The envelope a node wraps around each payload it proposes: a header naming this incarnation of
 * the proposer (version, origin id, 64-bit session), then varints `seq`, `floor` and `basis`, then
 * the payload. The header and `seq` let the proposer find the promise waiting on a committed
 * entry; the whole of it lets every replica's session table apply each proposal at most
 * once however often it was appended (see `SessionTable` in sessions.ts).
 *
 * Version 1 (header with a 32-bit nonce and `seq` only) is still read, so that a log written
 * before sessions existed replays; its entries are applied as they come.
 * @internal
 */
import type { ByteArena } from '../util/byte-arena.js';
import type { NodeId } from './types.js';

const LEGACY_VERSION = 1;
const ENVELOPE_VERSION = 2;
/** The id's length is one byte of the header. */
const MAX_ID_BYTES = 255;
const SESSION_BYTES = 8;
const textEncoder = new TextEncoder();

/** Whether `id` fits in an envelope header (at most 255 bytes of UTF-8). */
export function fitsEnvelope(id: NodeId): boolean {
  return textEncoder.encode(id).length <= MAX_ID_BYTES;
}

/**
 * The header of one incarnation of node `id`, whose session is `hi`·2³² + `lo`. The session tells
 * this incarnation's proposals from a previous run's, whose sequence numbers restarted at 1.
 */
export function envelopeHeader(id: NodeId, hi: number, lo: number): Uint8Array {
  const idBytes = textEncoder.encode(id);
  const header = new Uint8Array(2 + idBytes.length + SESSION_BYTES);
  header[0] = ENVELOPE_VERSION;
  header[1] = idBytes.length;
  header.set(idBytes, 2);
  const view = new DataView(header.buffer);
  view.setUint32(2 + idBytes.length, hi >>> 0);
  view.setUint32(6 + idBytes.length, lo >>> 0);
  return header;
}

/**
 * `data` in an envelope of `header`, `seq` and the session fields `floor` (the proposer's lowest
 * sequence number still waiting for an answer) and `basis` (its applied index when it proposed).
 * Copied at once (the caller may reuse its buffer) into a range of `arena`: one backing store per
 * slab of proposals instead of one per proposal.
 */
export function wrapEnvelope(
  header: Uint8Array,
  seq: number,
  floor: number,
  basis: number,
  data: Uint8Array,
  arena: ByteArena,
): Uint8Array {
  const out = arena.take(header.length + varintLength(seq) + varintLength(floor) + varintLength(basis) + data.length);
  copyBytes(out, 0, header);
  let pos = writeVarint(out, header.length, seq);
  pos = writeVarint(out, pos, floor);
  pos = writeVarint(out, pos, basis);
  copyBytes(out, pos, data);
  return out;
}

/**
 * The fields of an envelope, filled in place by {@link readEnvelope} so that the apply path
 * allocates nothing per entry.
 */
export interface EnvelopeFields {
  /** 1 (no session fields: apply as it comes) or 2. */
  version: number;
  /** Bytes of the header (version, id, session): the session's identity. */
  headerLength: number;
  seq: number;
  floor: number;
  basis: number;
}

/** A fresh {@link EnvelopeFields} to reuse across calls. */
export function envelopeFields(): EnvelopeFields {
  return { version: 0, headerLength: 0, seq: 0, floor: 0, basis: 0 };
}

/** Decodes the envelope of `data` into `out`; returns where the payload starts. */
export function readEnvelope(data: Uint8Array, out: EnvelopeFields): number {
  const version = data[0];
  out.version = version ?? 0;
  if (version === ENVELOPE_VERSION) {
    out.headerLength = 2 + data[1]! + SESSION_BYTES;
    let pos = readVarint(data, out.headerLength);
    out.seq = varintValue;
    pos = readVarint(data, pos);
    out.floor = varintValue;
    pos = readVarint(data, pos);
    out.basis = varintValue;
    if (pos < 0) throw new Error('raft node: committed entry has a truncated envelope');
    return pos;
  }
  if (version === LEGACY_VERSION) {
    out.headerLength = 2 + data[1]! + 4;
    const pos = readVarint(data, out.headerLength);
    out.seq = varintValue;
    out.floor = 0;
    out.basis = 0;
    if (pos < 0) throw new Error('raft node: committed entry has a truncated envelope');
    return pos;
  }
  throw new Error(`raft node: committed entry has unknown envelope version ${String(version)}`);
}

/** Where the payload starts inside an envelope written by any node. */
export function payloadOffset(data: Uint8Array): number {
  return readEnvelope(data, scratch);
}

/** The sequence number of an envelope written under `header`, or -1 when another node or incarnation wrote it. */
export function ownSequence(data: Uint8Array, header: Uint8Array): number {
  if (data.length <= header.length || !hasPrefix(data, header)) return -1;
  readVarint(data, header.length);
  return varintValue;
}

const scratch = envelopeFields();

/** `dst.set(src, pos)`, by hand for short arrays, where the call costs more than the copy. */
function copyBytes(dst: Uint8Array, pos: number, src: Uint8Array): void {
  const n = src.length;
  if (n > 64) {
    dst.set(src, pos);
    return;
  }
  for (let i = 0; i < n; i++) dst[pos + i] = src[i]!;
}

function hasPrefix(data: Uint8Array, prefix: Uint8Array): boolean {
  // Compared from the end: the session differs first between incarnations and ids share prefixes.
  for (let i = prefix.length - 1; i >= 0; i--) if (data[i] !== prefix[i]) return false;
  return true;
}

/** Arithmetic rather than bit operations: a long-lived node passes 2^32 proposals. */
function writeVarint(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** The value {@link readVarint} read last: a module slot instead of a returned pair, so nothing is allocated. */
let varintValue = 0;

/** Reads a varint at `pos` into {@link varintValue}; returns the position after it, or -1 when the data ends first. */
function readVarint(data: Uint8Array, pos: number): number {
  if (pos < 0) {
    varintValue = -1;
    return -1;
  }
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = data[pos++];
    if (byte === undefined) {
      varintValue = -1;
      return -1;
    }
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      varintValue = result;
      return pos;
    }
    scale *= 0x80;
  }
}

function varintLength(v: number): number {
  let len = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    len++;
  }
  return len;
}
