import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CRON_DESCRIPTORS, nextOccurrence, validateCron, validateTimezone } from '../../src/scheduler/cron.js';
import { ValidationError } from '../../src/scheduler/errors.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const at = (s: string): number => Date.parse(s);

/** The first `n` occurrences at or after `from`. */
function run(expression: string, zone: string, from: string, n: number): string[] {
  const out: string[] = [];
  let t = nextOccurrence(expression, zone, at(from), true);
  while (t !== undefined && out.length < n) {
    out.push(iso(t) as string);
    t = nextOccurrence(expression, zone, t, false);
  }
  return out;
}

function invalidCron(expression: unknown, field = 'cron'): ValidationError {
  try {
    validateCron(expression as string, field);
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.code, 'INVALID_CRON');
    assert.equal(err.field, field);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(expression)}`);
}

describe('validateCron', () => {
  test('accepts 5 fields, 6 fields, descriptors and the usual syntax', () => {
    for (const e of [
      '* * * * *',
      '*/15 * * * *',
      '0 9 * * 1-5',
      '0 0 L * *',
      '0 9 * * 1#1',
      '0 9 * * MON',
      '0 0 1 JAN *',
      '0 0 * * 0',
      '0 0 * * 7',
      '0 0 13 * 5',
      '30 0 12 * * *',
      '*/10 * * * * *',
      '0,30 8-18/2 * * MON-FRI',
      '0 0 29 2 *',
      ' 0  9 * * * ',
      '@DAILY',
      ...CRON_DESCRIPTORS,
    ]) {
      validateCron(e);
    }
  });

  test('rejects empty input and wrong field counts, including the 7-field year form croner would accept', () => {
    for (const e of ['', '   ', '5', '* *', '* * * *', '0 0 0 1 1 * 2027', '* * * * * * * *']) {
      const err = invalidCron(e);
      assert.match(err.message, /empty|expected 5 fields/);
    }
  });

  test('rejects unknown descriptors', () => {
    for (const e of ['@reboot', '@every 5m', '@minutely', '@', '@daily 5']) invalidCron(e);
  });

  test("rejects what croner rejects, with croner's reason", () => {
    assert.match(invalidCron('61 * * * *').message, /Invalid value for minute: 61/);
    assert.match(invalidCron('* 24 * * *').message, /hour/);
    assert.match(invalidCron('*/0 * * * *').message, /stepping/);
    assert.match(invalidCron('* * * * FOO').message, /cron expression/);
    invalidCron('0 0 32 * *');
    invalidCron('0 0 * 13 *');
    invalidCron('0 0 * * 8');
    invalidCron('5-1 * * * *');
    invalidCron('0 0 * * 1#6');
  });

  test('rejects non-strings and absurd lengths, naming the field', () => {
    for (const e of [null, undefined, 42, {}, ['* * * * *'], '* '.repeat(200)]) invalidCron(e, 'jobs.0.cron');
  });
});

describe('validateTimezone', () => {
  test('accepts IANA names', () => {
    for (const z of [
      'UTC',
      'Europe/Madrid',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'Etc/GMT+5',
      'America/Argentina/Buenos_Aires',
    ]) {
      validateTimezone(z);
    }
  });

  test('rejects unknown zones, offsets and non-strings', () => {
    for (const z of [
      'Mars/Olympus',
      '',
      ' UTC',
      'Europe/Madrid ',
      '+02:00',
      'UTC+2',
      'Z',
      '../../etc/passwd',
      'A'.repeat(200),
      null,
      5,
      {},
    ]) {
      assert.throws(
        () => validateTimezone(z as string, 'tz'),
        (err: unknown) => err instanceof ValidationError && err.code === 'INVALID_TIMEZONE' && err.field === 'tz',
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- hostile inputs of any type, printed as they are
        String(z),
      );
    }
  });
});

describe('nextOccurrence', () => {
  test('descriptors', () => {
    const from = '2027-05-17T10:20:30Z';
    assert.deepEqual(run('@yearly', 'UTC', from, 2), ['2028-01-01T00:00:00.000Z', '2029-01-01T00:00:00.000Z']);
    assert.deepEqual(run('@annually', 'UTC', from, 1), ['2028-01-01T00:00:00.000Z']);
    assert.deepEqual(run('@monthly', 'UTC', from, 2), ['2027-06-01T00:00:00.000Z', '2027-07-01T00:00:00.000Z']);
    assert.deepEqual(run('@weekly', 'UTC', from, 2), ['2027-05-23T00:00:00.000Z', '2027-05-30T00:00:00.000Z']); // Sundays
    assert.deepEqual(run('@daily', 'UTC', from, 2), ['2027-05-18T00:00:00.000Z', '2027-05-19T00:00:00.000Z']);
    assert.deepEqual(run('@midnight', 'Europe/Madrid', from, 1), ['2027-05-17T22:00:00.000Z']);
    assert.deepEqual(run('@hourly', 'UTC', from, 2), ['2027-05-17T11:00:00.000Z', '2027-05-17T12:00:00.000Z']);
  });

  test('6 fields: leading seconds', () => {
    assert.deepEqual(run('*/20 * * * * *', 'UTC', '2027-05-17T10:20:31Z', 3), [
      '2027-05-17T10:20:40.000Z',
      '2027-05-17T10:21:00.000Z',
      '2027-05-17T10:21:20.000Z',
    ]);
    assert.deepEqual(run('30 0 12 * * *', 'UTC', '2027-05-17T12:00:31Z', 1), ['2027-05-18T12:00:30.000Z']);
  });

  test('inclusive and exclusive bounds, milliseconds', () => {
    const t = at('2027-05-17T09:00:00Z');
    assert.equal(iso(nextOccurrence('0 9 * * *', 'UTC', t, true)), '2027-05-17T09:00:00.000Z');
    assert.equal(iso(nextOccurrence('0 9 * * *', 'UTC', t, false)), '2027-05-18T09:00:00.000Z');
    assert.equal(iso(nextOccurrence('0 9 * * *', 'UTC', t + 1, true)), '2027-05-18T09:00:00.000Z');
    assert.equal(iso(nextOccurrence('0 9 * * *', 'UTC', t - 1, false)), '2027-05-17T09:00:00.000Z');
    assert.equal(iso(nextOccurrence('* * * * * *', 'UTC', t + 500, true)), '2027-05-17T09:00:01.000Z');
    assert.equal(iso(nextOccurrence('0 11 * * *', 'Europe/Madrid', at('2027-05-17T09:00:00Z'), true)), '2027-05-17T09:00:00.000Z');
  });

  test('L: last day of the month, leap years included', () => {
    assert.deepEqual(run('0 0 L * *', 'UTC', '2027-01-15T00:00:00Z', 3), [
      '2027-01-31T00:00:00.000Z',
      '2027-02-28T00:00:00.000Z',
      '2027-03-31T00:00:00.000Z',
    ]);
    assert.deepEqual(run('0 0 L 2 *', 'UTC', '2027-03-01T00:00:00Z', 2), ['2028-02-29T00:00:00.000Z', '2029-02-28T00:00:00.000Z']);
    assert.deepEqual(run('0 18 * * 5L', 'UTC', '2027-01-01T00:00:00Z', 2), ['2027-01-29T18:00:00.000Z', '2027-02-26T18:00:00.000Z']);
  });

  test('#: nth weekday of the month', () => {
    assert.deepEqual(run('0 9 * * 1#1', 'UTC', '2027-01-01T00:00:00Z', 3), [
      '2027-01-04T09:00:00.000Z',
      '2027-02-01T09:00:00.000Z',
      '2027-03-01T09:00:00.000Z',
    ]);
    assert.deepEqual(run('0 0 * * FRI#2', 'UTC', '2027-01-01T00:00:00Z', 1), ['2027-01-08T00:00:00.000Z']);
  });

  test('names and Sunday as 0 or 7', () => {
    const from = '2027-05-17T10:00:00Z'; // a Monday
    assert.deepEqual(run('0 9 * * MON', 'UTC', from, 1), ['2027-05-24T09:00:00.000Z']);
    assert.deepEqual(run('0 9 * * 0', 'UTC', from, 2), ['2027-05-23T09:00:00.000Z', '2027-05-30T09:00:00.000Z']);
    assert.deepEqual(run('0 9 * * 7', 'UTC', from, 2), run('0 9 * * 0', 'UTC', from, 2));
    assert.deepEqual(run('0 9 * * SUN', 'UTC', from, 2), run('0 9 * * 0', 'UTC', from, 2));
    assert.deepEqual(run('0 0 1 JAN,JUL *', 'UTC', from, 2), ['2027-07-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']);
  });

  test('Vixie OR rule when both day fields are restricted', () => {
    // The 13th OR any Friday: 2027-01-08 (Fri), 13 (Wed), 15 (Fri), 22 (Fri).
    assert.deepEqual(run('0 0 13 * 5', 'UTC', '2027-01-02T00:00:00Z', 4), [
      '2027-01-08T00:00:00.000Z',
      '2027-01-13T00:00:00.000Z',
      '2027-01-15T00:00:00.000Z',
      '2027-01-22T00:00:00.000Z',
    ]);
    // Only one day field restricted: plain AND with the wildcard.
    assert.deepEqual(run('0 0 13 * *', 'UTC', '2027-01-02T00:00:00Z', 2), ['2027-01-13T00:00:00.000Z', '2027-02-13T00:00:00.000Z']);
  });

  test('leap day', () => {
    assert.deepEqual(run('0 12 29 2 *', 'UTC', '2027-01-01T00:00:00Z', 3), [
      '2028-02-29T12:00:00.000Z',
      '2032-02-29T12:00:00.000Z',
      '2036-02-29T12:00:00.000Z',
    ]);
    assert.deepEqual(run('0 12 29 2 *', 'Europe/Madrid', '2027-01-01T00:00:00Z', 1), ['2028-02-29T11:00:00.000Z']);
  });

  test('no occurrence: undefined, also from a cached answer', () => {
    assert.equal(nextOccurrence('0 0 30 2 *', 'UTC', at('2027-01-01T00:00:00Z'), true), undefined);
    assert.equal(nextOccurrence('0 0 30 2 *', 'UTC', at('2027-06-01T00:00:00Z'), true), undefined);
    assert.equal(nextOccurrence('0 0 31 4 *', 'Europe/Madrid', at('2027-01-01T00:00:00Z'), true), undefined);
    assert.equal(nextOccurrence('0 0 31 4,6,9,11 *', 'America/New_York', at('2027-01-01T00:00:00Z'), false), undefined);
  });

  test('non-finite or out-of-range from gives undefined', () => {
    for (const from of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 9e15, at('3000-01-01T00:00:00Z')]) {
      assert.equal(nextOccurrence('* * * * *', 'UTC', from, true), undefined);
    }
  });

  test('an invalid expression or zone throws a ValidationError', () => {
    assert.throws(
      () => nextOccurrence('* * * *', 'UTC', 0, true),
      (e: unknown) => e instanceof ValidationError && e.code === 'INVALID_CRON',
    );
    assert.throws(
      () => nextOccurrence('* * * * *', 'Mars/Olympus', 0, true),
      (e: unknown) => e instanceof ValidationError && e.code === 'INVALID_TIMEZONE',
    );
  });

  test('more distinct patterns than the cache holds still give right answers', () => {
    const from = at('2027-05-17T00:00:30Z');
    const exprs: string[] = [];
    for (let h = 0; h < 24; h++) for (let m = 0; m < 50; m++) exprs.push(`${m} ${h} * * *`);
    for (const e of exprs) nextOccurrence(e, 'UTC', from, true);
    assert.equal(iso(nextOccurrence('7 3 * * *', 'UTC', from, true)), '2027-05-17T03:07:00.000Z');
    assert.equal(iso(nextOccurrence('0 0 * * *', 'UTC', from, true)), '2027-05-18T00:00:00.000Z');
    assert.equal(iso(nextOccurrence('49 23 * * *', 'Asia/Kolkata', from, true)), '2027-05-17T18:19:00.000Z');
  });
});
