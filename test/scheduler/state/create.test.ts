import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CreateJobsResult } from '../../../src/scheduler/state/index.js';
import { JOB_BYTES } from '../../../src/scheduler/state/estimate.js';
import { cron, HOUR, LIMITS, MIN, SEC, T0, create, ok, once, recording, rejected, withNode } from '../../fixtures/state.js';

describe('createJobs', () => {
  test('a one-shot job is pending with its next run at its time; absent fields are omitted', () => {
    const { state, effects } = recording();
    const result = ok<CreateJobsResult>(state.apply({ type: 'createJobs', now: T0, jobs: [once('a', T0 + MIN)], limits: LIMITS }));
    assert.deepEqual(result.created, [true]);
    const job = result.jobs[0];
    assert.equal(job?.status, 'pending');
    assert.equal(job?.kind, 'once');
    assert.equal(job?.nextRunAt, T0 + MIN);
    assert.equal(job?.attemptCount, 0);
    for (const key of ['cron', 'timezone', 'webhook', 'payload', 'firstAttemptAt', 'completedAt', 'cancelledAt', 'executingNodeId']) {
      assert.equal(Object.hasOwn(job as object, key), false, key);
    }
    assert.deepEqual(state.getJob('a'), job);
    assert.deepEqual(effects, [
      { type: 'jobCreated', jobId: 'a' },
      { type: 'wake', jobId: 'a', at: T0 + MIN },
    ]);
    assert.deepEqual(state.getStatus('a'), { jobId: 'a', status: 'pending', attemptCount: 0, createdAt: T0, nextRunAt: T0 + MIN });
    assert.deepEqual([...state.wakeTimes()], [['a', T0 + MIN]]);
    assert.deepEqual(state.getExecutions('a'), []);
    assert.deepEqual(state.getSkipped('a'), []);
    assert.equal(state.getJob('missing'), undefined);
    assert.equal(state.getExecutions('missing'), undefined);
  });

  test('a cron job starts at the first occurrence at or after now (inclusive)', () => {
    const state = withNode();
    create(state, T0, cron('c', '0 * * * *'));
    assert.equal(state.getJob('c')?.nextRunAt, T0);
    create(state, T0 + 1, cron('d', '0 * * * *'));
    assert.equal(state.getJob('d')?.nextRunAt, T0 + HOUR);
  });

  test('a cron job honours startAt and endAt; none left after endAt', () => {
    const state = withNode();
    create(state, T0, cron('later', '*/15 * * * *', { startAt: T0 + 20 * MIN }), cron('ended', '0 * * * *', { endAt: T0 - 1 }));
    assert.equal(state.getJob('later')?.nextRunAt, T0 + 30 * MIN);
    const ended = state.getJob('ended');
    assert.equal(ended?.nextRunAt, undefined);
    assert.equal(ended?.status, 'pending');
    assert.deepEqual([...state.wakeTimes()], [['later', T0 + 30 * MIN]]);
  });

  test('a cron job in a zone fires at local time', () => {
    const state = withNode();
    create(state, T0, cron('madrid', '0 9 * * *', { timezone: 'Europe/Madrid' }));
    // January: Madrid is UTC+1, so 09:00 local is 08:00Z.
    assert.equal(state.getJob('madrid')?.nextRunAt, T0 + 8 * HOUR);
  });

  test('re-sending an identical definition returns the existing job; keys in another order are identical', () => {
    const state = withNode();
    create(state, T0, once('a', T0 + MIN, { payload: { x: 1, y: [1, 2, { z: true }] } }));
    const again = ok<CreateJobsResult>(
      state.apply({
        type: 'createJobs',
        now: T0 + SEC,
        jobs: [once('a', T0 + MIN, { payload: { y: [1, 2, { z: true }], x: 1 } })],
        limits: LIMITS,
      }),
    );
    assert.deepEqual(again.created, [false]);
    assert.equal(again.jobs[0]?.createdAt, T0);
    assert.equal(state.counts().jobs, 1);
  });

  test('a different definition under an existing id is a conflict, and the whole command is refused', () => {
    const state = withNode();
    create(state, T0, once('a', T0 + MIN));
    const before = state.hash();
    const info = rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('b', T0 + MIN), once('a', T0 + 2 * MIN)], limits: LIMITS }),
      'JOB_CONFLICT',
    );
    assert.equal((info as { jobId: string }).jobId, 'a');
    assert.equal(state.getJob('b'), undefined);
    assert.equal(state.hash(), before);
    // The payload counts too.
    rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('a', T0 + MIN, { payload: { x: 1 } })], limits: LIMITS }),
      'JOB_CONFLICT',
    );
  });

  test('the same id twice in one command: identical is one job, different is a conflict', () => {
    const state = withNode();
    const twice = ok<CreateJobsResult>(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('a', T0 + MIN), once('a', T0 + MIN)], limits: LIMITS }),
    );
    assert.deepEqual(twice.created, [true, false]);
    assert.equal(state.counts().jobs, 1);
    const before = state.hash();
    rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('x', T0 + MIN), once('x', T0 + 2 * MIN)], limits: LIMITS }),
      'JOB_CONFLICT',
    );
    assert.equal(state.getJob('x'), undefined);
    assert.equal(state.hash(), before);
  });

  test('job-count capacity: a batch that does not fit is refused whole, with the numbers', () => {
    const { state, effects } = recording();
    const limits = { maxJobs: 3, maxMemoryBytes: 1e12 };
    ok(state.apply({ type: 'createJobs', now: T0, jobs: [once('a', T0 + MIN), once('b', T0 + MIN)], limits }));
    effects.length = 0;
    const before = state.hash();
    const info = rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('c', T0 + MIN), once('d', T0 + MIN)], limits }),
      'CAPACITY',
    );
    assert.deepEqual(info, {
      code: 'CAPACITY',
      message: 'maximum jobs reached: current=2, limit=3',
      type: 'job_count',
      current: 2,
      limit: 3,
      requested: 2,
    });
    assert.equal(state.getJob('c'), undefined);
    assert.equal(state.hash(), before);
    assert.deepEqual(effects, []);
    // One fits; an identical re-send of existing jobs needs no room.
    ok(state.apply({ type: 'createJobs', now: T0, jobs: [once('c', T0 + MIN)], limits }));
    ok(state.apply({ type: 'createJobs', now: T0, jobs: [once('a', T0 + MIN), once('c', T0 + MIN)], limits }));
    assert.equal(state.counts().jobs, 3);
  });

  test('memory capacity: the estimate is checked, refused whole, and goes down again on delete', () => {
    const state = withNode();
    create(state, T0, once('a', T0 + MIN));
    const one = state.counts().estimatedBytes;
    assert.ok(one >= JOB_BYTES);
    const limits = { maxJobs: 100, maxMemoryBytes: one * 2 + 10 };
    const info = rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('b', T0 + MIN), once('c', T0 + MIN)], limits }),
      'CAPACITY',
    ) as { type: string; current: number; limit: number; requested: number };
    assert.equal(info.type, 'memory');
    assert.equal(info.current, one);
    assert.equal(info.limit, one * 2 + 10);
    assert.equal(info.requested, 2 * one);
    assert.equal(state.counts().jobs, 1);
    ok(state.apply({ type: 'createJobs', now: T0, jobs: [once('b', T0 + MIN)], limits }));
    assert.equal(state.counts().estimatedBytes, 2 * one);
    ok(state.apply({ type: 'deleteJob', now: T0, jobId: 'b' }));
    assert.equal(state.counts().estimatedBytes, one);
    assert.equal(state.counts().jobs, 1);
  });

  test('a bigger payload weighs more in the estimate', () => {
    const state = withNode();
    create(state, T0, once('a', T0 + MIN));
    const small = state.counts().estimatedBytes;
    create(state, T0, once('b', T0 + MIN, { payload: { text: 'x'.repeat(10_000) } }));
    assert.ok(state.counts().estimatedBytes - small > 10_000);
  });

  test('definitions apply cannot hold are refused without a change', () => {
    const state = withNode();
    const before = state.hash();
    rejected(state.apply({ type: 'createJobs', now: T0, jobs: [cron('bad', 'not a cron')], limits: LIMITS }), 'INVALID_DEFINITION');
    rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('ok', T0), once('bad', Number.NaN)], limits: LIMITS }),
      'INVALID_DEFINITION',
    );
    rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('bad', T0, { maxAttempts: 0 })], limits: LIMITS }),
      'INVALID_DEFINITION',
    );
    rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [cron('bad', '* * * * *', { timezone: 'Mars/Olympus' })], limits: LIMITS }),
      'INVALID_DEFINITION',
    );
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    rejected(
      state.apply({ type: 'createJobs', now: T0, jobs: [once('deep', T0, { payload: deep as never })], limits: LIMITS }),
      'INVALID_DEFINITION',
    );
    assert.equal(state.hash(), before);
    assert.equal(state.counts().jobs, 0);
  });

  test('a stored payload is a private frozen copy', () => {
    const state = withNode();
    const payload = { list: [1, 2], inner: { a: 'b' } };
    create(state, T0, once('a', T0 + MIN, { payload }));
    payload.list.push(3);
    payload.inner.a = 'changed';
    const job = state.getJob('a');
    assert.deepEqual(job?.payload, { list: [1, 2], inner: { a: 'b' } });
    assert.throws(() => {
      (job?.payload as { list: number[] }).list.push(4);
    }, TypeError);
    assert.equal(Object.isFrozen(payload), false);
  });

  test('a payload key named __proto__ is kept as data', () => {
    const state = withNode();
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    create(state, T0, once('p', T0 + MIN, { payload: payload as never }));
    const stored = state.getJob('p')?.payload as Record<string, unknown>;
    assert.equal(Object.hasOwn(stored, '__proto__'), true);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(state.getDefinition('p')?.payload, stored);
  });

  test('getDefinition returns what was stored', () => {
    const state = withNode();
    const def = cron('c', '*/5 * * * *', {
      startAt: T0,
      endAt: T0 + HOUR,
      payload: { a: 1 },
      webhook: 'https://example.com/hook',
      overlap: 'queue-one',
    });
    create(state, T0, def);
    assert.deepEqual(state.getDefinition('c'), def);
  });

  test('malformed commands are refused, never thrown', () => {
    const state = withNode();
    rejected(state.apply({ type: 'nope' } as never), 'INVALID_COMMAND');
    rejected(state.apply(null as never), 'INVALID_COMMAND');
    rejected(state.apply({ type: 'createJobs', now: Number.NaN, jobs: [], limits: LIMITS }), 'INVALID_COMMAND');
    rejected(state.apply({ type: 'createJobs', now: T0 } as never), 'INVALID_COMMAND');
    rejected(state.apply({ type: 'createJobs', now: T0, jobs: [null], limits: LIMITS } as never), 'INVALID_DEFINITION');
  });
});

