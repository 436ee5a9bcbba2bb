import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError, type ValidationCode } from '../../src/scheduler/errors.js';
import {
  booleanField,
  durationField,
  integerField,
  jobIdField,
  numberField,
  oneOfField,
  plainObjectField,
  sizeField,
  wholeDurationField,
} from '../../src/scheduler/fields.js';
import { backoffField, timeoutField } from '../../src/scheduler/job-fields.js';
import { DEFAULT_BACKOFF } from '../../src/scheduler/limits.js';

function refused(fn: () => unknown, code: ValidationCode, field: string): ValidationError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.field, field);
    assert.ok(err.message.startsWith(`${field}: `), err.message);
    return err;
  }
  assert.fail('accepted');
}

describe('field checkers', () => {
  test('undefined gives the fallback; a good value comes back as it is', () => {
    assert.equal(integerField(undefined, 'f', 7, 1, 10), 7);
    assert.equal(integerField(10, 'f', 7, 1, 10), 10);
    assert.equal(numberField(0.5, 'f', 0, 0, 1), 0.5);
    assert.equal(booleanField(undefined, 'f', true), true);
    assert.equal(oneOfField('b', 'f', 'a', ['a', 'b'] as const), 'b');
    assert.equal(durationField('1.5ms', 'f', 0, 0), 2);
    assert.equal(durationField(2.5, 'f', 0, 0), 2.5);
    assert.equal(wholeDurationField('30s', 'f', 0), 30_000);
    assert.equal(sizeField('2KB', 'f'), 2048);
    assert.equal(jobIdField('a.b', 'id'), 'a.b');
  });

  test('refusals name the field', () => {
    assert.match(refused(() => integerField(11, 'maxJobs', 1, 1, 10), 'INVALID_FIELD', 'maxJobs').message, /from 1 to 10, got 11/);
    assert.match(refused(() => integerField(0, 'maxJobs', 1, 1), 'INVALID_FIELD', 'maxJobs').message, /≥ 1, got 0/);
    refused(() => numberField(Number.NaN, 'backoff.factor', 1, 1), 'INVALID_FIELD', 'backoff.factor');
    refused(() => booleanField('yes', 'keepAlive', false), 'INVALID_FIELD', 'keepAlive');
    const overlap = refused(() => oneOfField('x', 'overlap', 'a', ['a', 'b']), 'INVALID_FIELD', 'overlap');
    assert.match(overlap.message, /one of "a", "b", got "x"/);
    refused(() => plainObjectField([], 'backoff'), 'INVALID_FIELD', 'backoff');
    refused(() => jobIdField('a@b', 'jobs.3.id'), 'INVALID_FIELD', 'jobs.3.id');
    refused(() => wholeDurationField(2.5, 'catchUpWindow', 0), 'INVALID_DURATION', 'catchUpWindow');
    refused(() => durationField(0, 'slotGap', 1, 1), 'INVALID_DURATION', 'slotGap');
  });

  test("the util parsers' plain errors become INVALID_DURATION / INVALID_SIZE with their message", () => {
    const d = refused(() => durationField('soon', 'backoff.maxMs', 0, 0), 'INVALID_DURATION', 'backoff.maxMs');
    const how = 'use a number of milliseconds or units ms, s, m, h, d (e.g. "500ms", "30s", "1h30m", "30d")';
    assert.equal(d.message, `backoff.maxMs: invalid duration "soon": ${how}`);
    refused(() => durationField(null, 'timeout', 0, 0), 'INVALID_DURATION', 'timeout');
    refused(() => wholeDurationField(-1, 'timeout', 0), 'INVALID_DURATION', 'timeout');
    const s = refused(() => sizeField('lots', 'maxMemory'), 'INVALID_SIZE', 'maxMemory');
    assert.match(s.message, /^maxMemory: invalid size "lots": use bytes or a number with KB, MB, GB or TB/);
    refused(() => sizeField({}, 'maxMemory'), 'INVALID_SIZE', 'maxMemory');
  });

  test('job fields: timeout in (0, 24h], backoff merged over the fallback', () => {
    assert.equal(timeoutField('24h', 'timeout', 1), 86_400_000);
    refused(() => timeoutField('24h1ms', 'executionTimeout', 1), 'INVALID_DURATION', 'executionTimeout');
    refused(() => timeoutField(0, 'timeout', 1), 'INVALID_DURATION', 'timeout');
    assert.deepEqual(backoffField({ factor: 3 }, 'backoff', DEFAULT_BACKOFF), { ...DEFAULT_BACKOFF, factor: 3 });
    refused(() => backoffField({ initialMs: 600_000 }, 'backoff', DEFAULT_BACKOFF), 'INVALID_FIELD', 'backoff.initialMs');
    assert.equal(backoffField({ initialMs: 600_000 }, 'backoff', DEFAULT_BACKOFF, true).maxMs, 600_000);
    refused(() => backoffField({ retries: 1 }, 'backoff', DEFAULT_BACKOFF), 'INVALID_FIELD', 'backoff.retries');
  });
});
