/**
 * `finishExecution` and `settleExecution`: the end of an attempt moves the job's status, plans
 * the retry (with backoff) or closes the occurrence; a timed-out attempt whose handler may still
 * run holds its retry until it settles. An interrupted attempt (its node's scheduler stopped it,
 * or never ran it) is retried at once without spending one of the job's attempts.
 */
import type { ExecutionErrorType } from '../model.js';
import type { FinishExecutionCommand, SettleExecutionCommand } from './commands.js';
import { wakeOf } from './derive.js';
import type { ExecutionRecord, JobRecord, Occurrence } from './records.js';
import { backoffDelay } from './schedule.js';
import { reject, type Store } from './store.js';
import type { FinishExecutionResult, Rejection, SettleExecutionResult } from './types.js';
import { executionView, parseExecutionId } from './views.js';

const END_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'timeout', 'cancelled']);

/** The job and stored attempt an execution id names, or the rejection saying which is missing. */
function lookup(store: Store, executionId: string): { job: JobRecord; execution: ExecutionRecord } | Rejection {
  const key = parseExecutionId(executionId);
  if (key === undefined) return reject({ code: 'EXECUTION_NOT_FOUND', message: `Execution not found: ${executionId}`, executionId });
  const job = store.jobs.get(key.jobId);
  if (job === undefined) return reject({ code: 'JOB_NOT_FOUND', message: `Job not found: ${key.jobId}`, jobId: key.jobId });
  const execution = store.findExecution(job, key.scheduledAt, key.attempt);
  if (execution === undefined) return reject({ code: 'EXECUTION_NOT_FOUND', message: `Execution not found: ${executionId}`, executionId });
  return { job, execution };
}

/** The active occurrence `e` belongs to. */
export function occurrenceOf(job: JobRecord, e: ExecutionRecord): Occurrence | undefined {
  return job.run?.active?.find((o) => o.scheduledAt === e.scheduledAt);
}

/** Marks a timed-out attempt as let go, releasing its occurrence's retry. */
export function settle(store: Store, job: JobRecord, e: ExecutionRecord): void {
  e.settled = true;
  store.held.delete(e);
  const occ = occurrenceOf(job, e);
  if (occ !== undefined && occ.held === e) {
    occ.held = undefined;
    store.retireIfIdle(job, occ);
  }
  if (store.listening) store.emit({ type: 'executionSettled', execution: executionView(e) });
}

/** How a running attempt ends. */
export interface AttemptEnd {
  readonly now: number;
  readonly status: 'completed' | 'failed' | 'timeout' | 'cancelled';
  readonly error?: string | undefined;
  readonly errorType?: ExecutionErrorType | undefined;
  readonly httpStatus?: number | undefined;
  readonly responseTimeMs?: number | undefined;
  /** False: its handler may still run, so the retry is held until it settles. */
  readonly settled: boolean;
  /** Not spent: retried at once, whatever `maxAttempts` says. */
  readonly interrupted: boolean;
  /** Uniform draw in [0, 1) for the backoff jitter. */
  readonly random: number;
}

/**
 * Ends the running attempt `e` of `occ` (the caller checked it is the running one): records the
 * outcome, plans the retry or closes the occurrence, emits `executionFinished`. The caller notes
 * the wake change.
 */
export function endAttempt(store: Store, job: JobRecord, occ: Occurrence, e: ExecutionRecord, end: AttemptEnd): FinishExecutionResult {
  const run = job.run as NonNullable<JobRecord['run']>;
  const { now, status } = end;
  store.endExecution(job, e, status, now, end.error);
  if (end.errorType !== undefined) e.errorType = end.errorType;
  if (end.httpStatus !== undefined) e.httpStatus = end.httpStatus;
  if (end.responseTimeMs !== undefined) e.responseTimeMs = end.responseTimeMs;
  occ.running = undefined;
  const latest = occ.scheduledAt === run.latestAt;
  let retryAt: number | undefined;
  if (status === 'completed') {
    occ.spent++;
    if (latest) {
      store.setStatus(job, 'completed');
      run.completedAt = now;
    }
  } else {
    if (!end.settled) {
      e.settled = false;
      occ.held = e;
      store.held.add(e);
    }
    if (end.interrupted && status !== 'timeout') {
      // Its node stopped it, not the job: run it again now, elsewhere, at no cost.
      e.interrupted = true;
      retryAt = now;
    } else {
      occ.spent++;
      if (occ.spent < job.opts.maxAttempts) retryAt = now + backoffDelay(job.opts.backoff, occ.spent, end.random);
    }
    if (retryAt !== undefined) {
      occ.retryAt = retryAt;
      if (latest) store.setStatus(job, 'pending');
    } else if (latest) store.setStatus(job, status === 'timeout' ? 'timeout' : 'failed');
  }
  store.retireIfIdle(job, occ);
  job.updatedAt = now;
  const final = retryAt === undefined;
  const execution = executionView(e);
  if (store.listening) {
    store.emit(
      retryAt === undefined ? { type: 'executionFinished', execution, final } : { type: 'executionFinished', execution, retryAt, final },
    );
  }
  return retryAt === undefined
    ? { ok: true, type: 'finishExecution', execution, final }
    : { ok: true, type: 'finishExecution', execution, retryAt, final };
}

/** Applies a {@link FinishExecutionCommand}. */
export function applyFinish(store: Store, cmd: FinishExecutionCommand): FinishExecutionResult | Rejection {
  const found = lookup(store, cmd.executionId);
  if ('rejected' in found) return found;
  const { job, execution: e } = found;
  const before = wakeOf(job);
  if (e.status !== 'in_progress') {
    // Too late to change the outcome, but a settled finish proves the handler let go (a repeated
    // `settled: false` finish — a retried or duplicated proposal — proves nothing).
    if (!e.settled && cmd.settled !== false) {
      settle(store, job, e);
      store.noteWake(job, before);
    }
    return reject({ code: 'STALE', message: `Execution ${cmd.executionId} is not in progress (${e.status})`, jobId: job.id });
  }
  if (!END_STATUSES.has(cmd.status))
    return reject({ code: 'INVALID_COMMAND', message: `finishExecution: unknown status ${String(cmd.status)}` });
  const occ = occurrenceOf(job, e);
  if (occ === undefined || occ.running !== e || job.run === undefined) {
    return reject({ code: 'INTERNAL', message: `Execution ${cmd.executionId} is in progress but not active` });
  }
  const result = endAttempt(store, job, occ, e, {
    now: cmd.now,
    status: cmd.status,
    error: typeof cmd.error === 'string' ? cmd.error : undefined,
    errorType: cmd.errorType,
    httpStatus: typeof cmd.httpStatus === 'number' ? cmd.httpStatus : undefined,
    responseTimeMs: typeof cmd.responseTimeMs === 'number' ? cmd.responseTimeMs : undefined,
    settled: cmd.settled !== false,
    interrupted: cmd.interrupted === true,
    random: cmd.random,
  });
  store.noteWake(job, before);
  return result;
}

/** Applies a {@link SettleExecutionCommand}. */
export function applySettle(store: Store, cmd: SettleExecutionCommand): SettleExecutionResult | Rejection {
  const found = lookup(store, cmd.executionId);
  if ('rejected' in found) return found;
  const { job, execution: e } = found;
  if (e.settled) return reject({ code: 'STALE', message: `Execution ${cmd.executionId} is not waiting to settle`, jobId: job.id });
  const before = wakeOf(job);
  settle(store, job, e);
  store.noteWake(job, before);
  return { ok: true, type: 'settleExecution', execution: executionView(e) };
}
