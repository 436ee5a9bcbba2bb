/**
 * The leader's queue of wake times: a keyed min-heap (jobId → epoch ms) where each key appears
 * at most once and every change is O(log n).
 *
 * Layout: the heap lives in two parallel typed arrays (time and slot, in heap order, so sift
 * loops compare adjacent doubles without chasing pointers), a slot is a small integer naming a
 * key, `posOf[slot]` finds a slot's heap position for updates and removals, and one `Map`
 * finds a key's slot. Per pending key that is 16 bytes of typed arrays plus one array cell and
 * one Map entry: no object per job, nothing for the garbage collector to trace.
 */

const INITIAL_CAPACITY = 64;

/** A keyed min-priority queue of wake times (epoch ms). */
export class SlotQueue {
  #slotOf = new Map<string, number>();
  #keyOf: (string | undefined)[] = [];
  #posOf = new Int32Array(INITIAL_CAPACITY);
  #heapSlot = new Int32Array(INITIAL_CAPACITY);
  #heapTime = new Float64Array(INITIAL_CAPACITY);
  #size = 0;
  /** Slots released by removals, reused before new ones are minted. */
  #freeSlots: number[] = [];

  /** Number of keys queued. */
  get size(): number {
    return this.#size;
  }

  /** The earliest wake time, or `Infinity` when empty. */
  peekTime(): number {
    return this.#size > 0 ? (this.#heapTime[0] as number) : Infinity;
  }

  /** The key with the earliest wake time, or `undefined` when empty. */
  peekKey(): string | undefined {
    return this.#size > 0 ? this.#keyOf[this.#heapSlot[0] as number] : undefined;
  }

  /** The wake time of `key`, or `undefined` when it is not queued. */
  get(key: string): number | undefined {
    const slot = this.#slotOf.get(key);
    return slot === undefined ? undefined : this.#heapTime[this.#posOf[slot] as number];
  }

  /** Whether `key` is queued. */
  has(key: string): boolean {
    return this.#slotOf.has(key);
  }

