/**
 * normalizeJobSpec treats its input as hostile: whatever arrives (any JSON, or any JavaScript
 * value from an embedding app), the only possible outcomes are a clean definition or a
 * ValidationError naming a field — never another exception, a hang, or a polluted prototype.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeJobSpec, type NormalizeContext } from '../../src/scheduler/validate.js';
import { DEFAULT_JOB_DEFAULTS } from '../../src/scheduler/limits.js';
import { ValidationError } from '../../src/scheduler/errors.js';

const NOW = Date.parse('2027-05-17T10:00:00Z');
const ctx: NormalizeContext = { now: NOW, defaults: DEFAULT_JOB_DEFAULTS, id: 'gen', allowPrivateWebhooks: false };
const LATER = '2027-05-18T09:00:00Z';

function refused(spec: unknown): ValidationError {
  try {
    normalizeJobSpec(spec, ctx);
  } catch (err) {
    assert.ok(err instanceof ValidationError, `threw ${String(err)} instead of a ValidationError`);
    assert.ok(err.field.length > 0);
    return err;
  }
  assert.fail('accepted');
}

function hasNoUndefined(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'object' || value === null) return true;
  return Object.values(value).every(hasNoUndefined);
}

describe('hostile specs', () => {
  test('a spec that is not an object', () => {
    for (const spec of [
      null,
      undefined,
      0,
      42,
      Number.NaN,
      '',
      '{"at":1}',
      true,
      [],
      [{ at: LATER }],
      new Date(),
      () => ({ at: LATER }),
      Symbol('x'),
      1n,
    ]) {
      assert.equal(refused(spec).field, 'spec');
    }
  });

  test('__proto__ keys are refused and pollute nothing', () => {
    const top = JSON.parse(`{"at":"${LATER}","handler":"h","__proto__":{"polluted":true}}`) as unknown;
    assert.equal(refused(top).field, '__proto__');
    const inPayload = JSON.parse(`{"at":"${LATER}","handler":"h","payload":{"a":{"__proto__":{"polluted":true}}}}`) as unknown;
    assert.equal(refused(inPayload).field, 'payload.a.__proto__');
    const inBackoff = JSON.parse(`{"at":"${LATER}","handler":"h","backoff":{"__proto__":{"factor":0}}}`) as unknown;
    assert.equal(refused(inBackoff).field, 'backoff.__proto__');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    // An inherited field is not a field of the spec.
    assert.equal(refused(Object.create({ at: LATER, handler: 'h' })).code, 'MISSING_FIELD');
  });

  test('constructor and prototype keys in a payload are just data', () => {
    const def = normalizeJobSpec({ at: LATER, handler: 'h', payload: { constructor: 'x', prototype: { toString: 1 } } }, ctx);
    assert.deepEqual(def.payload, { constructor: 'x', prototype: { toString: 1 } });
  });

  test('NaN, Infinity and huge numbers wherever a number is expected', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1e308, Number.MAX_VALUE, 2 ** 53 + 2]) {
      assert.equal(refused({ at: bad, handler: 'h' }).field, 'at');
      assert.equal(refused({ at: LATER, handler: 'h', maxAttempts: bad }).field, 'maxAttempts');
      assert.equal(refused({ at: LATER, handler: 'h', timeout: bad }).field, 'timeout');
      assert.equal(refused({ cron: '@daily', handler: 'h', catchUpWindow: bad }).field, 'catchUpWindow');
      assert.ok(refused({ at: LATER, handler: 'h', backoff: { initialMs: bad } }).field.startsWith('backoff.'));
      if (!Number.isFinite(bad)) assert.equal(refused({ at: LATER, handler: 'h', payload: { n: bad } }).field, 'payload.n');
    }
  });

  test('objects where strings are expected, and strings where objects are expected', () => {
    const sneaky = { toString: () => '0 9 * * *', valueOf: () => 0, [Symbol.toPrimitive]: () => '0 9 * * *' };
    assert.equal(refused({ cron: sneaky, handler: 'h' }).field, 'cron');
    assert.equal(refused({ at: sneaky, handler: 'h' }).field, 'at');
    assert.equal(refused({ at: LATER, handler: sneaky }).field, 'handler');
    assert.equal(refused({ at: LATER, webhook: sneaky }).field, 'webhook');
    assert.equal(refused({ at: LATER, webhook: new URL('https://example.com') }).field, 'webhook');
    assert.equal(refused({ cron: '@daily', timezone: sneaky, handler: 'h' }).field, 'timezone');
    assert.equal(refused({ id: sneaky, at: LATER, handler: 'h' }).field, 'id');
    assert.equal(refused({ cron: ['0 9 * * *'], handler: 'h' }).field, 'cron');
    assert.equal(refused({ at: LATER, handler: 'h', backoff: '{"factor":2}' }).field, 'backoff');
    assert.equal(refused({ cron: '@daily', handler: 'h', overlap: ['skip'] }).field, 'overlap');
    assert.equal(refused({ cron: '@daily', handler: 'h', catchUp: { toString: () => 'skip' } }).field, 'catchUp');
  });

  test('payloads that are not JSON: cycles, deep nesting, sparse arrays, symbols, class instances', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle['self'] = cycle;
    assert.equal(refused({ at: LATER, handler: 'h', payload: cycle }).field, 'payload.self');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    assert.match(refused({ at: LATER, handler: 'h', payload: deep }).message, /nested deeper/);
    // eslint-disable-next-line no-sparse-arrays
    assert.equal(refused({ at: LATER, handler: 'h', payload: [1, , 3] }).field, 'payload.1');
    assert.equal(refused({ at: LATER, handler: 'h', payload: { [Symbol('s')]: 1 } }).field, 'payload');
    class Thing {
      x = 1;
    }
    assert.equal(refused({ at: LATER, handler: 'h', payload: { t: new Thing() } }).field, 'payload.t');
    assert.equal(refused({ at: LATER, handler: 'h', payload: { d: { toJSON: () => 'x' } } }).field, 'payload.d.toJSON');
    assert.equal(refused({ at: LATER, handler: 'h', payload: { e: new Set([1]) } }).field, 'payload.e');
    assert.equal(refused({ at: LATER, handler: 'h', payload: new Uint8Array(4) }).field, 'payload');
  });

  test('a shared (non-cyclic) reference is fine', () => {
    const shared = { v: 1 };
    assert.deepEqual(normalizeJobSpec({ at: LATER, handler: 'h', payload: { a: shared, b: shared } }, ctx).payload, {
      a: { v: 1 },
      b: { v: 1 },
    });
  });

  test('throwing getters and proxies surface as ValidationError', () => {
    const getter = {
      at: LATER,
      get handler(): string {
        throw new Error('boom');
      },
    };
    assert.match(refused(getter).message, /boom/);
    const payloadGetter = {
      at: LATER,
      handler: 'h',
      payload: {
        get x(): number {
          throw new TypeError('nope');
        },
      },
    };
    refused(payloadGetter);
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    refused(proxy);
    refused(
      new Proxy(
        { at: LATER, handler: 'h' },
        {
          getPrototypeOf: () => {
            throw new Error('trap');
          },
        },
      ),
    );
    refused(
      new Proxy(
        { at: LATER, handler: 'h' },
        {
          get: () => {
            throw new Error('trap');
          },
        },
      ),
    );
  });

  test('huge strings are refused quickly, without echoing them whole', () => {
    const huge = 'a'.repeat(5_000_000);
    for (const spec of [
      { cron: huge, handler: 'h' },
      { cron: `0 9 * * * ${huge}`, handler: 'h' },
      { cron: '@daily', timezone: huge, handler: 'h' },
      { at: huge, handler: 'h' },
      { at: LATER, handler: huge },
      { at: LATER, webhook: `https://example.com/${huge}` },
      { id: huge, at: LATER, handler: 'h' },
      { at: LATER, handler: 'h', timeout: huge },
      { at: LATER, handler: 'h', payload: huge },
      { [huge]: 1, at: LATER, handler: 'h' },
      { at: LATER, handler: 'h', backoff: { [huge]: 1 } },
      { at: LATER, handler: 'h', payload: { [huge]: undefined } },
    ]) {
      const err = refused(spec);
      assert.ok(err.message.length < 1_000, `message of ${err.message.length} chars for field ${err.field}`);
    }
  });

  test('accepted definitions never contain undefined and share nothing with the input', () => {
    const specs = [
      { at: LATER, handler: 'h', payload: undefined, maxAttempts: undefined, backoff: undefined },
      { cron: '@daily', webhook: 'https://example.com', timezone: undefined, startAt: undefined, endAt: undefined },
      { cron: '*/5 * * * * *', handler: 'h', payload: { list: [{}] }, backoff: { factor: 1 } },
    ];
    for (const spec of specs) {
      const def = normalizeJobSpec(spec, ctx);
      assert.ok(hasNoUndefined(def), JSON.stringify(def));
      assert.deepEqual(JSON.parse(JSON.stringify(def)), def);
    }
  });

  test('random junk never escapes as anything but a ValidationError', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const atoms: unknown[] = [
      null,
      undefined,
      0,
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '',
      'x',
      '0 9 * * *',
      LATER,
      'UTC',
      'https://example.com',
      true,
      [],
      {},
      [1, 'a'],
      { a: { b: null } },
      new Date(0),
      10n,
    ];
    const keys = [
      'id',
      'at',
      'cron',
      'timezone',
      'startAt',
      'endAt',
      'handler',
      'webhook',
      'payload',
      'maxAttempts',
      'backoff',
      'timeout',
      'overlap',
      'catchUp',
      'catchUpWindow',
      'zzz',
    ];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const spec: Record<string, unknown> = {};
      for (const key of keys) if (rnd() < 0.3) spec[key] = atoms[Math.floor(rnd() * atoms.length)];
      try {
        const def = normalizeJobSpec(spec, ctx);
        assert.ok(hasNoUndefined(def));
        accepted++;
      } catch (err) {
        assert.ok(err instanceof ValidationError, `${String(err)} for ${Object.keys(spec).join(',')}`);
      }
    }
    assert.ok(accepted < 3000);
  });
});
