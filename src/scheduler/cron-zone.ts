/**
 * Where a time zone keeps one UTC offset. Computing occurrences in a zone through `Intl` costs
 * several `formatToParts` calls per answer; away from a daylight-saving transition a zone is just
 * a fixed offset, and croner's fixed-offset arithmetic is several times faster. This module
 * answers "is the offset of `zone` constant over [a, b], and which is it?" from a per-zone table
 * of transitions, so `cron.ts` can take the fast path there and leave transitions to croner.
 *
 * Deterministic: the answer depends only on the zone rules compiled into the runtime.
 */

const DAY_MS = 86_400_000;
/** Years remembered per zone; when full the zone's table is dropped and rebuilt on demand. */
const MAX_YEARS_PER_ZONE = 64;
/** Zones remembered at once; a workload uses a handful. */
const MAX_ZONES = 512;

/** The transitions of one UTC calendar year: `at[i]` is the first instant with offset `offset[i]`. */
interface YearTable {
  readonly startOffset: number;
  readonly at: readonly number[];
  readonly offset: readonly number[];
}

interface ZoneInfo {
  readonly format: Intl.DateTimeFormat;
  readonly years: Map<number, YearTable>;
}

const zones = new Map<string, ZoneInfo>();

function zoneInfo(zone: string): ZoneInfo {
  let info = zones.get(zone);
  if (info === undefined) {
    if (zones.size >= MAX_ZONES) zones.clear();
    info = {
      format: new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }),
      years: new Map(),
    };
    zones.set(zone, info);
  }
  return info;
}

/** The zone's UTC offset in ms at instant `t` (wall clock minus UTC, whole seconds). */
function offsetAt(info: ZoneInfo, t: number): number {
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const part of info.format.formatToParts(t)) {
    switch (part.type) {
      case 'year':
        y = Number(part.value);
        break;
      case 'month':
        mo = Number(part.value);
        break;
      case 'day':
        d = Number(part.value);
        break;
      case 'hour':
        h = Number(part.value);
        break;
      case 'minute':
        mi = Number(part.value);
        break;
      case 'second':
        s = Number(part.value);
        break;
      default:
        break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(t / 1000) * 1000;
}

/**
 * Finds the transitions of UTC year `year`: samples the offset once a day, then narrows each
 * change down to the second. Two transitions less than a day apart that cancel each other out
 * would go unseen; the tz database has none in the years a scheduler looks at (DST periods last
 * weeks to months).
 */
function yearTable(info: ZoneInfo, year: number): YearTable {
  let table = info.years.get(year);
  if (table !== undefined) return table;
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const startOffset = offsetAt(info, start);
  const at: number[] = [];
  const offset: number[] = [];
  let prevT = start;
  let prevOffset = startOffset;
  for (let t = start + DAY_MS; t <= end; t += DAY_MS) {
    const o = offsetAt(info, t);
    if (o !== prevOffset) {
      let lo = prevT;
      let hi = t;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (offsetAt(info, mid) === prevOffset) lo = mid;
        else hi = mid;
      }
      at.push(hi);
      offset.push(o);
      prevOffset = o;
    }
    prevT = t;
  }
  table = { startOffset, at, offset };
  if (info.years.size >= MAX_YEARS_PER_ZONE) info.years.clear();
  info.years.set(year, table);
  return table;
}

function utcYear(t: number): number {
  return new Date(t).getUTCFullYear();
}

/**
 * The UTC offset (ms, wall clock minus UTC) `zone` keeps over the whole of [`from`, `to`], or
 * `undefined` when it changes in between. The zone must be valid (see `validateTimezone`) and
 * both instants valid dates.
 *
 * @param zone - An IANA time zone name.
 * @param from - Start of the interval (epoch ms).
 * @param to - End of the interval (epoch ms), `>= from`.
 * @returns The constant offset, or `undefined`.
 */
export function stableOffset(zone: string, from: number, to: number): number | undefined {
  const info = zoneInfo(zone);
  const firstYear = utcYear(from);
  const first = yearTable(info, firstYear);
  let result = first.startOffset;
  for (let i = 0; i < first.at.length && (first.at[i] as number) <= from; i++) result = first.offset[i] as number;
  const lastYear = utcYear(to);
  for (let year = firstYear; year <= lastYear; year++) {
    const table = year === firstYear ? first : yearTable(info, year);
    for (const t of table.at) {
      if (t > from && t <= to) return undefined;
    }
  }
  return result;
}
