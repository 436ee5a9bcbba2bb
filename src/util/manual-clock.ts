import type { Clock, TimerHandle } from './clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in time order (ties in creation order) as
 * {@link ManualClock.advance} passes them; between timers it yields to the event loop so that
 * promises and I/O started by one timer settle before the next fires.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, Timer>();

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

  /** Number of timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time` (epoch ms), firing every timer that falls due on the way. */
  async advanceTo(time: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.#earliest();
      if (next === undefined || next.at > time) break;
      this.#timers.delete(next.id);
      if (next.at > this.#now) this.#now = next.at;
      next.fn();
    }
    if (time > this.#now) this.#now = time;
    await settle();
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }
}

/** Lets pending promise callbacks and already-completed I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
