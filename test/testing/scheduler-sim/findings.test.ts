/**
 * Regressions found by the firing-path simulator (scripts/sched-sim.ts), each reduced to a minimal
 * repro: a duplicated timed-out finish releasing a held retry (seed 424), a queue-one occurrence
 * left to catch-up (seed 165), a re-sent identical one-shot refused as "in the past", an update
 * rewinding the schedule onto a queued occurrence (seed 770), a duplicated forwarded update
 * undoing a later one (seed 257 --updates), and a settle that overtook the timeout finish it
 * follows (seeds 74134, 74198), and an attempt on a healthy node presumed dead by time, which let
 * the next queue-one occurrence run beside it (seed 63094 and six more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../../src/scheduler/scheduler.js';
import { SchedulerState, type DecideContext } from '../../../src/scheduler/state/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import type { Command, JobDefinition } from '../../../src/scheduler/state/commands.js';
import type { Scheduler } from '../../../src/index.js';
import { DEFAULT_TIMING, type Message, type Transport } from '../../../src/raft/index.js';
import { createRandom, MemoryNetwork } from '../../../src/testing/index.js';
import { settle, until } from '../../fixtures/sim-time.js';

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

// `scripts/sched-sim.ts --seed 770 --updates` (3 nodes, at commit c2b1f38): cron-16 (every second,
// queue-one) never runs again after 00:00:30 ("nextRunAt 00:00:30 is overdue by 60 s"). Update op
// 112, stamped 29.403 s, was applied after the 30 s occurrence had been queued behind the running
// 29 s one; the rewind guard of e8c9689 only looks at `latestAt` (29 s, the latest *started*
// occurrence), so the cursor went back to 30 s — the queued occurrence. The queue then started
// 30 s, and every start of the cursor is rejected as DUPLICATE_EXECUTION from then on. Fixed: a
// payload-only update leaves the cursor alone, and a schedule change moves it past `run.queuedAt`
// too (from max(now, latestAt + 1, queuedAt + 1)).
test('an update applied after an occurrence was queued does not rewind the schedule onto it', () => {
  const state = registered();
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
      incarnation: 'i1',
      term: 1,
      missedThresholdMs: 1000,
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

/** A transport that, while armed, sends every forwarded proposal a second time `delayMs` later. */
function duplicating(inner: Transport, clock: ManualClock, delayMs: number): Transport & { armed: boolean } {
  const t = {
    armed: false,
    id: inner.id,
    send(messages: readonly Message[]): void {
      inner.send(messages);
      if (!t.armed) return;
      const proposals = messages.filter((m) => m.type === 'propose');
      if (proposals.length > 0) clock.setTimeout(() => inner.send(proposals), delayMs);
    },
    onMessage: (handler: (message: Message) => void) => inner.onMessage(handler),
    close: () => inner.close(),
  };
  return t;
}

// `scripts/sched-sim.ts --seed 257 --updates` (3 nodes, at commit e8c9689; also seeds 657, 760,
// and 491 with --nodes 5): "acknowledged update of once-18 (op 73) is lost: at is …556, not …499".
// Op 70 went through follower n3, whose link duplicated its forwarded `propose` message; the
// leader appended the entry twice, and the second copy was applied after op 73 (through the
// leader), writing op 70's whole definition back over it. Raft forwards proposals at least once
// (a duplicated message — or a transport that re-sends after a reconnect — commits the entry
// twice), and `updateJob` replaces the whole definition, so a late duplicate undoes every update
// acknowledged in between. Fixed by client sessions in the Raft node (src/raft/sessions.ts): the
// envelope names the proposer's 64-bit session and the proposal's sequence number, and every
// replica's session table skips the second copy when it is applied — the leader that appended it
// twice and any later leader alike. The Raft simulator re-sends forwarded proposals and checks it.
test('a forwarded update delivered twice does not undo an update acknowledged in between', async () => {
  const clock = new ManualClock(T0);
  const net = new MemoryNetwork({ clock, random: createRandom(7) });
  const ids = ['a', 'b', 'c'];
  const transports = ids.map((id) => duplicating(net.connect(id), clock, 1000));
  const nodes = await Promise.all(
    ids.map((id, i) =>
      createScheduler({
        nodeId: id,
        voters: ids,
        transport: transports[i] as Transport,
        clock,
        random: createRandom(i + 1),
        raft: { timing: DEFAULT_TIMING },
      }),
    ),
  );
  try {
    for (const s of nodes) s.handle('work', () => {});
    await until(clock, () => nodes.filter((s) => s.isLeader).length === 1);
    const leader = nodes.find((s) => s.isLeader) as Scheduler;
    const i = nodes.findIndex((s) => !s.isLeader);
    const follower = nodes[i] as Scheduler;
    const link = transports[i] as { armed: boolean };
    await settle(clock, leader.schedule({ id: 'j', at: T0 + HOUR, handler: 'work', payload: { v: 0 } }));
    link.armed = true;
    await settle(clock, follower.update('j', { payload: { v: 1 } }));
    link.armed = false;
    await settle(clock, leader.update('j', { payload: { v: 2 } }));
    await clock.advance(2000); // the late copy of the follower's proposal arrives
    const job = await settle(clock, leader.get('j', { consistent: true }));
    assert.deepEqual(job?.payload, { v: 2 });
  } finally {
    await settle(clock, Promise.all(nodes.map((s) => s.close())));
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
// change fixed (attempts now belong to a node's life: no presumption by time); the overlap policy holds too, because the occurrence stays active until the
// attempt is really over.
test('an attempt on a healthy node is not presumed dead while it runs: the next occurrence of a queue-one job waits', () => {
  const state = registered();
  state.apply({ type: 'registerNode', now: 0, nodeId: 'n2', incarnation: 'i2', handlers: ['work'], registration: 1 });
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
  };
  const pass = (now: number): void => {
    const commands = [...state.wakeTimes()].filter(([, at]) => at <= now).flatMap(([id]) => state.decide(id, now, leader));
    if (commands.length > 0) state.apply({ type: 'batch', commands });
  };
  assert.ok(state.apply({ type: 'createJobs', now: T0 + 500, jobs: [def], limits: { maxJobs: 10, maxMemoryBytes: 1e9 } }).ok);
  const started = state.apply({ ...startOf(T0 + 2000, T0 + 2000), nodeId: 'n2', incarnation: 'i2' });
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
    incarnation: 'i1',
    term: 1,
    missedThresholdMs: 1000,
  } as const;
}
