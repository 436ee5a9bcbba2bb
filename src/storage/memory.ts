/**
 * In-memory Raft storage: the default for a single node and for tests.
 *
 * Not a key-value store underneath: a sorted store (memory-level) spent more time per write on
 * its tree, encodings and garbage than the whole consensus round it served. Entries are kept the
 * way the log needs them: per index a term, a kind and where its bytes lie; the bytes themselves
 * are kept by reference, never copied, so a node's log costs its payload once plus ~22 bytes an
 * entry, in a handful of objects per 4096 entries.
 */
import type { Entry, EntryKind, HardState, PersistedState, RaftStorage } from '../raft/types.js';

const BLOCK = 4096;
/** `bufferOf` value of an entry without bytes (a leader's no-op): it pins no buffer. */
const NO_BUFFER = 0xffff;
const EMPTY = new Uint8Array(0);

/** Where 4096 consecutive entries live. Byte positions are offsets into `buffers[bufferOf[i]]`. */
interface Block {
  readonly terms: Float64Array;
  readonly kinds: Uint8Array;
  readonly starts: Float64Array;
  readonly lengths: Uint32Array;
  readonly bufferOf: Uint16Array;
  /** Whole-buffer views of the distinct buffers this block's entries point into, in first-use order. */
  buffers: Uint8Array[];
}

/**
 * Opens an empty, process-local `RaftStorage`. Nothing survives the process; a node restarted
 * over the same storage object (after `close`, a new `RaftNode`) finds its term, vote and log.
 *
 * Saved entries' bytes are kept by reference: they must not be modified after `save` (the node
 * driver never does; every entry's bytes are immutable once in a log).
 */
export async function openMemoryStorage(): Promise<RaftStorage> {
  return new MemoryStorage();
}

class MemoryStorage implements RaftStorage {
  #hardState: HardState = { term: 0, vote: null, commit: 0 };
  readonly #blocks: Block[] = [];
  #count = 0;

  async load(): Promise<PersistedState> {
    const entries = new Array<Entry>(this.#count);
    for (let i = 0; i < this.#count; i++) entries[i] = this.#entry(i);
    return { hardState: this.#hardState, entries };
  }

  async save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    const n = entries.length;
    if (n > 0) {
      // Checked in full before anything changes: a refused save stores nothing.
      const first = entries[0]!.index;
      if (first < 1 || first > this.#count + 1) throw new RangeError(`storage: entry ${first} would leave a gap after ${this.#count}`);
      for (let i = 1; i < n; i++) {
        if (entries[i]!.index !== first + i) throw new RangeError(`storage: entries not contiguous at ${entries[i]!.index}`);
      }
      if (first <= this.#count) this.#truncate(first - 1);
      for (let i = 0; i < n; i++) this.#push(entries[i]!);
    }
    if (hardState !== undefined) this.#hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
  }

  async close(): Promise<void> {
    // Nothing to release: the data stays for a node restarted over this storage.
  }

  #push(e: Entry): void {
    const i = this.#count;
    const slot = i % BLOCK;
    let block = this.#blocks[(i - slot) / BLOCK];
    if (block === undefined) {
      block = {
        terms: new Float64Array(BLOCK),
        kinds: new Uint8Array(BLOCK),
        starts: new Float64Array(BLOCK),
        lengths: new Uint32Array(BLOCK),
        bufferOf: new Uint16Array(BLOCK),
        buffers: [],
      };
      this.#blocks.push(block);
    }
    block.terms[slot] = e.term;
    block.kinds[slot] = e.kind;
    const data = e.data;
    if (data.length === 0) {
      block.bufferOf[slot] = NO_BUFFER;
    } else {
      const buffers = block.buffers;
      let b = buffers.length - 1;
      // Entries of one batch share a buffer, so comparing with the last one nearly always hits.
      if (b < 0 || buffers[b]!.buffer !== data.buffer) {
        buffers.push(new Uint8Array(data.buffer));
        b++;
      }
      block.bufferOf[slot] = b;
      block.starts[slot] = data.byteOffset;
      block.lengths[slot] = data.length;
    }
    this.#count = i + 1;
  }

  #entry(i: number): Entry {
    const slot = i % BLOCK;
    const block = this.#blocks[(i - slot) / BLOCK]!;
    const b = block.bufferOf[slot]!;
    const start = block.starts[slot]!;
    const data = b === NO_BUFFER ? EMPTY : block.buffers[b]!.subarray(start, start + block.lengths[slot]!);
    return { index: i + 1, term: block.terms[slot]!, kind: block.kinds[slot] as EntryKind, data };
  }

  /** Keeps the first `count` entries; the block cut in the middle forgets the buffers only dropped entries used. */
  #truncate(count: number): void {
    this.#count = count;
    this.#blocks.length = Math.ceil(count / BLOCK);
    const keep = count % BLOCK;
    if (keep === 0) return;
    const block = this.#blocks[this.#blocks.length - 1]!;
    const old = block.buffers;
    const kept: Uint8Array[] = [];
    const renumbered = new Map<number, number>();
    for (let slot = 0; slot < keep; slot++) {
      const b = block.bufferOf[slot]!;
      if (b === NO_BUFFER) continue;
      let at = renumbered.get(b);
      if (at === undefined) {
        at = kept.push(old[b]!) - 1;
        renumbered.set(b, at);
      }
      block.bufferOf[slot] = at;
    }
    block.buffers = kept;
  }
}
