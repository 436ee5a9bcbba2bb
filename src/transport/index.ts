/** Transports: how Raft messages move between nodes. */
export { ANY_NODE, MemoryNetwork, type LinkFaults, type MemoryNetworkOptions, type MemoryNetworkStats } from './memory-network.js';
export { cloneMessage } from './clone.js';
export { ByteArena } from '../util/byte-arena.js';
