/** Copying messages at the process-local boundary so that two nodes never share a mutable object. */
import type { Entry, Message } from '../raft/types.js';
import type { ByteArena } from '../util/byte-arena.js';

/**
 * A deep copy of `message`: new message and entry objects, and the entries' bytes copied (typed
 * arrays cannot be frozen, so copying is the only isolation). All entries of one message share a
 * single range of bytes, each `data` a view into it, taken from `arena` when given (else a buffer
 * of its own). Hand-written rather than `structuredClone` for the same reason.
 */
export function cloneMessage(message: Message, arena?: ByteArena): Message {
  const copy = { ...message };
  const entries = message.entries;
  if (entries === undefined) return copy;
  const n = entries.length;
  let size = 0;
  for (let i = 0; i < n; i++) size += entries[i]!.data.length;
  // Not `Buffer.allocUnsafe`: its pool would make unrelated messages share one ArrayBuffer.
  const bytes = arena === undefined ? new Uint8Array(size) : arena.take(size);
  const cloned = new Array<Entry>(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    const src = e.data;
    const len = src.length;
    if (len > 64) {
      bytes.set(src, pos);
    } else {
      // Short copies by hand: the call into `set` costs more than the bytes.
      for (let j = 0; j < len; j++) bytes[pos + j] = src[j]!;
    }
    cloned[i] = { index: e.index, term: e.term, kind: e.kind, data: bytes.subarray(pos, pos + len) };
    pos += len;
  }
  copy.entries = cloned;
  return copy;
}
