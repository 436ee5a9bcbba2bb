/**
 * Cron expressions: validation at the boundary and occurrence computation, with croner 11.0.1
 * (see CRON-DST.md for why croner and which daylight-saving rule we follow).
 *
 * Pure and deterministic: an occurrence depends only on (expression, zone, from) and the zone
 * rules of the runtime. Parsed patterns are shared: one cached croner object per distinct
 * expression (fixed-offset arithmetic) and one per distinct (expression, zone) that needed the
 * zone logic, never one per job.
 */
import { Cron, type CronOptions } from 'croner';
import { ValidationError } from './errors.js';
import { stableOffset } from './cron-zone.js';
import { describe } from '../util/describe.js';

/** The descriptors accepted in place of fields (case-insensitive, as croner reads them). */
export const CRON_DESCRIPTORS: readonly string[] = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Longest accepted expression; real ones are far shorter and hostile ones get no parsing. */
export const MAX_CRON_LENGTH = 256;

/** Longest accepted zone name (the longest IANA name is about 30 characters). */
const MAX_ZONE_LENGTH = 100;

/** Bound on each pattern cache; evicts the least recently used entry. */
const CACHE_LIMIT = 1_000;

const DAY_MS = 86_400_000;
/** The fixed-offset shortcut is only taken for answers this close to `from` (covers yearly jobs). */
const FAST_PATH_SPAN_MS = 400 * DAY_MS;
/** croner gives up after year 3000 for patterns without a year field. */
const YEAR_3000_MS = Date.UTC(3000, 0, 1);
/** croner works with years 1-9999; earlier instants are refused rather than guessed. */
const YEAR_1_MS = -62_135_596_800_000;

/**
 * croner options shared by every pattern: 5 or 6 fields only (we reject croner's 7th year field),
 * Vixie OR semantics when both day fields are restricted (`domAndDow: false`, the non-deprecated
 * spelling of `legacyMode: true`, both croner's default), and the CRON-DST.md rule
 * (`fixedTimeRule: 'single-value'`, croner's default, spelled out so an upgrade cannot change it).
 */
const BASE_OPTIONS: CronOptions = { paused: true, mode: '5-or-6-parts', domAndDow: false, fixedTimeRule: 'single-value' };

/** A cached pattern; `exhaustedFrom` remembers that no occurrence exists after that instant (none before year 3000). */
interface Entry {
  readonly cron: Cron;
  exhaustedFrom: number;
}

/** By expression: the pattern read at UTC offset 0, reused for every zone through offset shifting. */
const offsetCache = new Map<string, Entry>();
/** By `${zone}\n${expression}`: the pattern read in the zone, used near daylight-saving transitions. */
const zoneCache = new Map<string, Entry>();
/** Zones already checked, so validation costs one Map lookup for the common case. */
const validZones = new Set<string>(['UTC']);

/**
 * Checks a cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 fields
 * (leading seconds), or a descriptor (`@yearly @annually @monthly @weekly @daily @midnight
 * @hourly`). Names (`MON`, `JAN`), Sunday as 0 or 7, `L`, `#`, ranges, lists and steps are
 * accepted; when both day fields are restricted a day matching either one fires (Vixie OR rule).
 *
 * @param expression - The expression to check.
 * @param field - Names the field in the error (default `'cron'`).
 * @throws {@link ValidationError} `INVALID_CRON` (empty, fewer than 5 or more than 6 fields, an
 *   unknown descriptor, or anything croner rejects — its reason is in the message).
 */
export function validateCron(expression: string, field = 'cron'): void {
  offsetEntry(expression, field);
}

/**
 * Checks an IANA time zone name (`'Europe/Madrid'`, `'UTC'`) against the runtime's zone data.
 * UTC-offset strings such as `'+02:00'` are refused: an offset has no daylight-saving rules,
 * so it is almost always a mistake for a zone.
 *
 * @param zone - The name to check.
 * @param field - Names the field in the error (default `'timezone'`).
 * @throws {@link ValidationError} `INVALID_TIMEZONE` when it is not a zone name the runtime knows.
 */
export function validateTimezone(zone: string, field = 'timezone'): void {
  if (validZones.has(zone)) return;
  if (typeof zone !== 'string') {
    throw new ValidationError('INVALID_TIMEZONE', field, `must be an IANA time zone name (e.g. "Europe/Madrid"), got ${describe(zone)}`);
  }
  if (zone.length === 0 || zone.length > MAX_ZONE_LENGTH || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) {
    throw unknownZone(zone, field);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw unknownZone(zone, field);
  }
  if (validZones.size >= CACHE_LIMIT) validZones.clear();
  validZones.add(zone);
}

/**
 * The first occurrence of `expression`, read in `timezone`, at or after (`inclusive`) or
 * strictly after `from`.
 *
 * Daylight saving follows CRON-DST.md: a job whose second, minute and hour are single values
 * runs once at the end of a gap when its time does not exist that day, and once (first pass)
 * when its time happens twice; any other job follows real time (gap times skipped, a repeated
 * time runs on both passes).
 *
 * @param expression - A valid cron expression (see {@link validateCron}).
 * @param timezone - A valid IANA zone (see {@link validateTimezone}).
 * @param from - Epoch milliseconds to search from.
 * @param inclusive - Whether an occurrence exactly at `from` counts.
 * @returns Epoch milliseconds (whole seconds) of the occurrence, or `undefined` when there is none
 *   (`'0 0 30 2 *'`, or none before year 3000, or `from` is not a finite date).
 * @throws {@link ValidationError} `INVALID_CRON` when the expression is invalid.
 */
