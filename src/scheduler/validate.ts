/**
 * The boundary between users and the replicated state: a job spec (any value at all — it may
 * come straight from `JSON.parse`) becomes a {@link JobDefinition}, every field checked,
 * resolved to epoch ms and defaults, with absent optional fields omitted (the state is hashed,
 * so `undefined`-valued keys must never reach it). Every refusal is a `ValidationError` whose
 * `field` names the offending field.
 */
import type { JobDefinition, JobPatch } from './state/commands.js';
import { ValidationError } from './errors.js';
import { MAX_CRON_LENGTH, nextOccurrence, validateCron, validateTimezone } from './cron.js';
import { parseTime } from './validate-time.js';
import { checkPayload } from './validate-payload.js';
import { jobIdField, knownKeysField, plainObjectField, stringField, wholeDurationField } from './fields.js';
import { backoffField, catchUpField, catchUpWindowField, maxAttemptsField, overlapField, timeoutField } from './job-fields.js';
import { MAX_DELAY_MS, MAX_HANDLER_LENGTH, MAX_URL_LENGTH, type JobDefaults } from './limits.js';
import { describe } from '../util/describe.js';
import { isPrivateAddress } from '../util/ip.js';
import type { Mutable } from '../util/types.js';

/** What {@link normalizeJobSpec} and {@link mergeJobUpdate} need besides the spec. */
export interface NormalizeContext {
  /** The proposer's "now" (epoch ms): `at` must not be before it; the first cron occurrence is searched from it. */
  readonly now: number;
  /** Values for options the spec leaves out. */
  readonly defaults: JobDefaults;
  /** The id to use when the spec has none (generate it with `generateId()`); ignored by `mergeJobUpdate`. */
  readonly id: string;
  /** When given, a `handler` it answers `false` for is refused with `UNKNOWN_HANDLER`. */
  readonly handlerExists?: (name: string) => boolean;
  /** When exactly `false`, webhooks to literal private, loopback, link-local or unspecified addresses (and `localhost`) are refused. */
  readonly allowPrivateWebhooks?: boolean;
}

const COMMON_KEYS = ['id', 'handler', 'webhook', 'payload', 'maxAttempts', 'backoff', 'timeout'] as const;
const CRON_ONLY_KEYS = ['timezone', 'startAt', 'endAt', 'overlap', 'catchUp', 'catchUpWindow'] as const;
const SPEC_KEYS: readonly string[] = [...COMMON_KEYS, 'at', 'cron', ...CRON_ONLY_KEYS];
const SCHEDULE_KEYS: readonly string[] = ['at', 'cron', 'timezone', 'startAt', 'endAt'];
/** Names users bring from the HTTP API or other schedulers, mapped to ours for the error message. */
const ALIASES: Readonly<Record<string, string>> = {
  webhook_url: 'webhook',
  webhookUrl: 'webhook',
  url: 'webhook',
  cron_expression: 'cron',
  cronExpression: 'cron',
  schedule: 'cron',
  timestamp: 'at',
  runAt: 'at',
  delay: 'at',
  last_date: 'endAt',
  lastDate: 'endAt',
  start_at: 'startAt',
  end_at: 'endAt',
  tz: 'timezone',
  max_attempts: 'maxAttempts',
  retries: 'maxAttempts',
  catch_up: 'catchUp',
  data: 'payload',
};

/** Which checks against "now" and the handler registry apply (all of them for a new job). */
interface Checks {
  /** `at` not in the past, `endAt` not in the past, at least one cron occurrence. */
  readonly times: boolean;
  /** `handlerExists`. */
  readonly handler: boolean;
}

type Spec = Readonly<Record<string, unknown>>;

