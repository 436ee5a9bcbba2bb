/**
 * The Raft layer for custom drivers, storage and transports: the node driver that embeds a
 * replicated log in a process, the pure core it drives with its status and progress view, the typed
 * errors, the timing profiles, the contracts that storage and transports implement, and the
 * abstract-level storage adapters that implement `RaftStorage`. Its API may change between minor
 * versions until 1.0; the scheduler API in `scheduled-db` is the stable surface.
 * @module scheduled-db/raft
 */
export * from './raft/index.js';
export * from './storage/index.js';
