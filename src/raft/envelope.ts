/**
 * The envelope a node wraps around each payload it proposes: a header naming this incarnation of
 * the proposer (version, origin id, nonce), a varint sequence number, then the payload. When an
 * entry commits, the proposer recognises its own entries by the header and finds the waiting
 * promise by the sequence number; every other node just skips the envelope.
 * @internal
 */
import type { ByteArena } from '../util/byte-arena.js';
import type { NodeId } from './types.js';

const ENVELOPE_VERSION = 1;
/** The id's length is one byte of the header. */
const MAX_ID_BYTES = 255;
const textEncoder = new TextEncoder();

/** Whether `id` fits in an envelope header (at most 255 bytes of UTF-8). */
export function fitsEnvelope(id: NodeId): boolean {
  return textEncoder.encode(id).length <= MAX_ID_BYTES;
}

/**
 * The header of one incarnation of node `id`. The nonce tells this incarnation's proposals from a
 * previous run's, whose sequence numbers restarted at 1 and may still be in the log.
 */
export function envelopeHeader(id: NodeId, nonce: number): Uint8Array {
  const idBytes = textEncoder.encode(id);
  const header = new Uint8Array(2 + idBytes.length + 4);
  header[0] = ENVELOPE_VERSION;
  header[1] = idBytes.length;
  header.set(idBytes, 2);
  new DataView(header.buffer).setUint32(2 + idBytes.length, nonce >>> 0);
  return header;
}

/**
 * `data` in an envelope of `header` and `seq`. Copied at once (the caller may reuse its buffer)
 * into a range of `arena`: one backing store per slab of proposals instead of one per proposal.
 */
export function wrapEnvelope(header: Uint8Array, seq: number, data: Uint8Array, arena: ByteArena): Uint8Array {
  const out = arena.take(header.length + varintLength(seq) + data.length);
  copyBytes(out, 0, header);
  let pos = header.length;
  let v = seq;
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  copyBytes(out, pos, data);
  return out;
}

/** Where the payload starts inside an envelope written by any node. */
export function payloadOffset(data: Uint8Array): number {
  if (data[0] !== ENVELOPE_VERSION) throw new Error(`raft node: committed entry has unknown envelope version ${String(data[0])}`);
  let pos = 2 + data[1]! + 4;
  while (data[pos]! >= 0x80) pos++;
  return pos + 1;
}

/** The sequence number of an envelope written under `header`, or -1 when another node or incarnation wrote it. */
export function ownSequence(data: Uint8Array, header: Uint8Array): number {
  if (data.length <= header.length || !hasPrefix(data, header)) return -1;
  return readSeq(data, header.length);
}

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
  // Compared from the end: the nonce differs first between incarnations and ids share prefixes.
  for (let i = prefix.length - 1; i >= 0; i--) if (data[i] !== prefix[i]) return false;
  return true;
}

/** Arithmetic rather than bit operations: a long-lived node passes 2^32 proposals. */
function readSeq(data: Uint8Array, pos: number): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = data[pos++];
    if (byte === undefined) return -1;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result;
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
