/**
 * Job definitions inside the state: the sanity check `apply` makes before it stores one (the
 * full validation happens before proposing; this only keeps a replica from holding something it
 * cannot schedule), identity for idempotent creates, and storing a definition into a record.
 */
import { validateCron, validateTimezone } from '../cron.js';
import type { JobDefinition, JobPatch } from './commands.js';
import { definitionBytes } from './estimate.js';
import { frozenCopy, jsonEqual } from './json.js';
import { sameOptions } from './intern.js';
import { CronSchedule, JobRecord } from './records.js';
import { firstOccurrence } from './schedule.js';
import type { Store } from './store.js';
import { CATCH_UP_POLICIES, isOneOf, OVERLAP_POLICIES } from '../vocabulary.js';

/** `a, b or c`. */
function spelled(list: readonly string[]): string {
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1] ?? ''}`;
}

function finite(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function optionalFinite(value: unknown): boolean {
  return value === undefined || finite(value);
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** What `apply` found wrong with a definition: the field (as {@link JobDefinition} names it) and why. */
export class DefinitionIssue {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

function issue(field: string, message: string): DefinitionIssue {
  return new DefinitionIssue(field, message);
}

/** What is wrong with `def` for the state machine, or `undefined` when it can be stored. */
export function definitionIssue(def: JobDefinition): DefinitionIssue | undefined {
  if (typeof def !== 'object' || def === null) return issue('definition', 'is not an object');
  if (typeof def.id !== 'string' || def.id.length === 0) return issue('id', 'must be a non-empty string');
  if (def.kind === 'once') {
    if (!finite(def.at)) return issue('at', 'a one-shot job needs a time');
  } else if (def.kind === 'cron') {
    if (typeof def.cron !== 'string') return issue('cron', 'a cron job needs an expression');
    try {
      validateCron(def.cron);
    } catch (error) {
      return issue('cron', error instanceof Error ? error.message : String(error));
    }
    try {
      if (def.timezone !== undefined) validateTimezone(def.timezone);
    } catch (error) {
      return issue('timezone', error instanceof Error ? error.message : String(error));
    }
    if (!optionalFinite(def.startAt)) return issue('startAt', 'must be a time');
    if (!optionalFinite(def.endAt)) return issue('endAt', 'must be a time');
    if (def.startAt !== undefined && def.endAt !== undefined && def.endAt <= def.startAt) return issue('endAt', 'must be after startAt');
  } else return issue('kind', 'must be once or cron');
  if (!optionalString(def.handler)) return issue('handler', 'must be a string');
  if (!optionalString(def.webhook)) return issue('webhook', 'must be a string');
  if (!Number.isInteger(def.maxAttempts) || def.maxAttempts < 1) return issue('maxAttempts', 'must be a whole number of at least 1');
  const b = def.backoff;
  if (typeof b !== 'object' || b === null || !finite(b.initialMs) || !finite(b.factor) || !finite(b.maxMs) || !finite(b.jitter)) {
    return issue('backoff', 'initialMs, factor, maxMs and jitter must be numbers');
  }
  // Reachable by merging: one update raised initialMs while another lowered maxMs.
  if (b.maxMs < b.initialMs) return issue('backoff', `maxMs (${b.maxMs}) must be at least initialMs (${b.initialMs})`);
  if (!finite(def.timeoutMs) || def.timeoutMs < 0) return issue('timeoutMs', 'must be a duration');
  if (!finite(def.catchUpWindowMs) || def.catchUpWindowMs < 0) return issue('catchUpWindowMs', 'must be a duration');
  if (!isOneOf(OVERLAP_POLICIES, def.overlap)) return issue('overlap', `must be ${spelled(OVERLAP_POLICIES)}`);
  if (!isOneOf(CATCH_UP_POLICIES, def.catchUp)) return issue('catchUp', `must be ${spelled(CATCH_UP_POLICIES)}`);
  return undefined;
}

/** {@link definitionIssue} as one line, `field: message`. */
export function definitionProblem(def: JobDefinition): string | undefined {
  const found = definitionIssue(def);
  return found === undefined ? undefined : `${found.field}: ${found.message}`;
}

const CRON_ONLY: readonly (keyof JobPatch)[] = ['cron', 'timezone', 'startAt', 'endAt', 'overlap', 'catchUp', 'catchUpWindowMs'];
/** Patch fields copied as they are (the rest need a rule of their own). */
const PLAIN: readonly (keyof JobPatch & keyof JobDefinition)[] = [
  'at',
  'cron',
  'timezone',
  'payload',
  'maxAttempts',
  'timeoutMs',
  'overlap',
  'catchUp',
  'catchUpWindowMs',
];

/**
 * `patch` merged into `current` (a fresh object; neither input is touched), or what makes the
 * patch inapplicable to this job. The merged result still has to pass {@link definitionIssue}.
 * The patch comes from the log, so nothing about its shape is taken on trust.
 */
export function mergePatch(current: JobDefinition, patch: JobPatch): JobDefinition | DefinitionIssue {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return issue('patch', 'is not an object');
  if (current.kind === 'once') {
    for (const key of CRON_ONLY) if (patch[key] !== undefined) return issue(key, 'only applies to cron jobs (this job has at)');
  } else if (patch.at !== undefined) return issue('at', 'cannot turn a cron job into a one-shot job');
  const out: Record<string, unknown> = { ...current };
  for (const key of PLAIN) if (patch[key] !== undefined) out[key] = patch[key];
  for (const key of ['startAt', 'endAt'] as const) {
    const value = patch[key];
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = value;
  }
  if (patch.handler !== undefined) {
    out['handler'] = patch.handler;
    if (patch.webhook === undefined) delete out['webhook'];
  }
  if (patch.webhook !== undefined) {
    out['webhook'] = patch.webhook;
    if (patch.handler === undefined) delete out['handler'];
  }
  const b = patch.backoff;
  if (b !== undefined) {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return issue('backoff', 'is not an object');
    const merged: Record<string, unknown> = { ...current.backoff };
    for (const key of ['initialMs', 'factor', 'maxMs', 'jitter'] as const) if (b[key] !== undefined) merged[key] = b[key];
    out['backoff'] = merged;
  }
  return out as unknown as JobDefinition;
}

/** Whether two definitions differ in when they run (`at`, `cron`, `timezone`, `startAt`, `endAt`). */
export function scheduleChanged(a: JobDefinition, b: JobDefinition): boolean {
  return a.at !== b.at || a.cron !== b.cron || a.timezone !== b.timezone || a.startAt !== b.startAt || a.endAt !== b.endAt;
}

/** Whether the job's current definition is `def` (payload compared by value, key order aside). */
export function sameDefinition(job: JobRecord, def: JobDefinition): boolean {
  const cron = job.cron;
  if (def.kind === 'cron') {
    if (
      cron === undefined ||
      cron.cron !== def.cron ||
      cron.timezone !== def.timezone ||
      cron.startAt !== def.startAt ||
      cron.endAt !== def.endAt ||
      def.at !== undefined
    ) {
      return false;
    }
  } else if (cron !== undefined || job.at !== def.at) return false;
  return job.handler === def.handler && job.webhook === def.webhook && sameOptions(job.opts, def) && jsonEqual(job.payload, def.payload);
}

/** A private copy of the payload: frozen, so views can share it. */
function ownPayload(def: JobDefinition): JobDefinition['payload'] {
  return def.payload === undefined ? undefined : frozenCopy(def.payload);
}

function cronOf(store: Store, def: JobDefinition): CronSchedule | undefined {
  if (def.kind !== 'cron') return undefined;
  return new CronSchedule(store.strings.intern(def.cron as string), store.strings.intern(def.timezone), def.startAt, def.endAt);
}

/**
 * A new record for `def` (not yet inserted), pending, with its first occurrence: `at` for a
 * one-shot, the first at or after max(startAt, now) for a cron job. `undefined` when the payload
 * is refused.
 */
export function newRecord(store: Store, def: JobDefinition, now: number): JobRecord | undefined {
  const bytes = definitionBytes(def);
  if (bytes < 0) return undefined;
  const cron = cronOf(store, def);
  const s = store.strings;
  const job = new JobRecord(
    def.id,
    def.kind === 'once' ? def.at : undefined,
    cron,
    s.intern(def.handler),
    s.intern(def.webhook),
    ownPayload(def),
    store.options.acquire(def),
    now,
    cron === undefined ? def.at : firstOccurrence(cron, now),
  );
  job.bytes = bytes;
  return job;
}

/**
 * Replaces the job's definition in place (its schedule is the caller's business). Returns false,
 * changing nothing, when the payload is refused.
 */
export function replaceDefinition(store: Store, job: JobRecord, def: JobDefinition): boolean {
  const bytes = definitionBytes(def);
  if (bytes < 0) return false;
  const s = store.strings;
  const old = store.options;
  const opts = old.acquire(def);
  old.release(job.opts);
  store.addBytes(job, bytes - currentDefinitionBytes(job));
  job.opts = opts;
  job.at = def.kind === 'once' ? def.at : undefined;
  job.cron = cronOf(store, def);
  job.handler = s.intern(def.handler);
  job.webhook = s.intern(def.webhook);
  job.payload = ownPayload(def);
  return true;
}

/** The definition share of the job's memory estimate, as {@link definitionBytes} computed it. */
function currentDefinitionBytes(job: JobRecord): number {
  const cron = job.cron;
  return definitionBytes({
    id: job.id,
    kind: cron === undefined ? 'once' : 'cron',
    cron: cron?.cron,
    timezone: cron?.timezone,
    handler: job.handler,
    webhook: job.webhook,
    payload: job.payload,
  } as JobDefinition);
}
