/**
 * nextOccurrence takes a fixed-offset shortcut away from daylight-saving transitions and trims
 * croner's year table from cached patterns. Both are optimisations that must not change a single
 * answer: compare with untouched croner instances read in the zone, around every 2027
 * transition of zones with odd rules, and at pseudo-random instants.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Cron } from 'croner';
import { nextOccurrence } from '../../src/scheduler/cron.js';

const EXPRESSIONS = [
  '*/15 * * * *',
  '30 2 * * *',
  '0 * * * *',
  '15 1 * * *',
  '0 0 1 * *',
  '10-20 2 * * *',
  '0 30 1 * * *',
  '45 23 * * 0',
  '0 0 13 * 5',
  '0 0 L * *',
];
const ZONES = [
  'Europe/Madrid',
  'America/New_York',
  'Australia/Lord_Howe', // 30-minute DST
  'Europe/Dublin', // "negative" DST in the tz database
  'America/Sao_Paulo', // DST abolished in 2019
  'Antarctica/Troll', // 2-hour DST
  'Pacific/Chatham', // +12:45 / +13:45
  'Asia/Kolkata',
  'UTC',
];

const reference = new Map<string, Cron>();
function expected(expression: string, zone: string, from: number, inclusive: boolean): number | undefined {
  const key = `${zone} ${expression}`;
  let cron = reference.get(key);
  if (cron === undefined) {
    cron = new Cron(expression, { paused: true, timezone: zone, mode: '5-or-6-parts', domAndDow: false, fixedTimeRule: 'single-value' });
    reference.set(key, cron);
  }
  return cron.nextRun(new Date(inclusive ? from - 1 : from))?.getTime();
}

/** Instants (to the hour) where the zone's offset changes, between two dates. */
function transitions(zone: string, from: number, to: number): number[] {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  const offset = (t: number): string | undefined => format.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value;
  const out: number[] = [];
  let prev = offset(from);
  for (let day = from; day < to; day += 86_400_000) {
    const next = offset(day + 86_400_000);
    if (next === prev) continue;
    for (let t = day; t <= day + 86_400_000; t += 3_600_000) {
      if (offset(t) !== prev) {
        out.push(t);
        break;
      }
    }
    prev = next;
  }
  return out;
}

describe('nextOccurrence agrees with croner read in the zone', () => {
  test('around every transition of 2027', () => {
    let compared = 0;
    for (const zone of ZONES) {
      const around = transitions(zone, Date.parse('2027-01-01T00:00:00Z'), Date.parse('2028-01-01T00:00:00Z'));
      for (const expression of EXPRESSIONS) {
        for (const edge of around) {
          for (let from = edge - 36 * 3_600_000; from < edge + 36 * 3_600_000; from += 53 * 60_000 + 7) {
            for (const inclusive of [true, false]) {
              const got = nextOccurrence(expression, zone, from, inclusive);
              assert.equal(
                got,
                expected(expression, zone, from, inclusive),
                `${expression} in ${zone} from ${new Date(from).toISOString()} inclusive=${inclusive}`,
              );
              compared++;
            }
          }
        }
      }
    }
    assert.ok(compared > 15_000, `only ${compared} comparisons`);
  });

  test('walking occurrence by occurrence and at pseudo-random instants', () => {
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const lo = Date.parse('2025-01-01T00:00:00Z');
    const span = Date.parse('2035-01-01T00:00:00Z') - lo;
    for (let i = 0; i < 400; i++) {
      const expression = EXPRESSIONS[Math.floor(rnd() * EXPRESSIONS.length)] as string;
      const zone = ZONES[Math.floor(rnd() * ZONES.length)] as string;
      let from = lo + Math.floor(rnd() * span);
      let inclusive = rnd() < 0.5;
      for (let step = 0; step < 5; step++) {
        const got = nextOccurrence(expression, zone, from, inclusive);
        assert.equal(got, expected(expression, zone, from, inclusive), `${expression} in ${zone} from ${new Date(from).toISOString()}`);
        if (got === undefined) break;
        from = got;
        inclusive = false;
      }
    }
  });
});
