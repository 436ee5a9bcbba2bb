import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type SchedulerState, type JobChangeResult, type PruneHistoryResult } from '../../../src/scheduler/state/index.js';
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
  recording,
  rejected,
  start,
  tick,
  withNode,
} from '../../fixtures/state.js';

const AT = T0 + MIN;

describe('cancelJob', () => {
  test('a pending one-shot is cancelled: no next run, reason and time recorded', () => {
    const { state, effects } = recording();
    create(state, T0, once('a', AT));
    effects.length = 0;
    const r = ok<JobChangeResult<'cancelJob'>>(state.apply({ type: 'cancelJob', now: T0 + SEC, jobId: 'a', reason: 'no longer needed' }));
    assert.equal(r.job.status, 'cancelled');
    assert.equal(r.job.cancelledAt, T0 + SEC);
    assert.equal(r.job.cancellationReason, 'no longer needed');
    assert.equal(r.job.nextRunAt, undefined);
    assert.equal(state.wakeTime('a'), undefined);
    assert.deepEqual(state.decide('a', AT, ctx()), []);
    assert.deepEqual(effects, [
      { type: 'jobCancelled', jobId: 'a' },
      { type: 'wake', jobId: 'a', at: undefined },
    ]);
  });

  test('a running attempt is marked cancelled at once and the executor told to abort it; its late finish only settles', () => {
    const { state, effects } = recording();
    create(state, T0, once('a', AT));
    tick(state, AT);
    effects.length = 0;
    ok(state.apply({ type: 'cancelJob', now: AT + SEC, jobId: 'a', reason: 'stop' }));
    const execution = state.getExecution(`a@${AT}#1`);
    assert.equal(execution?.status, 'cancelled');
    assert.equal(execution?.errorType, 'cancelled');
    assert.equal(execution?.endedAt, AT + SEC);
    assert.equal(execution?.error, 'job cancelled: stop');
    assert.deepEqual(effects.slice(0, 2), [
      { type: 'executionFinished', execution, final: true },
      { type: 'executionAborted', executionId: `a@${AT}#1`, jobId: 'a', reason: 'cancelled', execution },
    ]);
    assert.equal(state.counts().executions.inProgress, 0);
    assert.equal(state.counts().executions.cancelled, 1);
    assert.equal(state.getJob('a')?.executingNodeId, undefined);
    rejected(state.apply(finish(`a@${AT}#1`, AT + 2 * SEC, 'completed')), 'STALE');
    assert.equal(state.getExecution(`a@${AT}#1`)?.status, 'cancelled');
  });

  test('retries stop: a cancelled job between attempts never runs again', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    tick(state, AT);
    ok(state.apply(finish(`a@${AT}#1`, AT + SEC, 'failed')));
    ok(state.apply({ type: 'cancelJob', now: AT + 1100, jobId: 'a' }));
    assert.deepEqual(tick(state, AT + HOUR), []);
    rejected(state.apply(start('a', AT, AT + 2 * SEC, { attempt: 2 })), 'INVALID_STATE');
  });

  test('HTTP contract: already cancelled; a finished one-shot cannot be cancelled; a cron job always can', () => {
    const state = withNode();
    create(state, T0 + 1, once('done', AT), once('bad', AT, { maxAttempts: 1 }), cron('c', '* * * * *'));
    tick(state, AT);
    ok(state.apply(finish(`done@${AT}#1`, AT + 1, 'completed')));
    ok(state.apply(finish(`bad@${AT}#1`, AT + 1, 'failed')));
    ok(state.apply(finish(`c@${AT}#1`, AT + 1, 'failed')));
    assert.equal(
      rejected(state.apply({ type: 'cancelJob', now: AT + 2, jobId: 'done' }), 'INVALID_STATE').message,
      'Cannot cancel completed job',
    );
    assert.equal(
      rejected(state.apply({ type: 'cancelJob', now: AT + 2, jobId: 'bad' }), 'INVALID_STATE').message,
      'Cannot cancel failed job',
    );
    ok(state.apply({ type: 'cancelJob', now: AT + 2, jobId: 'c' }));
    assert.equal(rejected(state.apply({ type: 'cancelJob', now: AT + 3, jobId: 'c' }), 'INVALID_STATE').message, 'Job already cancelled');
    rejected(state.apply({ type: 'cancelJob', now: AT + 3, jobId: 'zzz' }), 'JOB_NOT_FOUND');
    assert.equal(state.getJob('c')?.nextRunAt, undefined);
    assert.equal(state.wakeTime('c'), undefined);
  });

  test('a cancelled cron job never fires again; nothing can update or resume it', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *'));
    ok(state.apply({ type: 'cancelJob', now: T0 + 2, jobId: 'c' }));
    assert.deepEqual(tick(state, T0 + 10 * MIN), []);
    assert.equal(
      rejected(state.apply({ type: 'updateJob', now: T0 + 3, jobId: 'c', definition: cron('c', '*/2 * * * *') }), 'INVALID_STATE').message,
      'Cannot update cancelled job',
    );
    rejected(state.apply({ type: 'pauseJob', now: T0 + 3, jobId: 'c' }), 'INVALID_STATE');
    rejected(state.apply({ type: 'resumeJob', now: T0 + 3, jobId: 'c' }), 'INVALID_STATE');
  });
});

