/**
 * Regressions found by the firing-path simulator (scripts/sched-sim.ts), each reduced to a minimal
 * repro: a duplicated timed-out finish releasing a held retry (seed 424), a queue-one occurrence
 * left to catch-up (seed 165), a re-sent identical one-shot refused as "in the past", and a
 * settle that overtook the timeout finish it follows (seeds 74134, 74198).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../../src/scheduler/scheduler.js';
import { SchedulerState, type DecideContext } from '../../../src/scheduler/state/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import type { Command, JobDefinition } from '../../../src/scheduler/state/commands.js';

/** A state with node `n1` (life `i1`, handler `work`) registered: starts are for it. */
function registered(): SchedulerState {
  const state = new SchedulerState();
  state.apply({ type: 'registerNode', now: 0, nodeId: 'n1', incarnation: 'i1', handlers: ['work'], registration: 1 });
  return state;
}

const T0 = Date.UTC(2026, 0, 1);
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

const ctx: DecideContext = {
  nodeId: 'n1',
  term: 1,
  missedThresholdMs: 5 * SEC,
};

/** One pass of the leader loop at `now`: decide every due job, apply the answers in one batch. */
function pass(state: SchedulerState, now: number): Command[] {
  const commands: Command[] = [];
  for (const [jobId, at] of [...state.wakeTimes()]) if (at <= now) commands.push(...state.decide(jobId, now, ctx));
  if (commands.length > 0) state.apply({ type: 'batch', commands });
  return commands;
}

function finishCompleted(state: SchedulerState, executionId: string, now: number): void {
  const r = state.apply({ type: 'finishExecution', now, executionId, status: 'completed', settled: true, random: 0 });
  assert.ok(r.ok, JSON.stringify(r));
}

// sched-sim seed 165 (3 nodes, at commit 80fb0e5; later changes to flush timing moved that run
// off the tie): cron-18 (every second, queue-one, catchUp skip) — its queued occurrence started at
// the very instant the next one fell due; the next one was then neither queued nor skipped but held
// as a "backlog" (cursorBlocked: cursor <= since) until the run ended, and is finally handled by the
// catch-up policy as if no node could have fired it (skip: never runs; fire-once: counted missed).
// Fix (verified: this test, the state tests and 1500 seeds pass): cursorBlocked compares strictly,
// `cursor < since` — an occurrence due at the instant the active one started is an overlap.
test('queue-one: an occurrence due in the very pass its queued predecessor starts is queued, not left to catch-up', () => {
  const state = registered();
  const def: JobDefinition = {
    id: 'c',
    kind: 'cron',
    cron: '* * * * *',
    timezone: 'UTC',
    handler: 'work',
    maxAttempts: 1,
    backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 },
    timeoutMs: HOUR,
    overlap: 'queue-one',
    catchUp: 'skip',
    catchUpWindowMs: HOUR,
  };
  assert.ok(state.apply({ type: 'createJobs', now: T0 + 1, jobs: [def], limits: { maxJobs: 10, maxMemoryBytes: 1e9 } }).ok);
  pass(state, T0 + MIN); // 1min starts
  pass(state, T0 + 2 * MIN); // 2min is queued behind it
  // 1min ends just before the 3min boundary; the leader's next pass runs at the boundary
  // (a handler finishing at hh:mm:59.9xx, a commit landing with the boundary timer).
  finishCompleted(state, `c@${T0 + MIN}#1`, T0 + 3 * MIN - 100);
  pass(state, T0 + 3 * MIN); // the queued 2min starts; the 3min occurrence is left for the next pass
  pass(state, T0 + 3 * MIN); // ...which should queue it behind 2min (queue-one)
  pass(state, T0 + 4 * MIN); // 4min: the queue is full, so it is skipped as an overlap
  finishCompleted(state, `c@${T0 + 2 * MIN}#1`, T0 + 4 * MIN + 30 * SEC);
  pass(state, T0 + 4 * MIN + 30 * SEC); // 3min, queued, runs now

  const ran = (state.getExecutions('c') ?? []).map((e) => (e.scheduledAt - T0) / MIN);
  const skipped = (state.getSkipped('c') ?? []).map((s) => `${(s.scheduledAt - T0) / MIN}:${s.reason}`);
  // Before the fix, 3min waited as a "backlog" (cursor <= since of the queued run) and was then
  // skipped by the catch-up policy as if no node could have fired it: ['3:catch-up', '4:catch-up'].
  assert.deepEqual({ ran, skipped }, { ran: [1, 2, 3], skipped: ['4:overlap'] });
});

