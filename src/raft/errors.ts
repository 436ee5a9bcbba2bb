/**
 * Typed errors of the Raft layer. Branch on `code` (stable); messages may change. Every rejection
 * of a `RaftNode` promise and every error thrown by a public call of `RaftNode` or `RaftCore` on
 * purpose is one of these, except an error thrown by the state machine's own `apply`, which
 * reaches the proposer unchanged, and a storage or transport failure, which is the `cause` of a
 * {@link NodeClosedError}.
 */

/**
 * Stable codes of {@link RaftError}:
 * - `NO_LEADER` — {@link NoLeaderError}
 * - `NOT_LEADER` — {@link NotLeaderError}
 * - `PROPOSAL_DROPPED` — {@link ProposalDroppedError}
 * - `TIMEOUT` — {@link RaftTimeoutError}
 * - `CLOSED` — {@link NodeClosedError}
 * - `INVALID_CONFIG` — {@link RaftConfigError}
 * - `ALREADY_STARTED` — {@link AlreadyStartedError}
 */
export type RaftErrorCode = 'NO_LEADER' | 'NOT_LEADER' | 'PROPOSAL_DROPPED' | 'TIMEOUT' | 'CLOSED' | 'INVALID_CONFIG' | 'ALREADY_STARTED';

/** Base class of every error the Raft layer raises on purpose. */
export class RaftError extends Error {
  /** A stable, machine-readable code. */
  readonly code: RaftErrorCode;
  /**
   * @param code - the stable code.
   * @param message - a human-readable explanation.
   * @param options - the underlying cause, if any.
   */
  constructor(code: RaftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** No leader is known (an election is under way or this node is cut off); retry later. */
export class NoLeaderError extends RaftError {
  declare readonly code: 'NO_LEADER';
  /** @param message - what could not be done without a leader. */
  constructor(message = 'no leader is known') {
    super('NO_LEADER', message);
  }
}

/** The operation needs this node to be the leader, and it is not. */
export class NotLeaderError extends RaftError {
  declare readonly code: 'NOT_LEADER';
  /** The leader this node knows, if any: where to retry. */
  readonly leader: string | null;
  /** @param leader - the known leader, or `null`. */
  constructor(leader: string | null) {
    super('NOT_LEADER', `this node is not the leader (leader: ${leader ?? 'unknown'})`);
    this.leader = leader;
  }
}

/**
 * Why a proposal was given up: its term ended before it reached the log, it waited too long, a new
 * leader overwrote it, or it committed too late — more than the session window after it was
 * proposed — and every replica refused it (`stale`).
 */
export type DropReason = 'leader-changed' | 'timeout' | 'overwritten' | 'stale';

/**
 * A proposal was lost or may have been. With `leader-changed` and `timeout` the entry may still
 * commit later, so a retry must be idempotent; with `overwritten` and `stale` it never applies,
 * and a retry is safe.
 */
export class ProposalDroppedError extends RaftError {
  declare readonly code: 'PROPOSAL_DROPPED';
  /** Why it was given up. */
  readonly reason: DropReason;
  /** @param reason - why the proposal was given up. */
  constructor(reason: DropReason) {
    super('PROPOSAL_DROPPED', `proposal dropped (${reason})`);
    this.reason = reason;
  }
}

/** A read or a leadership transfer did not complete in time. */
export class RaftTimeoutError extends RaftError {
  declare readonly code: 'TIMEOUT';
  /**
   * @param operation - what timed out.
   * @param ms - after how long.
   */
  constructor(operation: string, ms: number) {
    super('TIMEOUT', `${operation} timed out after ${ms} ms`);
  }
}

/** The node is not running: not started yet, closed, or stopped by a storage failure (see `cause`). */
export class NodeClosedError extends RaftError {
  declare readonly code: 'CLOSED';
  /**
   * @param message - why.
   * @param cause - the failure that stopped the node, if any.
   */
  constructor(message = 'node is closed', cause?: unknown) {
    super('CLOSED', message, cause === undefined ? undefined : { cause });
  }
}

/**
 * A configuration or argument the Raft layer cannot work with: a node id missing from or repeated
 * in `voters`, an id too long, tuning out of range, a transfer to a node that is not a voter.
 * Thrown synchronously by constructors; a rejection for calls that return a promise.
 */
export class RaftConfigError extends RaftError {
  declare readonly code: 'INVALID_CONFIG';
  /** The option or argument at fault, e.g. `voters` or `electionTicks`. */
  readonly field: string;
  /**
   * @param field - the option or argument at fault.
   * @param message - what is wrong with it.
   */
  constructor(field: string, message: string) {
    super('INVALID_CONFIG', message);
    this.field = field;
  }
}

/** `start()` was called on a node that was already started (each node starts once; make a new one to restart). */
export class AlreadyStartedError extends RaftError {
  declare readonly code: 'ALREADY_STARTED';
  constructor() {
    super('ALREADY_STARTED', 'raft node: start() may be called once');
  }
}