describe('deleteJob', () => {
  test('removes the job with its history; running attempts are aborted; counts go down', () => {
    const { state, effects } = recording();
    create(state, T0, once('a', AT), once('b', AT));
    tick(state, AT);
    ok(state.apply(finish(`b@${AT}#1`, AT + 1, 'completed')));
    const full = state.counts();
    assert.equal(full.jobs, 2);
    effects.length = 0;
    const running = state.getExecution(`a@${AT}#1`);
    ok(state.apply({ type: 'deleteJob', now: AT + 2, jobId: 'a' }));
    assert.deepEqual(effects, [
      { type: 'executionAborted', executionId: `a@${AT}#1`, jobId: 'a', reason: 'deleted', execution: running },
      { type: 'jobDeleted', jobId: 'a', reason: 'deleted' },
    ]);
    assert.equal(state.getJob('a'), undefined);
    assert.equal(state.getExecutions('a'), undefined);
    assert.equal(state.getExecution(`a@${AT}#1`), undefined);
    const after = state.counts();
    assert.equal(after.jobs, 1);
    assert.ok(after.estimatedBytes < full.estimatedBytes);
    assert.deepEqual(after.executions, { completed: 1, failed: 0, timeout: 0, cancelled: 0, inProgress: 0 });
    assert.equal(after.byStatus.in_progress, 0);
    ok(state.apply({ type: 'deleteJob', now: AT + 3, jobId: 'b' }));
    assert.deepEqual(state.counts().executions, { completed: 0, failed: 0, timeout: 0, cancelled: 0, inProgress: 0 });
    assert.equal(state.counts().estimatedBytes, 0);
    rejected(state.apply({ type: 'deleteJob', now: AT + 3, jobId: 'b' }), 'JOB_NOT_FOUND');
    // The late report of the deleted attempt finds nothing.
    rejected(state.apply(finish(`a@${AT}#1`, AT + 4, 'completed')), 'JOB_NOT_FOUND');
  });

  test('an id can be reused after delete', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    ok(state.apply({ type: 'deleteJob', now: T0, jobId: 'a' }));
    create(state, T0 + 1, once('a', AT + MIN));
    assert.equal(state.getJob('a')?.nextRunAt, AT + MIN);
    assert.deepEqual(
      state.listJobs({ limit: 10 }).jobs.map((j) => j.id),
      ['a'],
    );
  });
});

describe('pause and resume', () => {
  test('a paused job starts nothing; a running attempt continues and finishes', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *'));
    tick(state, T0 + MIN);
    const r = ok<JobChangeResult<'pauseJob'>>(state.apply({ type: 'pauseJob', now: T0 + MIN + 1, jobId: 'c' }));
    assert.equal(r.job.paused, true);
    assert.equal(r.job.nextRunAt, undefined);
    // Nothing wakes the leader: the running attempt's end is reported by its node.
    assert.equal(state.wakeTime('c'), undefined);
    ok(state.apply(finish(`c@${T0 + MIN}#1`, T0 + MIN + SEC, 'completed')));
    assert.equal(state.wakeTime('c'), undefined);
    assert.deepEqual(tick(state, T0 + 5 * MIN), []);
    assert.equal(rejected(state.apply({ type: 'pauseJob', now: T0 + 5 * MIN, jobId: 'c' }), 'INVALID_STATE').message, 'Job already paused');
  });

  test('resume: a cron job continues from the first occurrence at or after now; none of the paused ones run', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *'));
    ok(state.apply({ type: 'pauseJob', now: T0 + 2, jobId: 'c' }));
    const r = ok<JobChangeResult<'resumeJob'>>(state.apply({ type: 'resumeJob', now: T0 + 5 * MIN + 30 * SEC, jobId: 'c' }));
    assert.equal(r.job.paused, false);
    assert.equal(r.job.nextRunAt, T0 + 6 * MIN);
    assert.equal(r.job.missedCount, 0);
    assert.equal(rejected(state.apply({ type: 'resumeJob', now: T0 + 6 * MIN, jobId: 'c' }), 'INVALID_STATE').message, 'Job is not paused');
  });

  test('resume: a one-shot whose time passed runs now, late', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    ok(state.apply({ type: 'pauseJob', now: T0, jobId: 'a' }));
    assert.deepEqual(tick(state, AT + HOUR), []);
    ok(state.apply({ type: 'resumeJob', now: AT + HOUR, jobId: 'a' }));
    assert.equal(state.wakeTime('a'), AT);
    tick(state, AT + HOUR);
    assert.equal(state.getExecution(`a@${AT}#1`)?.late, true);
  });

  test('a retry planned before the pause waits for the resume', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    tick(state, AT);
    ok(state.apply(finish(`a@${AT}#1`, AT + 1, 'failed')));
    ok(state.apply({ type: 'pauseJob', now: AT + 2, jobId: 'a' }));
    assert.deepEqual(tick(state, AT + HOUR), []);
    ok(state.apply({ type: 'resumeJob', now: AT + HOUR, jobId: 'a' }));
    assert.deepEqual(tick(state, AT + HOUR), [start('a', AT, AT + HOUR, { attempt: 2 })]);
  });
});

