import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mergeJobUpdate, normalizeJobPatch, normalizeJobSpec, type NormalizeContext } from '../../src/scheduler/validate.js';
import { DEFAULT_JOB_DEFAULTS } from '../../src/scheduler/limits.js';
import { ValidationError, type ValidationCode } from '../../src/scheduler/errors.js';
import type { JobDefinition } from '../../src/scheduler/state/commands.js';

const CREATED = Date.parse('2027-05-17T10:00:00Z');
const LATER_NOW = Date.parse('2027-06-20T10:00:00Z'); // after the one-shot's time and the cron job's end
const createCtx: NormalizeContext = { now: CREATED, defaults: DEFAULT_JOB_DEFAULTS, id: 'job-1' };
const ctx: NormalizeContext = { now: LATER_NOW, defaults: { ...DEFAULT_JOB_DEFAULTS, overlap: 'allow', maxAttempts: 9 }, id: 'ignored' };

const once: JobDefinition = normalizeJobSpec(
  { at: '2027-06-01T00:00:00Z', handler: 'report', payload: { v: 1 }, backoff: { factor: 3 }, maxAttempts: 5 },
  createCtx,
);
const cron: JobDefinition = normalizeJobSpec(
  {
    id: 'cron-1',
    cron: '0 9 * * *',
    timezone: 'Europe/Madrid',
    endAt: '2027-06-10T00:00:00Z',
    webhook: 'https://example.com/a',
    overlap: 'queue-one',
    catchUp: 'skip',
  },
  createCtx,
);

function fails(current: JobDefinition, patch: unknown, code: ValidationCode, field: string, context: Partial<NormalizeContext> = {}): void {
  assert.throws(
    () => mergeJobUpdate(current, patch, { ...ctx, ...context }),
    (err: unknown) => err instanceof ValidationError && err.code === code && err.field === field,
  );
}