/**
 * Validates a job spec and resolves it into a {@link JobDefinition}.
 *
 * Rules: exactly one of `at` (one-shot, not before `ctx.now`), `delay` (one-shot at `ctx.now`
 * plus a duration ≥ 0: `delay: 0` runs as soon as possible) and `cron` (with optional
 * `timezone` — default `'UTC'` —, `startAt`, `endAt` > `startAt`, `overlap`, `catchUp`,
 * `catchUpWindow`, and at least one occurrence in that window); exactly one of `handler` and
 * `webhook` (an absolute http(s) URL); `payload` JSON ≤ 1 MB; `maxAttempts` an integer 1–100;
 * `backoff` `{initialMs ≥ 0, factor ≥ 1, maxMs ≥ initialMs, jitter 0–1}`, merged over the
 * defaults; `timeout` a duration in (0, 24h]. Unknown fields are refused, so a typo never passes
 * silently. A field set to `undefined` counts as absent; `null` is only a value for `payload`.
 *
 * @param spec - The spec, treated as hostile: any value is accepted as input and checked.
 * @param ctx - Now, defaults, the id to use when the spec has none, and the optional checks.
 * @returns A new definition made of fresh plain values (nothing shared with `spec`).
 * @throws {@link ValidationError} naming the offending field; nothing else.
 */
export function normalizeJobSpec(spec: unknown, ctx: NormalizeContext): JobDefinition {
  return guard(() => normalize(withoutDelay(plainObjectField(spec, 'spec'), ctx.now), ctx, ctx.id, { times: true, handler: true }));
}

/**
 * `delay` is `at` relative to the proposer's now, resolved here so the definition (and the
 * replicated state) only ever holds the absolute time. Only a new job has it: an update moves a
 * one-shot job with `at`.
 */
function withoutDelay(spec: Spec, now: number): Spec {
  const delay = spec['delay'];
  if (delay === undefined) return spec;
  if (spec['at'] !== undefined) throw new ValidationError('CONFLICTING_FIELDS', 'delay', 'a job has either at or delay, not both');
  if (spec['cron'] !== undefined) {
    throw new ValidationError('CONFLICTING_FIELDS', 'delay', 'a job has either delay (one-shot) or cron (recurring), not both');
  }
  const ms = wholeDurationField(delay, 'delay', 0);
  if (ms > MAX_DELAY_MS) throw new ValidationError('INVALID_DURATION', 'delay', `must be at most ${MAX_DELAY_MS}ms (100 years)`);
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(spec)) if (key !== 'delay') copy[key] = spec[key];
  copy['at'] = now + ms;
  return copy;
}

/**
 * Applies a patch to an existing definition (for `scheduler.update(id, patch)`) and validates
 * the result with the rules of {@link normalizeJobSpec}.
 *
 * The patch has the fields of a job spec; absent (or `undefined`) fields keep their value.
 * `startAt: null` and `endAt: null` remove those bounds. Setting `handler` replaces a `webhook`
 * and vice versa. `backoff` is merged field by field over the current backoff. The kind cannot
 * change (`at` on a cron job, `cron` on a one-shot job: `CONFLICTING_FIELDS`), nor can the id.
 * Checks against now (`at`/`endAt` in the past, at least one occurrence) only run when the patch
 * touches the schedule, and the handler registry only when it sets `handler`, so an unrelated
 * change (say, the payload) never fails because time has passed.
 *
 * @param current - The job's current definition.
 * @param patch - The changes, treated as hostile input.
 * @param ctx - As for {@link normalizeJobSpec}; `ctx.id` is ignored.
 * @returns The new definition.
 * @throws {@link ValidationError} naming the offending field; nothing else.
 */
