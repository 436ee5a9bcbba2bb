/** Raft storage over abstract-level: memory-level for tests and single nodes, classic-level for disk. */
export { createLevelStorage, type LevelStorageOptions } from './level-storage.js';
export { openMemoryStorage } from './memory.js';
export { openDiskStorage, type DiskStorageOptions } from './disk.js';
