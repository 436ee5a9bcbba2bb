/**
 * The contracts of the consensus layer. The pure core (`RaftCore`), the node driver (`RaftNode`),
 * storage and transport all meet here. Nothing in this file knows about jobs.
 */

/** A cluster member's id. */
export type NodeId = string;

/** Kind of a log entry: `0` normal (application data, empty = leader no-op), `1` configuration (reserved for membership). */
export type EntryKind = 0 | 1;

/**
 * One log entry. `data` is opaque to Raft, and immutable once the entry exists: the core, storage
 * and transports may keep references to it (and to the buffer behind it) instead of copying.
 */
export interface Entry {
  /** Position in the log, 1-based. */
  readonly index: number;
  /** The leader term in which the entry was created. */
  readonly term: number;
  /** Normal (application data) or configuration. */
  readonly kind: EntryKind;
  /** The application's bytes; empty for a leader's no-op entry. */
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it leaves the node. */
export interface HardState {
  /** The latest term this node has seen. */
  readonly term: number;
  /** Who this node voted for in `term`, or `null`. */
  readonly vote: NodeId | null;
  /** Index of the highest entry known to be committed. */
  readonly commit: number;
}

/** The types of messages nodes exchange. */
export type MessageType =
  | 'preVote'
  | 'preVoteResp'
  | 'vote'
  | 'voteResp'
  | 'append'
  | 'appendResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'propose'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp';

/**
 * One Raft message. A flat shape (the fields a type does not use are absent) so that every
 * transport can encode it the same way. The core owns the meaning of each field.
 */
export interface Message {
  /** What the message is; decides which of the optional fields it carries. */
  readonly type: MessageType;
  /** The sending node. */
  readonly from: NodeId;
  /** The receiving node. */
  readonly to: NodeId;
  /** The sender's term; 0 for a term-less forward (`propose`, `readIndex`). */
  readonly term: number;
  /** Term of the entry at `index` (append: the entry before `entries`; vote: candidate's last log term). */
  readonly logTerm?: number;
  /** append: index before `entries`; vote: candidate's last index; appendResp: match index or rejected index. */
  readonly index?: number;
  /** append: the entries to store after `index`; propose: the entries to append (index and term still 0). */
  readonly entries?: readonly Entry[];
  /** append/heartbeat: the leader's commit index. */
  readonly commit?: number;
  /** Responses: true when the request was refused (vote not granted, append did not match). */
  readonly reject?: boolean;
  /** appendResp on reject: the follower's hint for fast back-off (its last index, or the first index of the conflicting term). */
  readonly rejectHint?: number;
  /** appendResp on reject: the term of the follower's entry at `rejectHint`. */
  readonly hintTerm?: number;
  /** readIndex/heartbeat round context, opaque to transports. */
  readonly context?: string;
}

/** A node's role. */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state that the application may want to observe. */
export interface SoftState {
  /** This node's current role. */
  readonly role: Role;
  /** The leader this node currently knows, if any. */
  readonly leader: NodeId | null;
}

/** A linearizable read became safe to serve once the node has applied up to `index`. */
export interface ReadState {
  /** The commit index the read must wait for: serve it once applied up to here. */
  readonly index: number;
  /** The context passed to `readIndex`, identifying which read this answers. */
  readonly context: string;
}

/**
 * What the core hands the driver after `tick`/`step`/`propose`, in the shape of etcd-io/raft's
 * `Ready`. The driver must, in order: persist `hardState` and `entries` (entries overwrite any
 * stored entries from `entries[0].index` on); then send `messages`; then apply
 * `committedEntries` in order; then call `advance(ready)`.
 */
export interface Ready {
  /** The new role and known leader; absent when neither changed since the last Ready. */
  readonly softState?: SoftState;
  /** The hard state to persist; absent when it did not change since the last Ready. */
  readonly hardState?: HardState;
  /** Entries to persist before sending `messages` (empty when none). */
  readonly entries: readonly Entry[];
  /** Messages to send once `hardState` and `entries` are durable. */
  readonly messages: readonly Message[];
  /** Newly committed entries to apply, in log order. */
  readonly committedEntries: readonly Entry[];
  /** Reads that became safe to serve (see {@link ReadState}). */
  readonly readStates: readonly ReadState[];
}

/** What the driver loads from storage on start. */
export interface PersistedState {
  /** The stored term, vote and commit index. */
  readonly hardState: HardState;
  /** Every stored entry, in index order, starting at index 1 (until snapshots exist). */
  readonly entries: readonly Entry[];
}

/** Durable storage for one node's Raft state. */
export interface RaftStorage {
  /** Loads what was durably stored; an empty store gives term 0, no vote, commit 0, no entries. */
  load(): Promise<PersistedState>;
  /**
   * Stores `hardState` (when given) and `entries` in one atomic batch; entries replace any stored
   * entries from `entries[0].index` on (the suffix beyond the last new entry is deleted). Resolves
   * only once durable (fsync'd when the store was opened with `sync`).
   */
  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void>;
  /** Releases the underlying store. */
  close(): Promise<void>;
}

/** Moves messages between nodes. Best effort: messages may be lost, delayed, duplicated or reordered. */
export interface Transport {
  /** The node this endpoint belongs to. */
  readonly id: NodeId;
  /** Queues messages for delivery; never throws for an unreachable peer. */
  send(messages: readonly Message[]): void;
  /**
   * Sets the function that receives every message addressed to this node. A delivered message,
   * its entries and their bytes belong to the receiver from then on: never reuse or modify them.
   */
  onMessage(handler: (message: Message) => void): void;
  /** Stops sending and receiving. */
  close(): Promise<void>;
}

/** The application's state machine as the node driver sees it. */
export interface StateMachine {
  /**
   * Applies one committed entry's data. Called exactly once per committed normal entry with
   * non-empty data, in log order, on every node (also while replaying the log on restart). The
   * return value resolves the local proposer's promise. Must be deterministic.
   */
  apply(data: Uint8Array, index: number, term: number): unknown;
}

/** A change of leadership as seen by one node. */
export interface LeadershipChange {
  /** True once this node is leader *and* has applied every entry committed before its term began. */
  readonly isLeader: boolean;
  /** The leader this node now knows, or `null` when none. */
  readonly leader: NodeId | null;
  /** The term in which the change was seen. */
  readonly term: number;
}

/**
 * The replicated log as the application uses it; `RaftNode` implements it, and a single node is
 * simply a cluster of one.
 */
export interface ReplicatedLog {
  /** This node's id. */
  readonly id: NodeId;
  /** Loads storage, replays the committed log into the state machine, joins the cluster. */
  start(): Promise<void>;
  /**
   * Appends `data` through the leader (a follower forwards it). Resolves with the state machine's
   * `apply` result once the entry is committed and applied on this node; rejects with a typed
   * error when there is no leader or the proposal was lost (the caller may retry).
   */
  propose(data: Uint8Array): Promise<unknown>;
  /** Resolves once this node has applied everything committed before the call (linearizable read). */
  readIndex(): Promise<void>;
  /** See {@link LeadershipChange.isLeader}. */
  isLeader(): boolean;
  /** The leader this node knows, or `null`. */
  leader(): NodeId | null;
  /** Subscribes to leadership changes; returns the unsubscribe function. */
  onLeadership(listener: (change: LeadershipChange) => void): () => void;
  /** Hands leadership to `to` (or the most up-to-date follower) and resolves when it has moved. */
  transferLeadership(to?: NodeId): Promise<void>;
  /** Stops timers and transport and closes storage. Proposals still waiting are rejected. */
  close(): Promise<void>;
}
