import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PruneHistoryResult, SchedulerState, StartExecutionResult } from '../../../src/scheduler/state/index.js';
import type { Command, StartExecutionCommand } from '../../../src/scheduler/state/commands.js';
import {
  HOUR,
  MIN,
  SEC,
  T0,
  assertConsistent,
  create,
  cron,
  ctx,
  finish,
  ok,
  once,
  rejected,
  start,
  tick,
  withNode,
} from '../../fixtures/state.js';

function outcome(state: SchedulerState, command: StartExecutionCommand): StartExecutionResult {
  return ok<StartExecutionResult>(state.apply(command));
}

function manual(jobId: string, now: number, extra: Partial<StartExecutionCommand> = {}): StartExecutionCommand {
  return start(jobId, now, now, { manual: true, ...extra });
}

const REFUSED = { ok: true, type: 'startExecution', outcome: 'skipped', reason: 'overlap', missed: 0 } as const;

describe('manual runs meet the overlap policy in apply', () => {
  for (const overlap of ['skip', 'queue-one'] as const) {
    test(`${overlap}: a trigger while an occurrence runs is refused, unrecorded; the timer racing a trigger runs one attempt`, () => {
      const state = withNode();
      create(state, T0 + 1, cron('c', '* * * * *', { overlap, timeoutMs: HOUR }));
      tick(state, T0 + MIN);
      // The trigger was proposed from a replica that had not seen the start yet.
      assert.deepEqual(outcome(state, manual('c', T0 + MIN + 5)), REFUSED);
      assert.equal([...state.inProgressExecutions()].length, 1);
      assert.deepEqual(state.getSkipped('c'), []);
      assert.equal(state.getJob('c')?.skippedCount, 0);
      // The other order: the trigger lands first, the timer's start meets it as an overlap.
      const other = withNode();
      create(other, T0 + 1, cron('c', '* * * * *', { overlap, timeoutMs: HOUR }));
      assert.equal(outcome(other, manual('c', T0 + MIN - 2)).outcome, 'started');
      const timer = outcome(other, start('c', T0 + MIN, T0 + MIN));
      assert.notEqual(timer.outcome, 'started');
      assert.equal([...other.inProgressExecutions()].length, 1);
    });
  }

  test('skip: a trigger while a retry is pending is refused too (the occurrence is still active)', () => {
    const state = withNode();
    create(state, T0, once('a', T0 + MIN, { backoff: { initialMs: MIN, factor: 1, maxMs: MIN, jitter: 0 } }));
    tick(state, T0 + MIN);
    ok(state.apply(finish(`a@${T0 + MIN}#1`, T0 + MIN + SEC, 'failed')));
    assert.deepEqual(outcome(state, manual('a', T0 + MIN + 2 * SEC)), REFUSED);
  });

  // Found by the simulator's overlap rule (sched-sim seeds 63004, 63005, 63008: a trigger racing a
  // one-shot's own time ran both at once).
  test("a one-shot's own time arriving during its manual run waits for it, then runs (never alongside, never skipped)", () => {
    const state = withNode();
    create(state, T0, once('a', T0 + MIN));
    assert.equal(outcome(state, manual('a', T0 + MIN - 10)).outcome, 'started');
    rejected(state.apply(start('a', T0 + MIN, T0 + MIN)), 'STALE');
    assert.deepEqual(state.decide('a', T0 + MIN, ctx()), [], 'nothing to propose while the manual run runs');
    assert.equal(state.wakeTime('a'), undefined, 'nothing wakes the leader while the manual run runs: its end will');
    ok(state.apply(finish(`a@${T0 + MIN - 10}#1`, T0 + MIN + SEC, 'completed')));
    assert.deepEqual(tick(state, T0 + MIN + SEC), [start('a', T0 + MIN, T0 + MIN + SEC)]);
    assert.equal([...state.inProgressExecutions()][0]?.id, `a@${T0 + MIN}#1`);
  });

  test('allow: a trigger runs alongside the running occurrence', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { overlap: 'allow', timeoutMs: HOUR }));
    tick(state, T0 + MIN);
    assert.equal(outcome(state, manual('c', T0 + MIN + 5)).outcome, 'started');
    assert.equal([...state.inProgressExecutions()].length, 2);
  });
});

