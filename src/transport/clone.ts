/** Copying messages at the process-local boundary so that two nodes never share a mutable object. */
import type { Entry, Message } from '../raft/types.js';

/**
 * A deep copy of `message`: new message and entry objects, and every entry's bytes copied into a
 * fresh plain `Uint8Array` (typed arrays cannot be frozen, so copying is the only isolation).
 * Hand-written rather than `structuredClone` because this runs for every message in the cluster.
 */
export function cloneMessage(message: Message): Message {
  const copy = { ...message };
  const entries = message.entries;
  if (entries !== undefined) {
    const cloned = new Array<Entry>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      cloned[i] = { index: e.index, term: e.term, kind: e.kind, data: new Uint8Array(e.data) };
    }
    copy.entries = cloned;
  }
  return copy;
}
