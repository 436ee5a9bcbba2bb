/**
 * Minimal repros of problems the firing-path simulator found (scripts/sched-sim.ts) that are not
 * fixed yet. Each case is a node:test `todo`: it runs with the suite and its outcome is reported,
 * but a failure does not fail the run. When a fix makes a case pass, drop its `todo` and move it
 * into findings.test.ts.
 *
 *   node --import tsx --test test/testing/scheduler-sim/findings-pending.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerState, type JobDefinition } from '../../../src/scheduler/state/index.js';

/** Known-failing until its bug is fixed: run and reported, not counted as a failure. */
const PENDING = { todo: true } as const;

const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

// `scripts/sched-sim.ts --seed 63094 --nodes 5` (also 63193, 63376 --nodes 5, 63254 --updates, and
// 63396, 63466, 64033 plain; at the commit that taught the checker the overlap rule; in 63396 a restarted
// node runs a start replayed from its log past the attempt's deadline, in 63466 a node out of
// contact for one second is presumed dead): "overlap queue-one: cron-23@…26000#1
// invoked on n3 while cron-23@…24000#3 (another occurrence) still ran on n4". The last attempt of
// the 24 s occurrence ran on n4, a healthy node in contact with the leader, its handler started
// ~16 ms after the start was stamped; the leader presumed it dead at startedAt + max(timeout,
// in-progress timeout) and recorded `timeout` (settled, since it runs elsewhere). With no attempt
// left the occurrence retired, so the queued 26 s occurrence started on n3 — while n4's handler
// still ran, its signal not aborted (n4's own timeout counts from the handler's start, later
// than the leader's deadline). Same class as the issue's "a retry never overlaps an attempt that
// may still be running" (attempts belong to a node; presume one dead only when its node restarted
// or lost contact for longer than a lease during which it aborts its own attempts), which another
// change fixes; the overlap policy then holds too, because the occurrence stays active until the
// attempt is really over.
test('an attempt on a healthy node is not presumed dead while it runs: the next occurrence of a queue-one job waits', PENDING, () => {
  const state = new SchedulerState();
  const def: JobDefinition = {
    id: 'c',
    kind: 'cron',
    cron: '*/2 * * * * *',
    timezone: 'UTC',
    handler: 'work',
    maxAttempts: 1,
    backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 },
    timeoutMs: 5000,
    overlap: 'queue-one',
    catchUp: 'fire-once',
    catchUpWindowMs: HOUR,
  };
  const leader = {
    nodeId: 'n1',
    term: 1,
    missedThresholdMs: 1000,
    inProgressTimeoutMs: 4000,
    isRunningLocally: () => false,
    random: () => 0,
  };
  const pass = (now: number): void => {
    const commands = [...state.wakeTimes()].filter(([, at]) => at <= now).flatMap(([id]) => state.decide(id, now, leader));
    if (commands.length > 0) state.apply({ type: 'batch', commands });
  };
  assert.ok(state.apply({ type: 'createJobs', now: T0 + 500, jobs: [def], limits: { maxJobs: 10, maxMemoryBytes: 1e9 } }).ok);
  const started = state.apply({ ...startOf(T0 + 2000, T0 + 2000), nodeId: 'n2' });
  assert.ok(started.ok);
  // n2's handler starts at +2.2 s and would be aborted by its own timeout only at +7.2 s.
  for (let now = T0 + 2000; now <= T0 + 7100; now += 100) {
    pass(now);
    const running = [...state.inProgressExecutions()];
    assert.ok(
      running.every((e) => e.id === `c@${T0 + 2000}#1`),
      `at ${now - T0}: ${running.map((e) => e.id).join(', ')}`,
    );
    assert.equal(state.getExecution(`c@${T0 + 2000}#1`)?.status, 'in_progress', `at ${now - T0}: presumed dead on a healthy node`);
  }
});

function startOf(scheduledAt: number, now: number) {
  return {
    type: 'startExecution',
    now,
    jobId: 'c',
    scheduledAt,
    attempt: 1,
    nodeId: 'n1',
    term: 1,
    missedThresholdMs: 1000,
    inProgressTimeoutMs: 4000,
  } as const;
}
