import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime } from '../../src/scheduler/validate-time.js';
import { ValidationError } from '../../src/scheduler/errors.js';

const ms = (s: string): number => new Date(s).getTime();

describe('parseTime', () => {
  test('Date and epoch milliseconds', () => {
    assert.equal(parseTime(new Date('2027-12-25T10:00:00Z'), 'at'), ms('2027-12-25T10:00:00Z'));
    assert.equal(parseTime(1_830_160_800_000, 'at'), 1_830_160_800_000);
    assert.equal(parseTime(0, 'at'), 0);
    assert.equal(parseTime(-1000, 'at'), -1000);
  });

  test('RFC 3339 / ISO-8601 strings', () => {
    const ten = ms('2027-12-25T10:00:00Z');
    assert.equal(parseTime('2027-12-25T10:00:00Z', 'at'), ten);
    assert.equal(parseTime('2027-12-25t10:00:00z', 'at'), ten);
    assert.equal(parseTime('2027-12-25T11:00:00+01:00', 'at'), ten);
    assert.equal(parseTime('2027-12-25T04:30:00-0530', 'at'), ten);
    assert.equal(parseTime('2027-12-25T12:00:00+02', 'at'), ten);
    assert.equal(parseTime('2027-12-25T10:00Z', 'at'), ten);
    assert.equal(parseTime('2027-12-25T10:00:00.123Z', 'at'), ten + 123);
    assert.equal(parseTime('2027-12-25T10:00:00.5Z', 'at'), ten + 500);
    assert.equal(parseTime('2027-12-25T10:00:00.123456789Z', 'at'), ten + 123);
    assert.equal(parseTime('2027-12-25T10:00:00,25Z', 'at'), ten + 250);
  });

  test('without an offset a string is UTC, never the local zone', () => {
    const ten = ms('2027-12-25T10:00:00Z');
    assert.equal(parseTime('2027-12-25 10:00:00', 'at'), ten);
    assert.equal(parseTime('2027-12-25T10:00:00', 'at'), ten);
    assert.equal(parseTime('2027-12-25', 'at'), ms('2027-12-25T00:00:00Z'));
  });

  test('leap days and early years', () => {
    assert.equal(parseTime('2028-02-29T00:00:00Z', 'at'), ms('2028-02-29T00:00:00Z'));
    assert.equal(parseTime('2000-02-29', 'at'), ms('2000-02-29T00:00:00Z'));
    assert.equal(parseTime('0050-06-01T00:00:00Z', 'at'), ms('0050-06-01T00:00:00Z'));
  });

  test('rejects impossible dates, other formats and other types with INVALID_TIME naming the field', () => {
    const bad: unknown[] = [
      '2027-02-29',
      '1900-02-29',
      '2027-02-30',
      '2027-13-01',
      '2027-00-10',
      '2027-04-31',
      '2027-12-25T24:00:00Z',
      '2027-12-25T10:60:00Z',
      '2027-12-25T10:00:60Z',
      '2027-12-25T10:00:00+24:00',
      '2027-12-25T10:00:00+01:60',
      '2027-12-25 10:00:00 UTC',
      ' 2027-12-25',
      '1735120800',
      '1735120800000',
      'Tuesday',
      'now',
      '',
      'T10:00',
      '+002027-01-01',
      '27-12-25',
      '2027-12-25T10',
      '2027-12-25T10:00:00Zjunk',
      '2'.repeat(100),
      '9999-12-31T23:59:59+00:00'.repeat(2),
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      9e15,
      -9e15,
      new Date(Number.NaN),
      null,
      undefined,
      true,
      {},
      [],
      { valueOf: () => 0 },
      5n,
    ];
    for (const value of bad) {
      assert.throws(
        () => parseTime(value, 'startAt'),
        (err: unknown) => err instanceof ValidationError && err.code === 'INVALID_TIME' && err.field === 'startAt',
        `accepted ${String(value)}`,
      );
    }
  });
});
