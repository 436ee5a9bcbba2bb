/**
 * The commands of the scheduler's replicated state machine. Every mutation is one of these,
 * appended to the log and applied by the pure `apply`. Whatever `apply` needs to be
 * deterministic travels inside the command: ids, the proposer's `now`, random draws.
 */
import type { ExecutionErrorType, JobSettings, JsonValue } from '../model.js';

/** A validated, normalised job definition (everything resolved to epoch ms and defaults). */
export interface JobDefinition extends JobSettings {
  readonly id: string;
  readonly kind: 'once' | 'cron';
  readonly at?: number;
  readonly cron?: string;
  readonly timezone?: string;
  readonly startAt?: number;
  readonly endAt?: number;
  readonly handler?: string;
  readonly webhook?: string;
  readonly payload?: JsonValue;
}

/** Limits stamped by the proposer so every replica enforces the same numbers. */
interface CapacityLimits {
  readonly maxJobs: number;
  readonly maxMemoryBytes: number;
}

/** Create one or many jobs atomically (all or none). */
export interface CreateJobsCommand {
  readonly type: 'createJobs';
  readonly now: number;
  readonly jobs: readonly JobDefinition[];
  readonly limits: CapacityLimits;
}

/** Start an attempt of an occurrence (proposed by the leader when due, or by `trigger`). */
export interface StartExecutionCommand {
  readonly type: 'startExecution';
  readonly now: number;
  readonly jobId: string;
  /** The occurrence's scheduled time. */
  readonly scheduledAt: number;
  readonly attempt: number;
  /** The node that will run it. */
  readonly nodeId: string;
  /** The life of `nodeId` it is for (from the node registry): a start for a life that is over is stale. */
  readonly incarnation: string;
  /** Leader term that proposed it (fencing token, recorded). */
  readonly term: number;
  /** True for `trigger(id)`: an extra occurrence at `now` that does not advance the schedule. */
  readonly manual?: boolean;
  /** Occurrences later than this after their time are `late`/missed (scheduler's `missedThreshold`). */
  readonly missedThresholdMs: number;
}

/** Record the end of an attempt. */
export interface FinishExecutionCommand {
  readonly type: 'finishExecution';
  readonly now: number;
  readonly executionId: string;
  readonly status: 'completed' | 'failed' | 'timeout' | 'cancelled';
  readonly error?: string;
  readonly errorType?: ExecutionErrorType;
  readonly httpStatus?: number;
  readonly responseTimeMs?: number;
  /**
   * False when the attempt timed out but its handler has not returned yet: the retry is planned
   * but held until a `settleExecution` releases it (or its node restarts, leaves or expires).
   */
  readonly settled: boolean;
  /**
   * True when the node's own scheduler stopped the attempt (closing, lost contact) or never ran it
   * (queued at close, handler not registered there): the retry is due at once and does not spend
   * an attempt.
   */
  readonly interrupted?: boolean;
  /** A uniform draw in [0, 1) for the backoff jitter, made by the proposer. */
  readonly random: number;
}

/** The handler of a timed-out attempt has finally returned: its retry may start. */
export interface SettleExecutionCommand {
  readonly type: 'settleExecution';
  readonly now: number;
  readonly executionId: string;
}

/** Cancel a job: abort a running attempt, no further occurrences. */
export interface CancelJobCommand {
  readonly type: 'cancelJob';
  readonly now: number;
  readonly jobId: string;
  readonly reason?: string;
}

/** Delete a job and its history. */
export interface DeleteJobCommand {
  readonly type: 'deleteJob';
  readonly now: number;
  readonly jobId: string;
}

/** Pause (no occurrence starts) or resume a job. */
export interface PauseJobCommand {
  readonly type: 'pauseJob' | 'resumeJob';
  readonly now: number;
  readonly jobId: string;
}

/** Change a job's schedule, payload or options in place (fields absent are kept). */
export interface UpdateJobCommand {
  readonly type: 'updateJob';
  readonly now: number;
  readonly jobId: string;
  /** The full new definition (the proposer merged and validated it); `id` and `kind`-consistent. */
  readonly definition: JobDefinition;
}

/** Drop history older than `before` and beyond `maxPerJob` entries per job. */
export interface PruneHistoryCommand {
  readonly type: 'pruneHistory';
  readonly now: number;
  readonly before: number;
  readonly maxPerJob: number;
}

/**
 * A node's scheduler started (a new `incarnation`) or changed its handlers. A new incarnation ends
 * every attempt of the previous one at once (its process is gone) and settles its held ones.
 */
export interface RegisterNodeCommand {
  readonly type: 'registerNode';
  readonly now: number;
  readonly nodeId: string;
  readonly incarnation: string;
  /** The handler names the node has (it is assigned handler jobs only for these). */
  readonly handlers: readonly string[];
  /** Increases with every registration of one incarnation: a late, older one is stale. */
  readonly registration: number;
}

/** A node's lease renewal: it is in contact and keeps its attempts. */
export interface RenewLeaseCommand {
  readonly type: 'renewLease';
  readonly now: number;
  readonly nodeId: string;
  readonly incarnation: string;
}

/**
 * The leader has not applied a renewal of the node for longer than its lease plus a margin: the
 * node has aborted its attempts by now; they end (`timeout`, spent) and their retries may run
 * elsewhere. Stale unless `incarnation` and `renewals` are still the registry's.
 */
export interface ExpireNodeCommand {
  readonly type: 'expireNode';
  readonly now: number;
  readonly nodeId: string;
  readonly incarnation: string;
  readonly renewals: number;
}

/** A node's scheduler closed: what it still owned ends as interrupted (retried at once, not spent). */
export interface LeaveNodeCommand {
  readonly type: 'leaveNode';
  readonly now: number;
  readonly nodeId: string;
  readonly incarnation: string;
}

/** Commands that change the node registry. */
type NodeCommand = RegisterNodeCommand | RenewLeaseCommand | ExpireNodeCommand | LeaveNodeCommand;

/** Several commands in one log entry (applied in order; each succeeds or fails on its own). */
export interface BatchCommand {
  readonly type: 'batch';
  readonly commands: readonly Command[];
}

/** Every command the state machine applies. */
export type Command =
  | BatchCommand
  | CreateJobsCommand
  | StartExecutionCommand
  | FinishExecutionCommand
  | SettleExecutionCommand
  | CancelJobCommand
  | DeleteJobCommand
  | PauseJobCommand
  | UpdateJobCommand
  | PruneHistoryCommand
  | NodeCommand;
