/**
 * Time arithmetic of the state machine: cron occurrences within a job's bounds, bounded walks
 * over missed occurrences, and the retry backoff. All pure; the cron expression is evaluated
 * by `../cron.ts` (croner, with its parsed patterns shared between jobs).
 */
import { nextOccurrence } from '../cron.js';
import type { BackoffOptions } from '../model.js';
import type { CronSchedule } from './records.js';

/**
 * Most occurrences one catch-up walks through. Each step asks croner for the next occurrence
 * (tens of microseconds), and an every-second job down for a month missed millions: the walk
 * counts the first this many exactly, estimates the rest from their pace, and jumps straight
 * past the gap. So `missedCount`/`skippedCount` are exact for gaps of up to this many
 * occurrences and estimated beyond (exact for evenly spaced schedules).
 */
export const CATCH_UP_SCAN_LIMIT = 32;

/** Most occurrences one catch-up records individually (the rest are only counted). */
export const CATCH_UP_RECORD_LIMIT = 16;

/**
 * The first occurrence of `schedule` at or after (`inclusive`) or strictly after `from`, or
 * `undefined` when there is none before its `endAt` (or the expression cannot be evaluated, which
 * validation rules out; a replica must not throw on it either way).
 */
export function nextAfter(schedule: CronSchedule, from: number, inclusive: boolean): number | undefined {
  let at: number | undefined;
  try {
    at = nextOccurrence(schedule.cron, schedule.timezone ?? 'UTC', from, inclusive);
  } catch {
    return undefined;
  }
  if (at === undefined || (schedule.endAt !== undefined && at > schedule.endAt)) return undefined;
  return at;
}

/** Where a cron schedule starts, or restarts, at `now`: the first occurrence at or after max(startAt, now). */
export function firstOccurrence(schedule: CronSchedule, now: number): number | undefined {
  const startAt = schedule.startAt;
  return nextAfter(schedule, startAt !== undefined && startAt > now ? startAt : now, true);
}

/** Where a {@link walkOccurrences} stopped. */
export interface Walk {
  /** Occurrences walked over (beyond {@link CATCH_UP_SCAN_LIMIT}, partly estimated). */
  readonly counted: number;
  /** The first occurrence past the bound (`undefined`: none left). */
  readonly next: number | undefined;
}

/**
 * Walks the occurrences from `first` (itself included) up to `bound` — through `bound` itself
 * unless `strict` — handing the first {@link CATCH_UP_RECORD_LIMIT} to `visit`.
 */
export function walkOccurrences(
  schedule: CronSchedule,
  first: number | undefined,
  bound: number,
  strict: boolean,
  visit: (at: number) => void,
): Walk {
  let at = first;
  let counted = 0;
  while (at !== undefined && (strict ? at < bound : at <= bound)) {
    if (counted === CATCH_UP_SCAN_LIMIT) {
      // `at` is the next one inside the bound: count it and those after it at the pace so far.
      const pace = (at - (first as number)) / counted;
      const rest = pace > 0 ? Math.floor((bound - at) / pace) + 1 : 1;
      return { counted: counted + rest, next: nextAfter(schedule, bound, strict) };
    }
    if (counted < CATCH_UP_RECORD_LIMIT) visit(at);
    counted++;
    at = nextAfter(schedule, at, false);
  }
  return { counted, next: at };
}

/**
 * Delay before the attempt after `attempt` (1-based, the one that just failed):
 * `min(maxMs, initialMs · factor^(attempt−1)) × (1 − jitter · random)`, rounded to whole ms. The
 * power is taken by repeated multiplication, which is exact IEEE arithmetic on every platform
 * (`Math.pow` need not be), and stops as soon as the cap is reached.
 */
export function backoffDelay(backoff: BackoffOptions, attempt: number, random: number): number {
  let delay = backoff.initialMs;
  for (let i = 1; i < attempt && delay < backoff.maxMs; i++) delay *= backoff.factor;
  if (delay > backoff.maxMs) delay = backoff.maxMs;
  const jitter = backoff.jitter > 0 ? Math.min(1, backoff.jitter) : 0;
  const draw = random >= 0 && random < 1 ? random : 0;
  return Math.round(delay * (1 - jitter * draw));
}