export function mergeJobUpdate(current: JobDefinition, patch: unknown, ctx: NormalizeContext): JobDefinition {
  return guard(() => {
    const p = plainObjectField(patch, 'patch');
    checkKeys(p);
    if (p['id'] !== undefined && p['id'] !== current.id) {
      throw new ValidationError('INVALID_FIELD', 'id', `cannot be changed (the job is ${JSON.stringify(current.id)})`);
    }
    if (current.kind === 'once' && p['cron'] !== undefined) {
      throw new ValidationError('CONFLICTING_FIELDS', 'cron', 'cannot turn a one-shot job into a cron job: create a new job');
    }
    if (current.kind === 'cron' && p['at'] !== undefined) {
      throw new ValidationError('CONFLICTING_FIELDS', 'at', 'cannot turn a cron job into a one-shot job: create a new job');
    }
    const merged: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    copyCurrent(current, merged);
    for (const key of Object.keys(p)) {
      const value = p[key];
      if (value === undefined || key === 'id') continue;
      if (value === null && (key === 'startAt' || key === 'endAt')) {
        delete merged[key];
      } else if (key === 'backoff') {
        merged['backoff'] = { ...current.backoff, ...plainObjectField(value, 'backoff') };
      } else {
        merged[key] = value;
      }
    }
    if (p['handler'] !== undefined && p['webhook'] === undefined) delete merged['webhook'];
    if (p['webhook'] !== undefined && p['handler'] === undefined) delete merged['handler'];
    const touches = (keys: readonly string[]): boolean => keys.some((k) => p[k] !== undefined);
    const def = normalize(merged, ctx, current.id, { times: touches(SCHEDULE_KEYS), handler: p['handler'] !== undefined });
    if (def.kind === 'cron') return def;
    // One-shot jobs cannot set the cron-only policies, so they keep what they were created with.
    return { ...def, overlap: current.overlap, catchUp: current.catchUp, catchUpWindowMs: current.catchUpWindowMs };
  });
}

/**
 * Validates a patch like {@link mergeJobUpdate} and returns only what it changes, normalised as
 * the state machine takes it: the {@link JobPatch} of an `updateJob` command, which `apply`
 * merges into the job as it stands then (so concurrent updates of different fields all hold).
 *
 * @param current - The job's current definition, as this node reads it (the checks run on it).
 * @param patch - The changes, treated as hostile input.
 * @param ctx - As for {@link mergeJobUpdate}.
 * @returns The changed fields: epoch ms, ms durations, `null` for a removed `startAt`/`endAt`,
 *   only the given `backoff` fields.
 * @throws {@link ValidationError} naming the offending field; nothing else.
 */
export function normalizeJobPatch(current: JobDefinition, patch: unknown, ctx: NormalizeContext): JobPatch {
  const def = mergeJobUpdate(current, patch, ctx);
  return guard(() => {
    const p = patch as Spec;
    const out: Record<string, unknown> = {};
    for (const [key, name] of PATCH_NAMES) {
      const value = p[key];
      if (value === undefined) continue;
      out[name] = value === null && (key === 'startAt' || key === 'endAt') ? null : def[name];
    }
    const backoff = p['backoff'];
    if (backoff !== undefined) {
      const given = backoff as Spec;
      const part: Record<string, number> = {};
      for (const key of ['initialMs', 'factor', 'maxMs', 'jitter'] as const) if (given[key] !== undefined) part[key] = def.backoff[key];
      out['backoff'] = part;
    }
    return out;
  });
}

/** Spec names of the patchable fields (backoff aside) and the definition names they become. */
const PATCH_NAMES: readonly (readonly [string, keyof JobDefinition & keyof JobPatch])[] = [
  ['at', 'at'],
  ['cron', 'cron'],
  ['timezone', 'timezone'],
  ['startAt', 'startAt'],
  ['endAt', 'endAt'],
  ['handler', 'handler'],
  ['webhook', 'webhook'],
  ['payload', 'payload'],
  ['maxAttempts', 'maxAttempts'],
  ['timeout', 'timeoutMs'],
  ['overlap', 'overlap'],
  ['catchUp', 'catchUp'],
  ['catchUpWindow', 'catchUpWindowMs'],
];

/** The current definition in spec form, so the merged result goes through the same checks. */
function copyCurrent(current: JobDefinition, out: Record<string, unknown>): void {
  if (current.at !== undefined) out['at'] = current.at;
  if (current.cron !== undefined) out['cron'] = current.cron;
  if (current.timezone !== undefined) out['timezone'] = current.timezone;
  if (current.startAt !== undefined) out['startAt'] = current.startAt;
  if (current.endAt !== undefined) out['endAt'] = current.endAt;
  if (current.handler !== undefined) out['handler'] = current.handler;
  if (current.webhook !== undefined) out['webhook'] = current.webhook;
  if (current.payload !== undefined) out['payload'] = current.payload;
  out['maxAttempts'] = current.maxAttempts;
  out['backoff'] = current.backoff;
  out['timeout'] = current.timeoutMs;
  if (current.kind === 'cron') {
    out['overlap'] = current.overlap;
    out['catchUp'] = current.catchUp;
    out['catchUpWindow'] = current.catchUpWindowMs;
  }
}

