/** Transports: how Raft messages move between nodes. */
export {
  ANY_NODE,
  MemoryNetwork,
  type LinkFaults,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
} from './memory-network.js';
export { ByteArena, cloneMessage } from './clone.js';
