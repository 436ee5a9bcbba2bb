/**
 * Durations as users write them (`500ms`, `30s`, `1h30m`, `30d`) turned into milliseconds.
 * The grammar is Go's `time.ParseDuration` (what the original service read its settings with)
 * restricted to the units a scheduler needs, plus `d` for days.
 */
import { describe } from './describe.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** One `<number><unit>` component; `ms` is listed before `m` so the alternation never stops at `m`. */
const COMPONENT = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/** Longer strings are refused before parsing: no real duration needs more, and hostile input gets no work. */
const MAX_LENGTH = 64;

/**
 * Parses a duration into milliseconds.
 *
 * Accepts a non-negative finite number (already milliseconds), or a string of one or more
 * `<number><unit>` components with units `ms`, `s`, `m`, `h`, `d` (`'500ms'`, `'30s'`, `'5m'`,
 * `'720h'`, `'30d'`, `'1h30m'`, `'1.5h'`), or `'0'`. Components may have a decimal part; the total
 * is rounded to the nearest millisecond. Surrounding whitespace is ignored.
 *
 * The errors carry no field name: the caller knows which setting it parsed and names it (the
 * scheduler turns them into a `ValidationError` `INVALID_DURATION` with this message).
 *
 * @param value - The duration as given by the user.
 * @returns Milliseconds, a non-negative safe integer for strings, the number itself for numbers.
 * @throws `TypeError` for a value that is neither a number nor a string; `RangeError` for
 *   anything else refused (negative, `NaN`, `Infinity`, no unit, unknown unit, too large).
 */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`must be a non-negative finite number of milliseconds, got ${String(value)}`);
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new TypeError(`must be a number of milliseconds or a string like "30s", got ${describe(value)}`);
  }
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_LENGTH) throw invalid(value);
  if (text === '0') return 0;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    COMPONENT.lastIndex = pos;
    const m = COMPONENT.exec(text);
    if (m === null) throw invalid(value);
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = COMPONENT.lastIndex;
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) {
    throw new RangeError(`is too large: ${JSON.stringify(value)}`);
  }
  return ms;
}

function invalid(value: string): RangeError {
  return new RangeError(
    `invalid duration ${JSON.stringify(value.length > MAX_LENGTH ? `${value.slice(0, MAX_LENGTH)}…` : value)}: use a number of milliseconds or units ms, s, m, h, d (e.g. "500ms", "30s", "1h30m", "30d")`,
  );
}
