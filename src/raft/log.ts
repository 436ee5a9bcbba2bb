import type { Entry } from './types.js';

/**
 * The in-memory Raft log of one node, with the bookkeeping the Ready cycle needs: which suffix is
 * not yet persisted (`unstable`), which committed entries were handed out for applying
 * (`applying`) and which were acknowledged as applied (`applied`).
 *
 * Entry `i` lives at `entries[i - 1]`: there is no compaction yet, so the array starts at index 1.
 * @internal
 */
export class RaftLog {
  /** Every entry, index 1 first. */
  readonly entries: Entry[];
  /** Highest index known committed. */
  committed: number;
  /** Highest index the driver acknowledged as applied (`advance`). */
  applied: number;
  /** Highest index handed out in a Ready's `committedEntries` and not necessarily applied yet. */
  applying: number;
  /** First index not yet persisted; `lastIndex() + 1` when everything is stable. */
  unstable: number;
  /** Lowest index removed by a conflicting append since the caller last reset it to Infinity. */
  truncatedFrom = Infinity;

  constructor(entries: readonly Entry[], committed: number, applied: number) {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.index !== i + 1) {
        throw new RangeError(`persisted entries must be contiguous from index 1; found index ${e.index} at position ${i}`);
      }
      if (i > 0 && e.term < (entries[i - 1] as Entry).term) {
        throw new RangeError(`persisted entry ${e.index} has term ${e.term}, lower than the entry before it`);
      }
    }
    this.entries = entries.slice();
    // A commit index beyond the stored log cannot be trusted: clamp rather than apply phantom entries.
    this.committed = Math.min(committed, this.entries.length);
    this.applied = Math.min(applied, this.committed);
    this.applying = this.applied;
    this.unstable = this.entries.length + 1;
  }

  lastIndex(): number {
    return this.entries.length;
  }

  lastTerm(): number {
    const n = this.entries.length;
    return n === 0 ? 0 : (this.entries[n - 1] as Entry).term;
  }

  /** Term of the entry at `index`; 0 for index 0 and for indices beyond the log. */
  term(index: number): number {
    if (index <= 0 || index > this.entries.length) return 0;
    return (this.entries[index - 1] as Entry).term;
  }

  matchTerm(index: number, term: number): boolean {
    if (index === 0) return term === 0;
    return index <= this.entries.length && (this.entries[index - 1] as Entry).term === term;
  }

  /** Election restriction: is a log ending at (`lastIndex`, `lastTerm`) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.entries.length);
  }

  /**
   * The largest index `<= index` whose term is `<= term`. Both sides of a rejected append use it to
   * skip a whole term of mismatching entries per round trip instead of one entry.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.entries.length);
    while (i > 0 && (this.entries[i - 1] as Entry).term > term) i--;
    return i;
  }

  /** Entries in `[lo, hi)`, a fresh array (it leaves the node inside a message or a Ready). */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - 1, hi - 1);
  }

  /** Leader path: appends entries that follow the last one. */
  append(entry: Entry): void {
    this.entries.push(entry);
  }

  /**
   * Follower path. Returns the index of the last entry the append covers, or -1 when the log does
   * not contain (`prevIndex`, `prevTerm`). Only a real conflict truncates: a stale or duplicate
   * append whose entries we already hold leaves a longer log untouched. A truncation is reported
   * through {@link RaftLog.truncatedFrom}.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): number {
    if (!this.matchTerm(prevIndex, prevTerm)) return -1;
    const lastNew = prevIndex + entries.length;
    let k = 0;
    for (; k < entries.length; k++) {
      const e = entries[k] as Entry;
      if (e.index > this.entries.length || (this.entries[e.index - 1] as Entry).term !== e.term) break;
    }
    if (k === entries.length) return lastNew;
    const first = (entries[k] as Entry).index;
    if (first <= this.committed) {
      throw new Error(`raft invariant: append would overwrite committed entry ${first} (commit ${this.committed})`);
    }
    if (first <= this.entries.length) {
      this.truncatedFrom = first;
      this.entries.length = first - 1;
      if (first < this.unstable) this.unstable = first;
    }
    for (; k < entries.length; k++) this.entries.push(entries[k] as Entry);
    return lastNew;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    this.committed = Math.min(index, this.entries.length);
    return true;
  }

  hasUnstable(): boolean {
    return this.unstable <= this.entries.length;
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.unstable - 1);
  }

  /**
   * Marks entries up to `index` persisted, unless the entry there changed since the Ready was
   * taken (a truncation in between means the driver wrote a suffix that is already obsolete).
   */
  stableTo(index: number, term: number): void {
    if (index >= this.unstable && this.matchTerm(index, term)) this.unstable = index + 1;
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applying;
  }

  nextCommitted(): Entry[] {
    const out = this.entries.slice(this.applying, this.committed);
    this.applying = this.committed;
    return out;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
    if (index > this.applying) this.applying = index;
  }
}
