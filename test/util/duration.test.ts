import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../src/util/duration.js';

/** util/ imports nothing of the project: refusals are plain errors, named by the scheduler's field checker. */
function rejects(value: unknown): Error {
  try {
    parseDuration(value as number | string);
  } catch (err) {
    const plain = err instanceof RangeError || err instanceof TypeError;
    assert.ok(plain, `expected a RangeError or TypeError for ${String(value)}`);
    assert.match(err.message, /^(must be|invalid duration|is too large)/);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(value)}`);
}

describe('parseDuration', () => {
  test('numbers are milliseconds', () => {
    assert.equal(parseDuration(0), 0);
    assert.equal(parseDuration(1500), 1500);
    assert.equal(parseDuration(2.5), 2.5);
  });

  test('single units', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('720h'), 720 * 3_600_000);
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('0s'), 0);
  });

  test('compound and decimal, Go style', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1h30m15s250ms'), 5_415_250);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('.5s'), 500);
    assert.equal(parseDuration('1d12h'), 129_600_000);
    assert.equal(parseDuration('  30s  '), 30_000);
  });

  test('rejects bad strings with a message that tells how to write one', () => {
    for (const bad of [
      '',
      ' ',
      '30',
      '-5s',
      '+5s',
      '5 s',
      '5S',
      '5sec',
      '1h 30m',
      'ms',
      's5',
      '5us',
      '1e3ms',
      'NaNs',
      '1.s',
      '30s!',
      '5m'.repeat(40),
    ]) {
      const err = rejects(bad);
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /^invalid duration .*: use a number of milliseconds or units ms, s, m, h, d/);
    }
  });

  test('rejects bad numbers (RangeError) and other types (TypeError)', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) assert.ok(rejects(bad) instanceof RangeError);
    for (const bad of [null, undefined, true, {}, [], { valueOf: () => 5 }, 10n]) assert.ok(rejects(bad) instanceof TypeError);
  });

  test('rejects durations beyond safe integers', () => {
    rejects('99999999999999999999d');
  });
});
