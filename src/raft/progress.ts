/**
 * How a leader paces appends to one follower, as etcd-io/raft's `StateType`.
 *
 * - `probe`: the leader does not know where the logs meet; it sends one append and waits for the
 *   answer (or a heartbeat response) before sending another.
 * - `replicate`: the logs met; the leader streams appends optimistically, at most `maxInflight`
 *   unacknowledged messages at a time.
 * - `snapshot`: the follower needs a snapshot and nothing is appended until it has one (reserved:
 *   the log is not compacted yet, so no follower enters it).
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/**
 * What a leader knows about one follower's log, and how it paces appends to it (see
 * {@link ProgressState}).
 * @internal
 */
export class Progress {
  /** Highest index known replicated on the follower. */
  match = 0;
  /** Next index to send. */
  next = 1;
  /** How appends to the follower are paced. */
  state: ProgressState = 'probe';
  /** Probe state: an append is outstanding, wait for its answer before the next one. */
  probeSent = false;
  /** Heard from the follower since the last check-quorum round. */
  recentActive = false;
  /** Ring buffer of the last index carried by each unacknowledged append (replicate state). */
  readonly #inflight: Float64Array;
  #start = 0;
  #count = 0;

  /** @param maxInflight - unacknowledged appends allowed while replicating. */
  constructor(maxInflight: number) {
    this.#inflight = new Float64Array(Math.max(1, maxInflight));
  }

  /** A new leadership: nothing known about the follower but where to start probing. */
  reset(next: number): void {
    this.match = 0;
    this.next = next;
    this.state = 'probe';
    this.probeSent = false;
    this.recentActive = false;
    this.#start = 0;
    this.#count = 0;
  }

  /** No append may be sent now: the probe awaits its answer, the inflight window is full, or a snapshot is pending. */
  isPaused(): boolean {
    switch (this.state) {
      case 'replicate':
        return this.#count === this.#inflight.length;
      case 'probe':
        return this.probeSent;
      default:
        return true;
    }
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
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Back to one append at a time from just after the match, after a rejection. */
  becomeProbe(): void {
    this.state = 'probe';
    this.probeSent = false;
    this.next = this.match + 1;
    this.#start = 0;
    this.#count = 0;
  }

  /** The logs met: stream appends from just after the match. */
  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.next = this.match + 1;
    this.#start = 0;
    this.#count = 0;
  }

  /** Records an append that carried entries up to `last`. */
  sent(last: number): void {
    if (this.state === 'replicate') {
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
