import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeJobSpec, type NormalizeContext } from '../../src/scheduler/validate.js';
import { DEFAULT_JOB_DEFAULTS } from '../../src/scheduler/limits.js';
import { ValidationError, type ValidationCode } from '../../src/scheduler/errors.js';

const NOW = Date.parse('2027-05-17T10:00:00Z');
const ctx: NormalizeContext = { now: NOW, defaults: DEFAULT_JOB_DEFAULTS, id: 'generated-1' };
const LATER = '2027-05-18T09:00:00Z';

function fails(spec: unknown, code: ValidationCode, field: string, context: Partial<NormalizeContext> = {}): ValidationError {
  try {
    normalizeJobSpec(spec, { ...ctx, ...context });
  } catch (err) {
    assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(spec)}`);
}

describe('normalizeJobSpec: one-shot jobs', () => {
  test('a minimal spec gets the id from ctx and every default, and nothing undefined', () => {
    const def = normalizeJobSpec({ at: LATER, handler: 'send-report' }, ctx);
    assert.deepEqual(def, {
      id: 'generated-1',
      kind: 'once',
      at: Date.parse(LATER),
      handler: 'send-report',
      maxAttempts: 3,
      backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0.2 },
      timeoutMs: 300_000,
      overlap: 'skip',
      catchUp: 'fire-once',
      catchUpWindowMs: 3_600_000,
    });
    assert.deepEqual(Object.keys(def), [
      'id',
      'kind',
      'at',
      'handler',
      'maxAttempts',
      'backoff',
      'timeoutMs',
      'overlap',
      'catchUp',
      'catchUpWindowMs',
    ]);
    assert.notEqual(def.backoff, DEFAULT_JOB_DEFAULTS.backoff, 'backoff is a fresh object, not the shared default');
  });

  test('at as Date, epoch ms, ISO string or "YYYY-MM-DD HH:MM:SS" (UTC)', () => {
    const t = Date.parse(LATER);
    for (const at of [new Date(t), t, LATER, '2027-05-18T11:00:00+02:00', '2027-05-18 09:00:00']) {
      assert.equal(normalizeJobSpec({ at, handler: 'h' }, ctx).at, t);
    }
  });

  test('at must not be before now; now itself is accepted', () => {
    const err = fails({ at: NOW - 1, handler: 'h' }, 'TIME_IN_PAST', 'at');
    assert.match(err.message, /must be in the future/);
    assert.equal(normalizeJobSpec({ at: NOW, handler: 'h' }, ctx).at, NOW);
    fails({ at: 'soon', handler: 'h' }, 'INVALID_TIME', 'at');
  });

  test('cron-only fields are refused on a one-shot job', () => {
    for (const [key, value] of [
      ['timezone', 'UTC'],
      ['startAt', LATER],
      ['endAt', LATER],
      ['overlap', 'skip'],
      ['catchUp', 'skip'],
      ['catchUpWindow', '1h'],
    ] as const) {
      fails({ at: LATER, handler: 'h', [key]: value }, 'CONFLICTING_FIELDS', key);
    }
  });

  test('a caller-chosen id is validated and kept', () => {
    assert.equal(normalizeJobSpec({ id: 'nightly:report-1', at: LATER, handler: 'h' }, ctx).id, 'nightly:report-1');
    fails({ id: 'a b', at: LATER, handler: 'h' }, 'INVALID_FIELD', 'id');
    fails({ id: 'x@1#2', at: LATER, handler: 'h' }, 'INVALID_FIELD', 'id');
    fails({ id: null, at: LATER, handler: 'h' }, 'INVALID_FIELD', 'id');
    fails({ id: '', at: LATER, handler: 'h' }, 'INVALID_FIELD', 'id');
  });
});

describe('normalizeJobSpec: cron jobs', () => {
  test('a minimal cron spec defaults the zone to UTC and omits the bounds', () => {
    const def = normalizeJobSpec({ cron: '0 9 * * 1-5', webhook: 'https://example.com/hook' }, ctx);
    assert.deepEqual(def, {
      id: 'generated-1',
      kind: 'cron',
      cron: '0 9 * * 1-5',
      timezone: 'UTC',
      webhook: 'https://example.com/hook',
      maxAttempts: 3,
      backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0.2 },
      timeoutMs: 300_000,
      overlap: 'skip',
      catchUp: 'fire-once',
      catchUpWindowMs: 3_600_000,
    });
  });

  test('all cron options', () => {
    const def = normalizeJobSpec(
      {
        cron: '  0   9 * * MON ',
        timezone: 'Europe/Madrid',
        startAt: '2027-06-01T00:00:00Z',
        endAt: new Date('2027-12-31T23:59:59Z'),
        overlap: 'queue-one',
        catchUp: 'fire-all',
        catchUpWindow: '2h',
        handler: 'h',
      },
      ctx,
    );
    assert.equal(def.cron, '0 9 * * MON', 'whitespace is normalised');
    assert.equal(def.timezone, 'Europe/Madrid');
    assert.equal(def.startAt, Date.parse('2027-06-01T00:00:00Z'));
    assert.equal(def.endAt, Date.parse('2027-12-31T23:59:59Z'));
    assert.equal(def.overlap, 'queue-one');
    assert.equal(def.catchUp, 'fire-all');
    assert.equal(def.catchUpWindowMs, 7_200_000);
    assert.deepEqual(Object.keys(def), [
      'id',
      'kind',
      'cron',
      'timezone',
      'startAt',
      'endAt',
      'handler',
      'maxAttempts',
      'backoff',
      'timeoutMs',
      'overlap',
      'catchUp',
      'catchUpWindowMs',
    ]);
  });

  test('a startAt in the past is allowed (it means "from now")', () => {
    assert.equal(
      normalizeJobSpec({ cron: '@daily', startAt: '2020-01-01', handler: 'h' }, ctx).startAt,
      Date.parse('2020-01-01T00:00:00Z'),
    );
  });

  test('bad expressions and zones name their field', () => {
    assert.match(fails({ cron: '* * * *', handler: 'h' }, 'INVALID_CRON', 'cron').message, /expected 5 fields/);
    fails({ cron: '0 0 0 1 1 * 2030', handler: 'h' }, 'INVALID_CRON', 'cron');
    fails({ cron: '', handler: 'h' }, 'INVALID_CRON', 'cron');
    fails({ cron: 5, handler: 'h' }, 'INVALID_CRON', 'cron');
    fails({ cron: '@daily', timezone: 'Mars/Olympus', handler: 'h' }, 'INVALID_TIMEZONE', 'timezone');
    fails({ cron: '@daily', timezone: 2, handler: 'h' }, 'INVALID_TIMEZONE', 'timezone');
  });

  test('endAt must be after startAt and not in the past', () => {
    fails({ cron: '@daily', startAt: LATER, endAt: LATER, handler: 'h' }, 'INVALID_FIELD', 'endAt');
    fails({ cron: '@daily', startAt: LATER, endAt: '2027-05-18T00:00:00Z', handler: 'h' }, 'INVALID_FIELD', 'endAt');
    fails({ cron: '@daily', endAt: NOW - 1000, handler: 'h' }, 'TIME_IN_PAST', 'endAt');
  });

  test('a schedule must have at least one occurrence', () => {
    assert.match(fails({ cron: '0 0 30 2 *', handler: 'h' }, 'INVALID_CRON', 'cron').message, /has no occurrence/);
    assert.match(
      fails({ cron: '0 0 1 1 *', endAt: '2027-12-31T00:00:00Z', handler: 'h' }, 'INVALID_CRON', 'cron').message,
      /has no occurrence between .* and endAt/,
    );
    // The first occurrence counts from startAt when that is later than now.
    fails({ cron: '0 9 18 5 *', startAt: '2027-05-19T00:00:00Z', endAt: '2027-12-31T00:00:00Z', handler: 'h' }, 'INVALID_CRON', 'cron');
    // An occurrence exactly at endAt is inside the window.
    assert.equal(normalizeJobSpec({ cron: '0 9 18 5 *', endAt: LATER, handler: 'h' }, ctx).endAt, Date.parse(LATER));
  });
});

describe('normalizeJobSpec: schedule and target are each exactly one of two', () => {
  test('at xor cron', () => {
    fails({ at: LATER, cron: '@daily', handler: 'h' }, 'CONFLICTING_FIELDS', 'cron');
    fails({ handler: 'h' }, 'MISSING_FIELD', 'at');
    fails({ at: undefined, cron: undefined, handler: 'h' }, 'MISSING_FIELD', 'at');
  });

  test('handler xor webhook', () => {
    fails({ at: LATER, handler: 'h', webhook: 'https://example.com' }, 'CONFLICTING_FIELDS', 'webhook');
    fails({ at: LATER }, 'MISSING_FIELD', 'handler');
    fails({ at: LATER, handler: '' }, 'INVALID_FIELD', 'handler');
    fails({ at: LATER, handler: 7 }, 'INVALID_FIELD', 'handler');
    fails({ at: LATER, handler: 'x'.repeat(201) }, 'INVALID_FIELD', 'handler');
  });

  test('UNKNOWN_HANDLER only when a registry is given and says no', () => {
    const handlerExists = (name: string): boolean => name === 'known';
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'known' }, { ...ctx, handlerExists }).handler, 'known');
    fails({ at: LATER, handler: 'unknown' }, 'UNKNOWN_HANDLER', 'handler', { handlerExists });
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'unknown' }, ctx).handler, 'unknown');
  });
});

describe('normalizeJobSpec: webhooks', () => {
  test('absolute http(s) URLs only', () => {
    assert.equal(normalizeJobSpec({ at: LATER, webhook: 'http://example.com:8080/a?b=c' }, ctx).webhook, 'http://example.com:8080/a?b=c');
    for (const url of [
      'example.com/hook',
      '/hook',
      'ftp://example.com/x',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'http://',
      'https://exa mple.com',
      '',
      `https://example.com/${'a'.repeat(3000)}`,
    ]) {
      fails({ at: LATER, webhook: url }, 'INVALID_URL', 'webhook');
    }
    fails({ at: LATER, webhook: { href: 'https://example.com' } }, 'INVALID_URL', 'webhook');
  });

  test('literal private targets are refused when allowPrivateWebhooks is false', () => {
    const refuse = { allowPrivateWebhooks: false };
    for (const url of [
      'http://127.0.0.1/x',
      'http://10.1.2.3/',
      'http://192.168.0.10:8080/',
      'http://172.20.0.5/',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:0:127.0.0.1]/',
      'http://[2002:a9fe:a9fe::1]/',
      'http://[64:ff9b::10.0.0.1]/',
      'http://0x7f.1/',
      'http://2130706433/',
      'http://localhost:3000/',
      'http://api.localhost/',
    ]) {
      const err = fails({ at: LATER, webhook: url }, 'PRIVATE_WEBHOOK_TARGET', 'webhook', refuse);
      // The message names the option that allows it, as users spell it.
      assert.match(err.message, /webhook: \{ allowPrivate: true \}/);
    }
    for (const url of ['https://example.com/hook', 'http://8.8.8.8/', 'http://[2606:4700:4700::1111]/', 'http://intranet.example/']) {
      assert.equal(normalizeJobSpec({ at: LATER, webhook: url }, { ...ctx, ...refuse }).webhook, url);
    }
  });

  test('private targets pass when allowPrivateWebhooks is true or not given', () => {
    for (const allowPrivateWebhooks of [true, undefined]) {
      const def = normalizeJobSpec(
        { at: LATER, webhook: 'http://127.0.0.1:9000/hook' },
        allowPrivateWebhooks === undefined ? ctx : { ...ctx, allowPrivateWebhooks },
      );
      assert.equal(def.webhook, 'http://127.0.0.1:9000/hook');
    }
  });
});

