/**
 * Commands that change a job as a whole: cancel, delete, pause, resume, update. Cancel and
 * delete end running attempts at once (the executor is told to abort them through
 * `executionAborted`; whatever their handlers report later only settles them).
 */
import type { Execution } from '../model.js';
import type { CancelJobCommand, DeleteJobCommand, JobDefinition, PauseJobCommand, UpdateJobCommand } from './commands.js';
import { DefinitionIssue, definitionIssue, mergePatch, replaceDefinition, scheduleChanged } from './definitions.js';
import { wakeOf } from './derive.js';
import { stringBytes } from './estimate.js';
import type { CronSchedule, JobRecord, Occurrence } from './records.js';
import { firstOccurrence } from './schedule.js';
import { reject, type Store } from './store.js';
import type { DeleteJobResult, JobChangeResult, Rejection } from './types.js';
import { definitionView, executionView, jobView } from './views.js';

function notFound(jobId: string): Rejection {
  return reject({ code: 'JOB_NOT_FOUND', message: `Job not found: ${jobId}`, jobId });
}

function invalid(job: JobRecord, message: string): Rejection {
  return reject({ code: 'INVALID_STATE', message, jobId: job.id });
}

/** Applies a {@link CancelJobCommand}. */
export function applyCancel(store: Store, cmd: CancelJobCommand): JobChangeResult<'cancelJob'> | Rejection {
  const job = store.jobs.get(cmd.jobId);
  if (job === undefined) return notFound(cmd.jobId);
  if (job.status === 'cancelled') return invalid(job, 'Job already cancelled');
  const run0 = job.run;
  if (job.cron === undefined && job.cursor === undefined && run0?.active === undefined && run0?.queuedAt === undefined) {
    return invalid(job, `Cannot cancel ${job.status} job`);
  }
  const now = cmd.now;
  const before = wakeOf(job);
  const reason = typeof cmd.reason === 'string' ? cmd.reason : undefined;
  const run = store.ensureRun(job);
  const active = run.active;
  if (active !== undefined) {
    for (let i = 0; i < active.length; i++) {
      const occ = active[i] as Occurrence;
      // Nothing waits for a held attempt of a cancelled job: it no longer needs to settle.
      if (occ.held !== undefined) {
        occ.held.settled = true;
        store.held.delete(occ.held);
      }
      const e = occ.running;
      if (e === undefined) continue;
      store.endExecution(job, e, 'cancelled', now, reason === undefined ? 'job cancelled' : `job cancelled: ${reason}`);
      e.errorType = 'cancelled';
      if (store.listening) {
        const execution = executionView(e);
        store.emit({ type: 'executionFinished', execution, final: true });
        store.emit({ type: 'executionAborted', executionId: execution.id, jobId: job.id, reason: 'cancelled', execution });
      }
    }
  }
  run.active = undefined;
  run.queuedAt = undefined;
  job.cursor = undefined;
  store.setStatus(job, 'cancelled');
  run.cancelledAt = now;
  run.cancellationReason = reason;
  store.addBytes(job, stringBytes(reason));
  job.updatedAt = now;
  if (store.listening) store.emit({ type: 'jobCancelled', jobId: job.id });
  store.noteWake(job, before);
  return { ok: true, type: 'cancelJob', job: jobView(job) };
}

/** Applies a {@link DeleteJobCommand}. */
export function applyDelete(store: Store, cmd: DeleteJobCommand): DeleteJobResult | Rejection {
  const job = store.jobs.get(cmd.jobId);
  if (job === undefined) return notFound(cmd.jobId);
  const before = wakeOf(job);
  let aborted: Execution[] | undefined;
  const active = job.run?.active;
  if (store.listening && active !== undefined) {
    for (let i = 0; i < active.length; i++) {
      const e = (active[i] as Occurrence).running;
      if (e !== undefined) (aborted ??= []).push(executionView(e));
    }
  }
  store.remove(job);
  if (store.listening) {
    if (aborted !== undefined) {
      for (const execution of aborted) {
        store.emit({ type: 'executionAborted', executionId: execution.id, jobId: job.id, reason: 'deleted', execution });
      }
    }
    store.emit({ type: 'jobDeleted', jobId: job.id, reason: 'deleted' });
    if (before !== undefined) store.emit({ type: 'wake', jobId: job.id, at: undefined });
  }
  return { ok: true, type: 'deleteJob', jobId: job.id };
}

