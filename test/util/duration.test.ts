import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../src/util/duration.js';
import { ValidationError } from '../../src/scheduler/errors.js';

function rejects(value: unknown, field = 'timeout'): ValidationError {
  try {
    parseDuration(value as number | string, field);
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError for ${String(value)}`);
    assert.equal(err.code, 'INVALID_DURATION');
    assert.equal(err.field, field);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(value)}`);
}

describe('parseDuration', () => {
  test('numbers are milliseconds', () => {
    assert.equal(parseDuration(0, 'f'), 0);
    assert.equal(parseDuration(1500, 'f'), 1500);
    assert.equal(parseDuration(2.5, 'f'), 2.5);
  });

  test('single units', () => {
    assert.equal(parseDuration('500ms', 'f'), 500);
    assert.equal(parseDuration('30s', 'f'), 30_000);
    assert.equal(parseDuration('5m', 'f'), 300_000);
    assert.equal(parseDuration('720h', 'f'), 720 * 3_600_000);
    assert.equal(parseDuration('30d', 'f'), 30 * 86_400_000);
    assert.equal(parseDuration('0', 'f'), 0);
    assert.equal(parseDuration('0s', 'f'), 0);
  });

  test('compound and decimal, Go style', () => {
    assert.equal(parseDuration('1h30m', 'f'), 5_400_000);
    assert.equal(parseDuration('1h30m15s250ms', 'f'), 5_415_250);
    assert.equal(parseDuration('1.5h', 'f'), 5_400_000);
    assert.equal(parseDuration('.5s', 'f'), 500);
    assert.equal(parseDuration('1d12h', 'f'), 129_600_000);
    assert.equal(parseDuration('  30s  ', 'f'), 30_000);
  });

  test('rejects bad strings, naming the field', () => {
    for (const bad of ['', ' ', '30', '-5s', '+5s', '5 s', '5S', '5sec', '1h 30m', 'ms', 's5', '5us', '1e3ms', 'NaNs', '1.s', '30s!', '5m'.repeat(40)]) {
      const err = rejects(bad, 'backoff.maxMs');
      assert.match(err.message, /^backoff\.maxMs: /);
    }
  });

  test('rejects bad numbers and other types', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, undefined, true, {}, [], { valueOf: () => 5 }, 10n]) {
      rejects(bad);
    }
  });

  test('rejects durations beyond safe integers', () => {
    rejects('99999999999999999999d');
  });
});

describe('formatDuration', () => {
  test('largest units first, round-trips through parseDuration', () => {
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(500), '500ms');
    assert.equal(formatDuration(0), '0ms');
    assert.equal(formatDuration(90_061_001), '1d1h1m1s1ms');
    assert.equal(formatDuration(-30_000), '-30s');
    assert.equal(formatDuration(1.5), '1.5ms');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'Infinity');
    for (const ms of [1, 999, 1000, 61_000, 3_600_000, 86_400_000, 123_456_789]) {
      assert.equal(parseDuration(formatDuration(ms), 'f'), ms);
    }
  });
});
