/**
 * `RaftStorage` over any abstract-level database: one key per entry (ordered by index) and one
 * key for the hard state, every `save` a single atomic batch.
 */
import type { AbstractBatchOperation, AbstractLevel } from 'abstract-level';
import type { Entry, HardState, PersistedState, RaftStorage } from '../raft/types.js';
import {
  ENTRY_KEY_MAX,
  ENTRY_KEY_MIN,
  HARD_STATE_KEY,
  decodeEntryValue,
  decodeHardState,
  encodeEntryValue,
  encodeHardState,
  entryKey,
  entryKeyIndex,
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
const LOAD_CHUNK = 1024;

type Batch<TFormat, K, V> = AbstractBatchOperation<AbstractLevel<TFormat, K, V>, Uint8Array, Uint8Array>;

/**
 * Wraps `db` as Raft storage. Callers must not overlap `save` calls (the node driver awaits each
 * one): the stale-suffix bookkeeping assumes saves land in call order.
 */
export function createLevelStorage<TFormat, K, V>(
  db: AbstractLevel<TFormat, K, V>,
  options: LevelStorageOptions = {},
): RaftStorage {
  return new LevelStorage(db, options);
}

class LevelStorage<TFormat, K, V> implements RaftStorage {
  readonly #db: AbstractLevel<TFormat, K, V>;
  readonly #batchOptions: { keyEncoding: 'view'; valueEncoding: 'view'; sync: boolean };
  readonly #closeDatabase: boolean;
  /** Highest stored index; known after `load`, or looked up once by the first `save`. Avoids scanning for stale suffixes. */
  #lastIndex: number | undefined;

  constructor(db: AbstractLevel<TFormat, K, V>, options: LevelStorageOptions) {
    this.#db = db;
    this.#batchOptions = { ...VIEW, sync: options.sync ?? false };
    this.#closeDatabase = options.closeDatabase ?? true;
  }

  async load(): Promise<PersistedState> {
    const raw = await this.#db.get<Uint8Array, Uint8Array>(HARD_STATE_KEY, VIEW);
    const hardState: HardState = raw === undefined ? { term: 0, vote: null, commit: 0 } : decodeHardState(raw);
    const entries: Entry[] = [];
    const it = this.#db.iterator<Uint8Array, Uint8Array>({ gte: ENTRY_KEY_MIN, lt: ENTRY_KEY_MAX, ...VIEW });
    try {
      for (;;) {
        const chunk = await it.nextv(LOAD_CHUNK);
        if (chunk.length === 0) break;
        for (const [key, value] of chunk) {
          const index = entryKeyIndex(key);
          const expected = entries.length + 1;
          if (index !== expected) throw new Error(`storage: log has a gap (expected index ${expected}, found ${index})`);
          entries.push(decodeEntryValue(index, value));
        }
      }
    } finally {
      await it.close();
    }
    this.#lastIndex = entries.length;
    return { hardState, entries };
  }

  async save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    if (hardState === undefined && entries.length === 0) return;
    const last = this.#lastIndex ?? (await this.#findLastIndex());
    const ops: Batch<TFormat, K, V>[] = [];
    if (hardState !== undefined) ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(hardState) });
    let newLast = last;
    if (entries.length > 0) {
      const first = entries[0]!.index;
      if (first < 1 || first > last + 1) throw new RangeError(`storage: entry ${first} would leave a gap after ${last}`);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (entry.index !== first + i) throw new RangeError(`storage: entries not contiguous at ${entry.index}`);
        ops.push({ type: 'put', key: entryKey(entry.index), value: encodeEntryValue(entry) });
      }
      newLast = first + entries.length - 1;
      // A conflict rewrote the tail: whatever lies beyond the new last entry belongs to a dead term.
      for (let index = newLast + 1; index <= last; index++) ops.push({ type: 'del', key: entryKey(index) });
    }
    await this.#db.batch<Uint8Array, Uint8Array>(ops, this.#batchOptions);
    this.#lastIndex = newLast;
  }

  async close(): Promise<void> {
    if (this.#closeDatabase) await this.#db.close();
  }

  async #findLastIndex(): Promise<number> {
    const keys = await this.#db.keys<Uint8Array>({ gte: ENTRY_KEY_MIN, lt: ENTRY_KEY_MAX, reverse: true, limit: 1, keyEncoding: 'view' }).all();
    const key = keys[0];
    return key === undefined ? 0 : entryKeyIndex(key);
  }
}