function normalize(spec: Spec, ctx: NormalizeContext, fallbackId: string, checks: Checks): JobDefinition {
  checkKeys(spec);
  const id = jobIdField(spec['id'] === undefined ? fallbackId : spec['id'], 'id');

  const at = spec['at'];
  const cron = spec['cron'];
  if (at !== undefined && cron !== undefined) {
    throw new ValidationError('CONFLICTING_FIELDS', 'cron', 'a job has either at (one-shot) or cron (recurring), not both');
  }
  if (at === undefined && cron === undefined) {
    throw new ValidationError('MISSING_FIELD', 'at', 'either at (one-shot time) or cron (recurring schedule) is required');
  }

  const out: Partial<Mutable<JobDefinition>> = { id };
  if (at !== undefined) {
    for (const key of CRON_ONLY_KEYS) {
      if (spec[key] !== undefined) throw new ValidationError('CONFLICTING_FIELDS', key, 'only applies to cron jobs (this job has at)');
    }
    out.kind = 'once';
    out.at = parseTime(at, 'at');
    if (checks.times && out.at < ctx.now) {
      throw new ValidationError(
        'TIME_IN_PAST',
        'at',
        `must be in the future: ${new Date(out.at).toISOString()} is before now (${new Date(ctx.now).toISOString()}); use delay: 0 to run as soon as possible`,
      );
    }
  } else {
    out.kind = 'cron';
    Object.assign(out, cronSchedule(spec, ctx, checks));
  }

  Object.assign(out, target(spec, ctx, checks));
  const payload = spec['payload'];
  if (payload !== undefined) out.payload = checkPayload(payload, 'payload');
  const d = ctx.defaults;
  out.maxAttempts = maxAttemptsField(spec['maxAttempts'], 'maxAttempts', d.maxAttempts);
  out.backoff = backoffField(spec['backoff'], 'backoff', d.backoff);
  out.timeoutMs = timeoutField(spec['timeout'], 'timeout', d.timeoutMs);
  out.overlap = overlapField(spec['overlap'], 'overlap', d.overlap);
  out.catchUp = catchUpField(spec['catchUp'], 'catchUp', d.catchUp);
  out.catchUpWindowMs = catchUpWindowField(spec['catchUpWindow'], 'catchUpWindow', d.catchUpWindowMs);
  return out as JobDefinition;
}

type CronFields = Pick<Mutable<JobDefinition>, 'cron' | 'timezone' | 'startAt' | 'endAt'>;

