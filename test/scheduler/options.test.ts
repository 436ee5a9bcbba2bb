import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { resolveOptions, type SchedulerOptions } from '../../src/scheduler/options.js';
import { ValidationError } from '../../src/scheduler/errors.js';

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
    const o = resolveOptions({ historyRetention: '720h', executionTimeout: '30s', missedThreshold: 250, maxMemory: '2GB', webhook: { timeout: '5s' } });
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
});
