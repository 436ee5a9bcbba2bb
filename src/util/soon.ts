/**
 * Runs a flush "soon": as a `nextTick` (once the microtask queue is empty, so work queued by the
 * same synchronous code and its promise callbacks is batched into one flush) — but at most
 * `eagerPerTurn` times per turn of the event loop, then on `setImmediate`, so components that keep
 * feeding each other cannot starve timers and I/O.
 */
export class SoonScheduler {
  readonly #flush: () => void;
  readonly #eagerPerTurn: number;
  #scheduled = false;
  #eager = 0;
  #turnEndScheduled = false;

  /** @param flush - called once per {@link SoonScheduler.schedule} burst. */
  constructor(flush: () => void, eagerPerTurn: number) {
    this.#flush = flush;
    this.#eagerPerTurn = eagerPerTurn;
  }

  /** Whether a flush is scheduled and has not run yet. */
  get scheduled(): boolean {
    return this.#scheduled;
  }

  /** Schedules one flush unless one is already scheduled. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#eager < this.#eagerPerTurn) {
      this.#eager++;
      if (!this.#turnEndScheduled) {
        this.#turnEndScheduled = true;
        setImmediate(this.#endTurn);
      }
      process.nextTick(this.#run);
    } else {
      setImmediate(this.#run);
    }
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    this.#flush();
  };

  readonly #endTurn = (): void => {
    this.#turnEndScheduled = false;
    this.#eager = 0;
  };
}
