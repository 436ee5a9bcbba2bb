/** Durable Raft storage in a LevelDB directory. */
import { ClassicLevel } from 'classic-level';
import type { RaftStorage } from '../raft/types.js';
import { createLevelStorage } from './level-storage.js';

/** Options of {@link openDiskStorage}. */
export interface DiskStorageOptions {
  /**
   * fsync every save before it resolves. Default `true`: Raft's safety rests on term, vote and
   * entries surviving a crash; turn it off only for throwaway clusters.
   */
  readonly sync?: boolean;
}

/** Opens (creating if missing) a classic-level database at `directory` as `RaftStorage`. */
export async function openDiskStorage(directory: string, options: DiskStorageOptions = {}): Promise<RaftStorage> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(directory, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  return createLevelStorage(db, { sync: options.sync ?? true });
}