describe('updateJob', () => {
  test('an old-style full definition replaces the job; the new schedule runs from now, the overdue occurrence is recorded', () => {
    const { state, effects } = recording();
    create(state, T0 + 1, cron('c', '* * * * *', { payload: { v: 1 } }));
    effects.length = 0;
    const definition = cron('c', '0 * * * *', { payload: { v: 2 }, maxAttempts: 5 });
    const r = ok<JobChangeResult<'updateJob'>>(state.apply({ type: 'updateJob', now: T0 + 10 * MIN, jobId: 'c', definition }));
    assert.equal(r.job.cron, '0 * * * *');
    assert.deepEqual(r.job.payload, { v: 2 });
    assert.equal(r.job.maxAttempts, 5);
    assert.equal(r.job.updatedAt, T0 + 10 * MIN);
    assert.equal(r.job.nextRunAt, T0 + HOUR);
    assert.deepEqual(state.getDefinition('c'), definition);
    assert.deepEqual(effects, [
      { type: 'occurrenceSkipped', jobId: 'c', scheduledAt: T0 + MIN, recordedAt: T0 + 10 * MIN, reason: 'rescheduled', count: 1 },
      { type: 'jobUpdated', jobId: 'c' },
      { type: 'wake', jobId: 'c', at: T0 + HOUR },
    ]);
  });

  test('a pending one-shot moves to its new time', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    ok(state.apply({ type: 'updateJob', now: T0, jobId: 'a', definition: once('a', AT + HOUR) }));
    assert.equal(state.getJob('a')?.nextRunAt, AT + HOUR);
    assert.deepEqual(tick(state, AT), []);
  });

  test('a finished one-shot given a new future time becomes pending again; a past time leaves it finished', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    tick(state, AT);
    ok(state.apply(finish(`a@${AT}#1`, AT + 1, 'completed')));
    ok(state.apply({ type: 'updateJob', now: AT + 2, jobId: 'a', definition: once('a', AT, { payload: { x: 1 } }) }));
    assert.equal(state.getJob('a')?.status, 'completed');
    assert.equal(state.getJob('a')?.nextRunAt, undefined);
    const r = ok<JobChangeResult<'updateJob'>>(
      state.apply({ type: 'updateJob', now: AT + 3, jobId: 'a', definition: once('a', AT + HOUR) }),
    );
    assert.equal(r.job.status, 'pending');
    assert.equal(r.job.nextRunAt, AT + HOUR);
    assert.equal(r.job.attemptCount, 0);
    tick(state, AT + HOUR);
    assert.equal(state.getExecutions('a')?.length, 2);
    assert.equal(state.getJob('a')?.status, 'in_progress');
  });

  test('an update must be for the job and valid; memory estimate follows the payload', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    const before = state.counts().estimatedBytes;
    rejected(state.apply({ type: 'updateJob', now: T0, jobId: 'a', definition: once('b', AT) }), 'INVALID_DEFINITION');
    rejected(state.apply({ type: 'updateJob', now: T0, jobId: 'a', definition: cron('a', 'nope') }), 'INVALID_DEFINITION');
    rejected(state.apply({ type: 'updateJob', now: T0, jobId: 'x', definition: once('x', AT) }), 'JOB_NOT_FOUND');
    assert.equal(state.counts().estimatedBytes, before);
    ok(state.apply({ type: 'updateJob', now: T0, jobId: 'a', definition: once('a', AT, { payload: { big: 'x'.repeat(5000) } }) }));
    assert.ok(state.counts().estimatedBytes > before + 5000);
    ok(state.apply({ type: 'updateJob', now: T0, jobId: 'a', definition: once('a', AT) }));
    assert.equal(state.counts().estimatedBytes, before);
  });

  test('an old-style full definition may turn a one-shot into a cron job', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    ok(state.apply({ type: 'updateJob', now: T0 + 1, jobId: 'a', definition: cron('a', '*/5 * * * *') }));
    const job = state.getJob('a');
    assert.equal(job?.kind, 'cron');
    assert.equal(job?.at, undefined);
    assert.equal(job?.nextRunAt, T0 + 5 * MIN);
  });
});

