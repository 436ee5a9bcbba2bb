/**
 * `RaftStorage` over any abstract-level database. Each `save` is one atomic batch: the hard state
 * plus one *run* (all the entries of that save under one key, see `codec.ts`), plus — only when a
 * conflict rewrote the log's tail — the deletion of the runs it replaced.
 */
import type { AbstractBatchOperation, AbstractLevel } from 'abstract-level';
import type { Entry, HardState, PersistedState, RaftStorage } from '../raft/types.js';
import {
  HARD_STATE_KEY,
  RUN_KEY_MAX,
  RUN_KEY_MIN,
  decodeHardState,
  decodeRun,
  encodeHardState,
  encodeRun,
  parseRunKey,
  runKey,
  runPrefixLength,
  type RunBounds,
} from './codec.js';

/** Options of {@link createLevelStorage}. */
export interface LevelStorageOptions {
  /**
   * Ask the store to fsync every batch before it resolves (classic-level honours it; stores
   * without durability ignore it). Default `false`.
   */
  readonly sync?: boolean;
  /** Whether `close()` also closes the database. Default `true`. */
  readonly closeDatabase?: boolean;
}

const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;
const LOAD_CHUNK = 256;

type Op<TFormat, K, V> = AbstractBatchOperation<AbstractLevel<TFormat, K, V>, Uint8Array, Uint8Array>;

/**
 * Wraps `db` as Raft storage; the keys it writes start with `h` and `r`, so give it a database
 * (or sublevel) of its own. Callers must not overlap `save` calls (the node driver awaits each
 * one): the in-memory run index assumes saves land in call order.
 */
export function createLevelStorage<TFormat, K, V>(db: AbstractLevel<TFormat, K, V>, options: LevelStorageOptions = {}): RaftStorage {
  return new LevelStorage(db, options);
}

class LevelStorage<TFormat, K, V> implements RaftStorage {
  readonly #db: AbstractLevel<TFormat, K, V>;
  readonly #batchOptions: { keyEncoding: 'view'; valueEncoding: 'view'; sync: boolean };
  readonly #closeDatabase: boolean;
  /**
   * Bounds of every stored run, in order; known after `load`, or rebuilt from keys by the first
   * `save`. Lets a tail rewrite find what to delete without scanning the store.
   */
  #runs: RunBounds[] | undefined;

  constructor(db: AbstractLevel<TFormat, K, V>, options: LevelStorageOptions) {
    this.#db = db;
    this.#batchOptions = { ...VIEW, sync: options.sync ?? false };
    this.#closeDatabase = options.closeDatabase ?? true;
  }

  async load(): Promise<PersistedState> {
    const raw = await this.#db.get<Uint8Array, Uint8Array>(HARD_STATE_KEY, VIEW);
    const hardState: HardState = raw === undefined ? { term: 0, vote: null, commit: 0 } : decodeHardState(raw);
    const entries: Entry[] = [];
    const runs: RunBounds[] = [];
    const it = this.#db.iterator<Uint8Array, Uint8Array>({ gte: RUN_KEY_MIN, lt: RUN_KEY_MAX, ...VIEW });
    try {
      for (;;) {
        const chunk = await it.nextv(LOAD_CHUNK);
        if (chunk.length === 0) break;
        for (const [key, value] of chunk) {
          const run = parseRunKey(key);
          if (run.first !== entries.length + 1) {
            throw new Error(`storage: log has a gap (expected index ${entries.length + 1}, found ${run.first})`);
          }
          const count = decodeRun(run.first, value, entries);
          if (count !== run.last - run.first + 1) throw new Error(`storage: run ${run.first}..${run.last} holds ${count} entries`);
          runs.push(run);
        }
      }
    } finally {
      await it.close();
    }
    this.#runs = runs;
    return { hardState, entries };
  }

  async save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    if (hardState === undefined && entries.length === 0) return;
    const runs = this.#runs ?? (this.#runs = await this.#scanRuns());
    const ops: Op<TFormat, K, V>[] = [];
    if (hardState !== undefined) ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(hardState) });
    let keep = runs.length;
    let replacement: RunBounds[] | undefined;
    if (entries.length > 0) {
      const first = entries[0]!.index;
      const lastStored = keep === 0 ? 0 : runs[keep - 1]!.last;
      if (first < 1 || first > lastStored + 1) throw new RangeError(`storage: entry ${first} would leave a gap after ${lastStored}`);
      for (let i = 1; i < entries.length; i++) {
        if (entries[i]!.index !== first + i) throw new RangeError(`storage: entries not contiguous at ${entries[i]!.index}`);
      }
      const last = first + entries.length - 1;
      replacement = [];
      // A conflict rewrote the tail: runs reaching `first` or beyond belong to a dead term.
      while (keep > 0 && runs[keep - 1]!.last >= first) keep--;
      for (let i = keep; i < runs.length; i++) {
        const run = runs[i]!;
        const key = runKey(run.first, run.last);
        ops.push({ type: 'del', key });
        if (run.first < first) {
          // The run straddles the rewrite: keep its live prefix as a shorter run.
          const value = await this.#db.get<Uint8Array, Uint8Array>(key, VIEW);
          if (value === undefined) throw new Error(`storage: run ${run.first}..${run.last} vanished`);
          const prefix = value.subarray(0, runPrefixLength(value, first - run.first));
          ops.push({ type: 'put', key: runKey(run.first, first - 1), value: prefix });
          replacement.push({ first: run.first, last: first - 1 });
        }
      }
      ops.push({ type: 'put', key: runKey(first, last), value: encodeRun(entries) });
      replacement.push({ first, last });
    }
    await this.#db.batch<Uint8Array, Uint8Array>(ops, this.#batchOptions);
    if (replacement !== undefined) {
      runs.length = keep;
      for (const run of replacement) runs.push(run);
    }
  }

  async close(): Promise<void> {
    if (this.#closeDatabase) await this.#db.close();
  }

  async #scanRuns(): Promise<RunBounds[]> {
    const keys = await this.#db.keys<Uint8Array>({ gte: RUN_KEY_MIN, lt: RUN_KEY_MAX, keyEncoding: 'view' }).all();
    return keys.map(parseRunKey);
  }
}
