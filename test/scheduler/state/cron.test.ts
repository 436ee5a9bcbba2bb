import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CATCH_UP_RECORD_LIMIT,
  CATCH_UP_SCAN_LIMIT,
  type SchedulerState,
  type StartExecutionResult,
} from '../../../src/scheduler/state/index.js';
import {
  HOUR,
  MIN,
  SEC,
  T0,
  create,
  cron,
  ctx,
  finish,
  ok,
  recording,
  register,
  rejected,
  start,
  tick,
  withNode,
} from '../../fixtures/state.js';

function outcome(state: SchedulerState, command: ReturnType<typeof start>): StartExecutionResult {
  return ok<StartExecutionResult>(state.apply(command));
}

describe('cron schedule', () => {
  test('the cursor advances at start; completed keeps the job schedulable', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *'));
    assert.equal(state.getJob('c')?.nextRunAt, T0 + MIN);
    assert.deepEqual(tick(state, T0 + MIN), [start('c', T0 + MIN, T0 + MIN)]);
    let job = state.getJob('c');
    assert.equal(job?.status, 'in_progress');
    assert.equal(job?.nextRunAt, T0 + 2 * MIN);
    ok(state.apply(finish(`c@${T0 + MIN}#1`, T0 + MIN + SEC, 'completed')));
    job = state.getJob('c');
    assert.equal(job?.status, 'completed');
    assert.equal(job?.completedAt, T0 + MIN + SEC);
    assert.equal(job?.nextRunAt, T0 + 2 * MIN);
    assert.equal(state.wakeTime('c'), T0 + 2 * MIN);
    // The next occurrence is a new one: attempt counters start over.
    tick(state, T0 + 2 * MIN);
    job = state.getJob('c');
    assert.equal(job?.status, 'in_progress');
    assert.equal(job?.firstAttemptAt, T0 + 2 * MIN);
    assert.equal(job?.completedAt, undefined);
    // An old occurrence can no longer be started.
    rejected(state.apply(start('c', T0 + MIN, T0 + 2 * MIN + 1)), 'DUPLICATE_EXECUTION');
    rejected(state.apply(start('c', T0 + 4 * MIN, T0 + 4 * MIN)), 'STALE');
    // Nor is the next one started before its time.
    rejected(state.apply(start('c', T0 + 3 * MIN, T0 + 2 * MIN + 1)), 'STALE');
  });

  test('no occurrence after endAt: the job runs out', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { endAt: T0 + 2 * MIN }));
    tick(state, T0 + MIN);
    ok(state.apply(finish(`c@${T0 + MIN}#1`, T0 + MIN + 1, 'completed')));
    tick(state, T0 + 2 * MIN);
    assert.equal(state.getJob('c')?.nextRunAt, undefined);
    ok(state.apply(finish(`c@${T0 + 2 * MIN}#1`, T0 + 2 * MIN + 1, 'failed')));
    ok(state.apply(tickStart(state, T0 + 2 * MIN + 1001)));
    ok(state.apply(finish(`c@${T0 + 2 * MIN}#2`, T0 + 2 * MIN + 2000, 'completed')));
    assert.equal(state.wakeTime('c'), undefined);
    assert.equal(state.getJob('c')?.status, 'completed');
  });

  test('a failed occurrence is retried; the next occurrence meanwhile falls under the overlap policy', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { backoff: { initialMs: 90 * SEC, factor: 1, maxMs: 90 * SEC, jitter: 0 } }));
    tick(state, T0 + MIN);
    ok(state.apply(finish(`c@${T0 + MIN}#1`, T0 + MIN + SEC, 'failed')));
    assert.equal(state.getJob('c')?.status, 'pending');
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 2 * MIN);
    tick(state, T0 + 2 * MIN);
    assert.deepEqual(state.getSkipped('c'), [{ jobId: 'c', scheduledAt: T0 + 2 * MIN, recordedAt: T0 + 2 * MIN, reason: 'overlap' }]);
    tick(state, T0 + 2 * MIN + 31 * SEC);
    assert.equal(state.getExecution(`c@${T0 + MIN}#2`)?.status, 'in_progress');
  });

  test('a manual trigger at the instant of the next occurrence is its own occurrence, a millisecond later', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *'));
    const r = outcome(state, start('c', T0 + MIN, T0 + MIN, { manual: true }));
    assert.equal(r.outcome === 'started' && r.execution.id, `c@${T0 + MIN + 1}#1`);
    assert.equal(state.getJob('c')?.nextRunAt, T0 + MIN);
  });
});

