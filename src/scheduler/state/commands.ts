/**
 * The commands of the scheduler's replicated state machine. Every mutation is one of these,
 * appended to the log and applied by the pure `apply`. Whatever `apply` needs to be
 * deterministic travels inside the command: ids, the proposer's `now`, random draws.
 */
import type { BackoffOptions, CatchUpPolicy, ExecutionErrorType, JobSettings, JsonValue, OverlapPolicy } from '../model.js';

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
  /**
   * True for `trigger(id)`: an extra occurrence that does not advance the schedule, proposed with
   * `scheduledAt` = `now`. Apply judges it under the overlap policy and gives it the first
   * millisecond at or after `now` that no other occurrence of the job has or may get.
   */
  readonly manual?: boolean;
  /** Occurrences later than this after their time are `late`/missed (scheduler's `missedThreshold`). */
  readonly missedThresholdMs: number;
  /**
   * The scheduler's `historyLimit`: once this start has been applied, the job keeps at most this
   * many finished attempts and as many skipped records (the oldest go). Absent (entries written
   * before the field existed): no trimming.
   */
  readonly historyLimit?: number;
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

/**
 * The fields an update changes, normalised as {@link JobDefinition} names them (absent: kept).
 * `startAt`/`endAt` `null` removes the bound; setting `handler` removes `webhook` and vice versa;
 * `backoff` is merged field by field.
 */
export interface JobPatch {
  readonly at?: number;
  readonly cron?: string;
  readonly timezone?: string;
  readonly startAt?: number | null;
  readonly endAt?: number | null;
  readonly handler?: string;
  readonly webhook?: string;
  readonly payload?: JsonValue;
  readonly maxAttempts?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly timeoutMs?: number;
  readonly overlap?: OverlapPolicy;
  readonly catchUp?: CatchUpPolicy;
  readonly catchUpWindowMs?: number;
}

/**
 * Change a job's schedule, payload or options in place. `apply` merges `patch` into the job's
 * definition as it stands when the entry applies, so concurrent updates of different fields
 * all hold (a whole definition built on a read would undo whatever committed after the read).
 */
export interface UpdateJobCommand {
  readonly type: 'updateJob';
  readonly now: number;
  readonly jobId: string;
  /** The changed fields. */
  readonly patch?: JobPatch;
  /**
   * A full replacement definition: the form earlier versions wrote to the log, still applied
   * so their logs replay. Ignored when `patch` is present.
   */
  readonly definition?: JobDefinition;
}

/**
 * Drop history older than `before` and beyond `maxPerJob` entries per job. One command looks at
 * `budget` jobs at most, starting with the first created at or after sequence number `from`; the
 * result's `next` says where the following command resumes (absent: the pass reached the end).
 * Without a budget (entries written before pruning was incremental) one command covers every job.
 */
export interface PruneHistoryCommand {
  readonly type: 'pruneHistory';
  readonly now: number;
  readonly before: number;
  readonly maxPerJob: number;
  readonly from?: number;
  readonly budget?: number;
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
