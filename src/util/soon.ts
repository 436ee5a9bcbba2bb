import type { CompleteClock } from './clock.js';

/**
 * Runs a flush "soon": on the clock's `soon` (once the code that queued work and its callbacks are
 * done, so work queued by one synchronous burst is batched into one flush) — but at most
 * `eagerPerTurn` times per turn, then on the clock's `nextTurn`, so components that keep feeding
 * each other cannot starve timers and I/O.
 */
export class SoonScheduler {
  readonly #flush: () => void;
  readonly #eagerPerTurn: number;
  readonly #clock: CompleteClock;
  #scheduled = false;
  #eager = 0;
  #turnEndScheduled = false;

  /**
   * @param flush - called once per {@link SoonScheduler.schedule} burst.
   * @param eagerPerTurn - flushes per turn that may run before the turn ends.
   * @param clock - where "soon" and "the next turn" come from.
   */
  constructor(flush: () => void, eagerPerTurn: number, clock: CompleteClock) {
    this.#flush = flush;
    this.#eagerPerTurn = eagerPerTurn;
    this.#clock = clock;
  }

  /** Schedules one flush unless one is already scheduled. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#eager < this.#eagerPerTurn) {
      this.#eager++;
      if (!this.#turnEndScheduled) {
        this.#turnEndScheduled = true;
        this.#clock.nextTurn(this.#endTurn);
      }
      this.#clock.soon(this.#run);
    } else {
      this.#clock.nextTurn(this.#run);
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