describe('pruneHistory', () => {
  function withHistory(): SchedulerState {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *', { overlap: 'skip' }), once('done', AT), once('later', T0 + 100 * HOUR));
    for (let m = 1; m <= 6; m++) {
      tick(state, T0 + m * MIN);
      for (const e of [...state.inProgressExecutions()]) {
        if (e.id === `c@${T0 + 3 * MIN}#1`) continue; // left running: the next occurrences are skipped
        ok(state.apply(finish(e.id, T0 + m * MIN + SEC, 'completed')));
      }
    }
    return state;
  }

  test('drops finished executions and skipped records older than `before`; running ones stay', () => {
    const state = withHistory();
    assertConsistent(state);
    const full = state.counts();
    assert.equal(state.getExecutions('c')?.length, 3);
    assert.equal(state.getSkipped('c')?.length, 3);
    const r = ok<PruneHistoryResult>(state.apply({ type: 'pruneHistory', now: T0 + HOUR, before: T0 + 5 * MIN, maxPerJob: 100 }));
    // c: 1 and 2 finished before 5min and go; 3 still runs. Of the overlap skips (4, 5, 6), the one
    // recorded at 4min goes. done's attempt finished at 1min and goes.
    assert.deepEqual(
      state.getExecutions('c')?.map((e) => e.scheduledAt),
      [T0 + 3 * MIN],
    );
    assert.deepEqual(
      state.getSkipped('c')?.map((s) => s.scheduledAt),
      [T0 + 5 * MIN, T0 + 6 * MIN],
    );
    assert.deepEqual(r, { ok: true, type: 'pruneHistory', executions: 3, skipped: 1, jobs: 1 });
    // `done` finished and its last change is older than `before`: gone. `later` still has work: kept.
    assert.equal(state.getJob('done'), undefined);
    assert.ok(state.getJob('later'));
    const after = state.counts();
    assert.equal(after.jobs, full.jobs - 1);
    assert.ok(after.estimatedBytes < full.estimatedBytes);
    assertConsistent(state);
  });

  test('keeps at most maxPerJob finished executions per job, newest', () => {
    const state = withHistory();
    ok(state.apply({ type: 'pruneHistory', now: T0 + HOUR, before: T0, maxPerJob: 1 }));
    assert.deepEqual(
      state.getExecutions('c')?.map((e) => [e.scheduledAt, e.status]),
      [
        [T0 + 2 * MIN, 'completed'],
        [T0 + 3 * MIN, 'in_progress'],
      ],
    );
    assert.deepEqual(
      state.getSkipped('c')?.map((s) => s.scheduledAt),
      [T0 + 6 * MIN],
    );
    assert.equal(state.getJob('done')?.status, 'completed');
    assertConsistent(state);
  });

  test('cancelled jobs and cron jobs with no next run are pruned once idle long enough', () => {
    const state = withNode();
    create(state, T0, cron('ended', '* * * * *', { endAt: T0 - 1 }), cron('cancelled', '* * * * *'), cron('alive', '* * * * *'));
    ok(state.apply({ type: 'cancelJob', now: T0 + 10, jobId: 'cancelled' }));
    const r = ok<PruneHistoryResult>(state.apply({ type: 'pruneHistory', now: T0 + HOUR, before: T0 + 20, maxPerJob: 10 }));
    assert.equal(r.jobs, 2);
    assert.deepEqual(
      state.listJobs({ limit: 10 }).jobs.map((j) => j.id),
      ['alive'],
    );
    assert.equal(state.counts().byStatus.cancelled, 0);
  });

  test('a timed-out attempt that has not settled is kept (its retry waits on it)', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    tick(state, AT);
    ok(state.apply(finish(`a@${AT}#1`, AT + 1, 'timeout', { settled: false })));
    ok(state.apply({ type: 'pruneHistory', now: AT + HOUR, before: AT + HOUR, maxPerJob: 0 }));
    assert.equal(state.getExecutions('a')?.length, 1);
    ok(state.apply({ type: 'settleExecution', now: AT + HOUR, executionId: `a@${AT}#1` }));
    ok(state.apply({ type: 'pruneHistory', now: AT + HOUR, before: AT + HOUR, maxPerJob: 0 }));
    assert.equal(state.getExecutions('a')?.length, 0);
    assert.ok(state.getJob('a'), 'its retry is still planned');
  });
});
