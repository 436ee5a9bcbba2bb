/**
 * `startExecution`: the ledger of attempts. A start is accepted only for what the job expects
 * next — a due retry, the queued occurrence, the schedule's next occurrence, or a manual
 * trigger at `now` — and never twice (the execution id is the key). Starting the schedule's
 * next occurrence is also where the cron policies act: catch-up when it is late, overlap when
 * another occurrence is still active. A start the policies turn down is still accepted: it
 * records the skip and moves the schedule on. A manual trigger meets the overlap policy here
 * too, so a trigger racing the timer is judged against the applied state, never a stale read.
 */
import type { SkippedOccurrence } from '../model.js';
import type { StartExecutionCommand } from './commands.js';
import { cursorBlocked, wakeOf } from './derive.js';
import { ExecutionRecord, Occurrence, type JobRecord } from './records.js';
import { nextAfter, walkOccurrences, type Walk } from './schedule.js';
import { trimHistory } from './apply-prune.js';
import { reject, type Store } from './store.js';
import type { Rejection, StartExecutionResult } from './types.js';
import { executionId, executionView, jobView } from './views.js';

function stale(job: JobRecord, message: string): Rejection {
  return reject({ code: 'STALE', message, jobId: job.id });
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** Applies a {@link StartExecutionCommand}. */
export function applyStart(store: Store, cmd: StartExecutionCommand): StartExecutionResult | Rejection {
  const job = store.jobs.get(cmd.jobId);
  if (job === undefined) return reject({ code: 'JOB_NOT_FOUND', message: `Job not found: ${cmd.jobId}`, jobId: cmd.jobId });
  const { now, scheduledAt, attempt } = cmd;
  if (!Number.isFinite(scheduledAt) || !Number.isInteger(attempt) || attempt < 1) {
    return stale(job, 'startExecution needs an occurrence time and a whole attempt number of at least 1');
  }
  const manual = cmd.manual === true;
  const id = executionId(job.id, scheduledAt, attempt);
  // A manual run picks a free occurrence time itself (see `manualTime`); it is never a duplicate.
  const taken = !manual && store.findExecution(job, scheduledAt, attempt) !== undefined;
  if (taken && !(attempt === 1 && job.cursor === scheduledAt)) {
    return reject({ code: 'DUPLICATE_EXECUTION', message: `Execution already started: ${id}`, executionId: id });
  }
  if (job.status === 'cancelled') return reject({ code: 'INVALID_STATE', message: 'Job is cancelled', jobId: job.id });
  if (job.paused && !manual) return reject({ code: 'INVALID_STATE', message: 'Job is paused', jobId: job.id });
  const unfit = runnerProblem(store, job, cmd);
  if (unfit !== undefined) return stale(job, unfit);
  const before = wakeOf(job);
  const result = taken ? passTaken(job, scheduledAt) : route(store, job, cmd);
  if (result.ok) {
    // Skips and queueing change the job too (`begin` has set it already for a start).
    job.updatedAt = now;
    const limit = cmd.historyLimit;
    if (limit !== undefined && Number.isFinite(limit)) trimHistory(store, job, Math.max(0, Math.floor(limit)));
    store.noteWake(job, before);
  }
  return result;
}

/**
 * The schedule's next occurrence is a time a manual run already took (a schedule updated onto
 * it): that run stands in for it, and the schedule moves on instead of re-proposing a start
 * that can only be a duplicate.
 */
function passTaken(job: JobRecord, scheduledAt: number): StartExecutionResult {
  job.cursor = job.cron === undefined ? undefined : nextAfter(job.cron, scheduledAt, false);
  return { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'overlap', missed: 0 };
}

/**
 * The occurrence time of a manual run proposed at `now`: the first millisecond at or after `now`
 * that no other occurrence of the job has or may get — not a stored attempt's, not an active or
 * queued occurrence's, not the one-shot's time, not an occurrence of the cron schedule. So two
 * triggers in one millisecond are two occurrences, and a trigger never takes the execution id
 * (or idempotency key) of a scheduled occurrence.
 */
function manualTime(store: Store, job: JobRecord, now: number): number {
  let at = now;
  while (timeTaken(store, job, at)) at++;
  return at;
}

function timeTaken(store: Store, job: JobRecord, at: number): boolean {
  if (at === job.cursor || at === job.at || store.hasOccurrence(job, at)) return true;
  const run = job.run;
  if (run !== undefined) {
    if (run.queuedAt === at) return true;
    const active = run.active;
    if (active !== undefined) for (let i = 0; i < active.length; i++) if ((active[i] as Occurrence).scheduledAt === at) return true;
  }
  return job.cron !== undefined && nextAfter(job.cron, at, true) === at;
}

/**
 * Why the start's node cannot take it, if it cannot: an attempt goes only to the current life of
 * a node in contact that has the job's handler (a start decided before a restart, an expiry or a
 * departure, or for a node that lacks the handler, would never run or run next to its retry).
 */
function runnerProblem(store: Store, job: JobRecord, cmd: StartExecutionCommand): string | undefined {
  const node = store.nodes.get(String(cmd.nodeId));
  if (node === undefined) return `node ${String(cmd.nodeId)} is not registered`;
  if (node.incarnation !== cmd.incarnation) return `node ${cmd.nodeId} restarted (the start is for an earlier life)`;
  if (!node.available) return `node ${cmd.nodeId} is out of contact or left`;
  if (job.handler !== undefined && !node.handlers.includes(job.handler)) return `node ${cmd.nodeId} has no handler "${job.handler}"`;
  return undefined;
}

/** Finds which expected start `cmd` is, and performs it. */
function route(store: Store, job: JobRecord, cmd: StartExecutionCommand): StartExecutionResult | Rejection {
  const { now, scheduledAt, attempt } = cmd;
  const run = job.run;
  if (cmd.manual === true) {
    if (attempt !== 1 || scheduledAt !== now) return stale(job, 'a manual trigger is attempt 1 of an occurrence at now');
    // The overlap policy of a manual run: any active occurrence (running, retrying or held)
    // makes `skip` and `queue-one` refuse it — the queue slot belongs to the schedule. A refused
    // trigger is not an occurrence of the schedule, so it is not recorded as skipped.
    if (run?.active !== undefined && job.opts.overlap !== 'allow') {
      return { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'overlap', missed: 0 };
    }
    return begin(store, job, cmd, new Occurrence(manualTime(store, job, now), true, false, now), 0);
  }
  if (attempt > 1) {
    const occ = run?.active?.find((o) => o.scheduledAt === scheduledAt);
    if (occ === undefined || occ.running !== undefined || occ.retryAt === undefined || occ.attempts + 1 !== attempt) {
      return stale(job, `attempt ${attempt} of ${scheduledAt} is not the retry this job expects`);
    }
    if (occ.held !== undefined) return stale(job, 'the retry waits until the timed-out attempt settles');
    if (now < occ.retryAt) return stale(job, `attempt ${attempt} is not due before ${occ.retryAt}`);
    return begin(store, job, cmd, occ, 0);
  }
  // Nothing starts before its time (a proposer whose own clock says it is early is confused).
  if (now < scheduledAt) return stale(job, `${scheduledAt} is not due yet`);
  const late = now - scheduledAt > nonNegative(cmd.missedThresholdMs);
  if (run !== undefined && run.queuedAt === scheduledAt) {
    if (run.active !== undefined) return stale(job, 'the queued occurrence waits for the running one');
    run.queuedAt = undefined;
    // It has held its turn since its own time: what fell due while it waited met the overlap
    // policy then, and what falls due now is the next to queue — never a backlog because the
    // start came a few milliseconds after the previous occurrence ended.
    return begin(store, job, cmd, new Occurrence(scheduledAt, false, late, scheduledAt), 0);
  }
  if (job.cursor !== scheduledAt) return stale(job, `${scheduledAt} is not the next occurrence of this job`);
  // Occurrences start in order: the queued one goes before the schedule's next.
  if (run?.queuedAt !== undefined && run.active === undefined) return stale(job, 'the queued occurrence starts first');
  if (cursorBlocked(job)) return stale(job, 'the occurrence waits for the running one');
  const cron = job.cron;
  if (cron === undefined) {
    job.cursor = undefined;
    return begin(store, job, cmd, new Occurrence(scheduledAt, false, late, now), 0);
  }

  let missed = 0;
  if (!late) {
    job.cursor = nextAfter(cron, scheduledAt, false);
  } else if (job.opts.catchUp === 'skip') {
    const walk = record(store, job, 'catch-up', now, (visit) => walkOccurrences(cron, scheduledAt, now, false, visit));
    job.cursor = walk.next;
    return { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'catch-up', missed: walk.counted };
  } else if (job.opts.catchUp === 'fire-all') {
    const windowStart = now - job.opts.catchUpWindowMs;
    if (scheduledAt < windowStart) {
      // Too old to run: skip everything before the window; what is inside runs, in turn, next.
      const walk = record(store, job, 'catch-up', now, (visit) => walkOccurrences(cron, scheduledAt, windowStart, true, visit));
      job.cursor = walk.next;
      return { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'catch-up', missed: walk.counted };
    }
    job.cursor = nextAfter(cron, scheduledAt, false);
  } else {
    // fire-once: this run stands in for every other occurrence missed up to now.
    const walk = record(store, job, 'missed', now, (visit) =>
      walkOccurrences(cron, nextAfter(cron, scheduledAt, false), now, false, visit),
    );
    job.cursor = walk.next;
    missed = walk.counted;
  }

  if (run?.active !== undefined) {
    const overlap = job.opts.overlap;
    if (overlap === 'queue-one' && run.queuedAt === undefined) {
      run.queuedAt = scheduledAt;
      if (store.listening) store.emit({ type: 'occurrenceQueued', jobId: job.id, scheduledAt });
      return { ok: true, type: 'startExecution', outcome: 'queued', missed };
    }
    if (overlap !== 'allow') {
      record(store, job, 'overlap', now, (visit) => {
        visit(scheduledAt);
        return { counted: 1, next: undefined };
      });
      return { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'overlap', missed };
    }
  }
  return begin(store, job, cmd, new Occurrence(scheduledAt, false, late, now), missed);
}

/**
 * Runs a walk over occurrences that will not run, recording the first ones (the walk bounds how
 * many) and counting all of them: `missed` ones (a fire-once run stands in for them) count as
 * missed; `catch-up` ones as missed and skipped; `overlap` ones as skipped.
 */
function record(
  store: Store,
  job: JobRecord,
  reason: SkippedOccurrence['reason'],
  now: number,
  walker: (visit: (at: number) => void) => Walk,
): Walk {
  const run = store.ensureRun(job);
  let recorded = 0;
  let lastRecorded = 0;
  const effect = reason === 'missed' ? 'occurrenceMissed' : 'occurrenceSkipped';
  const walk = walker((at) => {
    store.addSkip(job, at, now, reason);
    recorded++;
    lastRecorded = at;
    if (store.listening) store.emit({ type: effect, jobId: job.id, scheduledAt: at, recordedAt: now, reason, count: 1 });
  });
  if (reason !== 'overlap') run.missedCount += walk.counted;
  if (reason !== 'missed') run.skippedCount += walk.counted;
  if (store.listening && walk.counted > recorded && job.cron !== undefined) {
    const firstUnrecorded = nextAfter(job.cron, lastRecorded, false) ?? lastRecorded;
    store.emit({ type: effect, jobId: job.id, scheduledAt: firstUnrecorded, recordedAt: now, reason, count: walk.counted - recorded });
  }
  return walk;
}

/** Starts attempt `cmd.attempt` of `occ` (a new occurrence when it has no attempt yet). */
function begin(store: Store, job: JobRecord, cmd: StartExecutionCommand, occ: Occurrence, missed: number): StartExecutionResult {
  const now = cmd.now;
  const e = new ExecutionRecord(
    job.id,
    occ.scheduledAt,
    cmd.attempt,
    store.strings.intern(String(cmd.nodeId)),
    now,
    occ.late,
    occ.manual,
    Number.isFinite(cmd.term) ? cmd.term : 0,
    (store.nodes.get(cmd.nodeId) as NonNullable<ReturnType<Store['nodes']['get']>>).incarnation,
  );
  const fresh = occ.attempts === 0;
  store.addExecution(job, e);
  const run = store.ensureRun(job);
  occ.attempts = cmd.attempt;
  occ.running = e;
  occ.retryAt = undefined;
  if (fresh) {
    store.activate(job, occ);
    run.latestAt = occ.scheduledAt;
    run.firstAttemptAt = now;
    run.completedAt = undefined;
  }
  if (occ.scheduledAt === run.latestAt) {
    run.attemptCount = cmd.attempt;
    run.lastAttemptAt = now;
    store.setStatus(job, 'in_progress');
  }
  job.updatedAt = now;
  const execution = executionView(e);
  if (store.listening) store.emit({ type: 'executionStarted', execution, job: jobView(job), incarnation: e.incarnation });
  return { ok: true, type: 'startExecution', outcome: 'started', execution, missed };
}
