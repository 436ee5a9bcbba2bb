/**
 * What the leader proposes for a job whose wake time has come. Pure: it reads the job and the
 * context and returns commands; `apply` remains the judge (anything decided twice, or too late,
 * is rejected there). Calling it early is harmless: only what is due is proposed.
 */
import type { Command, FinishExecutionCommand, StartExecutionCommand } from './commands.js';
import { cursorBlocked, releaseAt, schedulable } from './derive.js';
import type { JobRecord, Occurrence } from './records.js';
import type { DecideContext } from './types.js';
import { executionId } from './views.js';

/** Commands for `job` at `now` (empty when nothing is due). */
export function decide(job: JobRecord | undefined, now: number, ctx: DecideContext): Command[] {
  const out: Command[] = [];
  if (job === undefined) return out;
  const open = schedulable(job);
  const run = job.run;
  const active = run?.active;
  let starting = false;
  if (active !== undefined) {
    for (let i = 0; i < active.length; i++) {
      const occ = active[i] as Occurrence;
      const running = occ.running;
      if (running !== undefined) {
        if (now >= running.deadline) out.push(presumeDead(job, occ, now, ctx));
        continue;
      }
      let held = occ.held !== undefined;
      if (held) {
        const e = occ.held as NonNullable<Occurrence['held']>;
        const id = executionId(job.id, e.scheduledAt, e.attempt);
        // Another node's attempt is presumed dead after the in-progress timeout; this node knows
        // for sure whether it still runs its own (after a restart it does not).
        const release = e.nodeId === ctx.nodeId ? !ctx.isRunningLocally(id) : now >= (releaseAt(occ) as number);
        if (release) {
          out.push({ type: 'settleExecution', now, executionId: id });
          held = false;
        }
      }
      if (open && !held && occ.retryAt !== undefined && occ.retryAt <= now) {
        out.push(startCommand(job.id, occ.scheduledAt, occ.attempts + 1, now, ctx));
        starting = true;
      }
    }
  }
  if (!open) return out;
  const queued = run?.queuedAt;
  if (queued !== undefined && active === undefined && queued <= now) {
    out.push(startCommand(job.id, queued, 1, now, ctx));
    starting = true;
  }
  const cursor = job.cursor;
  // With another start in this round the occurrence would meet it as an overlap (or wait behind
  // it); deciding it next round, against the applied state, gives the same answer without a stale start.
  if (
    cursor !== undefined &&
    cursor <= now &&
    !cursorBlocked(job) &&
    !(starting && job.cron !== undefined && job.opts.overlap !== 'allow')
  ) {
    out.push(startCommand(job.id, cursor, 1, now, ctx));
  }
  return out;
}

/** What a start command needs from the proposer: who runs it, under which term, with which thresholds. */
export type StartContext = Pick<DecideContext, 'nodeId' | 'term' | 'missedThresholdMs' | 'inProgressTimeoutMs'>;

/** The command that starts attempt `attempt` of `jobId`'s occurrence at `scheduledAt`, proposed at `now`. */
export function startCommand(jobId: string, scheduledAt: number, attempt: number, now: number, ctx: StartContext): StartExecutionCommand {
  return {
    type: 'startExecution',
    now,
    jobId,
    scheduledAt,
    attempt,
    nodeId: ctx.nodeId,
    term: ctx.term,
    missedThresholdMs: ctx.missedThresholdMs,
    inProgressTimeoutMs: ctx.inProgressTimeoutMs,
  };
}

/** The timeout of an attempt that gave no result within its deadline (its process presumably died). */
function presumeDead(job: JobRecord, occ: Occurrence, now: number, ctx: DecideContext): FinishExecutionCommand {
  const e = occ.running as NonNullable<Occurrence['running']>;
  const id = executionId(job.id, e.scheduledAt, e.attempt);
  // Still running here (a handler ignoring its timeout): its retry must wait until it returns.
  const stillHere = e.nodeId === ctx.nodeId && ctx.isRunningLocally(id);
  return {
    type: 'finishExecution',
    now,
    executionId: id,
    status: 'timeout',
    errorType: 'timeout',
    error: `node ${e.nodeId} gave no result within the in-progress timeout (${e.deadline - e.startedAt} ms)`,
    settled: !stillHere,
    random: ctx.random !== undefined ? ctx.random() : draw(id, now),
  };
}

/** A uniform-looking draw in [0, 1) from the execution id and time (FNV-1a): spread, yet pure. */
function draw(id: string, now: number): number {
  let h = 0x811c9dc5;
  const text = `${id}|${now}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000;
}
