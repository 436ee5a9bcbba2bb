/**
 * The public data model: what users pass in (`JobSpec`) and what they read back (`Job`,
 * `Execution`, `JobStatusInfo`). Times are epoch milliseconds.
 */
import type { CatchUpPolicy, ExecutionErrorType, ExecutionStatus, JobKind, JobStatus, OverlapPolicy, SkipReason } from './vocabulary.js';

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export {
  CATCH_UP_POLICIES,
  EXECUTION_ERROR_TYPES,
  EXECUTION_STATUSES,
  JOB_STATUSES,
  OVERLAP_POLICIES,
  type CatchUpPolicy,
  type ExecutionErrorType,
  type ExecutionStatus,
  type JobStatus,
  type OverlapPolicy,
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

/**
 * A job that runs once, a duration after it is scheduled: `delay: 0` (or `'0'`) means "as soon as
 * possible", `'5s'` five seconds from now. The job is stored with the resulting `at`.
 */
export interface DelayedJobSpec extends JobSpecBase {
  /** How long after `schedule()` to run: ms or a duration like `"30s"`, ≥ 0. */
  readonly delay: number | string;
}

/** What `scheduler.schedule()` accepts: exactly one of `at`, `delay` and `cron`. */
export type JobSpec = OneShotJobSpec | DelayedJobSpec | CronJobSpec;

/**
 * How a job runs, each field the spec's value or the scheduler's default: what a job carries and
 * what `createScheduler` options supply as defaults.
 */
export interface JobSettings {
  /** Attempts per occurrence, the first included (the spec's value or the scheduler's default). */
  readonly maxAttempts: number;
  /** Backoff between attempts of one occurrence, with the defaults filled in. */
  readonly backoff: BackoffOptions;
  /** Per-attempt timeout in ms. */
  readonly timeoutMs: number;
  /** Cron: what happens to an occurrence due while the previous one still runs (default `skip`). */
  readonly overlap: OverlapPolicy;
  /** Cron: what happens to occurrences missed while no node could fire them (default `fire-once`). */
  readonly catchUp: CatchUpPolicy;
  /** For catch-up `fire-all`: how far back (ms) missed occurrences are still run (default 1h). */
  readonly catchUpWindowMs: number;
}

/** A job as stored and returned. Optional fields are absent, never `undefined`-valued in JSON. */
export interface Job extends JobSettings {
  /** The job's id: the caller's `id`, or the UUID generated for it. */
  readonly id: string;
  /** `once` for a one-shot job (`at`), `cron` for a recurring one. */
  readonly kind: JobKind;
  /** One-shot: the scheduled time. */
  readonly at?: number;
  /** Cron: the expression as given; absent for a one-shot job. */
  readonly cron?: string;
  /** Cron: the IANA zone the expression is read in (`UTC` unless given); absent for a one-shot job. */
  readonly timezone?: string;
  /** Cron: no occurrence before this time (epoch ms); absent when none was given. */
  readonly startAt?: number;
  /** Cron: no occurrence after this time (epoch ms); absent when the schedule has no end. */
  readonly endAt?: number;
  /** Name of the registered handler that runs the job; absent for a webhook job. */
  readonly handler?: string;
  /** The http(s) URL each attempt POSTs to; absent for a handler job. */
  readonly webhook?: string;
  /** The spec's payload, handed to the handler or sent in the webhook body; absent when none was given. */
  readonly payload?: JsonValue;
  /** When the job was created (epoch ms). */
  readonly createdAt: number;
  /** When the job last changed: created, updated, paused or resumed, started, finished or cancelled (epoch ms). */
  readonly updatedAt: number;
  /** The next time something runs for this job (an occurrence or a retry); absent when none is left. */
  readonly nextRunAt?: number;
  /** Status of the latest occurrence (`pending` before the first one and between retries). */
  readonly status: JobStatus;
  /** True while the job is paused: nothing fires until it is resumed. */
  readonly paused: boolean;
  /** Attempts made for the latest occurrence. */
  readonly attemptCount: number;
  /** When the first attempt of the latest occurrence started (epoch ms); absent before any attempt. */
  readonly firstAttemptAt?: number;
  /** When the latest attempt of the latest occurrence started (epoch ms); absent before any attempt. */
  readonly lastAttemptAt?: number;
  /** When the latest occurrence completed (epoch ms); absent unless it completed. */
  readonly completedAt?: number;
  /** When the job was cancelled (epoch ms); absent unless cancelled. */
  readonly cancelledAt?: number;
  /** The reason given to `cancel()`; absent when none was given or the job is not cancelled. */
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
  /** The job's id. */
  readonly jobId: string;
  /** Status of the latest occurrence (`pending` before the first one and between retries). */
  readonly status: JobStatus;
  /** Attempts made for the latest occurrence. */
  readonly attemptCount: number;
  /** When the job was created (epoch ms). */
  readonly createdAt: number;
  /** When the first attempt of the latest occurrence started (epoch ms); absent before any attempt. */
  readonly firstAttemptAt?: number;
  /** When the latest attempt of the latest occurrence started (epoch ms); absent before any attempt. */
  readonly lastAttemptAt?: number;
  /** When the latest occurrence completed (epoch ms); absent unless it completed. */
  readonly completedAt?: number;
  /** When the job was cancelled (epoch ms); absent unless cancelled. */
  readonly cancelledAt?: number;
  /** The reason given to `cancel()`; absent when none was given or the job is not cancelled. */
  readonly cancellationReason?: string;
  /** Node running the current attempt, while one runs. */
  readonly executingNodeId?: string;
  /** The next time something runs for this job (an occurrence or a retry); absent when none is left. */
  readonly nextRunAt?: number;
}

/** One attempt of one occurrence. */
export interface Execution {
  /** Derived: `${jobId}@${scheduledAt}#${attempt}` — unique per occurrence and attempt. */
  readonly id: string;
  /** The job this attempt ran for. */
  readonly jobId: string;
  /** The occurrence this attempt belongs to. */
  readonly scheduledAt: number;
  /** 1-based. */
  readonly attempt: number;
  /** Same for every attempt of one occurrence: `${jobId}@${scheduledAt}`. */
  readonly idempotencyKey: string;
  /** The node that ran the attempt. */
  readonly nodeId: string;
  /** When the attempt started (epoch ms). */
  readonly startedAt: number;
  /** When the attempt ended (epoch ms); absent while it runs. */
  readonly endedAt?: number;
  /** `in_progress` while it runs, then its outcome. */
  readonly status: ExecutionStatus;
  /** True when the occurrence started later than the scheduler's `missedThreshold` after its time. */
  readonly late: boolean;
  /** The failure's message; absent unless the attempt failed, timed out or was cancelled. */
  readonly error?: string;
  /** Why the attempt failed; absent unless it did. */
  readonly errorType?: ExecutionErrorType;
  /** Webhook attempts: the HTTP status the target answered; absent when no response arrived or for a handler. */
  readonly httpStatus?: number;
  /** Webhook attempts: how long the target took to answer, in ms; absent when no response arrived or for a handler. */
  readonly responseTimeMs?: number;
  /**
   * True when the attempt was interrupted by its node's scheduler closing (or was assigned to a
   * node that closed before running it): status `cancelled`, and the next attempt is due at once
   * without spending one of `maxAttempts`. Absent otherwise.
   */
  readonly interrupted?: boolean;
}

/** A recorded occurrence that did not run. */
export interface SkippedOccurrence {
  /** The job the occurrence belongs to. */
  readonly jobId: string;
  /** The occurrence's scheduled time (epoch ms). */
  readonly scheduledAt: number;
  /** When it was recorded as not run (epoch ms). */
  readonly recordedAt: number;
  /**
   * `overlap`: the previous occurrence still ran; `catch-up`: missed and the policy skipped it;
   * `missed`: missed (counted, possibly run once for several); `rescheduled`: due, not started,
   * when an `update` changed the schedule.
   */
  readonly reason: SkipReason;
}
