import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type SchedulerState, type FinishExecutionResult, type StartExecutionResult } from '../../../src/scheduler/state/index.js';
import type { Command } from '../../../src/scheduler/state/commands.js';
import {
  HOUR,
  MIN,
  SEC,
  T0,
  create,
  ctx,
  finish,
  ok,
  once,
  recording,
  register,
  rejected,
  start,
  tick,
  withNode,
} from '../../fixtures/state.js';

const AT = T0 + MIN;

function started(state: SchedulerState, command: Command): StartExecutionResult & { outcome: 'started' } {
  const result = ok<StartExecutionResult>(state.apply(command as Extract<Command, { type: 'startExecution' }>));
  assert.equal(result.outcome, 'started');
  return result;
}

describe('startExecution', () => {
  test('decide proposes the start when due, apply starts it: in_progress, execution recorded, effects', () => {
    const { state, effects } = recording();
    create(state, T0, once('a', AT));
    assert.deepEqual(state.decide('a', AT - 1, ctx()), []);
    const commands = state.decide('a', AT, ctx());
    assert.deepEqual(commands, [start('a', AT, AT)]);
    effects.length = 0;
    const { execution } = started(state, commands[0] as Command);
    assert.deepEqual(execution, {
      id: `a@${AT}#1`,
      jobId: 'a',
      scheduledAt: AT,
      attempt: 1,
      idempotencyKey: `a@${AT}`,
      nodeId: 'n1',
      startedAt: AT,
      status: 'in_progress',
      late: false,
    });
    const job = state.getJob('a');
    assert.equal(job?.status, 'in_progress');
    assert.equal(job?.attemptCount, 1);
    assert.equal(job?.firstAttemptAt, AT);
    assert.equal(job?.lastAttemptAt, AT);
    assert.equal(job?.executingNodeId, 'n1');
    assert.equal(job?.nextRunAt, undefined);
    assert.deepEqual(state.getExecution(`a@${AT}#1`), execution);
    assert.deepEqual([...state.inProgressExecutions()], [execution]);
    assert.equal(state.counts().executions.inProgress, 1);
    assert.equal(state.counts().lastExecutedAt, AT);
    const startedEffect = effects.find((e) => e.type === 'executionStarted');
    assert.deepEqual(startedEffect, { type: 'executionStarted', execution, job, incarnation: 'i1' });
    // A running attempt has no wake time: it belongs to its node until that node reports it or its life ends.
    assert.deepEqual(effects.at(-1), { type: 'wake', jobId: 'a', at: undefined });
  });

  test('a second start of the same occurrence is a duplicate, whoever proposes it', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    started(state, start('a', AT, AT));
    const before = state.hash();
    const info = rejected(state.apply(start('a', AT, AT + SEC, { nodeId: 'n2', term: 2 })), 'DUPLICATE_EXECUTION');
    assert.equal((info as { executionId: string }).executionId, `a@${AT}#1`);
    assert.equal(state.hash(), before);
  });

  test('stale starts are refused: not the next occurrence, wrong attempt, unknown job', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    rejected(state.apply(start('a', AT + 1, AT)), 'STALE');
    rejected(state.apply(start('a', AT, AT, { attempt: 2 })), 'STALE');
    rejected(state.apply(start('a', AT, AT, { attempt: 0 })), 'STALE');
    rejected(state.apply(start('nope', AT, AT)), 'JOB_NOT_FOUND');
    assert.equal(state.getJob('a')?.status, 'pending');
  });

  test('a late start is marked late', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    const { execution } = started(state, start('a', AT, AT + 6 * SEC));
    assert.equal(execution.late, true);
    const state2 = withNode();
    create(state2, T0, once('a', AT));
    assert.equal(started(state2, start('a', AT, AT + 5 * SEC)).execution.late, false);
  });

  test('paused and cancelled jobs start nothing; a manual trigger runs a paused job', () => {
    const state = withNode();
    create(state, T0, once('p', AT), once('c', AT));
    ok(state.apply({ type: 'pauseJob', now: T0, jobId: 'p' }));
    ok(state.apply({ type: 'cancelJob', now: T0, jobId: 'c' }));
    assert.equal(rejected(state.apply(start('p', AT, AT)), 'INVALID_STATE').message, 'Job is paused');
    assert.equal(rejected(state.apply(start('c', AT, AT)), 'INVALID_STATE').message, 'Job is cancelled');
    assert.deepEqual(state.decide('p', AT, ctx()), []);
    rejected(state.apply(start('c', AT, AT, { manual: true })), 'INVALID_STATE');
    // AT is the one-shot's own time: the manual run takes the next free millisecond.
    const manual = started(state, start('p', AT, AT, { manual: true }));
    assert.equal(manual.execution.id, `p@${AT + 1}#1`);
  });

  test('a manual trigger is an extra occurrence at now that leaves the schedule alone', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    rejected(state.apply(start('a', T0, T0 + 1, { manual: true })), 'STALE');
    const { execution } = started(state, start('a', T0 + SEC, T0 + SEC, { manual: true }));
    assert.equal(execution.scheduledAt, T0 + SEC);
    ok(state.apply(finish(execution.id, T0 + 2 * SEC, 'completed')));
    const job = state.getJob('a');
    assert.equal(job?.status, 'completed');
    assert.equal(job?.nextRunAt, AT);
    // The scheduled occurrence still runs at its time.
    assert.deepEqual(tick(state, AT), [start('a', AT, AT)]);
    assert.equal(state.getJob('a')?.status, 'in_progress');
  });
});

