import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { resolveOptions, type SchedulerOptions } from '../../src/scheduler/options.js';
import { ValidationError } from '../../src/scheduler/errors.js';
import { createScheduler } from '../../src/scheduler/scheduler.js';
import { mergeJobUpdate, normalizeJobSpec } from '../../src/scheduler/validate.js';

function fieldOf(options: SchedulerOptions): string {
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
    assert.equal(o.maxMemoryBytes, Math.floor(os.totalmem() / 2));
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
    assert.ok(o.maxMemoryBytes === 2 * 1024 ** 3 || o.maxMemoryBytes === 2e9);
    assert.equal(o.webhookTimeoutMs, 5000);
    assert.equal(resolveOptions({ maxMemoryPercent: 25 }).maxMemoryBytes, Math.floor(os.totalmem() / 4));
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
});
