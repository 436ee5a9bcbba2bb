import type { EntryKind } from './types.js';

/** Entries per chunk: a chunk costs four objects, so the archive holds a few objects per thousands of entries. */
const CHUNK_ENTRIES = 4096;
const MIN_CHUNK_BYTES = 16 * 1024;

/** A run of consecutive archived entries: their bytes back to back, where each one ends, and their kinds. */
interface Chunk {
  bytes: Uint8Array;
  used: number;
  readonly ends: Float64Array;
  readonly kinds: Uint8Array;
}

/**
 * The kind and bytes of every entry a node has applied, packed into large chunks.
 *
 * Without it the log keeps one entry object and one byte view per entry for the node's whole
 * life; every such object is copied out of the young generation and traced by every full GC,
 * which cost more than all the consensus work put together. Here an entry costs its bytes plus
 * nine, and objects are made only when a lagging follower needs old entries again. Terms live in
 * the log's term runs, not here.
 * @internal
 */
export class EntryArchive {
  readonly #chunks: Chunk[] = [];
  #count = 0;
  /** Byte capacity for the next chunk: the size the last full chunk needed, so it rarely grows. */
  #nextChunkBytes = MIN_CHUNK_BYTES;

  /** How many entries are archived: indices `1..size`. */
  get size(): number {
    return this.#count;
  }

  /** Appends the entry at index `size + 1`, copying its bytes (it may point into a shared buffer). */
  push(kind: EntryKind, data: Uint8Array): void {
    const slot = this.#count % CHUNK_ENTRIES;
    let chunk: Chunk;
    if (slot === 0) {
      const last = this.#chunks[this.#chunks.length - 1];
      if (last !== undefined) this.#seal(last);
      chunk = {
        bytes: new Uint8Array(Math.max(this.#nextChunkBytes, data.length)),
        used: 0,
        ends: new Float64Array(CHUNK_ENTRIES),
        kinds: new Uint8Array(CHUNK_ENTRIES),
      };
      this.#chunks.push(chunk);
    } else {
      chunk = this.#chunks[this.#chunks.length - 1]!;
    }
    const len = data.length;
    const end = chunk.used + len;
    if (end > chunk.bytes.length) {
      // Views handed out earlier keep the old buffer; its bytes never change, so they stay valid.
      const bigger = new Uint8Array(Math.max(end, chunk.bytes.length * 2));
      bigger.set(chunk.bytes.subarray(0, chunk.used));
      chunk.bytes = bigger;
    }
    const bytes = chunk.bytes;
    const pos = chunk.used;
    if (len > 64) {
      bytes.set(data, pos);
    } else {
      // Short copies by hand: the call into `set` costs more than the bytes.
      for (let i = 0; i < len; i++) bytes[pos + i] = data[i]!;
    }
    chunk.used = end;
    chunk.ends[slot] = end;
    chunk.kinds[slot] = kind;
    this.#count++;
  }

  /** Kind of the archived entry at `index` (`1 <= index <= size`). */
  kind(index: number): EntryKind {
    const i = index - 1;
    return this.#chunks[Math.floor(i / CHUNK_ENTRIES)]!.kinds[i % CHUNK_ENTRIES] as EntryKind;
  }

  /** Bytes of the archived entry at `index` (`1 <= index <= size`): a read-only view into the archive. */
  data(index: number): Uint8Array {
    const i = index - 1;
    const chunk = this.#chunks[Math.floor(i / CHUNK_ENTRIES)]!;
    const slot = i % CHUNK_ENTRIES;
    const start = slot === 0 ? 0 : chunk.ends[slot - 1]!;
    return chunk.bytes.subarray(start, chunk.ends[slot]!);
  }

  /** A full chunk gives back its spare capacity when that is worth a copy, and sizes the next one. */
  #seal(chunk: Chunk): void {
    this.#nextChunkBytes = Math.max(MIN_CHUNK_BYTES, Math.ceil(chunk.used * 1.125));
    if (chunk.bytes.length - chunk.used > chunk.bytes.length / 8) chunk.bytes = chunk.bytes.slice(0, chunk.used);
  }
}
