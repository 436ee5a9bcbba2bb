/**
 * The public data model: what users pass in (`JobSpec`) and what they read back (`Job`,
 * `Execution`, `JobStatusInfo`). Times are epoch milliseconds.
 */
import type { CatchUpPolicy, ExecutionErrorType, ExecutionStatus, JobKind, JobStatus, OverlapPolicy, SkipReason } from './vocabulary.js';

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export {
  JOB_STATUSES,
  type CatchUpPolicy,
  type ExecutionErrorType,
  type ExecutionStatus,
  type JobKind,
  type JobStatus,
  type OverlapPolicy,
  type SkipReason,
} from './vocabulary.js';

/** Exponential backoff between attempts of one occurrence: `min(maxMs, initialMs * factor^(attempt-1))`, then jittered. */
export interface BackoffOptions {
  /** Delay before the second attempt (default 1000). */
  readonly initialMs: number;
  /** Multiplier per further attempt (default 2). */
  readonly factor: number;
  /** Cap on the delay (default 300000). */
  readonly maxMs: number;
  /** Fraction of the delay randomised away, 0..1 (default 0.2: delay × [0.8, 1.0]). */
  readonly jitter: number;
}

/** Fields shared by one-shot and cron job specs. Either `handler` or `webhook` is required. */
export interface JobSpecBase {
  /** Caller-chosen id (1-200 chars of `[A-Za-z0-9._:-]`); a UUID is generated when absent. */
  readonly id?: string;
  /** Name of a handler registered with `scheduler.handle(name, fn)`. */
  readonly handler?: string;
  /** An http(s) URL to POST to instead of a handler. */
  readonly webhook?: string;
  /** Passed to the handler as `ctx.job.payload` and in the webhook body. */
  readonly payload?: JsonValue;
  /** Attempts per occurrence, first included (default: scheduler's `maxAttempts`, 3). */
  readonly maxAttempts?: number;
  /** Backoff between attempts (default: scheduler's `backoff`). */
  readonly backoff?: Partial<BackoffOptions>;
  /** Per-attempt timeout: ms or a duration like `"30s"` (default: scheduler's `executionTimeout`, 5m). */
  readonly timeout?: number | string;
}

/** A job that runs once at an absolute time. */
export interface OneShotJobSpec extends JobSpecBase {
  /** When to run: a `Date`, epoch milliseconds, or an ISO-8601 string. */
  readonly at: Date | number | string;
}

/** A job that runs on a cron schedule. */
export interface CronJobSpec extends JobSpecBase {
  /** 5 fields, 6 with leading seconds, or `@yearly|@annually|@monthly|@weekly|@daily|@midnight|@hourly`; `L` and `#` supported. */
  readonly cron: string;
  /** IANA zone the expression is read in (default `UTC`). */
  readonly timezone?: string;
  /** The first occurrence is the first one at or after this instant (default: now). */
  readonly startAt?: Date | number | string;
  /** No occurrence after this instant. */
  readonly endAt?: Date | number | string;
  /** Default `skip`. */
  readonly overlap?: OverlapPolicy;
  /** Default `fire-once`. */
  readonly catchUp?: CatchUpPolicy;
  /** For `fire-all`: only missed occurrences within this window before now are run (ms or duration; default 1h). */
  readonly catchUpWindow?: number | string;
}

/** What `scheduler.schedule()` accepts. */
export type JobSpec = OneShotJobSpec | CronJobSpec;

/** A job as stored and returned. Optional fields are absent, never `undefined`-valued in JSON. */
export interface Job {
  readonly id: string;
  readonly kind: JobKind;
  /** One-shot: the scheduled time. */
  readonly at?: number;
  readonly cron?: string;
  readonly timezone?: string;
  readonly startAt?: number;
  readonly endAt?: number;
  readonly handler?: string;
  readonly webhook?: string;
  readonly payload?: JsonValue;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly timeoutMs: number;
  readonly overlap: OverlapPolicy;
  readonly catchUp: CatchUpPolicy;
  readonly catchUpWindowMs: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The next time something runs for this job (an occurrence or a retry); absent when none is left. */
  readonly nextRunAt?: number;
  readonly status: JobStatus;
  readonly paused: boolean;
  /** Attempts made for the latest occurrence. */
  readonly attemptCount: number;
  readonly firstAttemptAt?: number;
  readonly lastAttemptAt?: number;
  readonly completedAt?: number;
  readonly cancelledAt?: number;
  readonly cancellationReason?: string;
  /** Node running the current attempt, while one runs. */
  readonly executingNodeId?: string;
  /** Occurrences skipped by the overlap policy or the catch-up policy `skip`. */
  readonly skippedCount: number;
  /** Occurrences that fell due while no node could fire them. */
  readonly missedCount: number;
}

/** The status view of a job (the HTTP contract's JobStatus). */
export interface JobStatusInfo {
  readonly jobId: string;
  readonly status: JobStatus;
  readonly attemptCount: number;
  readonly createdAt: number;
  readonly firstAttemptAt?: number;
  readonly lastAttemptAt?: number;
  readonly completedAt?: number;
  readonly cancelledAt?: number;
  readonly cancellationReason?: string;
  readonly executingNodeId?: string;
  readonly nextRunAt?: number;
}

/** One attempt of one occurrence. */
export interface Execution {
  /** Derived: `${jobId}@${scheduledAt}#${attempt}` — unique per occurrence and attempt. */
  readonly id: string;
  readonly jobId: string;
  /** The occurrence this attempt belongs to. */
  readonly scheduledAt: number;
  /** 1-based. */
  readonly attempt: number;
  /** Same for every attempt of one occurrence: `${jobId}@${scheduledAt}`. */
  readonly idempotencyKey: string;
  readonly nodeId: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly status: ExecutionStatus;
  /** True when the occurrence started later than the scheduler's `missedThreshold` after its time. */
  readonly late: boolean;
  readonly error?: string;
  readonly errorType?: ExecutionErrorType;
  readonly httpStatus?: number;
  readonly responseTimeMs?: number;
}

/** A recorded occurrence that did not run. */
export interface SkippedOccurrence {
  readonly jobId: string;
  readonly scheduledAt: number;
  readonly recordedAt: number;
  /** `overlap`: the previous occurrence still ran; `catch-up`: missed and the policy skipped it; `missed`: missed (counted, possibly run once for several). */
  readonly reason: SkipReason;
}
