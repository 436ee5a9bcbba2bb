/**
 * A binary min-heap of timed events ordered by (time, insertion sequence): ties fire in the order
 * they were scheduled, which keeps a simulation deterministic.
 * @internal
 */
export class EventQueue<T> {
  readonly #at: number[] = [];
  readonly #seq: number[] = [];
  readonly #items: T[] = [];
  #next = 0;

  get size(): number {
    return this.#items.length;
  }

  push(at: number, item: T): void {
    const at_ = this.#at;
    const seq_ = this.#seq;
    const items = this.#items;
    let i = items.length;
    const seq = this.#next++;
    at_.push(at);
    seq_.push(seq);
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.#less(p, at, seq)) break;
      at_[i] = at_[p] as number;
      seq_[i] = seq_[p] as number;
      items[i] = items[p] as T;
      i = p;
    }
    at_[i] = at;
    seq_[i] = seq;
    items[i] = item;
  }

  /** Time of the earliest event (Infinity when empty). */
  peekTime(): number {
    return this.#items.length === 0 ? Infinity : (this.#at[0] as number);
  }

  /** Removes the earliest event; call only when not empty. */
  pop(): T {
    const at_ = this.#at;
    const seq_ = this.#seq;
    const items = this.#items;
    const top = items[0] as T;
    const lastAt = at_.pop() as number;
    const lastSeq = seq_.pop() as number;
    const lastItem = items.pop() as T;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.#lessIdx(c + 1, c)) c++;
      if (this.#less(c, lastAt, lastSeq) === false) break;
      at_[i] = at_[c] as number;
      seq_[i] = seq_[c] as number;
      items[i] = items[c] as T;
      i = c;
    }
    at_[i] = lastAt;
    seq_[i] = lastSeq;
    items[i] = lastItem;
    return top;
  }

  /** Is the event at heap position `i` earlier than (at, seq)? */
  #less(i: number, at: number, seq: number): boolean {
    const a = this.#at[i] as number;
    return a < at || (a === at && (this.#seq[i] as number) < seq);
  }

  #lessIdx(i: number, j: number): boolean {
    return this.#less(i, this.#at[j] as number, this.#seq[j] as number);
  }
}
