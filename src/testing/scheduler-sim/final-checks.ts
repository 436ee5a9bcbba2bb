/**
 * The checks made once the cluster has converged after the quiet phase: nothing acknowledged is
 * lost, every handler call and every recorded outcome agree with the log, attempts of one
 * occurrence are consecutive under one idempotency key, due one-shots reached a final status, no
 * attempt is left in progress past its deadline, and cron jobs kept their schedule.
 * @internal
 */
import type { Execution, Job, SkippedOccurrence } from '../../scheduler/model.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import { idempotencyKey } from '../../scheduler/state/index.js';
import { checkCronProgress, checkQueuedOrder } from './cron-check.js';
import { HANG_FACTOR_MAX, behaviourOf } from './handlers.js';
import type { Ledger } from './ledger.js';
import type { JobBook, Workload } from './workload.js';

/** What the final checks need to know about the run. */
export interface FinalContext {
  readonly seed: number;
  /** Every node's scheduler (all running, converged). */
  readonly nodes: readonly Scheduler[];
  readonly ledger: Ledger;
  readonly workload: Workload;
  /** End of the fault phase (heal, every node restarted). */
  readonly faultEnd: number;
  /** End of the quiet phase (and of the run). */
  readonly end: number;
  readonly inProgressTimeoutMs: number;
  readonly missedThresholdMs: number;
  /** How long after the faults everything uncertain has landed and a leader is stable. */
  readonly settleMs: number;
  /**
   * Nodes running with a `concurrency` limit: their attempts may wait in a queue behind hung
   * handlers for as long as the load lasts, so how long one stays in progress proves nothing.
   */
  readonly limited: ReadonlySet<string>;
  readonly violation: (text: string) => void;
  /** Receives observations that break no promise. */
  readonly note: (text: string) => void;
}

/** How much the final checks looked at. */
export interface FinalCounts {
  jobs: number;
  executions: number;
  oneShotsFinal: number;
  oneShotsUnjudged: number;
  cronJobs: number;
  cronOccurrences: number;
}

const FINAL = new Set(['completed', 'failed', 'timeout']);

/**
 * Longest one attempt can keep an occurrence busy: the attempt itself until it ends (a hung
 * handler until it returns or is abandoned an in-progress timeout after its timeout), or until its
 * node's lease and the leader's margin run out, then the backoff, plus an election's worth of slack.
 */
function attemptSpanMs(job: Pick<Job, 'timeoutMs' | 'backoff'>, inProgressTimeoutMs: number): number {
  const running = Math.max(job.timeoutMs * HANG_FACTOR_MAX, job.timeoutMs + inProgressTimeoutMs);
  return running + 2 * inProgressTimeoutMs + job.backoff.maxMs + 4000;
}

const SUCCEEDS: ReadonlySet<string> = new Set(['sync-ok', 'async-ok', 'slow-ok']);

/** Runs every final check; violations go to `ctx.violation`. */
export async function finalChecks(ctx: FinalContext): Promise<FinalCounts> {
  const counts: FinalCounts = { jobs: 0, executions: 0, oneShotsFinal: 0, oneShotsUnjudged: 0, cronJobs: 0, cronOccurrences: 0 };
  const reference = ctx.nodes[0] as Scheduler;
  const jobs = await reference.list();
  const byId = new Map(jobs.map((j) => [j.id, j]));
  counts.jobs = jobs.length;
  checkAcknowledged(ctx, byId);
  await checkEveryNodeHasTheJobs(ctx);

  const executionsById = new Map<string, Execution>();
  for (const job of jobs) {
    const executions = await reference.executions(job.id);
    const skipped = await reference.skipped(job.id);
    counts.executions += executions.length;
    for (const e of executions) executionsById.set(e.id, e);
    checkExecutions(ctx, job, executions);
    // Attempts queued behind hung handlers on a node with a concurrency limit take as long as the
    // load lasts: how late such a job is proves nothing (that they queue and never time out does).
    if (executions.some((e) => ctx.limited.has(e.nodeId))) continue;
    checkOneShot(ctx, job, counts);
    checkStuck(ctx, job, executions);
    if (job.kind === 'cron') checkCron(ctx, job, executions, skipped, counts);
    if (job.kind === 'cron' && !cronUpdated(ctx, job.id)) for (const p of checkQueuedOrder(job, executions)) ctx.violation(p);
  }
  checkInvocations(ctx, byId, executionsById);
  checkTriggers(ctx, executionsById);
  return counts;
}

