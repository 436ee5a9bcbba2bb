/**
 * `pruneHistory`: retention. Finished attempts and skipped records go when older than `before`
 * or beyond the newest `maxPerJob` of their job; jobs with nothing left to do go when their last
 * change is older than `before`. Running attempts, and timed-out ones that have not settled
 * (a retry waits on them), always stay. A pass is split into commands of a bounded number of
 * jobs (a resumable cursor over the creation order), so no single apply walks every job.
 *
 * The same rule by count alone, {@link trimHistory}, runs on every start that carries the
 * scheduler's `historyLimit`, so the limit holds at every moment, not only after a prune.
 */
import type { PruneHistoryCommand } from './commands.js';
import { finished } from './derive.js';
import { SKIP_BYTES } from './estimate.js';
import type { ExecutionRecord, JobRecord, SkipRecord } from './records.js';
import { reject, type Store } from './store.js';
import type { PruneHistoryResult, Rejection } from './types.js';

/** Applies a {@link PruneHistoryCommand}. */
export function applyPrune(store: Store, cmd: PruneHistoryCommand): PruneHistoryResult | Rejection {
  const { before } = cmd;
  const maxPerJob = Math.max(0, Math.floor(cmd.maxPerJob));
  const from = cmd.from ?? 0;
  const budget = cmd.budget ?? Infinity;
  if (!Number.isFinite(before) || Number.isNaN(maxPerJob) || !Number.isFinite(from) || !(budget >= 1)) {
    return reject({ code: 'INVALID_COMMAND', message: 'pruneHistory needs a time, a count, and a positive budget' });
  }
  // Pick the jobs first: removing one may compact the listing under the loop.
  const order = store.order;
  const chunk: JobRecord[] = [];
  let i = firstAtOrAfter(order, from);
  for (; i < order.length; i++) {
    const job = order[i] as JobRecord;
    if (!store.isLive(job)) continue;
    if (chunk.length >= budget) break;
    chunk.push(job);
  }
  const next = i < order.length ? (order[i] as JobRecord).seq : undefined;
  let executions = 0;
  let skipped = 0;
  let jobs = 0;
  for (const job of chunk) {
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
  const result: PruneHistoryResult = { ok: true, type: 'pruneHistory', executions, skipped, jobs };
  return next === undefined ? result : { ...result, next };
}

/**
 * Keeps the job's history within `limit` attempts and `limit` skipped records by dropping the
 * oldest finished attempts and the oldest records (the attempt just started counts, so the limit
 * still holds once it finishes). Attempts that must stay (running, unsettled) are never dropped,
 * even when they alone exceed the limit. Costs what it drops, not a walk over the history.
 */
export function trimHistory(store: Store, job: JobRecord, limit: number): void {
  const run = job.run;
  if (run === undefined || !(limit >= 0)) return;
  const list = run.executions;
  if (list !== undefined && list.length > limit) {
    let excess = list.length - limit;
    const kept: ExecutionRecord[] = [];
    let i = 0;
    for (; i < list.length && excess > 0; i++) {
      const e = list[i] as ExecutionRecord;
      if (mustKeep(e)) kept.push(e);
      else {
        store.dropExecution(job, e);
        excess--;
      }
    }
    list.splice(0, i, ...kept);
    if (list.length === 0) run.executions = undefined;
  }
  const skips = run.skipped;
  if (skips !== undefined && skips.length > limit) {
    const excess = skips.length - limit;
    skips.splice(0, excess);
    store.addBytes(job, -excess * SKIP_BYTES);
    if (skips.length === 0) run.skipped = undefined;
  }
}

/** Index of the first job in `order` whose sequence number is at least `seq`. */
function firstAtOrAfter(order: readonly JobRecord[], seq: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((order[mid] as JobRecord).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as ExecutionRecord;
    if (!mustKeep(e)) {
      const old = (e.endedAt ?? e.startedAt) < before;
      if (excess > 0 || old) {
        if (excess > 0) excess--;
        store.dropExecution(job, e);
        continue;
      }
    }
    list[kept++] = e;
  }
  const dropped = list.length - kept;
  list.length = kept;
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
