import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import v8 from 'node:v8';
import { HEAP_BUDGET_SHARE, resolveOptions, type MemoryProbe } from '../../src/scheduler/options.js';
import type { CreateSchedulerOptions } from '../../src/scheduler/types.js';
import { ValidationError } from '../../src/scheduler/errors.js';
import { createScheduler } from '../../src/scheduler/scheduler.js';
import { mergeJobUpdate, normalizeJobSpec } from '../../src/scheduler/validate.js';

/** The budget cap on this process (the tests run under the default heap limit). */
const HEAP_CAP = Math.floor(v8.getHeapStatistics().heap_size_limit * HEAP_BUDGET_SHARE);

function fieldOf(options: CreateSchedulerOptions): string {
  try {
    resolveOptions(options);
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    return error.field;
  }
  assert.fail('expected a ValidationError');
}

describe('options', () => {
  test('defaults', () => {
    const o = resolveOptions();
    assert.equal(o.nodeId, 'node-1');
    assert.equal(o.storage, 'memory');
    assert.deepEqual(o.voters, ['node-1']);
    assert.equal(o.jobDefaults.maxAttempts, 3);
    assert.equal(o.jobDefaults.timeoutMs, 300_000);
    assert.equal(o.jobDefaults.overlap, 'skip');
    assert.equal(o.jobDefaults.catchUp, 'fire-once');
    assert.equal(o.inProgressTimeoutMs, 300_000);
    assert.equal(o.missedThresholdMs, 1000);
    assert.equal(o.historyRetentionMs, 30 * 86_400_000);
    assert.equal(o.historyLimit, 1000);
    assert.equal(o.maxJobs, 100_000);
    assert.equal(o.maxMemoryBytes, Math.min(Math.floor(os.totalmem() / 2), HEAP_CAP));
    assert.equal(o.webhookAllowPrivate, true);
    assert.equal(o.concurrency, Infinity);
    assert.equal(o.closeGraceMs, 5000);
  });

  test('durations and sizes accept numbers and strings', () => {
    const o = resolveOptions({
      historyRetention: '720h',
      executionTimeout: '30s',
      missedThreshold: 250,
      maxMemory: '2GB',
      webhook: { timeout: '5s' },
    });
    assert.equal(o.historyRetentionMs, 720 * 3_600_000);
    assert.equal(o.jobDefaults.timeoutMs, 30_000);
    assert.equal(o.missedThresholdMs, 250);
    assert.equal(o.maxMemoryBytes, Math.min(2 * 1024 ** 3, HEAP_CAP));
    assert.equal(o.webhookTimeoutMs, 5000);
    assert.equal(resolveOptions({ maxMemoryPercent: 25 }).maxMemoryBytes, Math.min(Math.floor(os.totalmem() / 4), HEAP_CAP));
  });

  test('bad options name the option', () => {
    assert.equal(fieldOf({ nodeId: '' }), 'nodeId');
    assert.equal(fieldOf({ maxJobs: 0 }), 'maxJobs');
    assert.equal(fieldOf({ maxAttempts: 1.5 }), 'maxAttempts');
    assert.equal(fieldOf({ historyRetention: 'soon' }), 'historyRetention');
    assert.equal(fieldOf({ maxMemory: 'lots' }), 'maxMemory');
    assert.equal(fieldOf({ maxMemoryPercent: 0 }), 'maxMemoryPercent');
    assert.equal(fieldOf({ overlap: 'sometimes' as never }), 'overlap');
    assert.equal(fieldOf({ backoff: { jitter: 2 } }), 'backoff.jitter');
    assert.equal(fieldOf({ backoff: { initialMs: 10_000, maxMs: 5000 } }), 'backoff.maxMs');
    assert.equal(fieldOf({ storage: { path: '' } }), 'storage.path');
    assert.equal(fieldOf({ storage: 'disk' as never }), 'storage');
    assert.equal(fieldOf({ voters: ['a', 'b'], nodeId: 'a' }), 'transport');
    assert.equal(fieldOf({ voters: ['b', 'c'], nodeId: 'a' }), 'voters');
    assert.equal(fieldOf({ concurrency: 0 }), 'concurrency');
    assert.equal(fieldOf({ webhook: { allowPrivate: 'yes' as never } }), 'webhook.allowPrivate');
  });

  test('a default a job could not carry is refused: maxAttempts above 100, executionTimeout above 24h', async () => {
    assert.equal(resolveOptions({ maxAttempts: 100 }).jobDefaults.maxAttempts, 100);
    assert.equal(resolveOptions({ executionTimeout: '24h' }).jobDefaults.timeoutMs, 86_400_000);
    assert.throws(
      () => resolveOptions({ maxAttempts: 101 }),
      (err: unknown) => err instanceof ValidationError && err.code === 'INVALID_FIELD' && err.field === 'maxAttempts',
    );
    assert.throws(
      () => resolveOptions({ executionTimeout: '25h' }),
      (err: unknown) => err instanceof ValidationError && err.code === 'INVALID_DURATION' && err.field === 'executionTimeout',
    );
    const names = (field: string) => (err: unknown) => err instanceof ValidationError && err.field === field;
    await assert.rejects(createScheduler({ maxAttempts: 101 }), names('maxAttempts'));
    await assert.rejects(createScheduler({ executionTimeout: 25 * 3_600_000 }), names('executionTimeout'));
  });

  test('a job created with the largest defaults can be updated without sending those fields', () => {
    const { jobDefaults } = resolveOptions({
      maxAttempts: 100,
      executionTimeout: '24h',
      backoff: { initialMs: 600_000 },
      catchUpWindow: '30d',
      overlap: 'queue-one',
      catchUp: 'fire-all',
    });
    const now = Date.parse('2027-05-17T10:00:00Z');
    const ctx = { now, defaults: jobDefaults, id: 'job-1' };
    for (const spec of [
      { at: now + 60_000, handler: 'h' },
      { cron: '0 9 * * *', handler: 'h' },
    ]) {
      const created = normalizeJobSpec(spec, ctx);
      assert.equal(created.maxAttempts, 100);
      assert.equal(created.timeoutMs, 86_400_000);
      const updated = mergeJobUpdate(created, { payload: { changed: true } }, { ...ctx, now: now + 1000 });
      assert.deepEqual(updated, { ...created, payload: { changed: true } });
    }
  });

  test('unknown options are refused with a "did you mean", at the top level and nested', () => {
    const refusal = (options: unknown): ValidationError => {
      try {
        resolveOptions(options as CreateSchedulerOptions);
      } catch (error) {
        assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
        return error;
      }
      assert.fail('accepted');
    };
    const storge = refusal({ storge: { path: './data' } });
    assert.equal(storge.code, 'INVALID_FIELD');
    assert.equal(storge.field, 'storge');
    assert.match(storge.message, /did you mean "storage"\?/);
    assert.match(refusal({ maxJob: 5 }).message, /did you mean "maxJobs"\?/);
    const nested: [unknown, string, string | undefined][] = [
      [{ storage: { pth: './data' } }, 'storage.pth', 'path'],
      [{ storage: { path: './data', snyc: false } }, 'storage.snyc', 'sync'],
      [{ webhook: { allowPrivat: false } }, 'webhook.allowPrivat', 'allowPrivate'],
      [{ backoff: { factr: 2 } }, 'backoff.factr', 'factor'],
      [{ raft: { proposalTimeout: 5 } }, 'raft.proposalTimeout', 'proposalTimeoutMs'],
      [{ raft: { timing: { tickMs: 10, electionTick: 6, heartbeatTicks: 1 } } }, 'raft.timing.electionTick', 'electionTicks'],
      [{ zzzzzzzz: 1 }, 'zzzzzzzz', undefined],
    ];
    for (const [options, field, meant] of nested) {
      const err = refusal(options);
      assert.equal(err.field, field);
      if (meant === undefined) assert.doesNotMatch(err.message, /did you mean/);
      else assert.match(err.message, new RegExp(`did you mean "${meant}"\\?`));
    }
    // Inherited keys and a prototype-less object are read like any other options object.
    assert.equal(resolveOptions(Object.create({ storge: 'x' }) as CreateSchedulerOptions).storage, 'memory');
    assert.equal(refusal([]).field, 'options');
  });

  test('createScheduler refuses a misspelt option instead of running in memory', async () => {
    await assert.rejects(
      createScheduler({ storge: { path: './nowhere' } } as CreateSchedulerOptions),
      (err: unknown) => err instanceof ValidationError && err.field === 'storge' && /did you mean "storage"/.test(err.message),
    );
  });

  test('the memory budget is clamped to a share of the V8 heap limit', () => {
    const probe = (heap: number, total = 64 * 1024 ** 3): MemoryProbe => ({ heapSizeLimit: () => heap, totalMemory: () => total });
    const heap = 1024 ** 3;
    // A default budget of half of 64 GB of RAM would crash a 1 GB heap long before it is reached.
    assert.equal(resolveOptions({}, probe(heap)).maxMemoryBytes, heap * HEAP_BUDGET_SHARE);
    assert.equal(resolveOptions({ maxMemory: '100GB' }, probe(heap)).maxMemoryBytes, heap * HEAP_BUDGET_SHARE);
    assert.equal(resolveOptions({ maxMemoryPercent: 100 }, probe(heap)).maxMemoryBytes, heap * HEAP_BUDGET_SHARE);
    // Below the cap, the given budget is kept.
    assert.equal(resolveOptions({ maxMemory: '100MB' }, probe(heap)).maxMemoryBytes, 100 * 1024 ** 2);
    assert.equal(resolveOptions({ maxMemoryPercent: 1 }, probe(heap, 1024 ** 3)).maxMemoryBytes, Math.floor(1024 ** 3 / 100));
  });

  test('a running scheduler reports the clamped budget it enforces', async () => {
    const scheduler = await createScheduler({ maxMemory: '1000TB', keepAlive: false });
    try {
      assert.equal(scheduler.stats().memory.limitBytes, HEAP_CAP);
    } finally {
      await scheduler.close();
    }
  });
});
