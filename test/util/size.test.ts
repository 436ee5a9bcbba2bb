import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize } from '../../src/util/size.js';

describe('parseSize', () => {
  test('binary multiples, as the original QUEUE_MEMORY_LIMIT', () => {
    assert.equal(parseSize('64KB'), 64 * 1024);
    assert.equal(parseSize('500MB'), 500 * 1024 * 1024);
    assert.equal(parseSize('2GB'), 2 * 1024 ** 3);
    assert.equal(parseSize('1.5GB'), 1_610_612_736);
    assert.equal(parseSize('1TB'), 1024 ** 4);
  });

  test('plain bytes, case and spelling variants', () => {
    assert.equal(parseSize('1024'), 1024);
    assert.equal(parseSize('1024B'), 1024);
    assert.equal(parseSize(4096), 4096);
    assert.equal(parseSize(0), 0);
    assert.equal(parseSize('2gb'), 2 * 1024 ** 3);
    assert.equal(parseSize('2 GB'), 2 * 1024 ** 3);
    assert.equal(parseSize('2GiB'), 2 * 1024 ** 3);
    assert.equal(parseSize('512M'), 512 * 1024 ** 2);
    assert.equal(parseSize(' 8KB '), 8192);
  });

  test('fractions of a byte are rounded down', () => {
    assert.equal(parseSize('1.1KB'), 1126);
    assert.equal(parseSize(10.9), 10);
  });

  test('rejects anything else with a plain RangeError or TypeError (the scheduler names the field)', () => {
    for (const bad of [
      '',
      'GB',
      '-1GB',
      '1..5GB',
      '1XB',
      '1 G B',
      '1e9',
      '0x10',
      'two GB',
      '1,5GB',
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      null,
      undefined,
      {},
      [],
      true,
      '9'.repeat(80),
      '99999999999TB',
    ]) {
      assert.throws(
        () => parseSize(bad as string),
        (err: unknown) =>
          (err instanceof RangeError || err instanceof TypeError) && /^(must be|invalid size|is too large)/.test(err.message),
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- hostile inputs of any type, printed as they are
        `accepted ${String(bad)}`,
      );
    }
  });
});
