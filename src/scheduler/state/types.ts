/**
 * The public vocabulary of the scheduler's state machine: what `apply` answers, what it tells
 * the runtime through effects, and what `decide` needs from the leader.
 */
import type { Execution, Job, JobStatus, SkippedOccurrence } from '../model.js';
import type {
  BatchCommand,
  CancelJobCommand,
  Command,
  CreateJobsCommand,
  DeleteJobCommand,
  ExpireNodeCommand,
  FinishExecutionCommand,
  LeaveNodeCommand,
  RegisterNodeCommand,
  RenewLeaseCommand,
  PauseJobCommand,
  PruneHistoryCommand,
  SettleExecutionCommand,
  StartExecutionCommand,
  UpdateJobCommand,
} from './commands.js';

/** Why `apply` refused a command (nothing changed, except where a code's doc says otherwise). */
export type RejectionInfo =
  | { readonly code: 'JOB_NOT_FOUND'; readonly message: string; readonly jobId: string }
  | { readonly code: 'EXECUTION_NOT_FOUND'; readonly message: string; readonly executionId: string }
  | { readonly code: 'JOB_CONFLICT'; readonly message: string; readonly jobId: string }
  | {
      readonly code: 'CAPACITY';
      readonly message: string;
      /** Which limit: the job count or the memory estimate. */
      readonly type: 'job_count' | 'memory';
      /** Jobs stored, or estimated bytes, before the command. */
      readonly current: number;
      readonly limit: number;
      /** Jobs, or estimated bytes, the command would have added. */
      readonly requested: number;
    }
  /** The operation does not fit the job's state; `message` is the HTTP contract's text. */
  | { readonly code: 'INVALID_STATE'; readonly message: string; readonly jobId: string }
  /**
   * A definition `apply` cannot hold (validation should have caught it first, unless concurrent
   * updates merged into one); `field` names the offending definition field when known.
   */
  | { readonly code: 'INVALID_DEFINITION'; readonly message: string; readonly jobId: string; readonly field?: string }
  /** Not a command this state machine knows. */
  | { readonly code: 'INVALID_COMMAND'; readonly message: string }
  /** That execution id was started already: the ledger that stops a second run after failover. */
  | { readonly code: 'DUPLICATE_EXECUTION'; readonly message: string; readonly executionId: string }
  /**
   * The command refers to an occurrence or attempt that is not the job's current one (a start
   * that is not next, a finish for an attempt no longer in progress). A stale finish of a
   * timed-out attempt still settles it: that is the one change a rejection can carry.
   */
  | { readonly code: 'STALE'; readonly message: string; readonly jobId: string }
  /** A bug: the state machine failed on its own; every replica fails the same way. */
  | { readonly code: 'INTERNAL'; readonly message: string };

/** A refused command. */
export interface Rejection {
  readonly ok: false;
  readonly rejected: RejectionInfo;
}

/** `createJobs` succeeded: every job of the command exists now. */
export interface CreateJobsResult {
  readonly ok: true;
  readonly type: 'createJobs';
  /**
   * One view per job of the command, in command order. Built on first read (so a result nobody
   * reads costs nothing), showing the jobs as they are at that moment.
   */
  readonly jobs: readonly Job[];
  /** Per job: true when created now, false when an identical job existed (an idempotent retry). */
  readonly created: readonly boolean[];
}

/** `startExecution` was accepted. */
export type StartExecutionResult =
  | {
      readonly ok: true;
      readonly type: 'startExecution';
      readonly outcome: 'started';
      readonly execution: Execution;
      /** Occurrences the catch-up policy counted as missed on the way (see `missedCount`). */
      readonly missed: number;
    }
  | {
      readonly ok: true;
      readonly type: 'startExecution';
      /** Nothing runs: the overlap or catch-up policy skipped the occurrence (it is recorded). */
      readonly outcome: 'skipped';
      readonly reason: 'overlap' | 'catch-up';
      readonly missed: number;
    }
  | {
      readonly ok: true;
      readonly type: 'startExecution';
      /** Overlap policy `queue-one`: the occurrence starts when the running one ends. */
      readonly outcome: 'queued';
      readonly missed: number;
    };

/** `finishExecution` recorded the end of an attempt. */
export interface FinishExecutionResult {
  readonly ok: true;
  readonly type: 'finishExecution';
  readonly execution: Execution;
  /** When the next attempt of this occurrence is planned; absent when `final`. */
  readonly retryAt?: number;
  /** True when no further attempt of this occurrence will run. */
  readonly final: boolean;
}