describe('overlap policies', () => {
  function runningFrom(overlap: 'skip' | 'allow' | 'queue-one') {
    const rec = recording();
    create(rec.state, T0 + 1, cron('c', '* * * * *', { overlap, timeoutMs: HOUR }));
    tick(rec.state, T0 + MIN);
    rec.effects.length = 0;
    return rec;
  }

  test('skip (default): an occurrence due while one runs is recorded, counted and passed', () => {
    const { state, effects } = runningFrom('skip');
    const r = outcome(state, start('c', T0 + 2 * MIN, T0 + 2 * MIN));
    assert.deepEqual(r, { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'overlap', missed: 0 });
    assert.equal(state.getJob('c')?.skippedCount, 1);
    assert.equal(state.getJob('c')?.missedCount, 0);
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 3 * MIN);
    assert.deepEqual(effects.slice(0, 1), [
      { type: 'occurrenceSkipped', jobId: 'c', scheduledAt: T0 + 2 * MIN, recordedAt: T0 + 2 * MIN, reason: 'overlap', count: 1 },
    ]);
    assert.equal(state.getExecutions('c')?.length, 1);
    assert.equal(state.getJob('c')?.status, 'in_progress');
  });

  test('allow: it starts anyway; the job describes the latest occurrence', () => {
    const { state } = runningFrom('allow');
    ok(state.apply(register('n2')));
    const r = outcome(state, start('c', T0 + 2 * MIN, T0 + 2 * MIN, { nodeId: 'n2' }));
    assert.equal(r.outcome, 'started');
    assert.equal([...state.inProgressExecutions()].length, 2);
    assert.equal(state.getJob('c')?.executingNodeId, 'n2');
    ok(state.apply(finish(`c@${T0 + MIN}#1`, T0 + 2 * MIN + 1, 'completed')));
    assert.equal(state.getJob('c')?.status, 'in_progress');
    ok(state.apply(finish(`c@${T0 + 2 * MIN}#1`, T0 + 2 * MIN + 2, 'completed')));
    assert.equal(state.getJob('c')?.status, 'completed');
  });

  test('queue-one: one occurrence waits (later ones are skipped) and starts when the running one ends', () => {
    const { state, effects } = runningFrom('queue-one');
    assert.equal(outcome(state, start('c', T0 + 2 * MIN, T0 + 2 * MIN)).outcome, 'queued');
    assert.deepEqual(effects[0], { type: 'occurrenceQueued', jobId: 'c', scheduledAt: T0 + 2 * MIN });
    // The queued occurrence does not wake the leader while the first one runs.
    assert.equal(state.wakeTime('c'), T0 + 3 * MIN);
    rejected(state.apply(start('c', T0 + 2 * MIN, T0 + 2 * MIN + 1)), 'STALE');
    const skipped = outcome(state, start('c', T0 + 3 * MIN, T0 + 3 * MIN));
    assert.equal(skipped.outcome, 'skipped');
    assert.equal(state.getJob('c')?.skippedCount, 1);
    ok(state.apply(finish(`c@${T0 + MIN}#1`, T0 + 3 * MIN + 10 * SEC, 'completed')));
    assert.equal(state.wakeTime('c'), T0 + 2 * MIN);
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 2 * MIN);
    const commands = tick(state, T0 + 3 * MIN + 10 * SEC);
    // The queued one starts; the schedule's next occurrence waits for the next pass.
    assert.deepEqual(commands, [start('c', T0 + 2 * MIN, T0 + 3 * MIN + 10 * SEC)]);
    const running = [...state.inProgressExecutions()];
    assert.equal(running.length, 1);
    assert.equal(running[0]?.scheduledAt, T0 + 2 * MIN);
    assert.equal(running[0]?.late, true);
  });
});

