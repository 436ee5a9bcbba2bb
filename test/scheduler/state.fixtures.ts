/**
 * Shared helpers of the `state*.test.ts` files: definition builders, a recording state, a
 * decide context, and a seeded generator of long random command logs (for replay tests).
 */
import assert from 'node:assert/strict';
import { SchedulerState, type ApplyResult, type DecideContext, type Rejection, type StateEffect } from '../../src/scheduler/state/index.js';
import type { Command, FinishExecutionCommand, JobDefinition, StartExecutionCommand } from '../../src/scheduler/state/commands.js';
import { JOB_STATUSES, type JobStatus } from '../../src/scheduler/model.js';

/** 2026-01-01T00:00:00Z: whole minutes and seconds make cron arithmetic easy to read. */
export const T0 = Date.UTC(2026, 0, 1);
export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;

export const LIMITS = { maxJobs: 1_000_000, maxMemoryBytes: 1e12 } as const;
const DEFAULT_BACKOFF = { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0.2 } as const;

const OPTIONS = {
  maxAttempts: 3,
  backoff: DEFAULT_BACKOFF,
  timeoutMs: 5 * MIN,
  overlap: 'skip',
  catchUp: 'fire-once',
  catchUpWindowMs: HOUR,
} as const;

/** A one-shot definition. */
export function once(id: string, at: number, extra: Partial<JobDefinition> = {}): JobDefinition {
  return { id, kind: 'once', at, handler: 'work', ...OPTIONS, ...extra };
}

/** A cron definition (UTC). */
export function cron(id: string, expression: string, extra: Partial<JobDefinition> = {}): JobDefinition {
  return { id, kind: 'cron', cron: expression, timezone: 'UTC', handler: 'work', ...OPTIONS, ...extra };
}

/** A state that records its effects. */
export function recording(): { state: SchedulerState; effects: StateEffect[] } {
  const effects: StateEffect[] = [];
  return { state: new SchedulerState((e) => effects.push(e)), effects };
}

/** A decide context for node `n1`, term 1. */
export function ctx(overrides: Partial<DecideContext> = {}): DecideContext {
  return {
    nodeId: 'n1',
    term: 1,
    missedThresholdMs: 5 * SEC,
    inProgressTimeoutMs: 10 * MIN,
    isRunningLocally: () => false,
    random: () => 0,
    ...overrides,
  };
}

/** Applies `command` and returns the result, failing the test on a rejection. */
export function ok<R extends ApplyResult>(result: ApplyResult): R {
  if (!result.ok) assert.fail(`rejected: ${JSON.stringify(result.rejected)}`);
  return result as R;
}