/** Whether a client ever asked to change the job's schedule (its occurrence times then changed). */
function cronUpdated(ctx: FinalContext, jobId: string): boolean {
  return ctx.workload.jobs.get(jobId)?.ops.some((op) => op.kind === 'update' && op.patch?.cron !== undefined) === true;
}

/** Acknowledged operations took effect; operations never proposed did not. */
function checkAcknowledged(ctx: FinalContext, byId: ReadonlyMap<string, Job>): void {
  for (const book of ctx.workload.jobs.values()) {
    const job = byId.get(book.id);
    const deleted = ctx.workload.deleteIssued(book);
    const create = book.ops[0];
    if (create === undefined) continue;
    if (create.outcome === 'pending') {
      ctx.violation(`schedule of ${book.id} never settled`);
      continue;
    }
    if (book.retryRefusedAsPast !== undefined && job !== undefined) {
      const when =
        book.retryRefusedAsPast === 'committed'
          ? 'another node already held it (the retried node lagged)'
          : 'no node held it yet (it committed later)';
      ctx.note(
        `idempotency gap: ${book.id} exists (an uncertain schedule committed), yet retrying its identical spec was refused as TIME_IN_PAST; at the retry ${when}`,
      );
    }
    if (create.outcome === 'acked' && !deleted && job === undefined) {
      ctx.violation(`acknowledged job ${book.id} is lost: no node has it`);
    }
    const neverProposed = create.tries.every((t) => t.outcome === 'refused' || t.outcome === 'invalid' || t.outcome === 'no-node');
    if (neverProposed && job !== undefined) {
      ctx.violation(
        `${book.id} exists although every schedule call was refused (${create.tries.map((t) => t.detail).join(', ')}): a refused call must not commit`,
      );
    }
    for (const op of book.ops) {
      if (op.outcome === 'pending') ctx.violation(`${op.kind} of ${book.id} (op ${op.seq}) never settled`);
      if (op.kind === 'delete' && op.outcome === 'acked' && job !== undefined)
        ctx.violation(`acknowledged delete of ${book.id} is lost: the job is still there`);
      if (op.kind === 'cancel' && op.outcome === 'acked' && !deleted && job !== undefined && job.status !== 'cancelled') {
        ctx.violation(`acknowledged cancel of ${book.id} is lost: status ${job.status}`);
      }
    }
    if (job !== undefined && !deleted) {
      checkPaused(ctx, book, job);
      checkUpdates(ctx, book, job);
    }
  }
}

/**
 * With every update of a job settled for sure, each field holds what the last acknowledged update
 * that set it asked for (an update must not undo an earlier acknowledged one, nor one of another
 * field acknowledged concurrently).
 */
function checkUpdates(ctx: FinalContext, book: JobBook, job: Job): void {
  const updates = book.ops.filter((op) => op.kind === 'update');
  if (updates.length === 0 || updates.some((op) => op.outcome === 'uncertain' || op.outcome === 'pending')) return;
  const expected = new Map<string, { value: unknown; seq: number }>();
  for (const op of updates) {
    if (op.outcome !== 'acked' || op.patch === undefined) continue;
    for (const [field, value] of Object.entries(op.patch)) expected.set(field, { value, seq: op.seq });
  }
  const actual: Record<string, unknown> = {
    at: job.at,
    cron: job.cron,
    timeout: job.timeoutMs,
    maxAttempts: job.maxAttempts,
    payload: job.payload,
  };
  for (const [field, { value, seq }] of expected) {
    if (JSON.stringify(actual[field]) !== JSON.stringify(value)) {
      ctx.violation(
        `acknowledged update of ${book.id} (op ${seq}) is lost: ${field} is ${JSON.stringify(actual[field])}, not ${JSON.stringify(value)}`,
      );
    }
  }
}

/** With every pause/resume of a job settled for sure, the last acknowledged one decides `paused`. */
function checkPaused(ctx: FinalContext, book: JobBook, job: Job): void {
  const ops = book.ops.filter((op) => op.kind === 'pause' || op.kind === 'resume');
  if (ops.some((op) => op.outcome === 'uncertain' || op.outcome === 'pending')) return;
  const last = ops.filter((op) => op.outcome === 'acked').pop();
  if (last === undefined) return;
  const expected = last.kind === 'pause';
  if (job.paused !== expected)
    ctx.violation(`acknowledged ${last.kind} of ${book.id} (op ${last.seq}) is lost: paused is ${String(job.paused)}`);
}