describe('mergeJobUpdate', () => {
  test('an empty patch gives back the same definition', () => {
    assert.deepEqual(mergeJobUpdate(once, {}, ctx), once);
    assert.deepEqual(mergeJobUpdate(cron, {}, ctx), cron);
    assert.deepEqual(mergeJobUpdate(cron, { payload: undefined, id: 'cron-1' }, ctx), cron);
  });

  test('changing the payload keeps everything else, even when the schedule is already past', () => {
    const next = mergeJobUpdate(once, { payload: { v: 2 } }, ctx);
    assert.deepEqual(next, { ...once, payload: { v: 2 } });
    assert.deepEqual(Object.keys(next), Object.keys(once));
    assert.deepEqual(mergeJobUpdate(cron, { payload: [1] }, ctx), { ...cron, payload: [1] });
    assert.equal(mergeJobUpdate(once, { payload: null }, ctx).payload, null);
  });

  test('one-shot jobs keep the policies they were created with, not the current defaults', () => {
    const next = mergeJobUpdate(once, { maxAttempts: 2 }, ctx);
    assert.equal(next.maxAttempts, 2);
    assert.equal(next.overlap, once.overlap);
    assert.equal(next.catchUpWindowMs, once.catchUpWindowMs);
  });

  test('backoff merges field by field over the current backoff', () => {
    assert.deepEqual(mergeJobUpdate(once, { backoff: { jitter: 0 } }, ctx).backoff, { ...once.backoff, jitter: 0 });
    fails(once, { backoff: { factor: 0 } }, 'INVALID_FIELD', 'backoff.factor');
    fails(once, { backoff: 'slow' }, 'INVALID_FIELD', 'backoff');
  });

  test('changing the schedule re-runs the time checks', () => {
    const at = Date.parse('2027-07-01T00:00:00Z');
    assert.equal(mergeJobUpdate(once, { at }, ctx).at, at);
    fails(once, { at: '2027-06-01T00:00:00Z' }, 'TIME_IN_PAST', 'at');
    const moved = mergeJobUpdate(cron, { cron: '30 8 * * 1-5', endAt: null }, ctx);
    assert.equal(moved.cron, '30 8 * * 1-5');
    assert.equal('endAt' in moved, false);
    assert.equal(moved.overlap, 'queue-one', 'cron policies are kept too');
    fails(cron, { timezone: 'America/New_York' }, 'TIME_IN_PAST', 'endAt'); // the kept endAt is now past
    assert.equal(mergeJobUpdate(cron, { timezone: 'America/New_York', endAt: null }, ctx).timezone, 'America/New_York');
    fails(cron, { cron: '0 0 30 2 *', endAt: null }, 'INVALID_CRON', 'cron');
    fails(cron, { startAt: '2027-06-05T00:00:00Z', endAt: '2027-06-04T00:00:00Z' }, 'INVALID_FIELD', 'endAt');
  });

  test('startAt: null removes the bound', () => {
    const withStart = mergeJobUpdate(cron, { startAt: '2027-06-25T00:00:00Z', endAt: null }, ctx);
    assert.equal(withStart.startAt, Date.parse('2027-06-25T00:00:00Z'));
    assert.equal('startAt' in mergeJobUpdate(withStart, { startAt: null }, ctx), false);
    fails(cron, { timezone: null }, 'INVALID_TIMEZONE', 'timezone');
  });

  test('handler and webhook replace each other', () => {
    const toWebhook = mergeJobUpdate(once, { webhook: 'https://example.com/b' }, ctx);
    assert.equal(toWebhook.webhook, 'https://example.com/b');
    assert.equal('handler' in toWebhook, false);
    const toHandler = mergeJobUpdate(cron, { handler: 'local' }, ctx);
    assert.equal(toHandler.handler, 'local');
    assert.equal('webhook' in toHandler, false);
    fails(once, { handler: 'x', webhook: 'https://example.com' }, 'CONFLICTING_FIELDS', 'webhook');
    fails(once, { webhook: 'http://10.0.0.1/' }, 'PRIVATE_WEBHOOK_TARGET', 'webhook', { allowPrivateWebhooks: false });
  });

  test('the handler registry is consulted only for a new handler', () => {
    const handlerExists = (name: string): boolean => name === 'known';
    assert.deepEqual(mergeJobUpdate(once, { payload: 1 }, { ...ctx, handlerExists }).handler, 'report');
    fails(once, { handler: 'missing' }, 'UNKNOWN_HANDLER', 'handler', { handlerExists });
    assert.equal(mergeJobUpdate(once, { handler: 'known' }, { ...ctx, handlerExists }).handler, 'known');
  });

  test('the id and the kind cannot change', () => {
    fails(once, { id: 'other' }, 'INVALID_FIELD', 'id');
    fails(once, { cron: '@daily' }, 'CONFLICTING_FIELDS', 'cron');
    fails(cron, { at: '2027-07-01T00:00:00Z' }, 'CONFLICTING_FIELDS', 'at');
    fails(once, { timezone: 'UTC' }, 'CONFLICTING_FIELDS', 'timezone');
  });

  test('hostile patches', () => {
    for (const patch of [null, undefined, 'x', 5, [], new Date()]) fails(once, patch, 'INVALID_FIELD', 'patch');
    fails(once, { payloda: 1 }, 'INVALID_FIELD', 'payloda');
    fails(once, JSON.parse('{"__proto__":{"handler":"evil"}}'), 'INVALID_FIELD', '__proto__');
    fails(once, JSON.parse('{"backoff":{"__proto__":{"factor":0}}}'), 'INVALID_FIELD', 'backoff.__proto__');
    fails(once, { maxAttempts: Number.NaN }, 'INVALID_FIELD', 'maxAttempts');
    assert.throws(
      () =>
        mergeJobUpdate(
          once,
          {
            get payload(): never {
              throw new Error('boom');
            },
          },
          ctx,
        ),
      (err: unknown) => err instanceof ValidationError,
    );
    assert.equal(({} as Record<string, unknown>)['handler'], undefined);
  });
});

describe('normalizeJobPatch', () => {
  test('only the given fields, normalised as the definition names them', () => {
    assert.deepEqual(normalizeJobPatch(once, {}, ctx), {});
    assert.deepEqual(normalizeJobPatch(once, { payload: { v: 2 }, timeout: '9s', backoff: { initialMs: 50 } }, ctx), {
      payload: { v: 2 },
      timeoutMs: 9000,
      backoff: { initialMs: 50 },
    });
    assert.deepEqual(
      normalizeJobPatch(cron, { cron: '  0  10 * * * ', endAt: null, catchUpWindow: '2m', handler: 'report' }, { ...ctx, now: CREATED }),
      {
        cron: '0 10 * * *',
        endAt: null,
        catchUpWindowMs: 120_000,
        handler: 'report',
      },
    );
  });

  test('the checks of mergeJobUpdate apply', () => {
    assert.throws(
      () => normalizeJobPatch(once, { at: '2027-01-01T00:00:00Z' }, ctx),
      (err: unknown) => err instanceof ValidationError && err.code === 'TIME_IN_PAST' && err.field === 'at',
    );
    assert.throws(
      () => normalizeJobPatch(cron, { at: LATER_NOW + 1 }, ctx),
      (err: unknown) => err instanceof ValidationError && err.code === 'CONFLICTING_FIELDS' && err.field === 'at',
    );
  });
});
