/**
 * Typed errors of the scheduler. Each has a stable `code` to branch on; messages name the
 * offending field and may change. Every failure of a public call is one of these classes: the
 * Raft layer's errors and the storage's are translated at the edge, with the original as `cause`.
 */

/** Stable codes of {@link ValidationError}. */
export type ValidationCode =
  | 'INVALID_FIELD'
  | 'MISSING_FIELD'
  | 'INVALID_TIME'
  | 'TIME_IN_PAST'
  | 'INVALID_CRON'
  | 'INVALID_TIMEZONE'
  | 'INVALID_URL'
  | 'PRIVATE_WEBHOOK_TARGET'
  | 'INVALID_DURATION'
  | 'INVALID_SIZE'
  | 'UNKNOWN_HANDLER'
  | 'CONFLICTING_FIELDS';

/** Every stable code a {@link SchedulerError} can carry. */
export type SchedulerErrorCode =
  | ValidationCode
  | 'MAX_JOBS_REACHED'
  | 'INSUFFICIENT_MEMORY'
  | 'JOB_NOT_FOUND'
  | 'JOB_CONFLICT'
  | 'INVALID_STATE'
  | 'DUPLICATE_EXECUTION'
  | 'NO_LEADER'
  | 'TIMEOUT'
  | 'STORAGE'
  | 'CLOSED'
  | 'INTERNAL';

/** Options every scheduler error accepts. */
export interface SchedulerErrorOptions {
  /** The underlying failure (a Raft or storage error), kept for diagnosis. */
  readonly cause?: unknown;
}

/** Base class: every error the scheduler throws on purpose. */
export class SchedulerError extends Error {
  /** A stable, machine-readable code. */
  readonly code: SchedulerErrorCode;
  /**
   * @param code - the stable code.
   * @param message - a human-readable explanation.
   * @param options - the underlying cause, if any.
   */
  constructor(code: SchedulerErrorCode, message: string, options?: SchedulerErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input. `field` names what was wrong (dotted path, e.g. `backoff.factor`); the message reads `field: detail`. */
export class ValidationError extends SchedulerError {
  /** The offending field. */
  readonly field: string;
  /** What is wrong with the field (the message without the field's name). */
  readonly detail: string;
  declare readonly code: ValidationCode;
  /**
   * @param code - the stable code.
   * @param field - the offending field's path.
   * @param detail - what is wrong with it.
   * @param options - the underlying cause, if any.
   */
  constructor(code: ValidationCode, field: string, detail: string, options?: SchedulerErrorOptions) {
    super(code, `${field}: ${detail}`, options);
    this.field = field;
    this.detail = detail;
  }

  /**
   * The same error about a field nested under `prefix` (e.g. `[3]` turns `at` into `[3].at`):
   * for bulk calls that validate items one by one. The original is the new error's `cause`.
   */
  withFieldPrefix(prefix: string): ValidationError {
    return new ValidationError(this.code, `${prefix}.${this.field}`, this.detail, { cause: this });
  }
}

/** Scheduling would exceed a capacity limit (the HTTP adapter answers 507). */
export class CapacityError extends SchedulerError {
  /** Which limit: the job count or the memory estimate. */
  readonly type: 'job_count' | 'memory';
  /** Current usage (jobs, or bytes). */
  readonly current: number;
  /** The limit (jobs, or bytes). */
  readonly limit: number;
  /** What the refused request would add (jobs, or bytes). */
  readonly requested: number;
  declare readonly code: 'MAX_JOBS_REACHED' | 'INSUFFICIENT_MEMORY';
  /**
   * @param type - which limit.
   * @param current - current usage.
   * @param limit - the limit.
   * @param requested - what the request would add.
   */
  constructor(type: 'job_count' | 'memory', current: number, limit: number, requested: number) {
    super(
      type === 'memory' ? 'INSUFFICIENT_MEMORY' : 'MAX_JOBS_REACHED',
      type === 'memory'
        ? `insufficient memory: current=${current} bytes, limit=${limit} bytes, requested=${requested} bytes`
        : `maximum jobs reached: current=${current}, limit=${limit}`,
    );
    this.type = type;
    this.current = current;
    this.limit = limit;
    this.requested = requested;
  }
}

/** No job with that id. */
export class JobNotFoundError extends SchedulerError {
  /** The id that was looked up. */
  readonly jobId: string;
  declare readonly code: 'JOB_NOT_FOUND';
  /** @param jobId - the id that was looked up. */
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `Job not found: ${jobId}`);
    this.jobId = jobId;
  }
}