export function nextOccurrence(expression: string, timezone: string, from: number, inclusive: boolean): number | undefined {
  const entry = offsetEntry(expression, 'cron');
  validateTimezone(timezone);
  if (!Number.isFinite(from) || from < YEAR_1_MS || from >= YEAR_3000_MS) return undefined;
  // croner answers "strictly after"; one millisecond earlier makes an occurrence at `from` count.
  const after = inclusive ? from - 1 : from;
  if (timezone === 'UTC') return next(entry, after, 0);
  if (after >= 0) {
    // Fast path: away from transitions the zone is a fixed offset. The day before `from` must be
    // transition-free too, so `from` cannot sit in (or just after) a repeated hour.
    const offset = stableOffset(timezone, after - DAY_MS, after);
    if (offset !== undefined && after < entry.exhaustedFrom) {
      const found = entry.cron.nextRun(new Date(after + offset));
      if (found !== null) {
        const at = found.getTime() - offset;
        if (at - after <= FAST_PATH_SPAN_MS && stableOffset(timezone, after, at) === offset) return at;
      }
    }
  }
  return next(zoneEntry(expression, timezone), after, undefined);
}

/** Asks croner, shifting into and out of a fixed offset when one is given; remembers exhaustion. */
function next(entry: Entry, after: number, offset: number | undefined): number | undefined {
  if (after >= entry.exhaustedFrom) return undefined;
  const shift = offset ?? 0;
  const found = entry.cron.nextRun(new Date(after + shift));
  if (found === null) {
    entry.exhaustedFrom = after;
    return undefined;
  }
  return found.getTime() - shift;
}

function offsetEntry(expression: string, field: string): Entry {
  let entry = offsetCache.get(expression);
  if (entry !== undefined) {
    touch(offsetCache, expression, entry);
    return entry;
  }
  checkShape(expression, field);
  entry = create(expression, { ...BASE_OPTIONS, utcOffset: 0 }, field);
  remember(offsetCache, expression, entry);
  return entry;
}

function zoneEntry(expression: string, zone: string): Entry {
  const key = `${zone}\n${expression}`;
  let entry = zoneCache.get(key);
  if (entry !== undefined) {
    touch(zoneCache, key, entry);
    return entry;
  }
  validateTimezone(zone);
  entry = create(expression, { ...BASE_OPTIONS, timezone: zone }, 'cron');
  remember(zoneCache, key, entry);
  return entry;
}

/** What we require beyond croner: a string of 5 or 6 fields or one of our descriptors. */
function checkShape(expression: string, field: string): void {
  if (typeof expression !== 'string') {
    throw new ValidationError('INVALID_CRON', field, `must be a cron expression string, got ${describe(expression)}`);
  }
  if (expression.length > MAX_CRON_LENGTH) {
    throw new ValidationError('INVALID_CRON', field, `is longer than ${MAX_CRON_LENGTH} characters`);
  }
  const text = expression.trim();
  if (text.length === 0) throw new ValidationError('INVALID_CRON', field, 'invalid cron expression: it is empty');
  if (text.startsWith('@')) {
    if (!CRON_DESCRIPTORS.includes(text.toLowerCase())) {
      throw new ValidationError(
        'INVALID_CRON',
        field,
        `invalid cron expression ${JSON.stringify(expression)}: unknown descriptor, use one of ${CRON_DESCRIPTORS.join(' ')}`,
      );
    }
    return;
  }
  const fields = text.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new ValidationError(
      'INVALID_CRON',
      field,
      `invalid cron expression ${JSON.stringify(expression)}: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds, got ${fields}`,
    );
  }
}

function create(expression: string, options: CronOptions, field: string): Entry {
  let cron: Cron;
  try {
    cron = new Cron(expression, options);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
    throw new ValidationError('INVALID_CRON', field, `invalid cron expression ${JSON.stringify(expression)}: ${reason}`);
  }
  dropYearTable(cron);
  return { cron, exhaustedFrom: Number.POSITIVE_INFINITY };
}

/**
 * croner 11.0.1 fills a 10,000-entry year table per pattern (~80 KB of the ~83 KB a `Cron`
 * holds). With 5 or 6 fields the year is a wildcard (`starYear`) and croner never reads the
 * table, so it is emptied: a full cache then costs a few MB instead of ~160 MB. The shape is
 * checked first, so a croner that stores patterns differently is simply left alone; tests compare
 * answers with untouched croner instances.
 */
function dropYearTable(cron: Cron): void {
  const pattern = (cron as unknown as { _states?: { pattern?: { starYear?: unknown; year?: unknown } } })._states?.pattern;
  if (pattern !== undefined && pattern.starYear === true && Array.isArray(pattern.year) && pattern.year.length === 10_000) {
    pattern.year = [];
  }
}

function touch(cache: Map<string, Entry>, key: string, entry: Entry): void {
  // Re-inserting moves the key to the end of the Map's order, which is what makes it LRU.
  cache.delete(key);
  cache.set(key, entry);
}

function remember(cache: Map<string, Entry>, key: string, entry: Entry): void {
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, entry);
}

function unknownZone(zone: string, field: string): ValidationError {
  const shown = zone.length > MAX_ZONE_LENGTH ? `${zone.slice(0, MAX_ZONE_LENGTH)}…` : zone;
  return new ValidationError(
    'INVALID_TIMEZONE',
    field,
    `unknown time zone ${JSON.stringify(shown)}: use an IANA name such as "UTC" or "Europe/Madrid"`,
  );
}
