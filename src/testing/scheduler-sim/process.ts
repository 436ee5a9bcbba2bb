/**
 * What a simulated process crash cuts: its timers, its disk and its network endpoint. A node of
 * the firing-path simulator runs on a {@link ProcessClock} (its timers on the shared simulated
 * clock) and a {@link fencedLevel} view of its own `MemoryLevel`; `kill()` freezes both at once,
 * like `kill -9`: no timer of the dead process fires again, nothing it awaits from its disk ever
 * comes back, and nothing it writes after the crash reaches the disk. A write in flight at the
 * crash (handed to the disk, not yet acknowledged) is torn: it lands or not, as the disk model
 * draws. So a restart reads what the dead process had made durable, perhaps one write more, and
 * nothing else (no graceful close, no flush, no hand-over).
 * @internal
 */
import type { AbstractLevel } from 'abstract-level';
import type { LevelDatabase } from '../../scheduler/options.js';
import type { CompleteClock, TimerHandle } from '../../util/clock.js';

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
export class ProcessClock implements CompleteClock {
  readonly #base: CompleteClock;
  readonly #fence: Fence;
  readonly #timers = new Set<TimerHandle>();
  readonly #offsetMs: number;

  /**
   * @param base - the simulation's clock.
   * @param fence - the process whose timers these are.
   * @param offsetMs - how far this machine's wall clock is ahead of the simulation's (skew).
   */
  constructor(base: CompleteClock, fence: Fence, offsetMs = 0) {
    this.#base = base;
    this.#fence = fence;
    this.#offsetMs = offsetMs;
    fence.onKill(() => {
      for (const handle of this.#timers) base.clearTimeout(handle);
      this.#timers.clear();
    });
  }

  /** Whole milliseconds, as `Date.now()` gives (link delays make the simulated clock fractional). */
  now(): number {
    return Math.floor(this.#base.now() + this.#offsetMs);
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

  /** Deferred work is the simulation's to order; a dead process's never runs. */
  soon(fn: () => void): void {
    if (this.#fence.alive) this.#base.soon(() => this.#fence.alive && fn());
  }

  nextTurn(fn: () => void): void {
    if (this.#fence.alive) this.#base.nextTurn(() => this.#fence.alive && fn());
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

/** How a node's disk behaves: how slow a write is, and whether a write in flight at a crash lands. */
export interface DiskModel {
  /** Extra simulated ms before a write reaches the store (0: next turn of the event loop). */
  writeDelayMs(): number;
  /** Whether a write still in flight when the process dies reaches the disk anyway. */
  landsOnCrash(): boolean;
}

/**
 * `db` as the given process sees it: every call is passed through while the process lives; after
 * `fence.kill()` calls are never made and answers of calls made before never arrive.
 * A write (`batch`) reaches the store only after a turn of the event loop, or `writeDelayMs` of
 * the process's clock: a crash meanwhile tears it — it lands or not, as `landsOnCrash` says —
 * which is what a write not yet acknowledged by a real disk may do. `close()` does nothing: the
 * database outlives the process, as a disk does.
 */
// `AbstractLevel<any, any, any>` is the scheduler's own option type (see LevelDatabase).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fencedLevel(db: AbstractLevel<any, any, any>, fence: Fence, clock: CompleteClock, disk: DiskModel): LevelDatabase {
  const inner = db as unknown as StorageSurface;
  const call = <T>(fn: () => Promise<T>): Promise<T> => (fence.alive ? fence.guard(fn()) : Fence.never<T>());
  const inFlight = new Set<() => void>();
  fence.onKill(() => {
    for (const write of inFlight) if (disk.landsOnCrash()) write();
    inFlight.clear();
  });
  const batch = (operations: unknown, options: unknown): Promise<void> => {
    if (!fence.alive) return Fence.never<void>();
    return fence.guard(
      new Promise<void>((resolve, reject) => {
        const write = (): void => {
          if (!inFlight.delete(write)) return;
          inner.batch(operations, options).then(resolve, reject);
        };
        inFlight.add(write);
        const delay = disk.writeDelayMs();
        if (delay > 0) clock.setTimeout(write, delay);
        else clock.nextTurn(write);
      }),
    );
  };
  const surface: StorageSurface = {
    get: (key, options) => call(() => inner.get(key, options)),
    iterator(options) {
      const it = inner.iterator(options);
      return {
        nextv: (size) => call(() => it.nextv(size)),
        close: () => call(() => it.close()),
      };
    },
    batch,
    keys(options) {
      return { all: () => call(() => inner.keys(options).all()) };
    },
    close: async () => {},
  };
  return surface as unknown as LevelDatabase;
}
