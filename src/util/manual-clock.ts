import type { CompleteClock, TimerHandle } from './clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in time order (ties in creation order) as
 * {@link ManualClock.advance} passes them. Work deferred through {@link ManualClock.soon} and
 * {@link ManualClock.nextTurn} is queued here, in order, and runs on its own (time need not move
 * for a proposal to commit); `advance` lets all of it, and the promises it settles, finish before
 * the next timer fires, however many turns that takes.
 */
export class ManualClock implements CompleteClock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, Timer>();
  #soon: (() => void)[] = [];
  #soonHooked = false;
  #turn: (() => void)[] = [];
  #turnHooked = false;

  /** @param start - the initial time in epoch milliseconds (default 2030-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  soon(fn: () => void): void {
    this.#soon.push(fn);
    if (this.#soonHooked) return;
    this.#soonHooked = true;
    process.nextTick(this.#runSoon);
  }

  nextTurn(fn: () => void): void {
    this.#turn.push(fn);
    if (this.#turnHooked) return;
    this.#turnHooked = true;
    setImmediate(this.#runTurn);
  }

  /** Number of timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Number of deferred calls (soon and next turn) not yet run. */
  get pendingTurns(): number {
    return this.#soon.length + this.#turn.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time` (epoch ms), firing every timer that falls due on the way. */
  async advanceTo(time: number): Promise<void> {
    for (;;) {
      await this.#settle();
      const next = this.#earliest();
      if (next === undefined || next.at > time) break;
      this.#timers.delete(next.id);
      if (next.at > this.#now) this.#now = next.at;
      next.fn();
    }
    if (time > this.#now) this.#now = time;
    await this.#settle();
  }

  /** Soon-calls queued while these run join this run, as `process.nextTick` does. */
  readonly #runSoon = (): void => {
    this.#soonHooked = false;
    const queue = this.#soon;
    let i = 0;
    try {
      while (i < queue.length) queue[i++]!();
    } finally {
      queue.splice(0, i);
      if (queue.length > 0 && !this.#soonHooked) {
        this.#soonHooked = true;
        process.nextTick(this.#runSoon);
      }
    }
  };

  /** Next-turn calls queued while these run wait for the next turn. */
  readonly #runTurn = (): void => {
    this.#turnHooked = false;
    const queue = this.#turn;
    this.#turn = [];
    let i = 0;
    try {
      while (i < queue.length) queue[i++]!();
    } finally {
      // A call that threw leaves the rest of its turn for the next one, ahead of newer calls.
      if (i < queue.length) {
        this.#turn = queue.slice(i).concat(this.#turn);
        if (!this.#turnHooked) {
          this.#turnHooked = true;
          setImmediate(this.#runTurn);
        }
      }
    }
  };

  /**
   * Lets promise callbacks, completed I/O and every deferred call run: a few real turns (for
   * I/O that completes in the background), then as many more as deferred work keeps queueing.
   */
  async #settle(): Promise<void> {
    for (let i = 0; i < 5 || this.pendingTurns > 0; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }
}
