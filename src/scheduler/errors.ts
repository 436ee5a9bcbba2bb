/**
 * Typed errors of the scheduler. Each has a stable `code` to branch on; messages name the
 * offending field and may change.
 */

/** Base class: every error the scheduler throws on purpose. */
export class SchedulerError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

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

/** Bad input. `field` names what was wrong (dotted path, e.g. `backoff.factor`). */
export class ValidationError extends SchedulerError {
  /** The offending field. */
  readonly field: string;
  declare readonly code: ValidationCode;
  constructor(code: ValidationCode, field: string, message: string) {
    super(code, `${field}: ${message}`);
    this.field = field;
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
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `Job not found: ${jobId}`);
    this.jobId = jobId;
  }
}

/** An id is taken by a different job definition (re-sending an identical one is not an error). */
export class JobConflictError extends SchedulerError {
  /** The id in conflict. */
  readonly jobId: string;
  constructor(jobId: string) {
    super('JOB_CONFLICT', `id: a different job already exists with id ${jobId}`);
    this.jobId = jobId;
  }
}

/** The operation does not fit the job's state (cancel a finished one-shot, resume a running job...). */
export class InvalidStateError extends SchedulerError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

/** The scheduler was closed. */
export class ClosedError extends SchedulerError {
  constructor() {
    super('CLOSED', 'the scheduler is closed');
  }
}