  /** Queues `key` at `time`, or moves it there when already queued. */
  set(key: string, time: number): void {
    const slot = this.#slotOf.get(key);
    if (slot !== undefined) {
      const pos = this.#posOf[slot] as number;
      const old = this.#heapTime[pos] as number;
      if (time < old) this.#siftUp(pos, slot, time);
      else if (time > old) this.#siftDown(pos, slot, time);
      return;
    }
    if (this.#size === this.#heapTime.length) this.#grow();
    const fresh = this.#freeSlots.length > 0 ? (this.#freeSlots.pop() as number) : this.#keyOf.length;
    if (fresh === this.#keyOf.length) this.#keyOf.push(key);
    else this.#keyOf[fresh] = key;
    this.#slotOf.set(key, fresh);
    this.#siftUp(this.#size++, fresh, time);
  }

  /** Removes `key`; returns whether it was queued. */
  delete(key: string): boolean {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return false;
    this.#removeAt(this.#posOf[slot] as number);
    return true;
  }

  /** Removes and returns the earliest key, or `undefined` when empty. */
  pop(): string | undefined {
    if (this.#size === 0) return undefined;
    const key = this.#keyOf[this.#heapSlot[0] as number];
    this.#removeAt(0);
    return key;
  }

  /**
   * Moves into `out` (in time order) every key due at or before `now`, at most `max` of them,
   * and returns how many it moved.
   */
  popDue(now: number, max: number, out: string[]): number {
    let n = 0;
    while (n < max && this.#size > 0 && (this.#heapTime[0] as number) <= now) {
      out.push(this.#keyOf[this.#heapSlot[0] as number] as string);
      this.#removeAt(0);
      n++;
    }
    return n;
  }

  /** Empties the queue (keeps the allocated arrays for the next rebuild). */
  clear(): void {
    this.#slotOf.clear();
    this.#keyOf = [];
    this.#freeSlots = [];
    this.#size = 0;
  }

  /**
   * Replaces the whole content with `entries` in O(n) (bottom-up heapify), much cheaper than n
   * inserts when a new leader loads a million wake times. A key given twice keeps its last time.
   */
  rebuild(entries: Iterable<readonly [string, number]>): void {
    this.clear();
    for (const [key, time] of entries) {
      const slot = this.#slotOf.get(key);
      if (slot !== undefined) {
        this.#heapTime[this.#posOf[slot] as number] = time;
        continue;
      }
      if (this.#size === this.#heapTime.length) this.#grow();
      const fresh = this.#keyOf.length;
      this.#keyOf.push(key);
      this.#slotOf.set(key, fresh);
      const pos = this.#size++;
      this.#heapSlot[pos] = fresh;
      this.#heapTime[pos] = time;
      this.#posOf[fresh] = pos;
    }
    for (let pos = (this.#size >> 1) - 1; pos >= 0; pos--) {
      this.#siftDown(pos, this.#heapSlot[pos] as number, this.#heapTime[pos] as number);
    }
  }

  /** Every queued key with its time, in no particular order (for diagnostics and tests). */
  *entries(): IterableIterator<[string, number]> {
    for (let pos = 0; pos < this.#size; pos++) {
      yield [this.#keyOf[this.#heapSlot[pos] as number] as string, this.#heapTime[pos] as number];
    }
  }

  #removeAt(pos: number): void {
    const slot = this.#heapSlot[pos] as number;
    this.#slotOf.delete(this.#keyOf[slot] as string);
    this.#keyOf[slot] = undefined;
    this.#freeSlots.push(slot);
    const last = --this.#size;
    if (pos === last) return;
    const movedSlot = this.#heapSlot[last] as number;
    const movedTime = this.#heapTime[last] as number;
    // The element moved from the end may belong above or below the hole; only one sift applies.
    if (pos > 0 && movedTime < (this.#heapTime[(pos - 1) >> 1] as number)) this.#siftUp(pos, movedSlot, movedTime);
    else this.#siftDown(pos, movedSlot, movedTime);
  }

  /** Places (slot, time) at `pos` or above it, moving larger parents down into the hole. */
  #siftUp(pos: number, slot: number, time: number): void {
    const heapTime = this.#heapTime;
    const heapSlot = this.#heapSlot;
    const posOf = this.#posOf;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const parentTime = heapTime[parent] as number;
      if (parentTime <= time) break;
      const parentSlot = heapSlot[parent] as number;
      heapTime[pos] = parentTime;
      heapSlot[pos] = parentSlot;
      posOf[parentSlot] = pos;
      pos = parent;
    }
    heapTime[pos] = time;
    heapSlot[pos] = slot;
    posOf[slot] = pos;
  }

  /** Places (slot, time) at `pos` or below it, moving smaller children up into the hole. */
  #siftDown(pos: number, slot: number, time: number): void {
    const heapTime = this.#heapTime;
    const heapSlot = this.#heapSlot;
    const posOf = this.#posOf;
    const size = this.#size;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= size) break;
      let childTime = heapTime[child] as number;
      const right = child + 1;
      if (right < size) {
        const rightTime = heapTime[right] as number;
        if (rightTime < childTime) {
          child = right;
          childTime = rightTime;
        }
      }
      if (childTime >= time) break;
      const childSlot = heapSlot[child] as number;
      heapTime[pos] = childTime;
      heapSlot[pos] = childSlot;
      posOf[childSlot] = pos;
      pos = child;
    }
    heapTime[pos] = time;
    heapSlot[pos] = slot;
    posOf[slot] = pos;
  }

  #grow(): void {
    const capacity = this.#heapTime.length * 2;
    const heapTime = new Float64Array(capacity);
    heapTime.set(this.#heapTime);
    const heapSlot = new Int32Array(capacity);
    heapSlot.set(this.#heapSlot);
    const posOf = new Int32Array(capacity);
    posOf.set(this.#posOf);
    this.#heapTime = heapTime;
    this.#heapSlot = heapSlot;
    this.#posOf = posOf;
  }
}