/** Every node holds every job (the hashes already agree; this names what is missing if not). */
async function checkEveryNodeHasTheJobs(ctx: FinalContext): Promise<void> {
  const lists = await Promise.all(ctx.nodes.map(async (s) => new Set((await s.list()).map((j) => j.id))));
  const all = new Set<string>();
  for (const ids of lists) for (const id of ids) all.add(id);
  lists.forEach((ids, i) => {
    for (const id of all) if (!ids.has(id)) ctx.violation(`${(ctx.nodes[i] as Scheduler).nodeId} lacks job ${id}`);
  });
}

/** Attempts 1..n per occurrence, one key, outcomes that match what the handler did. */
function checkExecutions(ctx: FinalContext, job: Job, executions: readonly Execution[]): void {
  const byOccurrence = new Map<number, number[]>();
  /** Attempts that counted against maxAttempts (an interrupted one does not). */
  const spent = new Map<number, number>();
  const attempted = new Set(executions.map((e) => e.id));
  for (const e of executions) {
    let list = byOccurrence.get(e.scheduledAt);
    if (list === undefined) byOccurrence.set(e.scheduledAt, (list = []));
    list.push(e.attempt);
    if (e.interrupted !== true) spent.set(e.scheduledAt, (spent.get(e.scheduledAt) ?? 0) + 1);
    else checkInterrupted(ctx, job, e, attempted);
    if (e.idempotencyKey !== idempotencyKey(job.id, e.scheduledAt)) ctx.violation(`${e.id} has idempotency key ${e.idempotencyKey}`);
    const invocation = ctx.ledger.invocationOf(e.id);
    if (e.status === 'completed') {
      if (invocation === undefined) ctx.violation(`${e.id} is completed but no handler ever ran it`);
      else if (invocation.node !== e.nodeId) ctx.violation(`${e.id} ran on ${invocation.node} but the log says ${e.nodeId}`);
      const b = behaviourOf(ctx.seed, e.id);
      if (!SUCCEEDS.has(b)) ctx.violation(`${e.id} is completed but its handler (${b}) never succeeded`);
    }
    if (e.status === 'failed' && e.errorType === 'handler_error') {
      if (invocation === undefined) ctx.violation(`${e.id} failed in its handler but no handler ever ran it`);
      const b = behaviourOf(ctx.seed, e.id);
      if (SUCCEEDS.has(b)) ctx.violation(`${e.id} is recorded as a handler failure but its handler (${b}) succeeded`);
    }
  }
  for (const [at, attempts] of byOccurrence) {
    attempts.sort((a, b) => a - b);
    if (attempts.some((a, i) => a !== i + 1)) {
      ctx.violation(`${job.id}@${at}: attempts ${attempts.join(',')} are not consecutive from 1`);
    }
    const allowed = mostAttempts(ctx, job);
    const counted = spent.get(at) ?? 0;
    if (counted > allowed) {
      ctx.violation(`${job.id}@${at}: ${counted} attempts spent, more than maxAttempts ${allowed}`);
    }
  }
}

/**
 * The most attempts an occurrence of the job may have had: its `maxAttempts` now, or higher
 * while an update (acknowledged or not) had not lowered it yet.
 */
function mostAttempts(ctx: FinalContext, job: Job): number {
  let most = job.maxAttempts;
  for (const op of ctx.workload.jobs.get(job.id)?.ops ?? []) {
    const asked = op.kind === 'schedule' ? ctx.workload.jobs.get(job.id)?.spec.maxAttempts : op.patch?.maxAttempts;
    if (asked !== undefined && asked > most) most = asked;
  }
  return most;
}

/** An interrupted attempt (its node closed, lost contact, or lacked the handler) was run again. */
function checkInterrupted(ctx: FinalContext, job: Job, e: Execution, attempted: ReadonlySet<string>): void {
  if (e.status !== 'cancelled') ctx.violation(`${e.id} is interrupted but ${e.status}, not cancelled`);
  if (job.status === 'cancelled' || job.paused || (e.endedAt ?? 0) > ctx.end - attemptSpanMs(job, ctx.inProgressTimeoutMs)) return;
  if (!attempted.has(`${job.id}@${e.scheduledAt}#${e.attempt + 1}`)) {
    ctx.violation(`${e.id} was interrupted (${e.error ?? ''}) at ${e.endedAt ?? '?'} but never run again`);
  }
}

