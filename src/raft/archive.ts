import type { EntryKind } from './types.js';

/** Entries per block: a block costs six objects, so the archive holds a few objects per thousands of entries. */
const BLOCK = 4096;
/** `bufferOf` value of an entry without bytes (a leader's no-op): it pins no buffer. */
const NO_BUFFER = 0xffff;
const EMPTY = new Uint8Array(0);

/** Where 4096 consecutive entries' bytes lie: offsets into `buffers[bufferOf[i]]`. */
interface Block {
  readonly kinds: Uint8Array;
  readonly starts: Float64Array;
  readonly lengths: Uint32Array;
  readonly bufferOf: Uint16Array;
  /** Whole-buffer views of the distinct buffers this block's entries point into, in first-use order. */
  readonly buffers: Uint8Array[];
}

/**
 * The kind and bytes of every entry a node has applied and persisted.
 *
 * Without it the log keeps one entry object and one byte view per entry for the node's whole
 * life; every such object is copied out of the young generation and traced by every full GC,
 * which cost more than all the consensus work put together. Here an entry costs 15 bytes in typed
 * arrays and its bytes stay where they already are, by reference: entries of one batch share a
 * buffer (the driver's proposal arena, a received message, a loaded run), so a block of 4096
 * entries pins a few dozen buffers. Entry bytes are immutable once in a log, which is what makes
 * sharing them safe. Terms live in the log's term runs, not here.
 * @internal
 */
export class EntryArchive {
  readonly #blocks: Block[] = [];
  #count = 0;

  /** How many entries are archived: indices `1..size`. */
  get size(): number {
    return this.#count;
  }

  /** Appends the entry at index `size + 1`. */
  push(kind: EntryKind, data: Uint8Array): void {
    const i = this.#count;
    const slot = i % BLOCK;
    let block = this.#blocks[(i - slot) / BLOCK];
    if (block === undefined) {
      block = {
        kinds: new Uint8Array(BLOCK),
        starts: new Float64Array(BLOCK),
        lengths: new Uint32Array(BLOCK),
        bufferOf: new Uint16Array(BLOCK),
        buffers: [],
      };
      this.#blocks.push(block);
    }
    block.kinds[slot] = kind;
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

  /** Kind of the archived entry at `index` (`1 <= index <= size`). */
  kind(index: number): EntryKind {
    const i = index - 1;
    const slot = i % BLOCK;
    return this.#blocks[(i - slot) / BLOCK]!.kinds[slot] as EntryKind;
  }

  /** Bytes of the archived entry at `index` (`1 <= index <= size`): a view, never to be written. */
  data(index: number): Uint8Array {
    const i = index - 1;
    const slot = i % BLOCK;
    const block = this.#blocks[(i - slot) / BLOCK]!;
    const b = block.bufferOf[slot]!;
    if (b === NO_BUFFER) return EMPTY;
    const start = block.starts[slot]!;
    return block.buffers[b]!.subarray(start, start + block.lengths[slot]!);
  }
}
