/**
 * `pruneHistory`: retention. Finished attempts and skipped records go when older than `before`
 * or beyond the newest `maxPerJob` of their job; jobs with nothing left to do go when their last
 * change is older than `before`. Running attempts, and timed-out ones that have not settled
 * (a retry waits on them), always stay.
 */
import type { PruneHistoryCommand } from './commands.js';
import { finished } from './derive.js';
import { executionBytes, SKIP_BYTES } from './estimate.js';
import type { ExecutionRecord, JobRecord, SkipRecord } from './records.js';
import { reject, type Store } from './store.js';
import type { PruneHistoryResult, Rejection } from './types.js';

/** Applies a {@link PruneHistoryCommand}. */
export function applyPrune(store: Store, cmd: PruneHistoryCommand): PruneHistoryResult | Rejection {
  const { before } = cmd;
  const maxPerJob = Math.max(0, Math.floor(cmd.maxPerJob));
  if (!Number.isFinite(before) || Number.isNaN(maxPerJob)) {
    return reject({ code: 'INVALID_COMMAND', message: 'pruneHistory needs a time and a count' });
  }
  let executions = 0;
  let skipped = 0;
  let jobs = 0;
  // Deleting the current entry while iterating a Map is safe: iteration continues with the next.
  for (const job of store.jobs.values()) {
    const run = job.run;
    if (run !== undefined) {
      if (run.executions !== undefined) executions += pruneExecutions(store, job, run.executions, before, maxPerJob);
      if (run.skipped !== undefined) skipped += pruneSkipped(store, job, run.skipped, before, maxPerJob);
      if (run.executions?.length === 0) run.executions = undefined;
      if (run.skipped?.length === 0) run.skipped = undefined;
    }
    if (job.updatedAt < before && finished(job) && !holdsAnything(job)) {
      store.remove(job);
      jobs++;
      if (store.listening) store.emit({ type: 'jobDeleted', jobId: job.id, reason: 'pruned' });
    }
  }
  return { ok: true, type: 'pruneHistory', executions, skipped, jobs };
}

/** Whether the job still has an attempt that must be kept (running, or timed out and unsettled). */
function holdsAnything(job: JobRecord): boolean {
  const list = job.run?.executions;
  if (list === undefined) return false;
  for (let i = 0; i < list.length; i++) if (mustKeep(list[i] as ExecutionRecord)) return true;
  return false;
}

function mustKeep(e: ExecutionRecord): boolean {
  return e.status === 'in_progress' || !e.settled;
}

/** Drops prunable attempts in place (keeping start order); returns how many went. */
function pruneExecutions(store: Store, job: JobRecord, list: ExecutionRecord[], before: number, maxPerJob: number): number {
  let prunable = 0;
  for (let i = 0; i < list.length; i++) if (!mustKeep(list[i] as ExecutionRecord)) prunable++;
  // The oldest `excess` prunable attempts go whatever their age.
  let excess = prunable - maxPerJob;
  let kept = 0;
  let freed = 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as ExecutionRecord;
    if (!mustKeep(e)) {
      const old = (e.endedAt ?? e.startedAt) < before;
      if (excess > 0 || old) {
        if (excess > 0) excess--;
        store.countExecution(e.status, -1);
        freed += executionBytes(e);
        continue;
      }
    }
    list[kept++] = e;
  }
  const dropped = list.length - kept;
  list.length = kept;
  store.addBytes(job, -freed);
  return dropped;
}

/** Drops prunable skipped records in place; returns how many went. */
function pruneSkipped(store: Store, job: JobRecord, list: SkipRecord[], before: number, maxPerJob: number): number {
  let excess = list.length - maxPerJob;
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const s = list[i] as SkipRecord;
    if (excess > 0 || s.recordedAt < before) {
      if (excess > 0) excess--;
      continue;
    }
    list[kept++] = s;
  }
  const dropped = list.length - kept;
  list.length = kept;
  store.addBytes(job, -dropped * SKIP_BYTES);
  return dropped;
}
