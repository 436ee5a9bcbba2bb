import { EntryArchive } from './archive.js';
import type { Entry } from './types.js';

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

/**
 * The in-memory Raft log of one node, with the bookkeeping the Ready cycle needs: which suffix is
 * not yet persisted (`unstable`), which committed entries were handed out for applying
 * (`applying`) and which were acknowledged as applied (`applied`).
 *
 * Two tiers. Entries that are both applied and persisted never change again and leave the
 * *hot* array of entry objects for the {@link EntryArchive}, which packs them into large chunks;
 * only a lagging follower's catch-up turns them back into objects. Terms are kept apart as runs
 * (first index, term): a term spans thousands of entries, so lookups stay cheap whichever tier
 * holds the entry. There is no compaction yet: the log starts at index 1.
 * @internal
 */
export class RaftLog {
  /** Highest index known committed. */
  committed: number;
  /** Highest index the driver acknowledged as applied (`advance`). */
  applied: number;
  /** Highest index handed out in a Ready's `committedEntries` and not necessarily applied yet. */
  applying: number;
  /** First index not yet persisted; `lastIndex() + 1` when everything is stable. */
  unstable: number;
  /** Lowest index removed by a conflicting append since the last {@link RaftLog.takeTruncatedFrom}. */
  #truncatedFrom = Infinity;

  readonly #archive = new EntryArchive();
  /** Entries from `archive.size + 1` on, starting at position `#head` (positions before it are spent). */
  #hot: (Entry | undefined)[] = [];
  #head = 0;
  #last = 0;
  /** Term runs: entries `runStart[i]..runStart[i + 1] - 1` have term `runTerm[i]`; starts ascend, terms too. */
  readonly #runStart: number[] = [];
  readonly #runTerm: number[] = [];