describe('finishExecution', () => {
  test('completed: a one-shot is completed with no next run', () => {
    const { state, effects } = recording();
    create(state, T0, once('a', AT));
    started(state, start('a', AT, AT));
    effects.length = 0;
    const result = ok<FinishExecutionResult>(
      state.apply(finish(`a@${AT}#1`, AT + 200, 'completed', { httpStatus: 200, responseTimeMs: 150 })),
    );
    assert.equal(result.final, true);
    assert.equal(result.retryAt, undefined);
    assert.deepEqual(result.execution, {
      id: `a@${AT}#1`,
      jobId: 'a',
      scheduledAt: AT,
      attempt: 1,
      idempotencyKey: `a@${AT}`,
      nodeId: 'n1',
      startedAt: AT,
      endedAt: AT + 200,
      status: 'completed',
      late: false,
      httpStatus: 200,
      responseTimeMs: 150,
    });
    const job = state.getJob('a');
    assert.equal(job?.status, 'completed');
    assert.equal(job?.completedAt, AT + 200);
    assert.equal(job?.nextRunAt, undefined);
    assert.equal(job?.executingNodeId, undefined);
    assert.equal(state.wakeTime('a'), undefined);
    assert.deepEqual(effects, [{ type: 'executionFinished', execution: result.execution, final: true }]);
    assert.deepEqual(state.counts().executions, { completed: 1, failed: 0, timeout: 0, cancelled: 0, inProgress: 0 });
  });

  test('failed: retried with exponential backoff and jitter, pending in between, then final failed', () => {
    const state = withNode();
    create(state, T0, once('a', AT, { maxAttempts: 3, backoff: { initialMs: 1000, factor: 3, maxMs: 100_000, jitter: 0.5 } }));
    started(state, start('a', AT, AT));
    const first = ok<FinishExecutionResult>(
      state.apply(finish(`a@${AT}#1`, AT + 100, 'failed', { error: 'boom', errorType: 'handler_error', random: 0.5 })),
    );
    // 1000 × (1 − 0.5 × 0.5) = 750
    assert.equal(first.retryAt, AT + 100 + 750);
    assert.equal(first.final, false);
    let job = state.getJob('a');
    assert.equal(job?.status, 'pending');
    assert.equal(job?.nextRunAt, AT + 850);
    assert.equal(state.wakeTime('a'), AT + 850);
    assert.deepEqual(state.decide('a', AT + 849, ctx()), []);
    assert.deepEqual(state.decide('a', AT + 850, ctx()), [start('a', AT, AT + 850, { attempt: 2 })]);
    // The retry cannot be started twice, nor as attempt 3.
    rejected(state.apply(start('a', AT, AT + 850, { attempt: 3 })), 'STALE');
    started(state, start('a', AT, AT + 850, { attempt: 2 }));
    rejected(state.apply(start('a', AT, AT + 850, { attempt: 2 })), 'DUPLICATE_EXECUTION');
    job = state.getJob('a');
    assert.equal(job?.status, 'in_progress');
    assert.equal(job?.attemptCount, 2);
    assert.equal(job?.firstAttemptAt, AT);
    assert.equal(job?.lastAttemptAt, AT + 850);
    const second = ok<FinishExecutionResult>(state.apply(finish(`a@${AT}#2`, AT + 1000, 'failed', { random: 0 })));
    // 1000 × 3 = 3000, no jitter with a draw of 0
    assert.equal(second.retryAt, AT + 4000);
    started(state, start('a', AT, AT + 4000, { attempt: 3 }));
    const third = ok<FinishExecutionResult>(
      state.apply(finish(`a@${AT}#3`, AT + 5000, 'failed', { error: 'still', errorType: 'http_error', httpStatus: 503 })),
    );
    assert.equal(third.final, true);
    assert.equal(third.retryAt, undefined);
    job = state.getJob('a');
    assert.equal(job?.status, 'failed');
    assert.equal(job?.attemptCount, 3);
    assert.equal(job?.nextRunAt, undefined);
    const executions = state.getExecutions('a') ?? [];
    assert.deepEqual(
      executions.map((e) => [e.attempt, e.status, e.idempotencyKey]),
      [
        [1, 'failed', `a@${AT}`],
        [2, 'failed', `a@${AT}`],
        [3, 'failed', `a@${AT}`],
      ],
    );
    assert.equal(executions[2]?.httpStatus, 503);
    assert.equal(executions[2]?.errorType, 'http_error');
  });

  test('the backoff is capped at maxMs', () => {
    const state = withNode();
    create(state, T0, once('a', AT, { maxAttempts: 10, backoff: { initialMs: 1000, factor: 10, maxMs: 5000, jitter: 0 } }));
    let now = AT;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      started(state, start('a', AT, now, { attempt }));
      const r = ok<FinishExecutionResult>(state.apply(finish(`a@${AT}#${attempt}`, now, 'failed')));
      delays.push((r.retryAt as number) - now);
      now = r.retryAt as number;
    }
    assert.deepEqual(delays, [1000, 5000, 5000, 5000]);
  });

  test('timeout as the last attempt is a final timeout', () => {
    const state = withNode();
    create(state, T0, once('a', AT, { maxAttempts: 1 }));
    started(state, start('a', AT, AT));
    const r = ok<FinishExecutionResult>(
      state.apply(finish(`a@${AT}#1`, AT + 5 * MIN, 'timeout', { errorType: 'timeout', error: 'took too long' })),
    );
    assert.equal(r.final, true);
    assert.equal(state.getJob('a')?.status, 'timeout');
  });

  test('an attempt cancelled by its node (closing) is retried like a failure', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    started(state, start('a', AT, AT));
    const r = ok<FinishExecutionResult>(state.apply(finish(`a@${AT}#1`, AT + 10, 'cancelled', { errorType: 'cancelled' })));
    assert.equal(r.final, false);
    assert.equal(state.getJob('a')?.status, 'pending');
  });

  test('a finish for an attempt that is not in progress is refused and changes nothing', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    started(state, start('a', AT, AT));
    ok(state.apply(finish(`a@${AT}#1`, AT + 10, 'completed')));
    const before = state.hash();
    rejected(state.apply(finish(`a@${AT}#1`, AT + 20, 'failed')), 'STALE');
    rejected(state.apply(finish(`a@${AT}#2`, AT + 20, 'failed')), 'EXECUTION_NOT_FOUND');
    rejected(state.apply(finish('garbage', AT + 20, 'failed')), 'EXECUTION_NOT_FOUND');
    rejected(state.apply(finish(`a@${AT + 0.5}#1`, AT + 20, 'failed')), 'EXECUTION_NOT_FOUND');
    rejected(state.apply(finish(`zz@${AT}#1`, AT + 20, 'failed')), 'JOB_NOT_FOUND');
    assert.equal(state.hash(), before);
  });
});