describe('listJobs', () => {
  test('pages through jobs in creation order with a cursor, filtered by status, with the total', () => {
    const state = withNode();
    for (let i = 0; i < 25; i++) create(state, T0, once(`j${i}`, T0 + MIN + i));
    for (let i = 0; i < 25; i += 3) ok(state.apply({ type: 'cancelJob', now: T0, jobId: `j${i}` }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = state.listJobs({ limit: 10, ...(cursor === undefined ? {} : { cursor }) });
      assert.equal(page.total, 25);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      Array.from({ length: 25 }, (_, i) => `j${i}`),
    );

    const cancelled = state.listJobs({ status: 'cancelled', limit: 4 });
    assert.equal(cancelled.total, 9);
    assert.deepEqual(
      cancelled.jobs.map((j) => j.id),
      ['j0', 'j3', 'j6', 'j9'],
    );
    const rest = state.listJobs({ status: 'cancelled', limit: 100, cursor: cancelled.nextCursor as string });
    assert.deepEqual(
      rest.jobs.map((j) => j.id),
      ['j12', 'j15', 'j18', 'j21', 'j24'],
    );
    assert.equal(rest.nextCursor, undefined);
  });

  test('an exact last page has no cursor; deleted jobs leave no gap; a bad cursor is a validation error', () => {
    const state = withNode();
    for (let i = 0; i < 4; i++) create(state, T0, once(`j${i}`, T0 + MIN));
    const first = state.listJobs({ limit: 2 });
    ok(state.apply({ type: 'deleteJob', now: T0, jobId: 'j2' }));
    const second = state.listJobs({ limit: 2, cursor: first.nextCursor as string });
    assert.deepEqual(
      second.jobs.map((j) => j.id),
      ['j3'],
    );
    assert.equal(second.nextCursor, undefined);
    assert.equal(state.listJobs({ limit: 3 }).nextCursor, undefined);
    assert.throws(() => state.listJobs({ limit: 2, cursor: '../etc' }), { code: 'INVALID_FIELD' });
  });

  test('the listing stays in order after many deletions (compaction)', () => {
    const state = withNode();
    const jobs = Array.from({ length: 5000 }, (_, i) => once(`j${i}`, T0 + MIN));
    ok(state.apply({ type: 'createJobs', now: T0, jobs, limits: LIMITS }));
    const page = state.listJobs({ limit: 1000 });
    for (let i = 0; i < 4990; i++) ok(state.apply({ type: 'deleteJob', now: T0, jobId: `j${i}` }));
    const after = state.listJobs({ limit: 1000, cursor: page.nextCursor as string });
    assert.deepEqual(
      after.jobs.map((j) => j.id),
      Array.from({ length: 10 }, (_, i) => `j${4990 + i}`),
    );
    assert.equal(after.total, 10);
  });
});
