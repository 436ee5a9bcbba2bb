/**
 * The internal, mutable records the state machine keeps. They are classes with every field set
 * in the constructor so all instances share one hidden class, and a job carries only what it
 * needs: a pending job is one {@link JobRecord}; the {@link JobRun} with its history and the
 * active occurrences appears with the first attempt.
 */
import type {
  BackoffOptions,
  CatchUpPolicy,
  ExecutionErrorType,
  ExecutionStatus,
  JobStatus,
  JsonValue,
  OverlapPolicy,
  SkippedOccurrence,
} from '../model.js';

/** Options shared by many jobs (interned: one object per distinct combination). */
export class JobOptions {
  /** Jobs holding this object; it leaves the intern table at zero. */
  refs = 0;
  constructor(
    readonly key: string,
    readonly maxAttempts: number,
    readonly backoff: BackoffOptions,
    readonly timeoutMs: number,
    readonly overlap: OverlapPolicy,
    readonly catchUp: CatchUpPolicy,
    readonly catchUpWindowMs: number,
  ) {}
}

/** The schedule of a cron job. */
export class CronSchedule {
  constructor(
    readonly cron: string,
    /** As given (may be absent); occurrences are computed in `UTC` then. */
    readonly timezone: string | undefined,
    readonly startAt: number | undefined,
    readonly endAt: number | undefined,
  ) {}
}

/** One attempt of one occurrence. */
export class ExecutionRecord {
  endedAt: number | undefined = undefined;
  status: ExecutionStatus = 'in_progress';
  error: string | undefined = undefined;
  errorType: ExecutionErrorType | undefined = undefined;
  httpStatus: number | undefined = undefined;
  responseTimeMs: number | undefined = undefined;
  /** False while a timed-out attempt's handler may still run (its retry is held). */
  settled = true;
  /** Ended by its node's graceful stop (or never run there): its retry does not spend an attempt. */
  interrupted = false;
  constructor(
    readonly jobId: string,
    readonly scheduledAt: number,
    readonly attempt: number,
    readonly nodeId: string,
    readonly startedAt: number,
    readonly late: boolean,
    readonly manual: boolean,
    /** Fencing token: the term of the leader that started it. */
    readonly term: number,
    /**
     * The life of `nodeId` that owns it: the attempt ends when that life is over (the node
     * restarted, left, or was out of contact past its lease), never by a deadline.
     */
    readonly incarnation: string,
  ) {}
}

/** A recorded occurrence that did not run. */
export class SkipRecord {
  constructor(
    readonly scheduledAt: number,
    readonly recordedAt: number,
    readonly reason: SkippedOccurrence['reason'],
  ) {}
}

/**
 * An occurrence being worked on: an attempt runs, a retry is planned, or a timed-out attempt
 * has not settled. It leaves the job's `active` list when none of these holds.
 */
export class Occurrence {
  /** Attempts started so far (the number of the latest). */
  attempts = 0;
  /** Attempts that counted against `maxAttempts` (an interrupted one does not). */
  spent = 0;
  /** The attempt in progress. */
  running: ExecutionRecord | undefined = undefined;
  /** When the next attempt is due. */
  retryAt: number | undefined = undefined;
  /** A timed-out attempt that may still run: the retry waits for it. */
  held: ExecutionRecord | undefined = undefined;
  constructor(
    readonly scheduledAt: number,
    readonly manual: boolean,
    readonly late: boolean,
    /** When its first attempt started (an occurrence due before this is backlog, not overlap). */
    readonly since: number,
  ) {}
}

/** Everything a job gathers once it has run (or was cancelled or skipped something). */
export class JobRun {
  /** Attempts made for the latest occurrence. */
  attemptCount = 0;
  /** The latest occurrence (the one whose first attempt started last). */
  latestAt: number | undefined = undefined;
  firstAttemptAt: number | undefined = undefined;
  lastAttemptAt: number | undefined = undefined;
  completedAt: number | undefined = undefined;
  cancelledAt: number | undefined = undefined;
  cancellationReason: string | undefined = undefined;
  skippedCount = 0;
  missedCount = 0;
  /** Attempts in start order. */
  executions: ExecutionRecord[] | undefined = undefined;
  skipped: SkipRecord[] | undefined = undefined;
  active: Occurrence[] | undefined = undefined;
  /** Overlap `queue-one`: the occurrence waiting for the running one. */
  queuedAt: number | undefined = undefined;
}

/** One job. */
export class JobRecord {
  /** Set by the state's creation path: creation order, the listing and hashing order. */
  seq = 0;
  updatedAt: number;
  /** The next scheduled occurrence not yet started (or skipped); `undefined`: none left. */
  cursor: number | undefined;
  status: JobStatus = 'pending';
  paused = false;
  /** This job's share of the memory estimate. */
  bytes = 0;
  run: JobRun | undefined = undefined;
  constructor(
    readonly id: string,
    public at: number | undefined,
    public cron: CronSchedule | undefined,
    public handler: string | undefined,
    public webhook: string | undefined,
    public payload: JsonValue | undefined,
    public opts: JobOptions,
    readonly createdAt: number,
    cursor: number | undefined,
  ) {
    this.updatedAt = createdAt;
    this.cursor = cursor;
  }
}

/**
 * One node as the cluster knows it: which life of it is current, which handlers it has, and
 * whether it is in contact (its lease renewed) — what the leader needs to hand it attempts.
 */
export class NodeRecord {
  constructor(
    /** Drawn by each process start: a new one means the previous life's attempts are dead. */
    public incarnation: string,
    /** Handler names, sorted. */
    public handlers: readonly string[],
    /** Highest registration sequence applied for this incarnation (an older one arriving late is stale). */
    public registration: number,
    /** Lease renewals applied for this incarnation (an `expireNode` must name the latest). */
    public renewals: number,
    /** False once it left or was expired: nothing is assigned to it until it registers again. */
    public available: boolean,
  ) {}
}
