/**
 * What a simulated process crash cuts: its timers, its disk and its network endpoint. A node of
 * the firing-path simulator runs on a {@link ProcessClock} (its timers on the shared simulated
 * clock) and a {@link fencedLevel} view of its own `MemoryLevel`; `kill()` freezes both at once,
 * like `kill -9`: no timer of the dead process fires again, nothing it awaits from its disk ever
 * comes back, and whatever it writes after the crash never reaches the disk. Writes handed to the
 * store before the crash land (they reached the disk), so a restart reads exactly what the dead
 * process had made durable — no more (no graceful close, no flush) and no less.
 * @internal
 */
import type { AbstractLevel } from 'abstract-level';
import type { LevelDatabase } from '../../scheduler/options.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

/** The life of one process incarnation: alive until `kill()`; work of a dead one never resumes. */
export class Fence {
  #alive = true;
  readonly #onKill: (() => void)[] = [];

  /** Whether the process still runs. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Registers `fn` to run when the process dies. */
  onKill(fn: () => void): void {
    if (this.#alive) this.#onKill.push(fn);
  }

  /** Kills the process: from now on, nothing of it runs. */
  kill(): void {
    if (!this.#alive) return;
    this.#alive = false;
    for (const fn of this.#onKill.splice(0)) fn();
  }

  /**
   * `promise`, settled only if the process is still alive when it settles; a dead process
   * waits forever (the continuation belongs to a process that no longer exists).
   */
  guard<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      promise.then(
        (value) => {
          if (this.#alive) resolve(value);
        },
        (error: unknown) => {
          if (this.#alive) reject(error);
        },
      );
    });
  }

  /** A promise that never settles: what a dead process gets for anything it asks. */
  static never<T>(): Promise<T> {
    return new Promise<T>(() => {});
  }
}

/** One process's view of the shared simulated clock: its timers die with it. */
export class ProcessClock implements Clock {
  readonly #base: Clock;
  readonly #fence: Fence;
  readonly #timers = new Set<TimerHandle>();

  /**
   * @param base - the simulation's clock.
   * @param fence - the process whose timers these are.
   */
  constructor(base: Clock, fence: Fence) {
    this.#base = base;
    this.#fence = fence;
    fence.onKill(() => {
      for (const handle of this.#timers) base.clearTimeout(handle);
      this.#timers.clear();
    });
  }

  /** Whole milliseconds, as `Date.now()` gives (link delays make the simulated clock fractional). */
  now(): number {
    return Math.floor(this.#base.now());
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    if (!this.#fence.alive) return undefined;
    const handle: TimerHandle = this.#base.setTimeout(() => {
      this.#timers.delete(handle);
      if (this.#fence.alive) fn();
    }, ms);
    this.#timers.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle === undefined) return;
    this.#timers.delete(handle);
    this.#base.clearTimeout(handle);
  }
}

/** The iterator surface `LevelStorage.load` uses. */
interface LoadIterator {
  nextv(size: number): Promise<unknown[]>;
  close(): Promise<void>;
}

/** The database surface `LevelStorage` uses (see `src/storage/level-storage.ts`). */
interface StorageSurface {
  get(key: unknown, options: unknown): Promise<unknown>;
  iterator(options: unknown): LoadIterator;
  batch(operations: unknown, options: unknown): Promise<void>;
  keys(options: unknown): { all(): Promise<unknown[]> };
  close(): Promise<void>;
}

/**
 * `db` as the given process sees it: every call is passed through while the process lives; after
 * `fence.kill()` calls are never made and answers of calls made before never arrive.
 * `close()` does nothing: the database outlives the process, as a disk does.
 */
// `AbstractLevel<any, any, any>` is the scheduler's own option type (see LevelDatabase).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fencedLevel(db: AbstractLevel<any, any, any>, fence: Fence): LevelDatabase {
  const inner = db as unknown as StorageSurface;
  const call = <T>(fn: () => Promise<T>): Promise<T> => (fence.alive ? fence.guard(fn()) : Fence.never<T>());
  const surface: StorageSurface = {
    get: (key, options) => call(() => inner.get(key, options)),
    iterator(options) {
      const it = inner.iterator(options);
      return {
        nextv: (size) => call(() => it.nextv(size)),
        close: () => call(() => it.close()),
      };
    },
    batch: (operations, options) => call(() => inner.batch(operations, options)),
    keys(options) {
      return { all: () => call(() => inner.keys(options).all()) };
    },
    close: async () => {},
  };
  return surface as unknown as LevelDatabase;
}