describe('timed-out attempts that may still run', () => {
  function timedOutUnsettled(): SchedulerState {
    const state = withNode();
    create(state, T0, once('a', AT));
    started(state, start('a', AT, AT));
    const r = ok<FinishExecutionResult>(
      state.apply(finish(`a@${AT}#1`, AT + 5 * MIN, 'timeout', { settled: false, errorType: 'timeout' })),
    );
    assert.equal(r.retryAt, AT + 5 * MIN + 1000);
    return state;
  }

  test('the retry is planned but held: no wake time, no start until the attempt settles', () => {
    const state = timedOutUnsettled();
    const retryAt = AT + 5 * MIN + 1000;
    assert.equal(state.getJob('a')?.nextRunAt, retryAt);
    assert.equal(state.getJob('a')?.status, 'pending');
    // Nothing polls a hung handler: the settle (or the end of its node's life) wakes the job.
    assert.equal(state.wakeTime('a'), undefined);
    assert.deepEqual(state.decide('a', retryAt + HOUR, ctx()), []);
    assert.equal(
      rejected(state.apply(start('a', AT, retryAt, { attempt: 2 })), 'STALE').message,
      'the retry waits until the timed-out attempt settles',
    );
    const s2 = timedOutUnsettled();
    ok(s2.apply({ type: 'settleExecution', now: retryAt + 1, executionId: `a@${AT}#1` }));
    assert.equal(s2.wakeTime('a'), retryAt);
    assert.deepEqual(s2.decide('a', retryAt + 1, ctx()), [start('a', AT, retryAt + 1, { attempt: 2 })]);
    rejected(s2.apply({ type: 'settleExecution', now: retryAt + 2, executionId: `a@${AT}#1` }), 'STALE');
  });

  test('a late finish of the timed-out attempt is refused but counts as its settlement', () => {
    const { state: s2, effects } = recording();
    create(s2, T0, once('a', AT));
    started(s2, start('a', AT, AT));
    ok(s2.apply(finish(`a@${AT}#1`, AT + 5 * MIN, 'timeout', { settled: false })));
    effects.length = 0;
    rejected(s2.apply(finish(`a@${AT}#1`, AT + 7 * MIN, 'completed')), 'STALE');
    assert.equal(s2.getExecution(`a@${AT}#1`)?.status, 'timeout');
    assert.deepEqual(
      effects.map((e) => e.type),
      ['executionSettled', 'wake'],
    );
    assert.equal(s2.wakeTime('a'), AT + 5 * MIN + 1000);
  });

  test("the end of its node's life settles it: a restart, an expiry, a departure", () => {
    for (const end of ['restart', 'expire', 'leave'] as const) {
      const state = timedOutUnsettled();
      const now = AT + 6 * MIN;
      if (end === 'restart') ok(state.apply(register('n1', 'i2', ['work'], { now })));
      else if (end === 'expire') ok(state.apply({ type: 'expireNode', now, nodeId: 'n1', incarnation: 'i1', renewals: 0 }));
      else ok(state.apply({ type: 'leaveNode', now, nodeId: 'n1', incarnation: 'i1' }));
      assert.equal(state.wakeTime('a'), AT + 5 * MIN + 1000, end);
    }
  });
});

describe('attempts that never finish', () => {
  test('nothing presumes a running attempt dead by time: no wake, nothing decided, however long', () => {
    const state = withNode();
    create(state, T0, once('a', AT, { timeoutMs: MIN }));
    started(state, start('a', AT, AT));
    assert.equal(state.wakeTime('a'), undefined);
    assert.deepEqual(state.decide('a', AT + 1000 * HOUR, ctx()), []);
    assert.equal(state.getExecution(`a@${AT}#1`)?.status, 'in_progress');
  });
});
