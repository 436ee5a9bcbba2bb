/**
 * Client sessions (section 6.3 of Ongaro's thesis): the table that makes every proposal apply at
 * most once, however often the network or a transport delivered it and the leader appended it.
 * It is a pure function of the committed log, applied on every replica before the state machine
 * sees an entry, so every replica refuses the same copies — a new leader whose log already holds
 * a first copy refuses the second although it never appended either.
 *
 * An entry (session, seq, floor, basis) at log index `i` is applied iff
 * - `i - basis <= window` (else it is too old: refused as stale), and
 * - `seq >= session.floor` and `seq` is not among the seqs applied above the floor (else it is a
 *   duplicate);
 * then the session's floor rises to `floor` (the proposer gave up waiting on anything below it)
 * and `seq` is recorded. A session with nothing applied in the last `window` entries expires.
 * Expiry cannot let a duplicate through: the copy carries its original `basis`, which lies before
 * the session's last applied entry, so by the time the session expired the copy is stale.
 *
 * The table lives in memory only and is rebuilt by replaying the log at start. Snapshots (issue 9)
 * must carry it, or a replica restored from one would apply a duplicate the others refuse.
 * @internal
 */
import type { EnvelopeFields } from './envelope.js';

/**
 * What {@link SessionTable.admit} decided for one entry: `apply` it; skip a `duplicate` (a copy of
 * an entry already applied, or below the floor its proposer moved past); refuse a `stale` one
 * (proposed more than the window ago: it never applies, so it is safe to retry).
 */
export type Admission = 'apply' | 'duplicate' | 'stale';

/** The default {@link SessionTable} window, in log entries. */
export const DEFAULT_SESSION_WINDOW = 100_000;

/** The smallest applied-set size worth pruning. */
const MIN_PRUNE = 64;

interface Session {
  /** A copy of the envelope header (version, id, session bytes): the identity. */
  readonly header: Uint8Array;
  readonly key: number;
  floor: number;
  /** Seqs applied, at or above `floor` (and some below it, until the next prune). */
  readonly applied: Set<number>;
  /** Prune `applied` once it holds this many. */
  pruneAt: number;
  /** Log index of the last entry of this session that was applied. */
  lastIndex: number;
  /** The next session with the same key (keys are hashes and may collide). */
  sameKey: Session | undefined;
  /** Neighbours in order of last activity, oldest first. */
  older: Session | undefined;
  newer: Session | undefined;
}

/** The replicated session table; see the module comment for the rule. */
export class SessionTable {
  readonly #window: number;
  readonly #byKey = new Map<number, Session>();
  #oldest: Session | undefined;
  #newest: Session | undefined;
  /** The session of the last entry seen: consecutive entries usually share one. */
  #last: Session | undefined;

  /** @param windowEntries - how many log entries a proposal and an idle session live. */
  constructor(windowEntries = DEFAULT_SESSION_WINDOW) {
    this.#window = windowEntries;
  }

  #size = 0;

  /** How many sessions are live. */
  get size(): number {
    return this.#size;
  }

  /** Whether entries under `header` were applied by a session that is still live. */
  has(header: Uint8Array): boolean {
    return this.#find(header, header.length) !== undefined;
  }

  /**
   * Decides entry `data` at log `index`, whose envelope `fields` were just read, and records it
   * when it applies. Call for every committed enveloped entry, in log order, on every replica.
   */
  admit(data: Uint8Array, fields: EnvelopeFields, index: number): Admission {
    this.#expire(index);
    if (index - fields.basis > this.#window) return 'stale';
    const headerLength = fields.headerLength;
    let session = this.#last;
    if (session === undefined || !sameBytes(session.header, data, headerLength)) {
      session = this.#find(data, headerLength) ?? this.#create(data, headerLength);
      this.#last = session;
    }
    const seq = fields.seq;
    if (seq < session.floor || session.applied.has(seq)) return 'duplicate';
    if (fields.floor > session.floor) {
      session.floor = fields.floor;
      // Seqs below the floor are refused by the floor itself; dropping them only saves memory, so
      // it is done when the set has doubled, not on every entry (amortised O(1) per apply).
      if (session.applied.size >= session.pruneAt) {
        for (const s of session.applied) if (s < session.floor) session.applied.delete(s);
        session.pruneAt = Math.max(MIN_PRUNE, 2 * session.applied.size);
      }
    }
    session.applied.add(seq);
    session.lastIndex = index;
    this.#touch(session);
    return 'apply';
  }

  /** Drops sessions idle for more than the window before `index`: O(1) amortised, from the oldest. */
  #expire(index: number): void {
    let s = this.#oldest;
    while (s !== undefined && index - s.lastIndex > this.#window) {
      const next = s.newer;
      this.#remove(s);
      s = next;
    }
  }

  #find(data: Uint8Array, length: number): Session | undefined {
    for (let s = this.#byKey.get(keyOf(data, length)); s !== undefined; s = s.sameKey) {
      if (sameBytes(s.header, data, length)) return s;
    }
    return undefined;
  }

  #create(data: Uint8Array, headerLength: number): Session {
    const key = keyOf(data, headerLength);
    const session: Session = {
      header: data.slice(0, headerLength),
      key,
      floor: 0,
      applied: new Set(),
      pruneAt: MIN_PRUNE,
      lastIndex: 0,
      sameKey: this.#byKey.get(key),
      older: undefined,
      newer: undefined,
    };
    this.#byKey.set(key, session);
    this.#size++;
    return session;
  }

  /** Moves `s` to the newest end of the activity list (linking it in if new). */
  #touch(s: Session): void {
    if (this.#newest === s) return;
    this.#unlink(s);
    s.older = this.#newest;
    s.newer = undefined;
    if (this.#newest !== undefined) this.#newest.newer = s;
    this.#newest = s;
    this.#oldest ??= s;
  }

  #unlink(s: Session): void {
    if (s.older !== undefined) s.older.newer = s.newer;
    else if (this.#oldest === s) this.#oldest = s.newer;
    if (s.newer !== undefined) s.newer.older = s.older;
    else if (this.#newest === s) this.#newest = s.older;
    s.older = undefined;
    s.newer = undefined;
  }

  #remove(s: Session): void {
    this.#unlink(s);
    this.#size--;
    if (this.#last === s) this.#last = undefined;
    const head = this.#byKey.get(s.key);
    if (head === s) {
      if (s.sameKey === undefined) this.#byKey.delete(s.key);
      else this.#byKey.set(s.key, s.sameKey);
      return;
    }
    for (let p = head; p !== undefined; p = p.sameKey) {
      if (p.sameKey === s) {
        p.sameKey = s.sameKey;
        return;
      }
    }
  }
}

/** Whether the first `length` bytes of `a` and `b` agree (compared from the end, where sessions differ). */
function sameBytes(a: Uint8Array, b: Uint8Array, length: number): boolean {
  if (a.length !== length || b.length < length) return false;
  for (let i = length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** A 53-bit hash of a header (FNV-1a over every byte, then the session's low bits): a number key, so lookups allocate nothing. */
function keyOf(data: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  const low = length >= 3 ? data[length - 1]! | (data[length - 2]! << 8) | ((data[length - 3]! & 0x1f) << 16) : 0;
  return (h >>> 0) * 0x20_0000 + low;
}
