/**
 * Instants as users give them: a `Date`, epoch milliseconds, or an ISO-8601 / RFC 3339 string.
 * Parsed by hand rather than with `Date.parse`, which accepts free text ("Tuesday 10am") and
 * reads strings without an offset in the machine's local zone — two replicas in different zones
 * would then disagree.
 */
import { ValidationError } from './errors.js';
import { describe } from '../util/describe.js';

/** The range of a JavaScript `Date`. */
const MAX_TIME_MS = 8.64e15;
const MAX_LENGTH = 64;

/**
 * `YYYY-MM-DD`, optionally followed by `T`/`t`/space and `HH:MM[:SS[.fraction]]`, optionally
 * followed by `Z` or an offset `±HH:MM`, `±HHMM`, `±HH`.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses an instant into epoch milliseconds.
 *
 * Accepts a valid `Date`; an integer number of epoch milliseconds; or a string
 * `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]][Z|±HH:MM]]`. A string without an offset is read as UTC, so
 * `"2024-12-25 10:00:00"` (the original service's form) and `"2024-12-25T10:00:00"` both mean
 * 10:00 UTC — never the local zone of whichever machine parses it. Fractions beyond milliseconds
 * are truncated. Numeric strings are refused: whether they meant seconds or milliseconds is a
 * guess (the HTTP adapter, whose contract says seconds, converts them itself).
 *
 * @param value - The instant as given.
 * @param field - Names the field in the error (dotted path).
 * @returns Epoch milliseconds (an integer).
 * @throws {@link ValidationError} `INVALID_TIME` for anything else, including impossible dates
 *   (`2027-02-30`), out-of-range fields and instants outside the range of `Date`.
 */
export function parseTime(value: unknown, field: string): number {
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw new ValidationError('INVALID_TIME', field, 'is an invalid Date');
    return t;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > MAX_TIME_MS) {
      throw new ValidationError('INVALID_TIME', field, `must be whole epoch milliseconds within the range of Date, got ${String(value)}`);
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new ValidationError('INVALID_TIME', field, `must be a Date, epoch milliseconds or an ISO-8601 string, got ${describe(value)}`);
  }
  const m = value.length <= MAX_LENGTH ? ISO.exec(value) : null;
  const t = m === null ? undefined : fromParts(m);
  if (t === undefined) {
    const shown = value.length > MAX_LENGTH ? `${value.slice(0, MAX_LENGTH)}…` : value;
    throw new ValidationError(
      'INVALID_TIME',
      field,
      `invalid time ${JSON.stringify(shown)}: use an ISO-8601 string such as "2027-12-25T10:00:00Z" or "2027-12-25 10:00:00" (UTC)`,
    );
  }
  return t;
}

function fromParts(m: RegExpExecArray): number | undefined {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMs = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMs = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const t = date.getTime() - offsetMs;
  return Math.abs(t) <= MAX_TIME_MS ? t : undefined;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
