/** In-memory Raft storage: the default for a single node and for tests. */
import { MemoryLevel } from 'memory-level';
import type { RaftStorage } from '../raft/types.js';
import { createLevelStorage } from './level-storage.js';

/** Opens an empty, process-local `RaftStorage` backed by memory-level. Nothing survives the process. */
export async function openMemoryStorage(): Promise<RaftStorage> {
  // 'view' end to end: no transcoding between what we write and what the store keeps.
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' });
  await db.open();
  return createLevelStorage(db);
}