/** Asserts a rejection with `code` and returns its info. */
export function rejected(result: ApplyResult, code: string): Rejection['rejected'] {
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result)}`);
  const info = result.rejected;
  assert.equal(info.code, code, info.message);
  return info;
}

/** Creates jobs (fails the test if refused). */
export function create(state: SchedulerState, now: number, ...jobs: JobDefinition[]): void {
  ok(state.apply({ type: 'createJobs', now, jobs, limits: LIMITS }));
}

/** The start command `decide` would propose for the next occurrence at `scheduledAt`. */
export function start(jobId: string, scheduledAt: number, now: number, extra: Partial<StartExecutionCommand> = {}): StartExecutionCommand {
  return {
    type: 'startExecution',
    now,
    jobId,
    scheduledAt,
    attempt: 1,
    nodeId: 'n1',
    term: 1,
    missedThresholdMs: 5 * SEC,
    inProgressTimeoutMs: 10 * MIN,
    ...extra,
  };
}

/** A finish command. */
export function finish(
  executionId: string,
  now: number,
  status: 'completed' | 'failed' | 'timeout' | 'cancelled',
  extra: Partial<FinishExecutionCommand> = {},
): FinishExecutionCommand {
  return { type: 'finishExecution', now, executionId, status, settled: true, random: 0, ...extra };
}

/** Applies what `decide` proposes for every job due at `now`, in one batch; returns the commands. */
export function tick(state: SchedulerState, now: number, context: DecideContext = ctx()): Command[] {
  const commands: Command[] = [];
  for (const [jobId, at] of [...state.wakeTimes()]) if (at <= now) commands.push(...state.decide(jobId, now, context));
  if (commands.length > 0) state.apply({ type: 'batch', commands });
  return commands;
}

/**
 * Checks the incremental bookkeeping against a recount from the views: job counts by status,
 * execution counts by status, and in-progress executions.
 */
export function assertConsistent(state: SchedulerState): void {
  const counts = state.counts();
  const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  const executions = { completed: 0, failed: 0, timeout: 0, cancelled: 0, inProgress: 0 };
  let jobs = 0;
  let cursor: string | undefined;
  do {
    const page = state.listJobs({ limit: 97, ...(cursor === undefined ? {} : { cursor }) });
    for (const job of page.jobs) {
      jobs++;
      byStatus[job.status]++;
      for (const e of state.getExecutions(job.id) ?? []) {
        if (e.status === 'in_progress') executions.inProgress++;
        else executions[e.status]++;
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  assert.equal(counts.jobs, jobs);
  assert.deepEqual(counts.byStatus, byStatus);
  assert.deepEqual(counts.executions, executions);
  assert.equal([...state.inProgressExecutions()].length, executions.inProgress);
}

/** A small seeded generator (mulberry32): the same seed gives the same log everywhere. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXPRESSIONS = ['*/10 * * * * *', '0 * * * * *', '*/30 * * * * *', '0 */5 * * * *', '15 * * * * *'];
const POLICIES = {
  overlap: ['skip', 'allow', 'queue-one'],
  catchUp: ['fire-once', 'fire-all', 'skip'],
} as const;

/**
 * A long random log over a few dozen jobs: creates (one-shot and cron, every policy), leader
 * passes through `decide` (starts, timeouts, releases), finishes of every kind (some unsettled,
 * some twice), settles, manual triggers, cancels, deletes, pauses, resumes, updates, prunes,
 * stale and duplicate commands, with time jumping forward (sometimes far, to exercise catch-up).
 * Each command is generated against a scratch state, so the log is the one a real cluster
 * could produce, not noise; the scratch state's hash is returned with it.
 */
export function randomLog(seed: number, length: number): { log: Command[]; hash: string; results: ApplyResult[] } {
  const rnd = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const state = new SchedulerState();
  const log: Command[] = [];
  const results: ApplyResult[] = [];
  const ids: string[] = [];
  let now = T0;
  const push = (command: Command): void => {
    log.push(command);
    results.push(state.apply(command));
  };
  const def = (id: string): JobDefinition => {
    const extra: { -readonly [K in keyof JobDefinition]?: JobDefinition[K] } = {
      maxAttempts: 1 + Math.floor(rnd() * 3),
      overlap: pick(POLICIES.overlap),
      catchUp: pick(POLICIES.catchUp),
      catchUpWindowMs: pick([30 * SEC, 2 * MIN, HOUR]),
      timeoutMs: pick([5 * SEC, 40 * SEC]),
      backoff: { initialMs: pick([500, 2000]), factor: 2, maxMs: 10_000, jitter: pick([0, 0.5]) },
    };
    if (rnd() < 0.3) extra.payload = { n: Math.floor(rnd() * 100), tags: ['a', 'b'], nested: { x: rnd() < 0.5 } };
    return rnd() < 0.5 ? once(id, now + Math.floor(rnd() * 90 * SEC), extra) : cron(id, pick(EXPRESSIONS), extra);
  };
  for (let step = 0; log.length < length; step++) {
    const r = rnd();
    now += r < 0.02 ? Math.floor(rnd() * 2 * HOUR) : Math.floor(rnd() * 4 * SEC);
    const jobId = ids.length > 0 && rnd() < 0.95 ? pick(ids) : `job-${Math.floor(rnd() * 1000)}`;
    const roll = rnd();
    if (roll < 0.12 || ids.length < 4) {
      const count = 1 + Math.floor(rnd() * 3);
      const jobs: JobDefinition[] = [];
      for (let k = 0; k < count; k++) {
        const id = rnd() < 0.1 && ids.length > 0 ? pick(ids) : `job-${ids.length + k}-${step}`;
        const existing = state.getDefinition(id);
        jobs.push(existing !== undefined && rnd() < 0.7 ? existing : def(id));
      }
      push({ type: 'createJobs', now, jobs, limits: rnd() < 0.05 ? { maxJobs: 10, maxMemoryBytes: 1e12 } : LIMITS });
      for (const j of jobs) if (!ids.includes(j.id) && state.getJob(j.id) !== undefined) ids.push(j.id);
    } else if (roll < 0.45) {
      // A leader pass over every due job.
      const context = ctx({ random: rnd, isRunningLocally: () => rnd() < 0.3, inProgressTimeoutMs: pick([20 * SEC, MIN]) });
      const commands: Command[] = [];
      for (const [id, at] of state.wakeTimes()) if (at <= now) commands.push(...state.decide(id, now, context));
      if (commands.length > 0) push(commands.length === 1 ? (commands[0] as Command) : { type: 'batch', commands });
    } else if (roll < 0.7) {
      const running = [...state.inProgressExecutions()];
      if (running.length === 0) continue;
      const e = pick(running);
      const status = pick(['completed', 'completed', 'failed', 'timeout', 'cancelled'] as const);
      push({
        type: 'finishExecution',
        now,
        executionId: e.id,
        status,
        ...(status === 'completed'
          ? {}
          : { error: `boom ${Math.floor(rnd() * 10)}`, errorType: status === 'timeout' ? 'timeout' : 'handler_error' }),
        ...(rnd() < 0.3 ? { httpStatus: 500, responseTimeMs: Math.floor(rnd() * 100) } : {}),
        settled: status !== 'timeout' || rnd() < 0.5,
        random: rnd(),
      });
    } else if (roll < 0.75) {
      // Late or repeated reports: settles and finishes of attempts already over.
      const executions = state.getExecutions(jobId) ?? [];
      if (executions.length === 0) continue;
      const e = pick(executions);
      push(
        rnd() < 0.5
          ? { type: 'settleExecution', now, executionId: e.id }
          : { type: 'finishExecution', now, executionId: e.id, status: 'completed', settled: true, random: rnd() },
      );
    } else if (roll < 0.79) {
      push(start(jobId, now, now, { manual: true, nodeId: pick(['n1', 'n2']) }));
    } else if (roll < 0.82) {
      // A stale or duplicate start, as a deposed leader would send.
      const executions = state.getExecutions(jobId) ?? [];
      const e = executions.length > 0 ? pick(executions) : undefined;
      push(start(jobId, e?.scheduledAt ?? now - 1000, now, { attempt: e?.attempt ?? 1, nodeId: 'n2', term: 0 }));
    } else if (roll < 0.86) {
      push({ type: 'cancelJob', now, jobId, ...(rnd() < 0.5 ? { reason: 'no longer needed' } : {}) });
    } else if (roll < 0.88) {
      push({ type: 'deleteJob', now, jobId });
    } else if (roll < 0.92) {
      push({ type: rnd() < 0.5 ? 'pauseJob' : 'resumeJob', now, jobId });
    } else if (roll < 0.96) {
      const current = state.getDefinition(jobId);
      const next = def(jobId);
      push({
        type: 'updateJob',
        now,
        jobId,
        definition: current !== undefined && rnd() < 0.5 ? { ...current, payload: { v: step } } : next,
      });
    } else {
      push({ type: 'pruneHistory', now, before: now - pick([MIN, 10 * MIN, HOUR]), maxPerJob: pick([1, 3, 50]) });
    }
  }
  return { log, hash: state.hash(), results };
}

/** Every result of a (possibly nested) result list, batches flattened. */
export function flatten(results: readonly ApplyResult[]): ApplyResult[] {
  const out: ApplyResult[] = [];
  for (const r of results) {
    if (r.ok && r.type === 'batch') out.push(...flatten(r.results));
    else out.push(r);
  }
  return out;
}