describe('catch-up policies', () => {
  // Every minute; nobody could fire between T0+1min and T0+10.5min.
  const DOWN_UNTIL = T0 + 10 * MIN + 30 * SEC;

  test('fire-once (default): runs the first missed occurrence once, late; the others are missed', () => {
    const { state, effects } = recording();
    create(state, T0 + 1, cron('c', '* * * * *'));
    effects.length = 0;
    const commands = tick(state, DOWN_UNTIL);
    assert.deepEqual(commands, [start('c', T0 + MIN, DOWN_UNTIL)]);
    const [execution] = state.getExecutions('c') ?? [];
    assert.equal(execution?.scheduledAt, T0 + MIN);
    assert.equal(execution?.late, true);
    const job = state.getJob('c');
    assert.equal(job?.missedCount, 9);
    assert.equal(job?.skippedCount, 0);
    assert.equal(job?.nextRunAt, T0 + 11 * MIN);
    const skipped = state.getSkipped('c') ?? [];
    assert.deepEqual(
      skipped.map((s) => s.scheduledAt),
      Array.from({ length: 9 }, (_, i) => T0 + (i + 2) * MIN),
    );
    assert.ok(skipped.every((s) => s.reason === 'missed' && s.recordedAt === DOWN_UNTIL));
    assert.equal(effects.filter((e) => e.type === 'occurrenceMissed').length, 9);
  });

  test('skip: records the missed occurrences, runs none, continues after now', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { catchUp: 'skip' }));
    const r = outcome(state, start('c', T0 + MIN, DOWN_UNTIL));
    assert.deepEqual(r, { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'catch-up', missed: 10 });
    const job = state.getJob('c');
    assert.equal(job?.status, 'pending');
    assert.equal(job?.missedCount, 10);
    assert.equal(job?.skippedCount, 10);
    assert.equal(job?.nextRunAt, T0 + 11 * MIN);
    assert.equal(state.getExecutions('c')?.length, 0);
    assert.ok((state.getSkipped('c') ?? []).every((s) => s.reason === 'catch-up'));
  });

  test('fire-all: occurrences older than the window are skipped, the rest run one after another', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { catchUp: 'fire-all', catchUpWindowMs: 3 * MIN }));
    // Window starts at 7.5min: 1..7min are skipped.
    tick(state, DOWN_UNTIL);
    assert.equal(state.getJob('c')?.skippedCount, 7);
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 8 * MIN);
    const ran: number[] = [];
    let now = DOWN_UNTIL;
    for (let round = 0; round < 10 && now < T0 + 11 * MIN; round++) {
      tick(state, now);
      const running = [...state.inProgressExecutions()];
      assert.ok(running.length <= 1, 'one after another');
      if (running.length === 1) {
        const e = running[0]!;
        ran.push(e.scheduledAt);
        now += SEC;
        ok(state.apply(finish(e.id, now, 'completed')));
      } else now += SEC;
    }
    assert.deepEqual(ran, [T0 + 8 * MIN, T0 + 9 * MIN, T0 + 10 * MIN]);
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 11 * MIN);
    assert.equal(state.wakeTime('c'), T0 + 11 * MIN);
  });

  test('the catch-up walk is bounded: a month of every-second occurrences costs one bounded pass', () => {
    const { state, effects } = recording();
    create(state, T0, cron('s', '* * * * * *'));
    const now = T0 + 30 * 24 * HOUR;
    const missedExactly = 30 * 24 * 3600; // every second after T0 up to now, T0 itself runs
    effects.length = 0;
    const r = outcome(state, start('s', T0, now));
    assert.equal(r.outcome, 'started');
    // Counted exactly for the first CATCH_UP_SCAN_LIMIT, then estimated from their pace (exact for an even schedule).
    assert.equal(r.missed, missedExactly);
    const job = state.getJob('s');
    assert.equal(job?.missedCount, missedExactly);
    assert.equal(job?.nextRunAt, now + SEC);
    assert.equal(state.getSkipped('s')?.length, CATCH_UP_RECORD_LIMIT);
    const missed = effects.filter((e) => e.type === 'occurrenceMissed');
    assert.equal(missed.length, CATCH_UP_RECORD_LIMIT + 1);
    assert.deepEqual(missed.at(-1), {
      type: 'occurrenceMissed',
      jobId: 's',
      scheduledAt: T0 + (CATCH_UP_RECORD_LIMIT + 1) * SEC,
      recordedAt: now,
      reason: 'missed',
      count: missedExactly - CATCH_UP_RECORD_LIMIT,
    });
    assert.ok(CATCH_UP_SCAN_LIMIT < missedExactly);
  });

  test('an uneven schedule past the walk limit is estimated, and continues at the right occurrence', () => {
    const state = withNode();
    // Weekdays at 09:00 and 17:00: uneven gaps.
    create(state, T0, cron('w', '0 9,17 * * 1-5', { catchUp: 'skip' }));
    const first = state.getJob('w')?.nextRunAt as number;
    const now = T0 + 365 * 24 * HOUR + 12 * HOUR; // 2027-01-01T12:00Z, a Friday
    const r = outcome(state, start('w', first, now));
    assert.equal(r.outcome, 'skipped');
    // 261 weekdays in 2026 (two runs each) plus 09:00 on 2027-01-01: about 523, estimated.
    assert.ok(r.missed > 450 && r.missed < 600, String(r.missed));
    assert.equal(state.getJob('w')?.nextRunAt, Date.UTC(2027, 0, 1, 17));
  });

  test('an occurrence late by no more than the missed threshold is on time', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { catchUp: 'skip' }));
    const r = outcome(state, start('c', T0 + MIN, T0 + MIN + 5 * SEC));
    assert.equal(r.outcome, 'started');
  });
});

/** The retry start decide proposes at `now` (exactly one expected). */
function tickStart(state: SchedulerState, now: number) {
  const commands = state.decide('c', now, ctx());
  assert.equal(commands.length, 1);
  return commands[0] as Parameters<SchedulerState['apply']>[0];
}