function cronSchedule(spec: Spec, ctx: NormalizeContext, checks: Checks): Partial<CronFields> {
  const raw = spec['cron'];
  if (typeof raw !== 'string') throw new ValidationError('INVALID_CRON', 'cron', `must be a cron expression string, got ${describe(raw)}`);
  if (raw.length > MAX_CRON_LENGTH) validateCron(raw, 'cron');
  // Whitespace is normalised so re-sending the same schedule spelled differently is still "identical".
  const expression = raw.trim().split(/\s+/).join(' ');
  validateCron(expression, 'cron');
  const zoneRaw = spec['timezone'];
  let timezone = 'UTC';
  if (zoneRaw !== undefined) {
    if (typeof zoneRaw !== 'string')
      throw new ValidationError('INVALID_TIMEZONE', 'timezone', `must be an IANA time zone name, got ${describe(zoneRaw)}`);
    validateTimezone(zoneRaw, 'timezone');
    timezone = zoneRaw;
  }
  const out: Partial<CronFields> = { cron: expression, timezone };
  const startAt = spec['startAt'] === undefined ? undefined : parseTime(spec['startAt'], 'startAt');
  const endAt = spec['endAt'] === undefined ? undefined : parseTime(spec['endAt'], 'endAt');
  if (startAt !== undefined) out.startAt = startAt;
  if (endAt !== undefined) {
    if (startAt !== undefined && endAt <= startAt) {
      throw new ValidationError('INVALID_FIELD', 'endAt', `must be after startAt (${new Date(startAt).toISOString()})`);
    }
    if (checks.times && endAt < ctx.now) {
      throw new ValidationError(
        'TIME_IN_PAST',
        'endAt',
        `is in the past: ${new Date(endAt).toISOString()} is before now (${new Date(ctx.now).toISOString()})`,
      );
    }
    out.endAt = endAt;
  }
  if (checks.times) {
    const from = Math.max(startAt ?? ctx.now, ctx.now);
    const first = nextOccurrence(expression, timezone, from, true);
    if (first === undefined || (endAt !== undefined && first > endAt)) {
      const window =
        endAt === undefined
          ? `after ${new Date(from).toISOString()}`
          : `between ${new Date(from).toISOString()} and endAt ${new Date(endAt).toISOString()}`;
      throw new ValidationError('INVALID_CRON', 'cron', `${JSON.stringify(expression)} has no occurrence ${window} in ${timezone}`);
    }
  }
  return out;
}

function target(spec: Spec, ctx: NormalizeContext, checks: Checks): Pick<Partial<JobDefinition>, 'handler' | 'webhook'> {
  const handlerRaw = spec['handler'];
  const webhook = spec['webhook'];
  if (handlerRaw !== undefined && webhook !== undefined) {
    throw new ValidationError('CONFLICTING_FIELDS', 'webhook', 'a job has either a handler or a webhook, not both');
  }
  if (handlerRaw === undefined && webhook === undefined) {
    throw new ValidationError(
      'MISSING_FIELD',
      'handler',
      'either handler (a registered handler name) or webhook (an http(s) URL) is required',
    );
  }
  if (handlerRaw !== undefined) {
    const handler = stringField(handlerRaw, 'handler');
    if (handler.length === 0 || handler.length > MAX_HANDLER_LENGTH) {
      throw new ValidationError('INVALID_FIELD', 'handler', `must be 1-${MAX_HANDLER_LENGTH} characters long`);
    }
    if (checks.handler && ctx.handlerExists !== undefined && !ctx.handlerExists(handler)) {
      throw new ValidationError(
        'UNKNOWN_HANDLER',
        'handler',
        `no handler named ${JSON.stringify(handler)} is registered (scheduler.handle(name, fn))`,
      );
    }
    return { handler };
  }
  return { webhook: webhookUrl(webhook, ctx.allowPrivateWebhooks === false) };
}

function webhookUrl(value: unknown, refusePrivate: boolean): string {
  if (typeof value !== 'string')
    throw new ValidationError('INVALID_URL', 'webhook', `must be an http(s) URL string, got ${describe(value)}`);
  if (value.length > MAX_URL_LENGTH) throw new ValidationError('INVALID_URL', 'webhook', `is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError('INVALID_URL', 'webhook', `is not an absolute URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError('INVALID_URL', 'webhook', `must use http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.hostname === '') throw new ValidationError('INVALID_URL', 'webhook', 'has no host');
  if (refusePrivate) {
    const host = url.hostname.toLowerCase();
    if (isPrivateAddress(host) || host === 'localhost' || host.endsWith('.localhost')) {
      throw new ValidationError(
        'PRIVATE_WEBHOOK_TARGET',
        'webhook',
        `${host} is a private, loopback, link-local or unspecified address; set the createScheduler option webhook: { allowPrivate: true } to use it`,
      );
    }
  }
  return value;
}

function checkKeys(spec: Spec): void {
  knownKeysField(spec, SPEC_KEYS, '', ALIASES);
}

/** Keeps the promise that only `ValidationError`s escape, whatever a hostile input (a throwing getter, a Proxy) does. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError('INVALID_FIELD', 'spec', `could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}
