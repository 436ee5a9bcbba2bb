/**
 * Checks of the arguments of the `Scheduler` methods other than job specs: ids, read and list
 * options, cancel reasons, handler and event names. Each runs first in its method, before
 * anything is read or proposed, so a hostile argument is a {@link ValidationError} naming it
 * and nothing is half-done. Job specs and patches are checked by validate.ts.
 */
import { ValidationError } from './errors.js';
import type { SchedulerEventName } from './events.js';
import { booleanField, clip, integerField, jobIdField, knownKeysField, numberField, oneOfField, plainObjectField } from './fields.js';
import { MAX_CANCEL_REASON_LENGTH, MAX_HANDLER_LENGTH } from './limits.js';
import type { HealthOptions, ListOptions } from './types.js';
import { JOB_STATUSES } from './vocabulary.js';
import { describe } from '../util/describe.js';
import { closestName } from '../util/suggest.js';
import { fnv1a } from '../util/hash.js';

const READ_KEYS: readonly string[] = ['consistent'];
const LIST_KEYS: readonly string[] = ['consistent', 'status', 'limit', 'cursor'];
const HEALTH_KEYS: readonly string[] = ['failureThreshold'];

/** Every event name, so that `on('job:create', ...)` fails instead of never firing. */
const EVENT_NAMES: { readonly [K in SchedulerEventName]: true } = {
  'execution:started': true,
  'execution:completed': true,
  'execution:failed': true,
  'execution:retrying': true,
  'execution:timeout': true,
  'execution:cancelled': true,
  'occurrence:skipped': true,
  'occurrence:missed': true,
  'job:created': true,
  'job:updated': true,
  'job:cancelled': true,
  'job:paused': true,
  'job:resumed': true,
  'job:deleted': true,
  'leader:changed': true,
  error: true,
};

/** A job id argument. @throws {@link ValidationError} `INVALID_FIELD` on `id`. */
export function checkJobId(id: unknown): void {
  jobIdField(id, 'id');
}

/** `{ consistent? }` or `undefined`. @throws {@link ValidationError} naming the option. */
export function checkReadOptions(options: unknown): void {
  if (options === undefined) return;
  const given = plainObjectField(options, 'options');
  knownKeysField(given, READ_KEYS, 'options');
  booleanField(given['consistent'], 'options.consistent', false);
}

/**
 * The options of `list` and `page`: `status` one of the job statuses, `limit` an integer from 1
 * to `maxLimit`, `cursor` one that `page` issued.
 *
 * @returns The options checked, with `limit` defaulted to `defaultLimit`.
 * @throws {@link ValidationError} naming the option (`status`, `limit`, `cursor`, ...).
 */
export function checkListOptions(options: unknown, defaultLimit: number, maxLimit: number): ListOptions & { readonly limit: number } {
  if (options === undefined) return { limit: defaultLimit };
  const given = plainObjectField(options, 'options');
  knownKeysField(given, LIST_KEYS, '');
  const consistent = booleanField(given['consistent'], 'consistent', false);
  const limit = integerField(given['limit'], 'limit', defaultLimit, 1, maxLimit);
  const status = given['status'] === undefined ? undefined : oneOfField(given['status'], 'status', 'pending', JOB_STATUSES);
  const cursor = given['cursor'] === undefined ? undefined : decodeCursor(given['cursor']);
  return { consistent, limit, ...(status !== undefined && { status }), ...(cursor !== undefined && { cursor }) };
}

/** A cancel reason: `undefined` or a string of at most {@link MAX_CANCEL_REASON_LENGTH} characters. */
export function checkCancelReason(reason: unknown): void {
  if (reason === undefined) return;
  if (typeof reason !== 'string') throw new ValidationError('INVALID_FIELD', 'reason', `must be a string, got ${describe(reason)}`);
  if (reason.length > MAX_CANCEL_REASON_LENGTH) {
    throw new ValidationError('INVALID_FIELD', 'reason', `must be at most ${MAX_CANCEL_REASON_LENGTH} characters, got ${reason.length}`);
  }
}

/** A handler name: 1 to {@link MAX_HANDLER_LENGTH} characters, as a job's `handler` field may be. */
export function checkHandlerName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_HANDLER_LENGTH) {
    const got = typeof name === 'string' ? `${name.length} characters` : describe(name);
    throw new ValidationError('INVALID_FIELD', 'name', `must be a string of 1-${MAX_HANDLER_LENGTH} characters, got ${got}`);
  }
}

/** A function argument (a handler, a listener). */
export function checkFunction(value: unknown, field: string): void {
  if (typeof value !== 'function') throw new ValidationError('INVALID_FIELD', field, `must be a function, got ${describe(value)}`);
}

/** An event name of `SchedulerEvents`. */
export function checkEventName(event: unknown): void {
  if (typeof event === 'string' && Object.prototype.hasOwnProperty.call(EVENT_NAMES, event)) return;
  const meant = typeof event === 'string' ? closestName(event, Object.keys(EVENT_NAMES)) : undefined;
  const hint = meant === undefined ? '' : ` (did you mean ${JSON.stringify(meant)}?)`;
  const got = typeof event === 'string' ? JSON.stringify(clip(event)) : describe(event);
  throw new ValidationError('INVALID_FIELD', 'event', `must be a scheduler event name such as "job:created", got ${got}${hint}`);
}

/** `{ failureThreshold? }` (a number from 0 to 1) or `undefined`. */
export function checkHealthOptions(options: unknown): HealthOptions {
  if (options === undefined) return {};
  const given = plainObjectField(options, 'options');
  knownKeysField(given, HEALTH_KEYS, 'options');
  const threshold = given['failureThreshold'];
  return threshold === undefined ? {} : { failureThreshold: numberField(threshold, 'options.failureThreshold', 0, 0, 1) };
}

/**
 * Cursors handed out by `page` carry a check of the state's position, so a cursor that was
 * never issued (`'garbage'`, a truncated copy) is refused instead of silently giving an empty page.
 */
export function encodeCursor(position: string): string {
  return `${position}.${check(position)}`;
}

function decodeCursor(cursor: unknown): string {
  if (typeof cursor === 'string' && cursor.length <= 32) {
    const dot = cursor.lastIndexOf('.');
    const position = cursor.slice(0, dot);
    if (dot > 0 && cursor.slice(dot + 1) === check(position)) return position;
  }
  throw new ValidationError('INVALID_FIELD', 'cursor', 'is not a cursor this scheduler issued (pass back nextCursor of a page)');
}

/** FNV-1a of the position, 6 base-36 digits: catches garbage and truncation, not forgery (none is needed). */
function check(text: string): string {
  return (fnv1a(text) % 36 ** 6).toString(36).padStart(6, '0');
}