describe('the occurrence time of a manual run', () => {
  test('two triggers in the same millisecond both run under allow: now, then the next free millisecond', () => {
    const state = withNode();
    create(state, T0, once('a', T0 + HOUR, { overlap: 'allow' }));
    const first = outcome(state, manual('a', T0 + 5 * SEC));
    const second = outcome(state, manual('a', T0 + 5 * SEC));
    assert.ok(first.outcome === 'started' && second.outcome === 'started');
    assert.equal(first.execution.id, `a@${T0 + 5 * SEC}#1`);
    assert.equal(second.execution.id, `a@${T0 + 5 * SEC + 1}#1`);
    assert.equal(second.execution.idempotencyKey, `a@${T0 + 5 * SEC + 1}`);
    assert.equal(second.execution.startedAt, T0 + 5 * SEC);
    assert.equal(state.getJob('a')?.nextRunAt, T0 + HOUR, 'the schedule is untouched');
  });

  test('a trigger at a time the schedule has yet to start never blocks it (it re-proposed a duplicate forever)', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * * *', { overlap: 'allow' }));
    // The timer of T0+1s is late; a trigger lands at exactly T0+2s, an occurrence still to come.
    const trigger = outcome(state, manual('c', T0 + 2 * SEC));
    assert.ok(trigger.outcome === 'started');
    assert.equal(trigger.execution.scheduledAt, T0 + 2 * SEC + 1);
    assert.deepEqual(tick(state, T0 + 2 * SEC + 1), [start('c', T0 + SEC, T0 + 2 * SEC + 1)]);
    // The scheduled occurrence of T0+2s starts as itself.
    assert.deepEqual(tick(state, T0 + 2 * SEC + 2), [start('c', T0 + 2 * SEC, T0 + 2 * SEC + 2)]);
    assert.equal(state.getExecution(`c@${T0 + 2 * SEC}#1`)?.status, 'in_progress');
    assert.equal(state.wakeTime('c'), T0 + 3 * SEC);
  });

  test('a trigger at the instant of the next occurrence takes the next millisecond; the occurrence meets it as an overlap', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *'));
    const trigger = outcome(state, manual('c', T0 + MIN));
    assert.ok(trigger.outcome === 'started');
    assert.equal(trigger.execution.scheduledAt, T0 + MIN + 1);
    assert.equal(state.getJob('c')?.nextRunAt, T0 + MIN, 'the schedule is untouched');
    assert.equal(outcome(state, start('c', T0 + MIN, T0 + MIN)).outcome, 'skipped');
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 2 * MIN);
  });

  test('a schedule updated onto a manual run passes that occurrence instead of re-proposing a duplicate', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '0 * * * * *', { overlap: 'allow', timeoutMs: HOUR }));
    // A node whose clock runs ahead triggers at +65s; the leader then starts +60s.
    outcome(state, manual('c', T0 + 65 * SEC));
    outcome(state, start('c', T0 + MIN, T0 + MIN));
    // A slow node moves the job to every five seconds: its next occurrence is the trigger's time.
    const definition = { ...cron('c', '*/5 * * * * *', { overlap: 'allow', timeoutMs: HOUR }) };
    ok(state.apply({ type: 'updateJob', now: T0 + 62 * SEC, jobId: 'c', definition }));
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 65 * SEC);
    const commands = tick(state, T0 + 65 * SEC);
    assert.deepEqual(commands, [start('c', T0 + 65 * SEC, T0 + 65 * SEC)]);
    assert.equal(state.wakeTime('c'), T0 + 70 * SEC, 'the schedule moved on');
  });
});

