/**
 * The enum-like value lists of the job model, each written once: the types in `model.ts` are
 * derived from these lists, and option validation, spec validation and the state machine's
 * sanity check all read the same list, so adding a value cannot leave one of them behind.
 */

/** Every kind of job: one-shot (`at`) and recurring (`cron`). */
const JOB_KINDS = ['once', 'cron'] as const;

/** Whether a job runs once at an absolute time or on a cron schedule. */
export type JobKind = (typeof JOB_KINDS)[number];

/** Every capacity a scheduling call can exceed (see {@link CapacityLimitType}). */
const CAPACITY_LIMIT_TYPES = ['job_count', 'memory'] as const;

/** Which capacity limit a refused scheduling call would exceed: the job count or the memory estimate. */
type CapacityLimitType = (typeof CAPACITY_LIMIT_TYPES)[number];

/** Every job status, in lifecycle order (see {@link JobStatus}). */
export const JOB_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled', 'timeout'] as const;

/** Lifecycle of a job's latest occurrence. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Every outcome an attempt can have (see {@link ExecutionStatus}). */
export const EXECUTION_STATUSES = ['in_progress', 'completed', 'failed', 'timeout', 'cancelled'] as const;

/** Outcome of one attempt. */
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** Every reason an attempt can fail for (see {@link ExecutionErrorType}). */
export const EXECUTION_ERROR_TYPES = [
  'timeout',
  'connection_error',
  'dns_error',
  'http_error',
  'handler_error',
  'cancelled',
  'unknown',
] as const;

/** Why an attempt failed (the HTTP contract's `error_type`). */
export type ExecutionErrorType = (typeof EXECUTION_ERROR_TYPES)[number];

/** Every overlap policy; the first is the default (see {@link OverlapPolicy}). */
export const OVERLAP_POLICIES = ['skip', 'allow', 'queue-one'] as const;

/** What happens to a cron occurrence that falls due while the previous one still runs. */
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** Every catch-up policy; the first is the default (see {@link CatchUpPolicy}). */
export const CATCH_UP_POLICIES = ['fire-once', 'fire-all', 'skip'] as const;

/** What happens to cron occurrences missed while no node could fire them. */
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

/** Every reason an occurrence is recorded as not run (see {@link SkipReason}). */
const SKIP_REASONS = ['overlap', 'catch-up', 'missed', 'rescheduled'] as const;

/**
 * Why a recorded occurrence did not run. `overlap`: the previous occurrence still ran;
 * `catch-up`: missed and the policy skipped it; `missed`: missed (counted, possibly run once for several);
 * `rescheduled`: it was due but not started yet when an `update` changed the schedule.
 */
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * Whether `value` is one of `list`, narrowing it to the list's type.
 *
 * @param list - One of the lists above.
 * @param value - Anything.
 */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
