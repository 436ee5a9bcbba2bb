/**
 * The consensus layer's public API: the node driver that embeds a replicated log in a process,
 * the pure core it drives (for custom drivers and simulators), the typed errors, the timing
 * profiles, and the contracts that storage and transports implement.
 * @module
 */
export { RaftNode, type RaftNodeOptions, type RaftNodeStatus } from './node.js';
export { RaftCore, type RaftCoreOptions, type RaftStatus } from './core.js';
export {
  NoLeaderError,
  NodeClosedError,
  NotLeaderError,
  ProposalDroppedError,
  RaftError,
  RaftTimeoutError,
  type DropReason,
  type RaftErrorCode,
} from './errors.js';
export { DEFAULT_TIMING, FAST_TIMING, type RaftTiming } from './timing.js';
export type {
  Entry,
  EntryKind,
  HardState,
  LeadershipChange,
  Message,
  MessageType,
  NodeId,
  PersistedState,
  RaftStorage,
  ReadState,
  Ready,
  ReplicatedLog,
  Role,
  SoftState,
  StateMachine,
  Transport,
} from './types.js';
