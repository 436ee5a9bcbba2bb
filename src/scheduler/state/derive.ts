/**
 * Values derived from a job's record rather than stored (so they can never disagree with it):
 * its wake time, its next run, whether its next occurrence must wait, and who runs it now.
 */
import type { JobRecord, Occurrence } from './records.js';

/** Whether new attempts may start for the job (not paused, not cancelled). */
export function schedulable(job: JobRecord): boolean {
  return !job.paused && job.status !== 'cancelled';
}

/**
 * Whether the job's next scheduled occurrence must wait for an active one instead of falling
 * under the overlap policy: it was due before the active occurrence started (a backlog
 * that `fire-all` catch-up or a short `missedThreshold` produces), so it runs after it, in turn.
 * A queued occurrence counts from its own time, not from its start (see `applyStart`), so a
 * queued start a few milliseconds late makes no backlog. A one-shot's single occurrence is never
 * skipped: it waits for whatever runs (a manual run). `allow` never waits.
 */
export function cursorBlocked(job: JobRecord): boolean {
  const cursor = job.cursor;
  const active = job.run?.active;
  if (cursor === undefined || active === undefined || job.opts.overlap === 'allow') return false;
  if (job.cron === undefined) return true;
  for (let i = 0; i < active.length; i++) if (cursor < (active[i] as Occurrence).since) return true;
  return false;
}

/**
 * The earliest moment the leader must look at the job: its next occurrence, a retry or the
 * queued occurrence (when it may start). A running attempt has no wake time, nor does a retry
 * held by a timed-out attempt that has not settled: the job wakes again through the `wake` effect
 * of the command that ends or settles it (its node's report, or the node's restart, departure or
 * expiry). `undefined`: nothing to do until another command changes the job.
 */
export function wakeOf(job: JobRecord): number | undefined {
  let wake = Infinity;
  const open = schedulable(job);
  const run = job.run;
  const active = run?.active;
  if (active !== undefined && open) {
    for (let i = 0; i < active.length; i++) {
      const occ = active[i] as Occurrence;
      if (occ.held === undefined && occ.retryAt !== undefined && occ.retryAt < wake) wake = occ.retryAt;
    }
  }
  if (open) {
    const queued = run?.queuedAt;
    if (queued !== undefined && active === undefined && queued < wake) wake = queued;
    const cursor = job.cursor;
    if (cursor !== undefined && cursor < wake && !cursorBlocked(job)) wake = cursor;
  }
  return wake === Infinity ? undefined : wake;
}

/**
 * The next time something runs for the job (an occurrence, a retry, the queued occurrence);
 * absent when nothing is left, or while the job is paused or cancelled (nothing runs then).
 */
export function nextRunOf(job: JobRecord): number | undefined {
  if (!schedulable(job)) return undefined;
  let next = job.cursor ?? Infinity;
  const run = job.run;
  if (run !== undefined) {
    if (run.queuedAt !== undefined && run.queuedAt < next) next = run.queuedAt;
    const active = run.active;
    if (active !== undefined) {
      for (let i = 0; i < active.length; i++) {
        const retryAt = (active[i] as Occurrence).retryAt;
        if (retryAt !== undefined && retryAt < next) next = retryAt;
      }
    }
  }
  return next === Infinity ? undefined : next;
}

/** The node running the job's current attempt: the latest occurrence's, else the newest running one. */
export function executingNodeOf(job: JobRecord): string | undefined {
  const run = job.run;
  const active = run?.active;
  if (run === undefined || active === undefined) return undefined;
  let node: string | undefined;
  for (let i = 0; i < active.length; i++) {
    const occ = active[i] as Occurrence;
    if (occ.running === undefined) continue;
    if (occ.scheduledAt === run.latestAt) return occ.running.nodeId;
    node = occ.running.nodeId;
  }
  return node;
}

/** Whether nothing more will ever happen to the job by itself (pruning may then drop it). */
export function finished(job: JobRecord): boolean {
  const run = job.run;
  return job.cursor === undefined && run?.active === undefined && run?.queuedAt === undefined;
}