/** An id is taken by a different job definition (re-sending an identical one is not an error). */
export class JobConflictError extends SchedulerError {
  /** The id in conflict. */
  readonly jobId: string;
  declare readonly code: 'JOB_CONFLICT';
  /** @param jobId - the id in conflict. */
  constructor(jobId: string) {
    super('JOB_CONFLICT', `id: a different job already exists with id ${jobId}`);
    this.jobId = jobId;
  }
}

/** The operation does not fit the job's state (cancel a finished one-shot, resume a running job...). */
export class InvalidStateError extends SchedulerError {
  declare readonly code: 'INVALID_STATE';
  /** @param message - what does not fit (the HTTP contract's text). */
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

/**
 * A start met an attempt already started under the same execution id (a repeated start command).
 * `trigger()` never meets it: a manual run picks a free occurrence time.
 */
export class DuplicateExecutionError extends SchedulerError {
  /** The execution id that exists already. */
  readonly executionId: string;
  declare readonly code: 'DUPLICATE_EXECUTION';
  /**
   * @param executionId - the execution id that exists already.
   * @param message - the state machine's explanation.
   */
  constructor(executionId: string, message: string) {
    super('DUPLICATE_EXECUTION', message);
    this.executionId = executionId;
  }
}

/**
 * No leader is known (an election is under way, or this node is cut off from a majority), or a
 * new leader overwrote the write before it committed: the write was NOT applied and never will
 * be. Retry later.
 */
export class NoLeaderError extends SchedulerError {
  declare readonly code: 'NO_LEADER';
  /**
   * @param message - what could not be done without a leader.
   * @param options - the Raft error, as `cause`.
   */
  constructor(message = 'no leader is known', options?: SchedulerErrorOptions) {
    super('NO_LEADER', message, options);
  }
}

/**
 * A write or a consistent read did not complete in time, or the leader changed while the write
 * was on its way. The outcome of such a write is UNKNOWN: it may still be applied later, or never.
 * Read it back (or retry idempotently, e.g. a `schedule` with the same job `id`) before assuming
 * either.
 */
export class TimeoutError extends SchedulerError {
  declare readonly code: 'TIMEOUT';
  /**
   * @param message - what timed out.
   * @param options - the Raft error, as `cause`.
   */
  constructor(message: string, options?: SchedulerErrorOptions) {
    super('TIMEOUT', message, options);
  }
}

/** The storage failed (it could not be opened, or a write failed and stopped the node); `cause` is the storage's error. */
export class StorageError extends SchedulerError {
  declare readonly code: 'STORAGE';
  /**
   * @param message - what failed.
   * @param options - the storage's error, as `cause`.
   */
  constructor(message: string, options?: SchedulerErrorOptions) {
    super('STORAGE', message, options);
  }
}

/** The scheduler was closed (or is closing). */
export class ClosedError extends SchedulerError {
  declare readonly code: 'CLOSED';
  /** @param options - the underlying error, if any. */
  constructor(options?: SchedulerErrorOptions) {
    super('CLOSED', 'the scheduler is closed', options);
  }
}

/** A bug: the scheduler failed on its own (an unreadable log entry, an answer it cannot have given). */
export class InternalError extends SchedulerError {
  declare readonly code: 'INTERNAL';
  /**
   * @param message - what went wrong.
   * @param options - the underlying error, if any.
   */
  constructor(message: string, options?: SchedulerErrorOptions) {
    super('INTERNAL', message, options);
  }
}