describe('normalizeJobSpec: payload', () => {
  test('any JSON value, copied so later mutation of the input cannot reach the state', () => {
    for (const payload of [{ a: 1, b: [true, null, 'x', { c: 2.5 }] }, [1, 2, 3], 'text', 42, false, null, {}]) {
      assert.deepEqual(normalizeJobSpec({ at: LATER, handler: 'h', payload }, ctx).payload, payload);
    }
    const input = { nested: { list: [1] } };
    const def = normalizeJobSpec({ at: LATER, handler: 'h', payload: input }, ctx);
    input.nested.list.push(2);
    assert.deepEqual(def.payload, { nested: { list: [1] } });
  });

  test('null is a payload value, undefined means no payload', () => {
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'h', payload: null }, ctx).payload, null);
    assert.equal('payload' in normalizeJobSpec({ at: LATER, handler: 'h', payload: undefined }, ctx), false);
  });

  test('at most 1 MB serialized', () => {
    const big = 'x'.repeat(1024 * 1024 - 2); // with its quotes: exactly 1 MB
    assert.equal((normalizeJobSpec({ at: LATER, handler: 'h', payload: big }, ctx).payload as string).length, big.length);
    const err = fails({ at: LATER, handler: 'h', payload: `${big}x` }, 'INVALID_FIELD', 'payload');
    assert.match(err.message, /1 MB/);
    fails({ at: LATER, handler: 'h', payload: { a: 'é'.repeat(600_000) } }, 'INVALID_FIELD', 'payload'); // 1.2 MB in UTF-8
    fails({ at: LATER, handler: 'h', payload: Array.from({ length: 300_000 }, () => 1234) }, 'INVALID_FIELD', 'payload');
  });

  test('values that do not survive a JSON round trip name their path', () => {
    fails({ at: LATER, handler: 'h', payload: { a: { b: [1, Number.NaN] } } }, 'INVALID_FIELD', 'payload.a.b.1');
    fails({ at: LATER, handler: 'h', payload: { when: new Date() } }, 'INVALID_FIELD', 'payload.when');
    fails({ at: LATER, handler: 'h', payload: { f: () => 1 } }, 'INVALID_FIELD', 'payload.f');
    fails({ at: LATER, handler: 'h', payload: { u: undefined } }, 'INVALID_FIELD', 'payload.u');
    fails({ at: LATER, handler: 'h', payload: [undefined] }, 'INVALID_FIELD', 'payload.0');
    fails({ at: LATER, handler: 'h', payload: new Map([['a', 1]]) }, 'INVALID_FIELD', 'payload');
    fails({ at: LATER, handler: 'h', payload: { big: 10n } }, 'INVALID_FIELD', 'payload.big');
  });
});

