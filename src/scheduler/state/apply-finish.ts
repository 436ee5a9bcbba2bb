/**
 * `finishExecution` and `settleExecution`: the end of an attempt moves the job's status, plans
 * the retry (with backoff) or closes the occurrence; a timed-out attempt whose handler may still
 * run holds its retry until it settles.
 */
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
function occurrenceOf(job: JobRecord, e: ExecutionRecord): Occurrence | undefined {
  return job.run?.active?.find((o) => o.scheduledAt === e.scheduledAt);
}

/** Marks a timed-out attempt as let go, releasing its occurrence's retry. */
function settle(store: Store, job: JobRecord, e: ExecutionRecord): void {
  e.settled = true;
  const occ = occurrenceOf(job, e);
  if (occ !== undefined && occ.held === e) {
    occ.held = undefined;
    store.retireIfIdle(job, occ);
  }
  if (store.listening) store.emit({ type: 'executionSettled', execution: executionView(e) });
}

/** Applies a {@link FinishExecutionCommand}. */
export function applyFinish(store: Store, cmd: FinishExecutionCommand): FinishExecutionResult | Rejection {
  const found = lookup(store, cmd.executionId);
  if ('rejected' in found) return found;
  const { job, execution: e } = found;
  const now = cmd.now;
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
  const run = job.run;
  if (occ === undefined || occ.running !== e || run === undefined) {
    return reject({ code: 'INTERNAL', message: `Execution ${cmd.executionId} is in progress but not active` });
  }
  const status = cmd.status;
  store.endExecution(job, e, status, now, typeof cmd.error === 'string' ? cmd.error : undefined);
  if (cmd.errorType !== undefined) e.errorType = cmd.errorType;
  if (typeof cmd.httpStatus === 'number') e.httpStatus = cmd.httpStatus;
  if (typeof cmd.responseTimeMs === 'number') e.responseTimeMs = cmd.responseTimeMs;
  occ.running = undefined;
  const latest = occ.scheduledAt === run.latestAt;
  let retryAt: number | undefined;
  if (status === 'completed') {
    if (latest) {
      store.setStatus(job, 'completed');
      run.completedAt = now;
    }
  } else {
    if (cmd.settled === false) {
      e.settled = false;
      occ.held = e;
    }
    if (e.attempt < job.opts.maxAttempts) {
      retryAt = now + backoffDelay(job.opts.backoff, e.attempt, cmd.random);
      occ.retryAt = retryAt;
      if (latest) store.setStatus(job, 'pending');
      // A cancelled attempt of a job that is not cancelled (its node was closing) is a failed one.
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
  store.noteWake(job, before);
  return retryAt === undefined
    ? { ok: true, type: 'finishExecution', execution, final }
    : { ok: true, type: 'finishExecution', execution, retryAt, final };
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
