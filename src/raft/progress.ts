/**
 * What a leader knows about one follower's log, and how it paces appends to it.
 *
 * Probe: the leader does not know where the logs meet; it sends one append and waits for the
 * answer (or a heartbeat response) before sending another. Replicate: the logs met; the leader
 * streams appends optimistically, at most `maxInflight` unacknowledged messages at a time.
 * @internal
 */
export class Progress {
  /** Highest index known replicated on the follower. */
  match = 0;
  /** Next index to send. */
  next = 1;
  /** False: probe, true: replicate. */
  replicating = false;
  /** Probe state: an append is outstanding, wait for its answer before the next one. */
  probeSent = false;
  /** Heard from the follower since the last check-quorum round. */
  recentActive = false;
  /** Ring buffer of the last index carried by each unacknowledged append (replicate state). */
  readonly #inflight: Float64Array;
  #start = 0;
  #count = 0;

  constructor(maxInflight: number) {
    this.#inflight = new Float64Array(Math.max(1, maxInflight));
  }

  reset(next: number): void {
    this.match = 0;
    this.next = next;
    this.replicating = false;
    this.probeSent = false;
    this.recentActive = false;
    this.#start = 0;
    this.#count = 0;
  }

  isPaused(): boolean {
    return this.replicating ? this.#count === this.#inflight.length : this.probeSent;
  }

  /** Acknowledged up to `index`; false when the answer is stale. */
  maybeUpdate(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    if (index >= this.next) this.next = index + 1;
    this.probeSent = false;
    return true;
  }

  /**
   * Rejected append for `rejected` with the follower's hint; false when the rejection is stale
   * (it answers an append older than the current probe, or below what is already matched).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.replicating) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  becomeProbe(): void {
    this.replicating = false;
    this.probeSent = false;
    this.next = this.match + 1;
    this.#start = 0;
    this.#count = 0;
  }

  becomeReplicate(): void {
    this.replicating = true;
    this.probeSent = false;
    this.next = this.match + 1;
    this.#start = 0;
    this.#count = 0;
  }

  /** Records an append that carried entries up to `last`. */
  sent(last: number): void {
    if (this.replicating) {
      this.next = last + 1;
      const cap = this.#inflight.length;
      if (this.#count < cap) {
        this.#inflight[(this.#start + this.#count) % cap] = last;
        this.#count++;
      }
    } else {
      this.probeSent = true;
    }
  }

  /** Frees the inflight slots of every append acknowledged by an ack up to `index`. */
  freeLE(index: number): void {
    const cap = this.#inflight.length;
    while (this.#count > 0 && (this.#inflight[this.#start] as number) <= index) {
      this.#start = (this.#start + 1) % cap;
      this.#count--;
    }
  }

  /** A heartbeat answer proves the link works: let one more append through when the window is full. */
  freeFirstOne(): void {
    if (this.#count === 0) return;
    this.#start = (this.#start + 1) % this.#inflight.length;
    this.#count--;
  }
}
