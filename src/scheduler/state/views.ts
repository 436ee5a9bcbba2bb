/**
 * Fresh plain objects for readers, built from the internal records. Optional fields that have
 * no value are left out (never `undefined`-valued). Payloads and backoff objects are shared,
 * deeply frozen values: reading them is free and nobody can change the state through them.
 */
import type { Execution, Job, JobStatusInfo, SkippedOccurrence } from '../model.js';
import type { JobDefinition } from './commands.js';
import { executingNodeOf, nextRunOf } from './derive.js';
import type { ExecutionRecord, JobRecord, SkipRecord } from './records.js';
import type { Mutable } from '../../util/types.js';

/** `${jobId}@${scheduledAt}`: the same for every attempt of one occurrence. */
export function idempotencyKey(jobId: string, scheduledAt: number): string {
  return `${jobId}@${scheduledAt}`;
}

/** `${jobId}@${scheduledAt}#${attempt}`. */
export function executionId(jobId: string, scheduledAt: number, attempt: number): string {
  return `${jobId}@${scheduledAt}#${attempt}`;
}

/** The parts of an execution id, or `undefined` when it is not one. */
export interface ExecutionKey {
  readonly jobId: string;
  readonly scheduledAt: number;
  readonly attempt: number;
}

/** Splits an execution id (a job id may itself hold `@`; the time and attempt cannot). */
export function parseExecutionId(id: string): ExecutionKey | undefined {
  if (typeof id !== 'string') return undefined;
  const hash = id.lastIndexOf('#');
  const at = hash < 0 ? -1 : id.lastIndexOf('@', hash);
  if (at <= 0) return undefined;
  const jobId = id.slice(0, at);
  const scheduledAt = Number(id.slice(at + 1, hash));
  const attempt = Number(id.slice(hash + 1));
  // Only the canonical spelling names an execution ("1e3" or "+5" would alias another one).
  if (executionId(jobId, scheduledAt, attempt) !== id) return undefined;
  return { jobId, scheduledAt, attempt };
}

/** Copies the job's optional definition fields onto a view (absent ones stay absent). */
function addDefinition(v: Mutable<Job> | Mutable<JobDefinition>, job: JobRecord): void {
  const cron = job.cron;
  if (job.at !== undefined) v.at = job.at;
  if (cron !== undefined) {
    v.cron = cron.cron;
    if (cron.timezone !== undefined) v.timezone = cron.timezone;
    if (cron.startAt !== undefined) v.startAt = cron.startAt;
    if (cron.endAt !== undefined) v.endAt = cron.endAt;
  }
  if (job.handler !== undefined) v.handler = job.handler;
  if (job.webhook !== undefined) v.webhook = job.webhook;
  if (job.payload !== undefined) v.payload = job.payload;
}

/** Copies the job's attempt fields onto a view. */
function addAttempts(v: Mutable<Job> | Mutable<JobStatusInfo>, job: JobRecord): void {
  const run = job.run;
  if (run !== undefined) {
    if (run.firstAttemptAt !== undefined) v.firstAttemptAt = run.firstAttemptAt;
    if (run.lastAttemptAt !== undefined) v.lastAttemptAt = run.lastAttemptAt;
    if (run.completedAt !== undefined) v.completedAt = run.completedAt;
    if (run.cancelledAt !== undefined) v.cancelledAt = run.cancelledAt;
    if (run.cancellationReason !== undefined) v.cancellationReason = run.cancellationReason;
    const node = executingNodeOf(job);
    if (node !== undefined) v.executingNodeId = node;
  }
  const nextRunAt = nextRunOf(job);
  if (nextRunAt !== undefined) v.nextRunAt = nextRunAt;
}

/** The job as readers see it. */
export function jobView(job: JobRecord): Job {
  const opts = job.opts;
  const run = job.run;
  // Required fields in one literal (one allocation, one shape); optional ones appended.
  const v: Mutable<Job> = {
    id: job.id,
    kind: job.cron === undefined ? 'once' : 'cron',
    maxAttempts: opts.maxAttempts,
    backoff: opts.backoff,
    timeoutMs: opts.timeoutMs,
    overlap: opts.overlap,
    catchUp: opts.catchUp,
    catchUpWindowMs: opts.catchUpWindowMs,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    status: job.status,
    paused: job.paused,
    attemptCount: run === undefined ? 0 : run.attemptCount,
    skippedCount: run === undefined ? 0 : run.skippedCount,
    missedCount: run === undefined ? 0 : run.missedCount,
  };
  addDefinition(v, job);
  addAttempts(v, job);
  return v;
}

/** The status view of the job. */
export function statusView(job: JobRecord): JobStatusInfo {
  const v: Mutable<JobStatusInfo> = {
    jobId: job.id,
    status: job.status,
    attemptCount: job.run?.attemptCount ?? 0,
    createdAt: job.createdAt,
  };
  addAttempts(v, job);
  return v;
}

/** The job's current definition (what `createJobs`/`updateJob` gave, normalised). */
export function definitionView(job: JobRecord): JobDefinition {
  const opts = job.opts;
  const v: Mutable<JobDefinition> = {
    id: job.id,
    kind: job.cron === undefined ? 'once' : 'cron',
    maxAttempts: opts.maxAttempts,
    backoff: opts.backoff,
    timeoutMs: opts.timeoutMs,
    overlap: opts.overlap,
    catchUp: opts.catchUp,
    catchUpWindowMs: opts.catchUpWindowMs,
  };
  addDefinition(v, job);
  return v;
}

/** One attempt as readers see it. */
export function executionView(e: ExecutionRecord): Execution {
  const v: Mutable<Execution> = {
    id: executionId(e.jobId, e.scheduledAt, e.attempt),
    jobId: e.jobId,
    scheduledAt: e.scheduledAt,
    attempt: e.attempt,
    idempotencyKey: idempotencyKey(e.jobId, e.scheduledAt),
    nodeId: e.nodeId,
    startedAt: e.startedAt,
    status: e.status,
    late: e.late,
  };
  if (e.endedAt !== undefined) v.endedAt = e.endedAt;
  if (e.error !== undefined) v.error = e.error;
  if (e.errorType !== undefined) v.errorType = e.errorType;
  if (e.httpStatus !== undefined) v.httpStatus = e.httpStatus;
  if (e.responseTimeMs !== undefined) v.responseTimeMs = e.responseTimeMs;
  if (e.interrupted) v.interrupted = true;
  return v;
}

/** One skipped occurrence as readers see it. */
export function skippedView(jobId: string, s: SkipRecord): SkippedOccurrence {
  return { jobId, scheduledAt: s.scheduledAt, recordedAt: s.recordedAt, reason: s.reason };
}