describe('queue-one keeps its occurrences in order', () => {
  test('a 1-second job whose queued starts come 3–20 ms late never falls into a backlog', () => {
    const state = withNode();
    create(state, T0 + 1, cron('q', '* * * * * *', { overlap: 'queue-one', timeoutMs: HOUR }));
    const end = new Map<string, number>();
    const lateness = (at: number): number => 3 + ((at * 7) % 18);
    let changed = T0 + 1;
    const starts: number[] = [];
    for (let now = T0 + 1; now < T0 + 60 * SEC; now++) {
      for (const e of state.inProgressExecutions()) {
        if (!end.has(e.id)) {
          // Each run ends a millisecond before the second after next: the queued one's turn
          // comes right at an occurrence's time, and the leader starts it a few ms late.
          end.set(e.id, Math.floor(e.startedAt / SEC) * SEC + 2 * SEC - 1);
          starts.push(e.scheduledAt);
        }
        if (end.get(e.id) === now) {
          ok(state.apply(finish(e.id, now, 'completed')));
          changed = now;
        }
      }
      const wake = state.wakeTime('q');
      if (wake !== undefined && now >= Math.max(wake, changed) + lateness(changed)) {
        if (tick(state, now).length > 0) changed = now;
      }
      const next = state.getJob('q')?.nextRunAt;
      assert.ok(next !== undefined && next >= now - 3 * SEC, `at ${now - T0}: nextRunAt ${next === undefined ? 'none' : next - T0} lags`);
    }
    assert.ok(starts.length > 15);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i - 1]! < starts[i]!, `occurrences start in order: ${starts.join(', ')}`);
    const skipped = state.getSkipped('q') ?? [];
    assert.deepEqual(new Set(skipped.map((s) => s.reason)), new Set(['overlap']));
    assert.equal(state.getJob('q')?.missedCount, 0);
    // Every occurrence so far ran or was recorded.
    const accounted = new Set([...starts, ...skipped.map((s) => s.scheduledAt)]);
    for (let t = T0 + SEC; t < starts.at(-1)!; t += SEC) assert.ok(accounted.has(t), `occurrence ${t - T0} accounted for`);
  });

  test("the schedule's next occurrence never starts before the queued one", () => {
    const state = withNode();
    create(state, T0 + 1, cron('q', '* * * * *', { overlap: 'queue-one', timeoutMs: HOUR }));
    tick(state, T0 + MIN);
    assert.equal(outcome(state, start('q', T0 + 2 * MIN, T0 + 2 * MIN)).outcome, 'queued');
    ok(state.apply(finish(`q@${T0 + MIN}#1`, T0 + 3 * MIN - 1, 'completed')));
    // A start of the next occurrence proposed against an older view (a deposed leader).
    rejected(state.apply(start('q', T0 + 3 * MIN, T0 + 3 * MIN)), 'STALE');
    assert.deepEqual(tick(state, T0 + 3 * MIN + 4), [start('q', T0 + 2 * MIN, T0 + 3 * MIN + 4)]);
    // The queued one is running; the next occurrence queues behind it rather than waiting as backlog.
    assert.deepEqual(tick(state, T0 + 3 * MIN + 5), [start('q', T0 + 3 * MIN, T0 + 3 * MIN + 5)]);
    assert.equal(state.getJob('q')?.nextRunAt, T0 + 3 * MIN);
    assert.equal(state.wakeTime('q'), T0 + 4 * MIN);
  });
});

