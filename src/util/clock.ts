/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The one place the library reads time, waits, and defers work to a later turn. Everything that
 * decides takes "now" from a clock passed in, and everything that batches or yields asks the clock
 * for the next turn, so tests and simulators drive time and ordering themselves instead of
 * sleeping or relying on the event loop's order.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now (per this clock). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or already-fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Calls `fn` once the code running now and the callbacks it queued are done, before timers and
   * I/O: what one synchronous burst queues is handled together. Default: `process.nextTick`.
   */
  soon?(fn: () => void): void;
  /** Calls `fn` on the next turn of the event loop, after pending I/O. Default: `setImmediate`. */
  nextTurn?(fn: () => void): void;
}

/** A {@link Clock} with every method present: what the library's components are handed. */
export type CompleteClock = Required<Clock>;

/** The real clock: `Date.now()`, Node's timers (unref'd so they never keep a process alive), `nextTick` and `setImmediate`. */
export const systemClock: CompleteClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
  soon(fn) {
    process.nextTick(fn);
  },
  nextTurn(fn) {
    setImmediate(fn);
  },
};

/**
 * `clock` itself when it has every method (so identity checks such as `clock === systemClock`
 * keep working), else a clock that fills the missing turn methods with the system's.
 */
export function completeClock(clock: Clock): CompleteClock {
  if (clock.soon !== undefined && clock.nextTurn !== undefined) return clock as CompleteClock;
  const soon = clock.soon?.bind(clock) ?? systemClock.soon;
  const nextTurn = clock.nextTurn?.bind(clock) ?? systemClock.nextTurn;
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    soon,
    nextTurn,
  };
}
