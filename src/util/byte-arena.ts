/**
 * Fresh byte ranges carved from large slabs: one backing-store allocation per slab instead of one
 * per small buffer, which is most of the cost of copying a small message or payload.
 */

/**
 * Hands out zero-filled byte ranges carved from slabs of `slabSize` bytes. Ranges are never handed
 * out twice, so each holder may keep its range; requests above `maxItem` get a buffer of their own,
 * so one big item never strands most of a slab. Give each owner (a receiving node, a proposer) an
 * arena of its own, so that owners never share a buffer.
 */
export class ByteArena {
  readonly #slabSize: number;
  readonly #maxItem: number;
  #slab = new Uint8Array(0);
  #pos = 0;

  /**
   * @param slabSize - bytes per slab (default 64 KiB).
   * @param maxItem - the largest request served from a slab (default 16 KiB); at most `slabSize`.
   */
  constructor(slabSize = 64 * 1024, maxItem = 16 * 1024) {
    this.#slabSize = slabSize;
    this.#maxItem = Math.min(maxItem, slabSize);
  }

  /** A zero-filled range of `size` bytes that nobody else holds. */
  take(size: number): Uint8Array {
    if (size > this.#maxItem) return new Uint8Array(size);
    if (this.#pos + size > this.#slab.length) {
      this.#slab = new Uint8Array(this.#slabSize);
      this.#pos = 0;
    }
    const out = this.#slab.subarray(this.#pos, this.#pos + size);
    this.#pos += size;
    return out;
  }
}