describe('normalizeJobSpec: retry options', () => {
  test('maxAttempts is an integer from 1 to 100', () => {
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'h', maxAttempts: 1 }, ctx).maxAttempts, 1);
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'h', maxAttempts: 100 }, ctx).maxAttempts, 100);
    for (const maxAttempts of [0, 101, 1.5, -3, '3', Number.NaN, Number.POSITIVE_INFINITY, null, [3]]) {
      fails({ at: LATER, handler: 'h', maxAttempts }, 'INVALID_FIELD', 'maxAttempts');
    }
  });

  test('backoff is merged over the defaults and checked field by field', () => {
    assert.deepEqual(normalizeJobSpec({ at: LATER, handler: 'h', backoff: { factor: 3 } }, ctx).backoff, {
      initialMs: 1000,
      factor: 3,
      maxMs: 300_000,
      jitter: 0.2,
    });
    assert.deepEqual(normalizeJobSpec({ at: LATER, handler: 'h', backoff: { initialMs: '2s', maxMs: '1m', jitter: 0 } }, ctx).backoff, {
      initialMs: 2000,
      factor: 2,
      maxMs: 60_000,
      jitter: 0,
    });
    fails({ at: LATER, handler: 'h', backoff: { factor: 0.5 } }, 'INVALID_FIELD', 'backoff.factor');
    fails({ at: LATER, handler: 'h', backoff: { factor: Number.POSITIVE_INFINITY } }, 'INVALID_FIELD', 'backoff.factor');
    fails({ at: LATER, handler: 'h', backoff: { jitter: 1.5 } }, 'INVALID_FIELD', 'backoff.jitter');
    fails({ at: LATER, handler: 'h', backoff: { jitter: Number.NaN } }, 'INVALID_FIELD', 'backoff.jitter');
    fails({ at: LATER, handler: 'h', backoff: { initialMs: -1 } }, 'INVALID_DURATION', 'backoff.initialMs');
    fails({ at: LATER, handler: 'h', backoff: { initialMs: 10_000, maxMs: 5_000 } }, 'INVALID_FIELD', 'backoff.maxMs');
    fails({ at: LATER, handler: 'h', backoff: { initialMs: '10m' } }, 'INVALID_FIELD', 'backoff.initialMs');
    fails({ at: LATER, handler: 'h', backoff: { factr: 2 } }, 'INVALID_FIELD', 'backoff.factr');
    fails({ at: LATER, handler: 'h', backoff: 'fast' }, 'INVALID_FIELD', 'backoff');
    fails({ at: LATER, handler: 'h', backoff: [1000] }, 'INVALID_FIELD', 'backoff');
  });

  test('timeout is a duration in (0, 24h]', () => {
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'h', timeout: '30s' }, ctx).timeoutMs, 30_000);
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'h', timeout: 1500 }, ctx).timeoutMs, 1500);
    assert.equal(normalizeJobSpec({ at: LATER, handler: 'h', timeout: '24h' }, ctx).timeoutMs, 86_400_000);
    for (const timeout of [0, '0s', '24h1ms', '25h', -5, 'soon', Number.NaN, {}, 1.5]) {
      fails({ at: LATER, handler: 'h', timeout }, 'INVALID_DURATION', 'timeout');
    }
  });

  test('overlap, catchUp and catchUpWindow', () => {
    for (const overlap of ['skip', 'allow', 'queue-one'] as const) {
      assert.equal(normalizeJobSpec({ cron: '@hourly', handler: 'h', overlap }, ctx).overlap, overlap);
    }
    for (const catchUp of ['fire-once', 'fire-all', 'skip'] as const) {
      assert.equal(normalizeJobSpec({ cron: '@hourly', handler: 'h', catchUp }, ctx).catchUp, catchUp);
    }
    fails({ cron: '@hourly', handler: 'h', overlap: 'queue' }, 'INVALID_FIELD', 'overlap');
    fails({ cron: '@hourly', handler: 'h', overlap: 'SKIP' }, 'INVALID_FIELD', 'overlap');
    fails({ cron: '@hourly', handler: 'h', catchUp: true }, 'INVALID_FIELD', 'catchUp');
    fails({ cron: '@hourly', handler: 'h', catchUpWindow: '1 hour' }, 'INVALID_DURATION', 'catchUpWindow');
    assert.equal(normalizeJobSpec({ cron: '@hourly', handler: 'h', catchUpWindow: 0 }, ctx).catchUpWindowMs, 0);
  });

  test('ctx.defaults are used for what the spec leaves out', () => {
    const defaults = { ...DEFAULT_JOB_DEFAULTS, maxAttempts: 7, timeoutMs: 1000, overlap: 'allow' as const, catchUpWindowMs: 5 };
    const def = normalizeJobSpec({ cron: '@hourly', handler: 'h' }, { ...ctx, defaults });
    assert.equal(def.maxAttempts, 7);
    assert.equal(def.timeoutMs, 1000);
    assert.equal(def.overlap, 'allow');
    assert.equal(def.catchUpWindowMs, 5);
  });
});

describe('normalizeJobSpec: unknown fields', () => {
  test('are refused by name, with a hint for typos and HTTP-style names', () => {
    assert.match(fails({ cron: '@daily', timezon: 'UTC', handler: 'h' }, 'INVALID_FIELD', 'timezon').message, /did you mean "timezone"/);
    assert.match(
      fails({ cron: '@daily', webhook_url: 'https://example.com' }, 'INVALID_FIELD', 'webhook_url').message,
      /did you mean "webhook"/,
    );
    assert.match(fails({ type: 'unico', at: LATER, handler: 'h' }, 'INVALID_FIELD', 'type').message, /unknown field "type"/);
    const err = fails({ at: LATER, handler: 'h', foo: 1, bar: 2 }, 'INVALID_FIELD', 'foo');
    assert.match(err.message, /"foo".*"bar"/);
  });

  test('the same spec always gives the same definition', () => {
    const spec = { cron: '*/5 * * * *', timezone: 'America/New_York', handler: 'h', payload: { b: 1, a: [2] }, backoff: { jitter: 0.1 } };
    assert.equal(JSON.stringify(normalizeJobSpec(spec, ctx)), JSON.stringify(normalizeJobSpec(structuredClone(spec), ctx)));
  });
});
