import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, parseSize } from '../../src/util/size.js';
import { ValidationError } from '../../src/scheduler/errors.js';

describe('parseSize', () => {
  test('binary multiples, as the original QUEUE_MEMORY_LIMIT', () => {
    assert.equal(parseSize('64KB', 'f'), 64 * 1024);
    assert.equal(parseSize('500MB', 'f'), 500 * 1024 * 1024);
    assert.equal(parseSize('2GB', 'f'), 2 * 1024 ** 3);
    assert.equal(parseSize('1.5GB', 'f'), 1_610_612_736);
    assert.equal(parseSize('1TB', 'f'), 1024 ** 4);
  });

  test('plain bytes, case and spelling variants', () => {
    assert.equal(parseSize('1024', 'f'), 1024);
    assert.equal(parseSize('1024B', 'f'), 1024);
    assert.equal(parseSize(4096, 'f'), 4096);
    assert.equal(parseSize(0, 'f'), 0);
    assert.equal(parseSize('2gb', 'f'), 2 * 1024 ** 3);
    assert.equal(parseSize('2 GB', 'f'), 2 * 1024 ** 3);
    assert.equal(parseSize('2GiB', 'f'), 2 * 1024 ** 3);
    assert.equal(parseSize('512M', 'f'), 512 * 1024 ** 2);
    assert.equal(parseSize(' 8KB ', 'f'), 8192);
  });

  test('fractions of a byte are rounded down', () => {
    assert.equal(parseSize('1.1KB', 'f'), 1126);
    assert.equal(parseSize(10.9, 'f'), 10);
  });

  test('rejects anything else with INVALID_SIZE naming the field', () => {
    for (const bad of ['', 'GB', '-1GB', '1..5GB', '1XB', '1 G B', '1e9', '0x10', 'two GB', '1,5GB', -1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}, [], true, '9'.repeat(80), '99999999999TB']) {
      assert.throws(
        () => parseSize(bad as string, 'queueMemoryLimit'),
        (err: unknown) => err instanceof ValidationError && err.code === 'INVALID_SIZE' && err.field === 'queueMemoryLimit',
        `accepted ${String(bad)}`,
      );
    }
  });
});

describe('formatSize', () => {
  test('largest binary unit', () => {
    assert.equal(formatSize(1_610_612_736), '1.5GB');
    assert.equal(formatSize(512), '512B');
    assert.equal(formatSize(2048), '2KB');
    assert.equal(formatSize(-(1024 ** 2)), '-1MB');
    assert.equal(parseSize(formatSize(3 * 1024 ** 4), 'f'), 3 * 1024 ** 4);
  });
});
