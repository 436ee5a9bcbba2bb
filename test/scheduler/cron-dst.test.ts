/**
 * The daylight-saving rule of CRON-DST.md, with concrete instants, in whole-hour zones
 * (Europe/Madrid, America/New_York), a half-hour zone (Australia/Lord_Howe) and one without DST
 * (Asia/Kolkata). 2027 transitions:
 * - Madrid: 28 Mar 02:00 CET → 03:00 CEST (01:00Z); 31 Oct 03:00 CEST → 02:00 CET (01:00Z).
 * - New York: 14 Mar 02:00 EST → 03:00 EDT (07:00Z); 7 Nov 02:00 EDT → 01:00 EST (06:00Z).
 * - Lord Howe: 4 Apr 02:00 (+11) → 01:30 (+10:30) (15:00Z on the 3rd); 3 Oct 02:00 (+10:30) → 02:30 (+11) (15:30Z on the 2nd).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { nextOccurrence } from '../../src/scheduler/cron.js';

function run(expression: string, zone: string, from: string, n: number): string[] {
  const out: string[] = [];
  let t = nextOccurrence(expression, zone, Date.parse(from), true);
  while (t !== undefined && out.length < n) {
    out.push(new Date(t).toISOString());
    t = nextOccurrence(expression, zone, t, false);
  }
  return out;
}

function first(expression: string, zone: string, from: string, inclusive = true): string | undefined {
  const t = nextOccurrence(expression, zone, Date.parse(from), inclusive);
  return t === undefined ? undefined : new Date(t).toISOString();
}

describe('fixed-time job in a spring-forward gap runs once, at the end of the gap', () => {
  test('Europe/Madrid 02:30 on 28 Mar 2027 runs at 03:00 CEST', () => {
    assert.deepEqual(run('30 2 * * *', 'Europe/Madrid', '2027-03-27T12:00:00Z', 2), [
      '2027-03-28T01:00:00.000Z', // 03:00 CEST, the first instant after the jump
      '2027-03-29T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  test('America/New_York 02:30 on 14 Mar 2027 runs at 03:00 EDT', () => {
    assert.deepEqual(run('30 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', 2), [
      '2027-03-14T07:00:00.000Z',
      '2027-03-15T06:30:00.000Z',
    ]);
  });

  test('Australia/Lord_Howe 02:15 on 3 Oct 2027 runs at 02:30 (+11); 02:30 itself exists and is not moved', () => {
    assert.deepEqual(run('15 2 * * *', 'Australia/Lord_Howe', '2027-10-02T00:00:00Z', 2), [
      '2027-10-02T15:30:00.000Z', // 02:30 +11
      '2027-10-03T15:15:00.000Z', // 02:15 +11
    ]);
    assert.deepEqual(run('30 2 * * *', 'Australia/Lord_Howe', '2027-10-02T00:00:00Z', 2), [
      '2027-10-02T15:30:00.000Z',
      '2027-10-03T15:30:00.000Z',
    ]);
  });

  test('6-field fixed time in the gap', () => {
    assert.equal(first('15 30 2 * * *', 'Europe/Madrid', '2027-03-28T00:00:00Z'), '2027-03-28T01:00:00.000Z');
  });
});

describe('fixed-time job in a repeated hour runs once, on the first pass', () => {
  test('Europe/Madrid 02:30 on 31 Oct 2027', () => {
    assert.deepEqual(run('30 2 * * *', 'Europe/Madrid', '2027-10-30T12:00:00Z', 2), [
      '2027-10-31T00:30:00.000Z', // 02:30 CEST (first pass); 02:30 CET (01:30Z) does not run
      '2027-11-01T01:30:00.000Z',
    ]);
  });

  test('America/New_York 01:30 on 7 Nov 2027', () => {
    assert.deepEqual(run('30 1 * * *', 'America/New_York', '2027-11-06T12:00:00Z', 2), [
      '2027-11-07T05:30:00.000Z', // 01:30 EDT
      '2027-11-08T06:30:00.000Z',
    ]);
  });

  test('Australia/Lord_Howe 01:45 on 4 Apr 2027', () => {
    assert.deepEqual(run('45 1 * * *', 'Australia/Lord_Howe', '2027-04-03T00:00:00Z', 2), [
      '2027-04-03T14:45:00.000Z', // 01:45 +11; 01:45 +10:30 (15:15Z) does not run
      '2027-04-04T15:15:00.000Z',
    ]);
  });

  test('searching from inside or after the first pass (e.g. a new leader) never finds the second pass', () => {
    const nextDay = '2027-11-08T06:30:00.000Z';
    assert.equal(first('30 1 * * *', 'America/New_York', '2027-11-07T05:30:00Z', false), nextDay);
    assert.equal(first('30 1 * * *', 'America/New_York', '2027-11-07T05:45:00Z'), nextDay);
    assert.equal(first('30 1 * * *', 'America/New_York', '2027-11-07T06:00:00Z'), nextDay); // 01:00 EST
    assert.equal(first('30 1 * * *', 'America/New_York', '2027-11-07T06:30:00Z'), nextDay); // 01:30 EST exactly
    assert.equal(first('45 1 * * *', 'Australia/Lord_Howe', '2027-04-03T15:00:00Z'), '2027-04-04T15:15:00.000Z');
  });
});

describe('other jobs follow real time: gap times skipped, repeated times run on both passes', () => {
  test('Europe/Madrid */15 skips 02:00-02:59 in spring and runs both passes in autumn', () => {
    assert.deepEqual(run('*/15 * * * *', 'Europe/Madrid', '2027-03-28T00:30:00Z', 4), [
      '2027-03-28T00:30:00.000Z', // 01:30 CET
      '2027-03-28T00:45:00.000Z', // 01:45 CET
      '2027-03-28T01:00:00.000Z', // 03:00 CEST
      '2027-03-28T01:15:00.000Z',
    ]);
    assert.deepEqual(run('*/15 * * * *', 'Europe/Madrid', '2027-10-31T00:00:00Z', 9), [
      '2027-10-31T00:00:00.000Z', // 02:00 CEST
      '2027-10-31T00:15:00.000Z',
      '2027-10-31T00:30:00.000Z',
      '2027-10-31T00:45:00.000Z',
      '2027-10-31T01:00:00.000Z', // 02:00 CET
      '2027-10-31T01:15:00.000Z',
      '2027-10-31T01:30:00.000Z',
      '2027-10-31T01:45:00.000Z',
      '2027-10-31T02:00:00.000Z', // 03:00 CET
    ]);
  });

  test('Europe/Madrid 0 * runs 02:00 twice on 31 Oct', () => {
    assert.deepEqual(run('0 * * * *', 'Europe/Madrid', '2027-10-30T23:30:00Z', 4), [
      '2027-10-31T00:00:00.000Z', // 02:00 CEST
      '2027-10-31T01:00:00.000Z', // 02:00 CET
      '2027-10-31T02:00:00.000Z',
      '2027-10-31T03:00:00.000Z',
    ]);
  });

  test('America/New_York 0 * skips 02:00 in spring and runs 01:00 twice in autumn', () => {
    assert.deepEqual(run('0 * * * *', 'America/New_York', '2027-03-14T05:30:00Z', 3), [
      '2027-03-14T06:00:00.000Z', // 01:00 EST
      '2027-03-14T07:00:00.000Z', // 03:00 EDT
      '2027-03-14T08:00:00.000Z',
    ]);
    assert.deepEqual(run('0 * * * *', 'America/New_York', '2027-11-07T04:00:00Z', 4), [
      '2027-11-07T04:00:00.000Z', // 00:00 EDT
      '2027-11-07T05:00:00.000Z', // 01:00 EDT
      '2027-11-07T06:00:00.000Z', // 01:00 EST
      '2027-11-07T07:00:00.000Z', // 02:00 EST
    ]);
  });

  test('America/New_York */15 from inside the second pass continues in real time', () => {
    assert.deepEqual(run('*/15 * * * *', 'America/New_York', '2027-11-07T06:05:00Z', 2), [
      '2027-11-07T06:15:00.000Z',
      '2027-11-07T06:30:00.000Z',
    ]);
  });

  test('Australia/Lord_Howe */15 skips the 30-minute gap and repeats 01:30-01:59', () => {
    assert.deepEqual(run('*/15 * * * *', 'Australia/Lord_Howe', '2027-10-02T15:00:00Z', 3), [
      '2027-10-02T15:00:00.000Z', // 01:30 +10:30
      '2027-10-02T15:15:00.000Z', // 01:45 +10:30
      '2027-10-02T15:30:00.000Z', // 02:30 +11 (02:00 and 02:15 do not exist)
    ]);
    assert.deepEqual(run('*/15 * * * *', 'Australia/Lord_Howe', '2027-04-03T14:15:00Z', 6), [
      '2027-04-03T14:15:00.000Z', // 01:15 +11
      '2027-04-03T14:30:00.000Z', // 01:30 +11
      '2027-04-03T14:45:00.000Z', // 01:45 +11
      '2027-04-03T15:00:00.000Z', // 01:30 +10:30
      '2027-04-03T15:15:00.000Z', // 01:45 +10:30
      '2027-04-03T15:30:00.000Z', // 02:00 +10:30
    ]);
  });

  test('a range in the hour field is not a fixed time: 02:10-02:20 in the Madrid gap is skipped', () => {
    assert.equal(first('10-20 2 * * *', 'Europe/Madrid', '2027-03-28T00:00:00Z'), '2027-03-29T00:10:00.000Z');
  });
});

describe('zones without DST', () => {
  test('Asia/Kolkata (+05:30) keeps every day alike through the European and American transitions', () => {
    assert.deepEqual(run('30 2 * * *', 'Asia/Kolkata', '2027-03-27T00:00:00Z', 3), [
      '2027-03-27T21:00:00.000Z',
      '2027-03-28T21:00:00.000Z',
      '2027-03-29T21:00:00.000Z',
    ]);
    assert.deepEqual(run('0 */6 * * *', 'Asia/Kolkata', '2027-11-07T00:00:00Z', 3), [
      '2027-11-07T00:30:00.000Z',
      '2027-11-07T06:30:00.000Z',
      '2027-11-07T12:30:00.000Z',
    ]);
  });

  test('UTC', () => {
    assert.deepEqual(run('30 2 * * *', 'UTC', '2027-03-28T00:00:00Z', 2), ['2027-03-28T02:30:00.000Z', '2027-03-29T02:30:00.000Z']);
  });
});
