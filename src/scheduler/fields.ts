/**
 * Field checkers shared by option validation (`createScheduler`) and spec validation
 * (`schedule`, `update`): each takes a value straight from the caller, treats it as hostile,
 * and either returns it checked (or `fallback` when it is `undefined`) or throws a
 * {@link ValidationError} naming the field. The util parsers throw plain errors without field
 * names; this is where they become `ValidationError`s with their codes.
 */
import { ValidationError, type ValidationCode } from './errors.js';
import { describe } from '../util/describe.js';
import { parseDuration } from '../util/duration.js';
import { jobIdProblem } from '../util/ids.js';
import { parseSize } from '../util/size.js';
import { closestName } from '../util/suggest.js';

/** What a refused value was, for the `got ...` part of a message, without echoing anything huge. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 50));
  return describe(value);
}

/** Field names may come from the input; a hostile one must not blow up the error message. */
export function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** An integer in `[min, max]`. @throws {@link ValidationError} `INVALID_FIELD`. */
export function integerField(value: unknown, field: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ValidationError('INVALID_FIELD', field, `must be an integer ${range}, got ${shown(value)}`);
  }
  return value;
}

/** A finite number in `[min, max]`. @throws {@link ValidationError} `INVALID_FIELD`. */
export function numberField(value: unknown, field: string, fallback: number, min: number, max = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `a finite number >= ${min}` : `a number from ${min} to ${max}`;
    throw new ValidationError('INVALID_FIELD', field, `must be ${range}, got ${shown(value)}`);
  }
  return value;
}

/** A boolean. @throws {@link ValidationError} `INVALID_FIELD`. */
export function booleanField(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError('INVALID_FIELD', field, `must be a boolean, got ${shown(value)}`);
  return value;
}

/** A string (any length). @throws {@link ValidationError} `INVALID_FIELD`. */
export function stringField(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ValidationError('INVALID_FIELD', field, `must be a string, got ${describe(value)}`);
  return value;
}

/** One of the values of `allowed` (a vocabulary list). @throws {@link ValidationError} `INVALID_FIELD`. */
export function oneOfField<T extends string>(value: unknown, field: string, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const listed = allowed.map((a) => JSON.stringify(a)).join(', ');
  throw new ValidationError('INVALID_FIELD', field, `must be one of ${listed}, got ${shown(value)}`);
}

/**
 * A duration (milliseconds or a string such as `"30s"`) of at least `min` ms; fractions of a
 * millisecond are kept. @throws {@link ValidationError} `INVALID_DURATION`.
 */
export function durationField(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const ms = parsed('INVALID_DURATION', field, () => parseDuration(value as number | string));
  if (ms < min) throw new ValidationError('INVALID_DURATION', field, `must be at least ${min}ms`);
  return ms;
}

/** A duration that is a whole number of milliseconds, as every job field holds. @throws {@link ValidationError} `INVALID_DURATION`. */
export function wholeDurationField(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parsed('INVALID_DURATION', field, () => parseDuration(value as number | string));
  if (!Number.isSafeInteger(ms)) throw new ValidationError('INVALID_DURATION', field, `must be a whole number of milliseconds, got ${ms}`);
  return ms;
}

/** A byte size (bytes or a string such as `"500MB"`). @throws {@link ValidationError} `INVALID_SIZE`. */
export function sizeField(value: unknown, field: string): number {
  return parsed('INVALID_SIZE', field, () => parseSize(value as number | string));
}

/**
 * A snapshot of the object's own enumerable fields in a prototype-less record: inherited
 * properties never count as fields, each getter runs once, and a `__proto__` key stays plain data.
 *
 * @throws {@link ValidationError} `INVALID_FIELD` for anything but a plain object.
 */
export function plainObjectField(value: unknown, field: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
    throw new ValidationError('INVALID_FIELD', field, `must be an object, got ${describe(value)}`);
  }
  const source = value as Record<string, unknown>;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(source)) copy[key] = source[key];
  return copy;
}

/** A caller-chosen job id (1–200 characters of `[A-Za-z0-9._:-]`). @throws {@link ValidationError} `INVALID_FIELD`. */
export function jobIdField(value: unknown, field: string): string {
  const problem = jobIdProblem(value);
  if (problem !== undefined) throw new ValidationError('INVALID_FIELD', field, problem);
  return value as string;
}

/** Runs a util parser and names the field in what it refuses (its plain `TypeError`/`RangeError`). */
function parsed(code: ValidationCode, field: string, parse: () => number): number {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw new ValidationError(code, field, error.message);
    throw error;
  }
}

/**
 * Refuses keys of `given` that are not in `known`, with a "did you mean" for each (up to five):
 * a misspelt option or field must never be silently ignored.
 *
 * @param given - The object's own keys, as {@link plainObjectField} copied them.
 * @param known - Every accepted key.
 * @param parent - The dotted path of the object (`'storage'`), or `''` at the top level.
 * @param aliases - Names users bring from elsewhere, mapped to ours for the hint.
 * @throws {@link ValidationError} `INVALID_FIELD` whose field is the first unknown key's path.
 */
export function knownKeysField(
  given: Readonly<Record<string, unknown>>,
  known: readonly string[],
  parent: string,
  aliases: Readonly<Record<string, string>> = {},
): void {
  const unknown = Object.keys(given).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const hints = unknown.slice(0, 5).map((key) => {
    const better = Object.prototype.hasOwnProperty.call(aliases, key) ? aliases[key] : closestName(key, known);
    return better === undefined ? JSON.stringify(clip(key)) : `${JSON.stringify(clip(key))} (did you mean ${JSON.stringify(better)}?)`;
  });
  if (unknown.length > 5) hints.push(`and ${unknown.length - 5} more`);
  const path = parent === '' ? clip(unknown[0] as string) : `${parent}.${clip(unknown[0] as string)}`;
  throw new ValidationError('INVALID_FIELD', path, `unknown field${unknown.length > 1 ? 's' : ''} ${hints.join(', ')}`);
}
