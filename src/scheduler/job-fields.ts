/**
 * Checkers of the job fields that the scheduler's options supply defaults for (attempts,
 * backoff, timeout, cron policies): spec validation checks a job's own value with them, and
 * option validation checks the default with the same ones, so a default is always a value a
 * job could carry.
 */
import type { BackoffOptions } from './model.js';
import { ValidationError } from './errors.js';
import { integerField, knownKeysField, numberField, oneOfField, plainObjectField, wholeDurationField } from './fields.js';
import { MAX_ATTEMPTS_LIMIT, MAX_TIMEOUT_MS } from './limits.js';
import { CATCH_UP_POLICIES, OVERLAP_POLICIES, type CatchUpPolicy, type OverlapPolicy } from './vocabulary.js';

const BACKOFF_KEYS: readonly string[] = ['initialMs', 'factor', 'maxMs', 'jitter'];

/** Attempts per occurrence: an integer from 1 to {@link MAX_ATTEMPTS_LIMIT}. @throws {@link ValidationError} `INVALID_FIELD`. */
export function maxAttemptsField(value: unknown, field: string, fallback: number): number {
  return integerField(value, field, fallback, 1, MAX_ATTEMPTS_LIMIT);
}

/** A per-attempt timeout: a whole duration in (0, 24h]. @throws {@link ValidationError} `INVALID_DURATION`. */
export function timeoutField(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = wholeDurationField(value, field, fallback);
  if (ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw new ValidationError('INVALID_DURATION', field, `must be more than 0 and at most 24h, got ${ms}ms`);
  }
  return ms;
}

/** The `fire-all` catch-up window: a whole duration. @throws {@link ValidationError} `INVALID_DURATION`. */
export function catchUpWindowField(value: unknown, field: string, fallback: number): number {
  return wholeDurationField(value, field, fallback);
}

/** A cron overlap policy. @throws {@link ValidationError} `INVALID_FIELD`. */
export function overlapField(value: unknown, field: string, fallback: OverlapPolicy): OverlapPolicy {
  return oneOfField(value, field, fallback, OVERLAP_POLICIES);
}

/** A cron catch-up policy. @throws {@link ValidationError} `INVALID_FIELD`. */
export function catchUpField(value: unknown, field: string, fallback: CatchUpPolicy): CatchUpPolicy {
  return oneOfField(value, field, fallback, CATCH_UP_POLICIES);
}

/**
 * A backoff, each part merged over `fallback`: `initialMs` and `maxMs` whole durations with
 * `maxMs ≥ initialMs`, `factor` a finite number ≥ 1, `jitter` from 0 to 1; unknown keys refused.
 *
 * @param value - The backoff as given (`undefined`: a copy of `fallback`).
 * @param field - The field name, `'backoff'`.
 * @param fallback - The values of the parts not given.
 * @param maxFollowsInitial - When `maxMs` is not given, raise it to `initialMs` rather than
 *   refuse an `initialMs` above the fallback's cap (the scheduler's option does this).
 * @returns A fresh object.
 * @throws {@link ValidationError} naming the part (`backoff.factor`, ...).
 */
export function backoffField(value: unknown, field: string, fallback: BackoffOptions, maxFollowsInitial = false): BackoffOptions {
  if (value === undefined) {
    return { initialMs: fallback.initialMs, factor: fallback.factor, maxMs: fallback.maxMs, jitter: fallback.jitter };
  }
  const given = plainObjectField(value, field);
  knownKeysField(given, BACKOFF_KEYS, field);
  const initialMs = wholeDurationField(given['initialMs'], `${field}.initialMs`, fallback.initialMs);
  const maxFallback = maxFollowsInitial ? Math.max(fallback.maxMs, initialMs) : fallback.maxMs;
  const maxMs = wholeDurationField(given['maxMs'], `${field}.maxMs`, maxFallback);
  const factor = numberField(given['factor'], `${field}.factor`, fallback.factor, 1);
  const jitter = numberField(given['jitter'], `${field}.jitter`, fallback.jitter, 0, 1);
  if (maxMs < initialMs) {
    const culprit = given['maxMs'] === undefined ? `${field}.initialMs` : `${field}.maxMs`;
    throw new ValidationError('INVALID_FIELD', culprit, `backoff.maxMs (${maxMs}) must be at least backoff.initialMs (${initialMs})`);
  }
  return { initialMs, factor, maxMs, jitter };
}
