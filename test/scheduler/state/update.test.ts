/**
 * `updateJob` with a patch: merged into the job as it stands when applied, and only a schedule
 * change moves the cursor.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobChangeResult, SchedulerState, StartExecutionResult } from '../../../src/scheduler/state/index.js';
import type { JobPatch } from '../../../src/scheduler/state/commands.js';
import {
  HOUR,
  MIN,
  SEC,
  T0,
  assertConsistent,
  create,
  cron,
  finish,
  ok,
  once,
  recording,
  rejected,
  start,
  withNode,
} from '../../fixtures/state.js';

const AT = T0 + MIN;

function update(state: SchedulerState, jobId: string, now: number, patch: JobPatch) {
  return state.apply({ type: 'updateJob', now, jobId, patch });
}

describe('updateJob with a patch', () => {
  test('two patches built on the same read, of different fields, both hold', () => {
    const state = withNode();
    create(state, T0, once('a', AT, { payload: { v: 0 }, maxAttempts: 1 }));
    ok(update(state, 'a', T0 + 1, { payload: { v: 1 } }));
    ok(update(state, 'a', T0 + 2, { maxAttempts: 4, timeoutMs: 5 * SEC }));
    const def = state.getDefinition('a');
    assert.deepEqual(def?.payload, { v: 1 });
    assert.equal(def?.maxAttempts, 4);
    assert.equal(def?.timeoutMs, 5 * SEC);
    assert.equal(def?.at, AT);
  });

  test('backoff is merged field by field; handler and webhook replace each other; null removes a bound', () => {
    const state = withNode();
    create(state, T0, cron('c', '* * * * *', { startAt: T0 + HOUR, endAt: T0 + 10 * HOUR }));
    ok(update(state, 'c', T0 + 1, { backoff: { initialMs: 50 } }));
    ok(update(state, 'c', T0 + 2, { backoff: { jitter: 0.5 } }));
    ok(update(state, 'c', T0 + 3, { webhook: 'https://example.com/hook' }));
    ok(update(state, 'c', T0 + 4, { startAt: null }));
    const def = state.getDefinition('c');
    assert.deepEqual(def?.backoff, { initialMs: 50, factor: 2, maxMs: 300_000, jitter: 0.5 });
    assert.equal(def?.handler, undefined);
    assert.equal(def?.webhook, 'https://example.com/hook');
    assert.equal(def?.startAt, undefined);
    assert.equal(def?.endAt, T0 + 10 * HOUR);
    assert.equal(state.getJob('c')?.nextRunAt, T0 + MIN, 'without startAt the schedule runs from now');
    assertConsistent(state);
  });

  test('a payload-only update applied after an occurrence fell due still runs that occurrence', () => {
    const { state, effects } = recording();
    create(state, T0 + 1, cron('c', '* * * * *'));
    const due = T0 + MIN;
    effects.length = 0;
    ok(update(state, 'c', due + 5, { payload: { v: 2 } }));
    assert.equal(state.getJob('c')?.nextRunAt, due, 'the cursor stays on the due occurrence');
    assert.deepEqual(effects, [{ type: 'jobUpdated', jobId: 'c' }], 'no wake moves, nothing skipped');
    const r = ok<StartExecutionResult>(state.apply(start('c', due, due + 10)));
    assert.equal(r.outcome, 'started');
    assert.deepEqual(state.getSkipped('c'), []);
  });

  test('an options-only update of a one-shot keeps its status, run and cursor', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    ok(state.apply(start('a', AT, AT)));
    ok(update(state, 'a', AT + 1, { timeoutMs: 9 * SEC }));
    const job = state.getJob('a');
    assert.equal(job?.status, 'in_progress');
    assert.equal(job?.attemptCount, 1);
    ok(state.apply(finish(`a@${AT}#1`, AT + 2, 'completed')));
    ok(update(state, 'a', AT + 3, { payload: 'after' }));
    assert.equal(state.getJob('a')?.status, 'completed');
    assert.equal(state.getJob('a')?.nextRunAt, undefined);
  });

  test('a schedule change records the overdue occurrence it passes over as skipped (rescheduled)', () => {
    const { state, effects } = recording();
    create(state, T0 + 1, cron('c', '* * * * *'));
    const due = T0 + MIN;
    effects.length = 0;
    const r = ok<JobChangeResult<'updateJob'>>(update(state, 'c', due + 5, { cron: '0 * * * *' }));
    assert.equal(r.job.nextRunAt, T0 + HOUR);
    assert.equal(r.job.skippedCount, 1);
    assert.deepEqual(
      state.getSkipped('c')?.map((s) => [s.scheduledAt, s.reason]),
      [[due, 'rescheduled']],
    );
    assert.deepEqual(effects[0], {
      type: 'occurrenceSkipped',
      jobId: 'c',
      scheduledAt: due,
      recordedAt: due + 5,
      reason: 'rescheduled',
      count: 1,
    });
    assertConsistent(state);
  });

  test('a schedule change before the occurrence is due records nothing', () => {
    const state = withNode();
    create(state, T0 + 1, cron('c', '* * * * *'));
    ok(update(state, 'c', T0 + 30 * SEC, { cron: '*/2 * * * *' }));
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 2 * MIN);
    assert.deepEqual(state.getSkipped('c'), []);
  });

  test('a schedule change never moves the cursor back onto a started or queued occurrence', () => {
    const state = withNode();
    create(state, T0 + 500, cron('c', '* * * * * *', { overlap: 'queue-one', timeoutMs: HOUR }));
    assert.equal(ok<StartExecutionResult>(state.apply(start('c', T0 + 1000, T0 + 1000))).outcome, 'started');
    assert.equal(ok<StartExecutionResult>(state.apply(start('c', T0 + 2000, T0 + 2000))).outcome, 'queued');
    // Stamped before the queue took 2 s, applied after.
    ok(update(state, 'c', T0 + 1900, { cron: '*/1 * * * * *' }));
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 2000, 'the queued occurrence runs next');
    ok(state.apply(finish(`c@${T0 + 1000}#1`, T0 + 2500, 'completed')));
    assert.equal(ok<StartExecutionResult>(state.apply(start('c', T0 + 2000, T0 + 2500))).outcome, 'started');
    ok(state.apply(finish(`c@${T0 + 2000}#1`, T0 + 2700, 'completed')));
    assert.equal(state.getJob('c')?.nextRunAt, T0 + 3000, 'then the new schedule, not 2 s again');
    assert.deepEqual(state.getSkipped('c'), []);
  });

  test('a merged result the job cannot hold is refused, naming the field; nothing changes', () => {
    const state = withNode();
    create(state, T0, cron('c', '* * * * *'), once('a', AT));
    ok(update(state, 'c', T0 + 1, { startAt: T0 + 5 * HOUR }));
    // Validated by its proposer against a read without that startAt.
    const r = rejected(update(state, 'c', T0 + 2, { endAt: T0 + 2 * HOUR }), 'INVALID_DEFINITION');
    assert.equal((r as { field?: string }).field, 'endAt');
    ok(update(state, 'c', T0 + 3, { backoff: { initialMs: 10_000 } }));
    const b = rejected(update(state, 'c', T0 + 4, { backoff: { maxMs: 5000 } }), 'INVALID_DEFINITION');
    assert.equal((b as { field?: string }).field, 'backoff');
    assert.equal(state.getDefinition('c')?.endAt, undefined);
    assert.equal(state.getDefinition('c')?.backoff.maxMs, 300_000);
    const k = rejected(update(state, 'a', T0 + 5, { cron: '* * * * *' }), 'INVALID_DEFINITION');
    assert.equal((k as { field?: string }).field, 'cron');
    const t = rejected(update(state, 'c', T0 + 6, { timeoutMs: -1 }), 'INVALID_DEFINITION');
    assert.equal((t as { field?: string }).field, 'timeoutMs');
    rejected(update(state, 'gone', T0 + 7, { payload: 1 }), 'JOB_NOT_FOUND');
    rejected(state.apply({ type: 'updateJob', now: T0 + 8, jobId: 'c', patch: null as unknown as JobPatch }), 'INVALID_DEFINITION');
    assertConsistent(state);
  });

  test('the old full-definition form still applies, as a replacement', () => {
    const state = withNode();
    create(state, T0, once('a', AT, { payload: { v: 1 }, maxAttempts: 5 }));
    ok(state.apply({ type: 'updateJob', now: T0 + 1, jobId: 'a', definition: once('a', AT + MIN, { payload: { v: 2 } }) }));
    const def = state.getDefinition('a');
    assert.equal(def?.at, AT + MIN);
    assert.deepEqual(def?.payload, { v: 2 });
    assert.equal(def?.maxAttempts, 3, 'a replacement: what it leaves out takes its own value');
    assert.equal(state.getJob('a')?.nextRunAt, AT + MIN);
  });
});