/** Applies a {@link PauseJobCommand} (`pauseJob` or `resumeJob`). */
export function applyPause(store: Store, cmd: PauseJobCommand): JobChangeResult<'pauseJob'> | JobChangeResult<'resumeJob'> | Rejection {
  const job = store.jobs.get(cmd.jobId);
  if (job === undefined) return notFound(cmd.jobId);
  if (job.status === 'cancelled') return invalid(job, 'Job is cancelled');
  const pause = cmd.type === 'pauseJob';
  if (pause && job.paused) return invalid(job, 'Job already paused');
  if (!pause && !job.paused) return invalid(job, 'Job is not paused');
  const now = cmd.now;
  const before = wakeOf(job);
  job.paused = pause;
  // Occurrences that fell due during the pause are not run: a cron job picks up from now. A
  // one-shot keeps its time and, if it passed, runs now (late).
  if (!pause && job.cron !== undefined && job.cursor !== undefined && job.cursor < now) job.cursor = firstOccurrence(job.cron, now);
  job.updatedAt = now;
  if (store.listening) store.emit({ type: pause ? 'jobPaused' : 'jobResumed', jobId: job.id });
  store.noteWake(job, before);
  return pause ? { ok: true, type: 'pauseJob', job: jobView(job) } : { ok: true, type: 'resumeJob', job: jobView(job) };
}

/**
 * Applies an {@link UpdateJobCommand}: the patch is merged into the definition as it stands now
 * (an old-style `definition` replaces it whole). Only a change of the schedule moves the cursor:
 * a payload or options change never moves, drops or re-runs an occurrence.
 */
export function applyUpdate(store: Store, cmd: UpdateJobCommand): JobChangeResult<'updateJob'> | Rejection {
  const job = store.jobs.get(cmd.jobId);
  if (job === undefined) return notFound(cmd.jobId);
  if (job.status === 'cancelled') return invalid(job, 'Cannot update cancelled job');
  const current = definitionView(job);
  const merged = cmd.patch !== undefined ? mergePatch(current, cmd.patch) : (cmd.definition as JobDefinition);
  if (merged instanceof DefinitionIssue) return invalidDefinition(job, merged);
  const def = merged;
  const problem = definitionIssue(def);
  if (problem !== undefined) return invalidDefinition(job, problem);
  if (def.id !== job.id) return invalidDefinition(job, new DefinitionIssue('id', `the definition is for ${def.id}, not ${job.id}`));
  const now = cmd.now;
  const before = wakeOf(job);
  const scheduled = job.cursor !== undefined;
  const oldCursor = job.cursor;
  if (!replaceDefinition(store, job, def)) return invalidDefinition(job, new DefinitionIssue('payload', 'nests too deep or is not JSON'));
  if (scheduleChanged(current, def)) {
    if (job.cron !== undefined) reschedule(store, job, oldCursor, now);
    else rescheduleOnce(store, job, scheduled, now);
  }
  job.updatedAt = now;
  if (store.listening) store.emit({ type: 'jobUpdated', jobId: job.id });
  store.noteWake(job, before);
  return { ok: true, type: 'updateJob', job: jobView(job) };
}

function invalidDefinition(job: JobRecord, problem: DefinitionIssue): Rejection {
  return reject({ code: 'INVALID_DEFINITION', message: `${problem.field}: ${problem.message}`, jobId: job.id, field: problem.field });
}

/**
 * A cron job's new schedule starts after now and after whatever already started or is queued
 * (an update stamped just before those must not bring them round again). An occurrence of the
 * old schedule that was due but not started yet is recorded as skipped: it does not vanish.
 */
function reschedule(store: Store, job: JobRecord, oldCursor: number | undefined, now: number): void {
  const run = job.run;
  let from = now;
  const latest = run?.latestAt;
  if (latest !== undefined && latest >= from) from = latest + 1;
  const queued = run?.queuedAt;
  if (queued !== undefined && queued >= from) from = queued + 1;
  job.cursor = firstOccurrence(job.cron as CronSchedule, from);
  // A paused job's due occurrences are the pause's business: resuming passes over them unrecorded.
  if (oldCursor === undefined || oldCursor > now || oldCursor === job.cursor || job.paused) return;
  store.addSkip(job, oldCursor, now, 'rescheduled');
  store.ensureRun(job).skippedCount++;
  if (store.listening) {
    store.emit({ type: 'occurrenceSkipped', jobId: job.id, scheduledAt: oldCursor, recordedAt: now, reason: 'rescheduled', count: 1 });
  }
}

/**
 * A one-shot still waiting moves to its new time; one that ran comes back only for a future
 * time, never for the occurrence it already ran (a stale update writing its old time back).
 */
function rescheduleOnce(store: Store, job: JobRecord, scheduled: boolean, now: number): void {
  const run = job.run;
  const at = job.at as number;
  job.cursor = scheduled || at > now ? at : undefined;
  if (job.cursor !== undefined && store.findExecution(job, job.cursor, 1) !== undefined) job.cursor = undefined;
  if (job.cursor !== undefined && run !== undefined && run.active === undefined && job.status !== 'pending') {
    store.setStatus(job, 'pending');
    run.attemptCount = 0;
    run.latestAt = undefined;
    run.firstAttemptAt = undefined;
    run.lastAttemptAt = undefined;
    run.completedAt = undefined;
  }
}