describe('historyLimit at every moment', () => {
  test('each start stamped with the limit drops the oldest finished attempts and skipped records beyond it', () => {
    const state = withNode();
    create(state, T0 + MIN - 1, cron('c', '*/30 * * * * *', { timeoutMs: HOUR }));
    for (let m = 1; m <= 6; m++) {
      const at = T0 + m * MIN;
      ok(state.apply(start('c', at, at, { historyLimit: 3 })));
      assert.ok((state.getExecutions('c') ?? []).length <= 3);
      // Each running occurrence skips the next one.
      ok(state.apply(start('c', at + MIN / 2, at + MIN / 2, { historyLimit: 3 })));
      ok(state.apply(finish(`c@${at}#1`, at + MIN / 2 + 1, 'completed')));
      assertConsistent(state);
    }
    assert.deepEqual(
      state.getExecutions('c')?.map((e) => e.scheduledAt),
      [T0 + 4 * MIN, T0 + 5 * MIN, T0 + 6 * MIN],
    );
    assert.equal(state.getExecution(`c@${T0 + MIN}#1`), undefined);
    assert.equal(state.getExecution(`c@${T0 + 4 * MIN}#1`)?.status, 'completed');
    assert.equal(state.getSkipped('c')?.length, 3);
    assert.equal(state.counts().executions.completed, 3);
  });

  test('running attempts are never trimmed; a start without the field trims nothing', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { overlap: 'allow', timeoutMs: HOUR }));
    for (let m = 1; m <= 3; m++) ok(state.apply(start('c', T0 + m * MIN, T0 + m * MIN, { historyLimit: 1 })));
    assert.equal(state.getExecutions('c')?.length, 3);
    const old = withNode();
    create(old, T0 + 1, cron('c', '* * * * *', { timeoutMs: HOUR }));
    for (let m = 1; m <= 3; m++) {
      ok(old.apply(start('c', T0 + m * MIN, T0 + m * MIN)));
      ok(old.apply(finish(`c@${T0 + m * MIN}#1`, T0 + m * MIN + 1, 'completed')));
    }
    assert.equal(old.getExecutions('c')?.length, 3);
  });
});

describe('incremental pruning', () => {
  function populated(): SchedulerState {
    const state = withNode();
    const jobs = Array.from({ length: 7 }, (_, i) => once(`j${i}`, T0 + MIN));
    create(state, T0, ...jobs);
    for (const j of jobs) {
      ok(state.apply(start(j.id, T0 + MIN, T0 + MIN)));
      ok(state.apply(finish(`${j.id}@${T0 + MIN}#1`, T0 + MIN + 1, 'completed')));
    }
    ok(state.apply({ type: 'deleteJob', now: T0 + MIN, jobId: 'j3' }));
    return state;
  }

  test('a pass is a chain of bounded commands, each resuming where the last one stopped; it ends like one big prune', () => {
    const state = populated();
    const reference = populated();
    const prune = { type: 'pruneHistory', now: T0 + 2 * HOUR, before: T0 + HOUR, maxPerJob: 10 } as const;
    const whole = ok<PruneHistoryResult>(reference.apply(prune));
    assert.equal(whole.jobs, 6);
    assert.equal(whole.next, undefined);
    const chunks: PruneHistoryResult[] = [];
    let from: number | undefined = 0;
    while (from !== undefined) {
      const result: PruneHistoryResult = ok<PruneHistoryResult>(state.apply({ ...prune, from, budget: 2 }));
      chunks.push(result);
      from = result.next;
    }
    assert.deepEqual(
      chunks.map((c) => c.jobs),
      [2, 2, 2],
    );
    assert.equal(state.hash(), reference.hash());
    assertConsistent(state);
  });

  test('pruning and trimming keep the execution lookup in step (a dropped attempt is gone, a kept one found)', () => {
    const state = populated();
    ok(state.apply({ type: 'pruneHistory', now: T0 + 2 * HOUR, before: T0 + HOUR, maxPerJob: 0, budget: 3 }));
    assert.equal(state.getExecution(`j0@${T0 + MIN}#1`), undefined);
    assert.equal(state.getExecution(`j5@${T0 + MIN}#1`)?.status, 'completed', 'beyond the budget: not looked at yet');
    const commands: Command[] = [{ type: 'pruneHistory', now: T0, before: T0, maxPerJob: 1, budget: 0 }];
    rejected(state.apply(commands[0]!), 'INVALID_COMMAND');
  });
});