// sched-sim seeds 374 and 760 (3 nodes, at commit 650f0f9; seed 424 at 22efd59): a retry starts
// on another node while the timed-out first attempt's handler still runs on its own node, before
// the in-progress timeout. Seed 374: once-13#1, triggered on follower n1, times out at 29.306 s
// (finish with settled: false, the handler ignores its signal); n1's link duplicates messages, so
// its forwarded proposal is appended twice, and the second, stale copy of the finish settles the
// held attempt: once-13#2 starts on n2 at 29.610 s, though n1's handler is presumed alive until
// 31.914 s. A CommandPipe retry of a finish whose first proposal failed uncertainly (dropped,
// timed out) but committed does the same with no duplication in the network.
// Fix (verified: this test and 1500 seeds pass): in applyFinish, a stale finish settles only when
// it says so — `if (!e.settled && cmd.settled !== false)`.
test('a repeated finish with settled: false does not release the retry of a timed-out attempt whose handler still runs', () => {
  const state = registered();
  const def: JobDefinition = {
    id: 'j',
    kind: 'once',
    at: T0 + SEC,
    handler: 'work',
    maxAttempts: 3,
    backoff: { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0 },
    timeoutMs: 2 * SEC,
    overlap: 'skip',
    catchUp: 'fire-once',
    catchUpWindowMs: HOUR,
  };
  assert.ok(state.apply({ type: 'createJobs', now: T0, jobs: [def], limits: { maxJobs: 10, maxMemoryBytes: 1e9 } }).ok);
  const started = state.apply({
    type: 'startExecution',
    now: T0 + SEC,
    jobId: 'j',
    scheduledAt: T0 + SEC,
    attempt: 1,
    nodeId: 'n1',
    term: 1,
    missedThresholdMs: SEC,
    incarnation: 'i1',
  });
  assert.ok(started.ok);
  const timedOut = {
    type: 'finishExecution',
    now: T0 + 3 * SEC,
    executionId: `j@${T0 + SEC}#1`,
    status: 'timeout',
    errorType: 'timeout',
    settled: false,
    random: 0,
  } as const;
  assert.ok(state.apply(timedOut).ok);
  state.apply(timedOut); // the same command, committed a second time
  // The leader is n2: n1's handler is alive until n1 reports it, restarts, leaves or expires.
  const leader: DecideContext = { ...ctx, nodeId: 'n2' };
  const early = state.decide('j', T0 + 3 * SEC + 500, leader);
  assert.deepEqual(early, [], 'no retry while the first attempt may still run');
  assert.equal(state.wakeTime('j'), undefined);
});

// sched-sim notes "idempotency gap" (about one seed in ten): a client whose schedule call failed
// uncertainly (node crashed, proposal dropped) retries the identical spec after the job's `at` has
// passed and gets TIME_IN_PAST, though the first call committed and the job exists; `schedule`
// promises that re-sending an identical spec returns the existing job.
test('re-sending an identical one-shot spec after its time passed returns the existing job', async () => {
  const clock = new ManualClock(T0);
  const scheduler = await createScheduler({
    clock,
    random: () => 0.5,
    raft: { timing: { tickMs: 10_000, electionTicks: 10, heartbeatTicks: 1 } },
  });
  try {
    scheduler.handle('work', () => {});
    const spec = { id: 'j', at: T0 + SEC, handler: 'work' };
    await scheduler.schedule(spec);
    await clock.advance(2 * SEC);
    const again = await scheduler.schedule(spec).catch((error: unknown) => error);
    assert.equal((again as { id?: unknown }).id, 'j', `got ${String(again)}`);
  } finally {
    await scheduler.close();
  }
});

// sched-sim seeds 74134 and 74198 (3 nodes, once the leader no longer released held attempts by
// time): once-20@…25006#1 timed out on n2 while n2 was cut off; its finish (settled: false) failed
// and was re-proposed after the batcher's backoff, while the handler returned and its
// `settleExecution` went out in a newer batch and was applied FIRST (refused: still in progress).
// The finish then held the retry for good: "still pending at the end (attempts 1)". Fix: the
// executor's let-go is the timeout finish again with `settled: true`, which counts in either order.
test('the let-go of a timed-out attempt counts whether it lands before or after the unsettled timeout finish', () => {
  for (const order of ['finish first', 'let-go first'] as const) {
    const state = registered();
    const def: JobDefinition = {
      id: 'j',
      kind: 'once',
      at: T0 + SEC,
      handler: 'work',
      maxAttempts: 3,
      backoff: { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0 },
      timeoutMs: 2 * SEC,
      overlap: 'skip',
      catchUp: 'fire-once',
      catchUpWindowMs: HOUR,
    };
    assert.ok(state.apply({ type: 'createJobs', now: T0, jobs: [def], limits: { maxJobs: 10, maxMemoryBytes: 1e9 } }).ok);
    assert.ok(
      state.apply({
        type: 'startExecution',
        now: T0 + SEC,
        jobId: 'j',
        scheduledAt: T0 + SEC,
        attempt: 1,
        nodeId: 'n1',
        incarnation: 'i1',
        term: 1,
        missedThresholdMs: SEC,
      }).ok,
    );
    const timedOut = {
      type: 'finishExecution',
      now: T0 + 3 * SEC,
      executionId: `j@${T0 + SEC}#1`,
      status: 'timeout',
      errorType: 'timeout',
      settled: false,
      random: 0,
    } as const;
    const letGo = { ...timedOut, now: T0 + 4 * SEC, settled: true };
    for (const c of order === 'finish first' ? [timedOut, letGo] : [letGo, timedOut]) state.apply(c);
    assert.equal(state.decide('j', T0 + 5 * SEC, ctx).length, 1, `${order}: the retry is released`);
  }
});
