/**
 * Cron progress: during the quiet phase every occurrence of a running cron job is accounted for —
 * started (any attempt, or a trigger standing in for it), recorded as skipped or missed, or
 * counted by a catch-up past the occurrences it records one by one — with no gap. What may be left unaccounted is only what the job is visibly still about to do: the one
 * occurrence a `queue-one` job holds back, or the backlog a `fire-all` catch-up works through in
 * turn, and then the job's `nextRunAt` must point at it. And a `queue-one` job's occurrences
 * start in the order of their times ({@link checkQueuedOrder}).
 * @internal
 */
import { nextOccurrence } from '../../scheduler/cron.js';
import type { Execution, Job, SkippedOccurrence } from '../../scheduler/model.js';

/** How far before the window the walk starts, to see a catch-up batch that runs into it. */
const LOOK_BACK_MS = 120_000;

/** The quiet window a cron job is judged over. */
export interface CronWindow {
  /** First instant of the window (uncertain operations have landed by then). */
  readonly from: number;
  /** Last instant an occurrence must have been decided by. */
  readonly to: number;
  /** Longest one occurrence may keep a job busy (its attempts, holds and backoffs). */
  readonly occurrenceSpanMs: number;
  /** The end of the run. */
  readonly end: number;
}

/** What the check found for one job. */
export interface CronVerdict {
  /** Occurrences in the window. */
  readonly occurrences: number;
  /** Problems, empty when the job kept its schedule. */
  readonly problems: string[];
}

/** Checks one cron job (neither paused nor cancelled) over `window`. */
export function checkCronProgress(
  job: Job,
  executions: readonly Execution[],
  skipped: readonly SkippedOccurrence[],
  window: CronWindow,
): CronVerdict {
  const problems: string[] = [];
  const expression = job.cron as string;
  const zone = job.timezone ?? 'UTC';
  const accounted = new Set<number>();
  let latestStart = -Infinity;
  for (const e of executions) {
    accounted.add(e.scheduledAt);
    if (e.scheduledAt > latestStart) latestStart = e.scheduledAt;
  }
  for (const s of skipped) accounted.add(s.scheduledAt);

  // A catch-up records its first occurrences one by one and only counts the rest (a bounded
  // walk): those directly follow recorded catch-up or missed occurrences, and the job's counts
  // say how many there are.
  const recorded = { overlap: 0, 'catch-up': 0, missed: 0, rescheduled: 0 };
  const reasonAt = new Map<number, SkippedOccurrence['reason']>();
  for (const s of skipped) {
    recorded[s.reason]++;
    reasonAt.set(s.scheduledAt, s.reason);
  }
  const countedCatchUp = job.skippedCount - recorded.overlap - recorded.rescheduled;
  let unrecorded = Math.max(0, countedCatchUp - recorded['catch-up']) + Math.max(0, job.missedCount - countedCatchUp - recorded.missed);
  const occurrences: number[] = [];
  const open: number[] = [];
  let afterCatchUp = false;
  // Start a little before the window: a batch recorded just before it may run on into it.
  for (
    let t = nextOccurrence(expression, zone, window.from - LOOK_BACK_MS, true);
    t !== undefined && t <= window.to;
    t = nextOccurrence(expression, zone, t, false)
  ) {
    const inWindow = t >= window.from;
    if (inWindow) occurrences.push(t);
    if (accounted.has(t)) {
      const reason = reasonAt.get(t);
      afterCatchUp = reason === 'catch-up' || reason === 'missed';
    } else if (afterCatchUp && unrecorded > 0) {
      unrecorded--;
    } else if (inWindow) {
      afterCatchUp = false;
      open.push(t);
    }
  }
  if (open.length === 0) return { occurrences: occurrences.length, problems };

  const first = open[0] as number;
  const iso = (t: number): string => new Date(t).toISOString();
  const lastAccounted = occurrences.filter((t) => accounted.has(t)).pop() ?? -Infinity;
  const next = job.nextRunAt;
  // A fire-all backlog runs in turn: occurrences after the last accounted one may still wait.
  const tail = job.catchUp === 'fire-all' ? open.filter((t) => t > lastAccounted) : [];
  const holes = open.filter((t) => !tail.includes(t));
  // A queue-one job holds one occurrence back, invisible to readers until it starts; nothing
  // after it has started then.
  const allowedHoles = job.overlap === 'queue-one' ? 1 : 0;
  const describe = `${job.id} (${expression}, ${job.overlap}, ${job.catchUp})`;
  const state = `last accounted ${Number.isFinite(lastAccounted) ? iso(lastAccounted) : 'none'}, latest start ${Number.isFinite(latestStart) ? iso(latestStart) : 'none'}, nextRunAt ${next === undefined ? 'none' : iso(next)}`;
  if (holes.length > allowedHoles || (holes.length === 1 && (holes[0] as number) < latestStart)) {
    problems.push(
      `${describe}: ${holes.length} occurrence(s) in the quiet phase neither started nor recorded skipped/missed, first ${iso(holes[0] as number)} (${state})`,
    );
  } else if (next === undefined || next > first) {
    problems.push(`${describe}: occurrence ${iso(first)} is neither started, recorded, nor pending (${open.length} open; ${state})`);
  }
  // However a backlog is allowed to wait, the job must not sit on a due time for longer than
  // one occurrence can take, plus the catch-up window it may work through.
  const slack = window.occurrenceSpanMs + (job.catchUp === 'fire-all' ? job.catchUpWindowMs : 0);
  if (next !== undefined && next < window.end - slack) {
    problems.push(`${job.id}: nextRunAt ${iso(next)} is overdue by ${window.end - next} ms at the end of the run (allowed ${slack} ms)`);
  }
  return { occurrences: occurrences.length, problems };
}

/**
 * Queue-one order: the first attempts of a `queue-one` job's scheduled occurrences start in the
 * order of their times (the history is in start order). Manual runs never take an occurrence
 * time of the schedule, so a start at one is a scheduled occurrence — for a job whose schedule
 * never changed, which the caller makes sure of.
 */
export function checkQueuedOrder(job: Job, executions: readonly Execution[]): string[] {
  if (job.overlap !== 'queue-one' || job.cron === undefined) return [];
  const expression = job.cron;
  const zone = job.timezone ?? 'UTC';
  const problems: string[] = [];
  let last: Execution | undefined;
  for (const e of executions) {
    if (e.attempt !== 1 || nextOccurrence(expression, zone, e.scheduledAt, true) !== e.scheduledAt) continue;
    if (last !== undefined && e.scheduledAt < last.scheduledAt) {
      problems.push(`${job.id} (queue-one): ${e.id} started at ${e.startedAt}, after ${last.id} (started ${last.startedAt}): out of order`);
    }
    last = e;
  }
  return problems;
}