/** `settleExecution` released a timed-out attempt. */
export interface SettleExecutionResult {
  readonly ok: true;
  readonly type: 'settleExecution';
  readonly execution: Execution;
}

/** `cancelJob`, `pauseJob`, `resumeJob` or `updateJob` succeeded. */
export interface JobChangeResult<T extends 'cancelJob' | 'pauseJob' | 'resumeJob' | 'updateJob'> {
  readonly ok: true;
  readonly type: T;
  /** The job after the change. */
  readonly job: Job;
}

/** `deleteJob` removed the job and its history. */
export interface DeleteJobResult {
  readonly ok: true;
  readonly type: 'deleteJob';
  readonly jobId: string;
}

/** What `pruneHistory` removed. */
export interface PruneHistoryResult {
  readonly ok: true;
  readonly type: 'pruneHistory';
  readonly executions: number;
  readonly skipped: number;
  readonly jobs: number;
  /** Where the next command of this pass resumes (the `from` to send); absent when the pass is over. */
  readonly next?: number;
}

/** `registerNode`, `expireNode` or `leaveNode` was applied. */
export interface NodeChangeResult<T extends 'registerNode' | 'expireNode' | 'leaveNode'> {
  readonly ok: true;
  readonly type: T;
  /** Running attempts it ended (of the previous life, for `registerNode`). */
  readonly ended: number;
}

/** `renewLease` was applied. */
export interface RenewLeaseResult {
  readonly ok: true;
  readonly type: 'renewLease';
  /** False when the node is not registered with that incarnation or is out of contact: it must register again. */
  readonly renewed: boolean;
}

/** A `batch`: one result per command, in order (each succeeded or failed on its own). */
export interface BatchResult {
  readonly ok: true;
  readonly type: 'batch';
  readonly results: readonly ApplyResult[];
}

/** Everything `apply` can answer. */
export type ApplyResult =
  | Rejection
  | CreateJobsResult
  | StartExecutionResult
  | FinishExecutionResult
  | SettleExecutionResult
  | JobChangeResult<'cancelJob'>
  | JobChangeResult<'pauseJob'>
  | JobChangeResult<'resumeJob'>
  | JobChangeResult<'updateJob'>
  | DeleteJobResult
  | PruneHistoryResult
  | NodeChangeResult<'registerNode'>
  | NodeChangeResult<'expireNode'>
  | NodeChangeResult<'leaveNode'>
  | RenewLeaseResult
  | BatchResult;

/** The result type of one command type (so `apply(createCommand)` is typed precisely). */
export type ResultOf<C extends Command> = C extends BatchCommand
  ? BatchResult
  : C extends CreateJobsCommand
    ? CreateJobsResult | Rejection
    : C extends StartExecutionCommand
      ? StartExecutionResult | Rejection
      : C extends FinishExecutionCommand
        ? FinishExecutionResult | Rejection
        : C extends SettleExecutionCommand
          ? SettleExecutionResult | Rejection
          : C extends CancelJobCommand
            ? JobChangeResult<'cancelJob'> | Rejection
            : C extends DeleteJobCommand
              ? DeleteJobResult | Rejection
              : C extends PauseJobCommand
                ? JobChangeResult<'pauseJob'> | JobChangeResult<'resumeJob'> | Rejection
                : C extends UpdateJobCommand
                  ? JobChangeResult<'updateJob'> | Rejection
                  : C extends PruneHistoryCommand
                    ? PruneHistoryResult | Rejection
                    : C extends RegisterNodeCommand
                      ? NodeChangeResult<'registerNode'> | Rejection
                      : C extends RenewLeaseCommand
                        ? RenewLeaseResult | Rejection
                        : C extends ExpireNodeCommand
                          ? NodeChangeResult<'expireNode'> | Rejection
                          : C extends LeaveNodeCommand
                            ? NodeChangeResult<'leaveNode'> | Rejection
                            : ApplyResult;

/**
 * How the runtime and the events learn what an applied command changed. Effects are delivered
 * after the whole command (a `batch` included) is applied, in the order they happened, so a
 * listener that reads the state sees it consistent.
 */