/** A one-shot whose time (and every retry) had room to pass reached a final status. */
function checkOneShot(ctx: FinalContext, job: Job, counts: FinalCounts): void {
  if (job.kind !== 'once' || job.status === 'cancelled' || job.paused) return;
  const deadline =
    Math.max(job.at as number, ctx.faultEnd + ctx.settleMs) + mostAttempts(ctx, job) * attemptSpanMs(job, ctx.inProgressTimeoutMs);
  if (deadline > ctx.end) {
    counts.oneShotsUnjudged++;
    return;
  }
  counts.oneShotsFinal++;
  if (!FINAL.has(job.status)) {
    ctx.violation(
      `one-shot ${job.id} due ${new Date(job.at as number).toISOString()} is still ${job.status} at the end (attempts ${job.attemptCount}, nextRunAt ${job.nextRunAt ?? 'none'})`,
    );
  }
}

/**
 * No attempt stays in progress past the moment it must have ended: every node runs again after the
 * faults, so its node reports it (a hung handler within its abandonment) or its restart ended it.
 */
function checkStuck(ctx: FinalContext, job: Job, executions: readonly Execution[]): void {
  for (const e of executions) {
    if (e.status !== 'in_progress') continue;
    const running = Math.max(job.timeoutMs * HANG_FACTOR_MAX, job.timeoutMs + ctx.inProgressTimeoutMs);
    const deadline = Math.max(e.startedAt + running, ctx.faultEnd + ctx.settleMs) + 2 * ctx.inProgressTimeoutMs + 4000;
    if (deadline < ctx.end)
      ctx.violation(`${e.id} (on ${e.nodeId}, started ${e.startedAt}) is still in progress ${ctx.end - deadline} ms past its deadline`);
  }
}

function checkCron(
  ctx: FinalContext,
  job: Job,
  executions: readonly Execution[],
  skipped: readonly SkippedOccurrence[],
  counts: FinalCounts,
): void {
  if (job.status === 'cancelled' || job.paused) return;
  const span = mostAttempts(ctx, job) * attemptSpanMs(job, ctx.inProgressTimeoutMs);
  const from = Math.min(ctx.faultEnd + ctx.settleMs, keptScheduleSince(ctx, job) ?? Infinity);
  const to = ctx.end - Math.max(3000, ctx.missedThresholdMs * 2);
  if (to <= from) return;
  counts.cronJobs++;
  const verdict = checkCronProgress(job, executions, skipped, { from, to, occurrenceSpanMs: span, end: ctx.end });
  counts.cronOccurrences += verdict.occurrences;
  for (const p of verdict.problems) ctx.violation(`cron progress: ${p}`);
}

/**
 * When a cron job was updated but only ever in its payload or options (never its schedule, never
 * paused), the time from which every one of its occurrences must be accounted for: its creation.
 * Such an update never moves, drops or re-runs an occurrence, so not only the quiet phase is judged.
 */
function keptScheduleSince(ctx: FinalContext, job: Job): number | undefined {
  const ops = ctx.workload.jobs.get(job.id)?.ops;
  if (ops === undefined || !ops.some((op) => op.kind === 'update')) return undefined;
  const moves = (op: (typeof ops)[number]): boolean =>
    op.kind === 'pause' || op.kind === 'resume' || (op.kind === 'update' && op.patch?.cron !== undefined);
  return ops.some(moves) ? undefined : job.createdAt;
}

/** Every handler call is of an attempt the log kept (unless its job was deleted). */
function checkInvocations(ctx: FinalContext, byId: ReadonlyMap<string, Job>, executions: ReadonlyMap<string, Execution>): void {
  for (const inv of ctx.ledger.invocations) {
    if (!byId.has(inv.jobId)) continue;
    const e = executions.get(inv.executionId);
    if (e === undefined) ctx.violation(`${inv.executionId} ran on ${inv.node} but the log has no such attempt`);
    else if (e.nodeId !== inv.node) ctx.violation(`${inv.executionId} ran on ${inv.node} but the log assigned it to ${e.nodeId}`);
  }
}

/** An acknowledged trigger's execution is in the log (unless its job was deleted). */
function checkTriggers(ctx: FinalContext, executions: ReadonlyMap<string, Execution>): void {
  for (const op of ctx.workload.ops) {
    if (op.kind !== 'trigger' || op.outcome !== 'acked' || op.executionIds === undefined) continue;
    const book = ctx.workload.jobs.get(op.jobId);
    if (book !== undefined && ctx.workload.deleteIssued(book)) continue;
    for (const id of op.executionIds) {
      if (!executions.has(id)) ctx.violation(`acknowledged trigger of ${op.jobId} started ${id}, which the log lost`);
    }
  }
}
