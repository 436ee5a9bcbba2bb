/**
 * Minimal repros of problems the firing-path simulator found (scripts/sched-sim.ts) that are not
 * fixed yet. Each case is a node:test `todo`: it runs with the suite and its outcome is reported,
 * but a failure does not fail the run. When a fix makes a case pass, drop its `todo` and move it
 * into cluster-sim-findings.test.ts.
 *
 *   node --import tsx --test test/scheduler/cluster-sim-findings-pending.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerState, type JobDefinition } from '../../../src/scheduler/state/index.js';

/** Known-failing until its bug is fixed: run and reported, not counted as a failure. */
const PENDING = { todo: true } as const;

const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

// `scripts/sched-sim.ts --seed 770 --updates` (3 nodes, at commit c2b1f38): cron-16 (every second,
// queue-one) never runs again after 00:00:30 ("nextRunAt 00:00:30 is overdue by 60 s"). Update op
// 112, stamped 29.403 s, was applied after the 30 s occurrence had been queued behind the running
// 29 s one; the rewind guard of e8c9689 only looks at `latestAt` (29 s, the latest *started*
// occurrence), so the cursor went back to 30 s — the queued occurrence. The queue then started
// 30 s, and every start of the cursor is rejected as DUPLICATE_EXECUTION from then on. Fix: the
// cursor must also move past `run.queuedAt` (from max(now, latestAt + 1, queuedAt + 1)); verified
// in a scratch copy: this test, the state and findings tests and seed 770 then pass.
test('an update applied after an occurrence was queued does not rewind the schedule onto it', PENDING, () => {
  const state = new SchedulerState();
  const def: JobDefinition = {
    id: 'c',
    kind: 'cron',
    cron: '* * * * * *',
    timezone: 'UTC',
    handler: 'work',
    maxAttempts: 1,
    backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 },
    timeoutMs: HOUR,
    overlap: 'queue-one',
    catchUp: 'fire-once',
    catchUpWindowMs: HOUR,
  };
  const start = (scheduledAt: number, now: number) =>
    state.apply({
      type: 'startExecution',
      now,
      jobId: 'c',
      scheduledAt,
      attempt: 1,
      nodeId: 'n1',
      term: 1,
      missedThresholdMs: 1000,
      inProgressTimeoutMs: 10_000,
    });
  assert.ok(state.apply({ type: 'createJobs', now: T0 + 500, jobs: [def], limits: { maxJobs: 10, maxMemoryBytes: 1e9 } }).ok);
  assert.equal((start(T0 + 1000, T0 + 1000) as { outcome?: string }).outcome, 'started');
  assert.equal((start(T0 + 2000, T0 + 2000) as { outcome?: string }).outcome, 'queued');
  // An update stamped before the 2 s occurrence was queued, applied after.
  assert.ok(state.apply({ type: 'updateJob', now: T0 + 1900, jobId: 'c', definition: { ...def, payload: { v: 1 } } }).ok);
  assert.equal(state.getJob('c')?.nextRunAt, T0 + 2000, 'the queued occurrence runs next');
  assert.ok(
    state.apply({ type: 'finishExecution', now: T0 + 2500, executionId: `c@${T0 + 1000}#1`, status: 'completed', settled: true, random: 0 })
      .ok,
  );
  assert.equal((start(T0 + 2000, T0 + 2500) as { outcome?: string }).outcome, 'started', 'the queued 2 s occurrence starts');
  assert.ok(
    state.apply({ type: 'finishExecution', now: T0 + 2700, executionId: `c@${T0 + 2000}#1`, status: 'completed', settled: true, random: 0 })
      .ok,
  );
  // What follows is the schedule's next occurrence, 3 s: not 2 s again.
  assert.equal(state.getJob('c')?.nextRunAt, T0 + 3000);
});