export type StateEffect =
  /** A job's wake time changed; `undefined`: nothing to do for it until another command. */
  | { readonly type: 'wake'; readonly jobId: string; readonly at: number | undefined }
  | { readonly type: 'jobCreated' | 'jobUpdated' | 'jobCancelled' | 'jobPaused' | 'jobResumed'; readonly jobId: string }
  /** `deleted` by `deleteJob`, `pruned` by `pruneHistory` (a finished job past retention). */
  | { readonly type: 'jobDeleted'; readonly jobId: string; readonly reason: 'deleted' | 'pruned' }
  /**
   * An attempt's start is committed: the runtime runs it when `execution.nodeId` is this node and
   * `incarnation` this process's.
   */
  | { readonly type: 'executionStarted'; readonly execution: Execution; readonly job: Job; readonly incarnation: string }
  /**
   * An attempt ended (`completed`, `failed`, `timeout`, or `cancelled` by `cancelJob`). `retryAt`
   * is set when a further attempt is planned; `final` when none will run for this occurrence.
   */
  | { readonly type: 'executionFinished'; readonly execution: Execution; readonly retryAt?: number; readonly final: boolean }
  /** A timed-out attempt's handler let go (or was presumed dead): a held retry may start. */
  | { readonly type: 'executionSettled'; readonly execution: Execution }
  /** The executor must abort this running attempt's handler (its job was cancelled or deleted). */
  | {
      readonly type: 'executionAborted';
      readonly executionId: string;
      readonly jobId: string;
      readonly reason: 'cancelled' | 'deleted';
      /** The attempt as it stood (for `deleted`, as it was just before its job went away). */
      readonly execution: Execution;
    }
  /**
   * Occurrences that did not run: `occurrenceSkipped` for the overlap policy and the catch-up
   * policies that skip (`reason` `overlap` or `catch-up`), `occurrenceMissed` for the ones a
   * `fire-once` run stood in for (`reason` `missed`). `count` is how many occurrences this effect
   * stands for: 1, except a bounded catch-up that counted more than it recorded, whose last
   * effect carries the remainder (`scheduledAt` is then the first unrecorded one).
   */
  | {
      readonly type: 'occurrenceSkipped' | 'occurrenceMissed';
      readonly jobId: string;
      readonly scheduledAt: number;
      readonly recordedAt: number;
      readonly reason: SkippedOccurrence['reason'];
      readonly count: number;
    }
  /** Overlap policy `queue-one` put this occurrence aside until the running one ends. */
  | { readonly type: 'occurrenceQueued'; readonly jobId: string; readonly scheduledAt: number }
  /** A node registered (new life or handlers), left or was expired: jobs waiting for a runner may have one now. */
  | {
      readonly type: 'nodeChanged';
      readonly nodeId: string;
      readonly incarnation: string;
      readonly renewals: number;
      readonly available: boolean;
      readonly handlers: readonly string[];
    }
  /** A node's lease renewal was applied (the leader times its expiry from here). */
  | { readonly type: 'leaseRenewed'; readonly nodeId: string; readonly incarnation: string; readonly renewals: number };

/** What `decide` needs besides the job, the node registry and the time. */
export interface DecideContext {
  /** This node (the leader): it runs what it starts when it can. */
  readonly nodeId: string;
  /**
   * This node's current life. The registry may still name a previous one (after a restart, until
   * this life's registration is applied): the leader never starts an attempt for its own dead life.
   * Absent: whatever life the registry names.
   */
  readonly incarnation?: string;
  /** The leader's term, stamped on starts as a fencing token. */
  readonly term: number;
  /** Occurrences starting later than this after their time are late (scheduler's `missedThreshold`). */
  readonly missedThresholdMs: number;
}

/** One node of the registry, as the runtime reads it. */
export interface NodeInfo {
  readonly nodeId: string;
  readonly incarnation: string;
  readonly handlers: readonly string[];
  readonly renewals: number;
  readonly available: boolean;
}

/** Options of `listJobs`. */
export interface ListJobsOptions {
  /** Only jobs in this status (all when absent). */
  readonly status?: JobStatus;
  /** Most jobs in one page. */
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** A page of `listJobs`, in creation order. */
export interface JobPage {
  readonly jobs: Job[];
  /** Present when more jobs follow: pass it back as `cursor`. */
  readonly nextCursor?: string;
  /** How many jobs match (all pages). */
  readonly total: number;
}

/** Executions stored, by status. */
interface ExecutionCounts {
  readonly completed: number;
  readonly failed: number;
  readonly timeout: number;
  readonly cancelled: number;
  readonly inProgress: number;
}

/** Sizes of the state, for health and capacity. */
export interface StateCounts {
  readonly jobs: number;
  /** The memory estimate capacity is checked against (see `estimate.ts` for how it is made). */
  readonly estimatedBytes: number;
  readonly byStatus: Record<JobStatus, number>;
  readonly executions: ExecutionCounts;
  /** When the most recent attempt started. */
  readonly lastExecutedAt?: number;
}