  constructor(entries: readonly Entry[], committed: number, applied: number) {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.index !== i + 1) {
        throw new RangeError(`persisted entries must be contiguous from index 1; found index ${e.index} at position ${i}`);
      }
      if (i > 0 && e.term < (entries[i - 1] as Entry).term) {
        throw new RangeError(`persisted entry ${e.index} has term ${e.term}, lower than the entry before it`);
      }
      this.#push(e);
    }
    // A commit index beyond the stored log cannot be trusted: clamp rather than apply phantom entries.
    this.committed = Math.min(committed, this.#last);
    this.applied = Math.min(applied, this.committed);
    this.applying = this.applied;
    this.unstable = this.#last + 1;
    this.#archiveUpTo(this.applied);
  }

  lastIndex(): number {
    return this.#last;
  }

  lastTerm(): number {
    const n = this.#runTerm.length;
    return n === 0 ? 0 : (this.#runTerm[n - 1] as number);
  }

  /** Term of the entry at `index`; 0 for index 0 and for indices beyond the log. */
  term(index: number): number {
    if (index <= 0 || index > this.#last) return 0;
    const starts = this.#runStart;
    const hi = starts.length - 1;
    if (index >= (starts[hi] as number)) return this.#runTerm[hi] as number;
    return this.#runTerm[this.#runAt(index, hi - 1)] as number;
  }

  matchTerm(index: number, term: number): boolean {
    if (index === 0) return term === 0;
    return index <= this.#last && this.term(index) === term;
  }

  /** Election restriction: is a log ending at (`lastIndex`, `lastTerm`) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.#last);
  }

  /**
   * The largest index `<= index` whose term is `<= term`. Both sides of a rejected append use it to
   * skip a whole term of mismatching entries per round trip instead of one entry.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.#last);
    if (i <= 0) return 0;
    let run = this.#runAt(i, this.#runStart.length - 1);
    while (run >= 0 && (this.#runTerm[run] as number) > term) {
      i = (this.#runStart[run] as number) - 1;
      run--;
    }
    return i;
  }

  /** Entries in `[lo, hi)`, a fresh array (it leaves the node inside a message or a Ready). */
  slice(lo: number, hi: number): Entry[] {
    const archived = this.#archive.size;
    if (lo > archived) return this.#hot.slice(this.#head + lo - archived - 1, this.#head + hi - archived - 1) as Entry[];
    // A lagging follower: rebuild the archived part as objects, for this message only.
    const out = new Array<Entry>(hi - lo);
    const archive = this.#archive;
    let run = this.#runAt(lo, this.#runStart.length - 1);
    let nextRun = run + 1 < this.#runStart.length ? (this.#runStart[run + 1] as number) : Infinity;
    for (let i = lo; i < hi; i++) {
      if (i > archived) {
        out[i - lo] = this.#hot[this.#head + i - archived - 1] as Entry;
        continue;
      }
      while (i >= nextRun) {
        run++;
        nextRun = run + 1 < this.#runStart.length ? (this.#runStart[run + 1] as number) : Infinity;
      }
      out[i - lo] = { index: i, term: this.#runTerm[run] as number, kind: archive.kind(i), data: archive.data(i) };
    }
    return out;
  }

  /** Leader path: appends an entry that follows the last one. */
  append(entry: Entry): void {
    this.#push(entry);
  }

  /**
   * Follower path. Returns the index of the last entry the append covers, or -1 when the log does
   * not contain (`prevIndex`, `prevTerm`). Only a real conflict truncates: a stale or duplicate
   * append whose entries we already hold leaves a longer log untouched. A truncation is reported
   * through {@link RaftLog.takeTruncatedFrom}.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): number {
    if (!this.matchTerm(prevIndex, prevTerm)) return -1;
    const lastNew = prevIndex + entries.length;
    let k = 0;
    for (; k < entries.length; k++) {
      const e = entries[k] as Entry;
      if (e.index > this.#last || this.term(e.index) !== e.term) break;
    }
    if (k === entries.length) return lastNew;
    const first = (entries[k] as Entry).index;
    if (first <= this.committed) {
      throw new Error(`raft invariant: append would overwrite committed entry ${first} (commit ${this.committed})`);
    }
    if (first <= this.#last) {
      if (first < this.#truncatedFrom) this.#truncatedFrom = first;
      this.#truncate(first);
      if (first < this.unstable) this.unstable = first;
    }
    for (; k < entries.length; k++) this.#push(entries[k] as Entry);
    return lastNew;
  }

  /**
   * The lowest index a conflicting append removed since the last call, or Infinity when nothing
   * was truncated; the next call starts afresh.
   */
  takeTruncatedFrom(): number {
    const from = this.#truncatedFrom;
    this.#truncatedFrom = Infinity;
    return from;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    this.committed = Math.min(index, this.#last);
    return true;
  }

  hasUnstable(): boolean {
    return this.unstable <= this.#last;
  }

  unstableEntries(): Entry[] {
    // Archived entries are persisted by definition, so the unstable suffix is all hot.
    return this.#hot.slice(this.#head + this.unstable - this.#archive.size - 1) as Entry[];
  }

  /**
   * Marks entries up to `index` persisted, unless the entry there changed since the Ready was
   * taken (a truncation in between means the driver wrote a suffix that is already obsolete).
   */
  stableTo(index: number, term: number): void {
    if (index >= this.unstable && this.matchTerm(index, term)) {
      this.unstable = index + 1;
      this.#archiveUpTo(this.applied);
    }
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applying;
  }

  nextCommitted(): readonly Entry[] {
    const from = this.applying + 1;
    const to = this.committed + 1;
    this.applying = this.committed;
    return from < to ? this.slice(from, to) : NO_ENTRIES;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
    if (index > this.applying) this.applying = index;
    this.#archiveUpTo(this.applied);
  }

  #push(entry: Entry): void {
    this.#hot.push(entry);
    const index = ++this.#last;
    const n = this.#runTerm.length;
    if (n === 0 || this.#runTerm[n - 1] !== entry.term) {
      this.#runStart.push(index);
      this.#runTerm.push(entry.term);
    }
  }

  #truncate(first: number): void {
    this.#hot.length = this.#head + first - this.#archive.size - 1;
    this.#last = first - 1;
    while (this.#runStart.length > 0 && (this.#runStart[this.#runStart.length - 1] as number) > this.#last) {
      this.#runStart.pop();
      this.#runTerm.pop();
    }
  }

  /** The term run holding `index`, searching runs `0..hi` (`1 <= index <= lastIndex`). */
  #runAt(index: number, hi: number): number {
    const starts = this.#runStart;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Moves entries that are applied and persisted (so final, and never handed out again as hot) to the archive. */
  #archiveUpTo(applied: number): void {
    const to = Math.min(applied, this.unstable - 1);
    const archive = this.#archive;
    let moved = 0;
    for (let i = archive.size + 1; i <= to; i++) {
      const e = this.#hot[this.#head + moved] as Entry;
      archive.push(e.kind, e.data);
      moved++;
    }
    if (moved === 0) return;
    const hot = this.#hot;
    // Release the objects now; shift the array only once the spent prefix outweighs the rest.
    for (let p = this.#head; p < this.#head + moved; p++) hot[p] = undefined;
    this.#head += moved;
    if (this.#head >= 1024 && this.#head >= hot.length - this.#head) {
      this.#hot = hot.slice(this.#head);
      this.#head = 0;
    }
  }
}
