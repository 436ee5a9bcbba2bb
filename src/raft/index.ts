/**
 * The consensus layer's public API (served to users by the `scheduled-db/raft` subpath, see src/raft-entry.ts): the node driver that embeds
 * a replicated log in a process, the pure core it drives (for custom drivers and simulators) with
 * its status and progress view, the typed errors, the timing profiles, and the contracts that
 * storage and transports implement. Everything else under `src/raft/` is internal.
 */
export { RaftNode, type RaftNodeOptions, type RaftNodeStatus } from './node.js';
export { RaftCore, type RaftCoreOptions, type RaftStatus, type VoterProgress } from './core.js';
export type { ProgressState } from './progress.js';
export {
  AlreadyStartedError,
  NoLeaderError,
  NodeClosedError,
  NotLeaderError,
  ProposalDroppedError,
  RaftConfigError,
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
