/**
 * Every public method of `Scheduler` called with hostile arguments: each call is refused with a
 * ValidationError naming the argument, the replicated state is unchanged (nothing half-written),
 * and nothing else is thrown. The job specs themselves are covered by validate-hostile.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from '../fixtures/scheduler-harness.js';
import { ValidationError } from '../../src/scheduler/errors.js';
import type { Scheduler } from '../../src/scheduler/scheduler.js';

const HUGE = 'x'.repeat(20 * 1024 * 1024);
const TOO_LONG_NAME = 'h'.repeat(201);

/** [what, the call, the field the refusal must name]. */
type Case = readonly [string, (s: Scheduler) => unknown, string];

const ID = 'job-1';
const ids: readonly [string, unknown][] = [
  ['a number', 123],
  ['null', null],
  ['undefined', undefined],
  ['an object', {}],
  ['an array', []],
  ['an empty string', ''],
  ['a 20 MB string', HUGE],
  ['an id with a reserved character', 'a@b#1'],
];

const byId: readonly [string, (s: Scheduler, id: never) => unknown][] = [
  ['get', (s, id) => s.get(id)],
  ['status', (s, id) => s.status(id)],
  ['executions', (s, id) => s.executions(id)],
  ['skipped', (s, id) => s.skipped(id)],
  ['cancel', (s, id) => s.cancel(id)],
  ['delete', (s, id) => s.delete(id)],
  ['pause', (s, id) => s.pause(id)],
  ['resume', (s, id) => s.resume(id)],
  ['trigger', (s, id) => s.trigger(id)],
  ['update', (s, id) => s.update(id, { payload: 1 })],
];

const cases: Case[] = [
  ...byId.flatMap(([method, call]) => ids.map(([what, id]): Case => [`${method}(${what})`, (s) => call(s, id as never), 'id'])),
  // Read options.
  ...(['get', 'status', 'executions', 'skipped'] as const).flatMap((method): Case[] => [
    [`${method}(id, 'yes')`, (s) => s[method](ID, 'yes' as never), 'options'],
    [`${method}(id, { consistent: 'yes' })`, (s) => s[method](ID, { consistent: 'yes' as never }), 'options.consistent'],
    [`${method}(id, { consistant: true })`, (s) => s[method](ID, { consistant: true } as never), 'options.consistant'],
  ]),
  // list and page.
  ...(['list', 'page'] as const).flatMap((method): Case[] => [
    [`${method}({ status: 'pendng' })`, (s) => s[method]({ status: 'pendng' as never }), 'status'],
    [`${method}({ status: 1 })`, (s) => s[method]({ status: 1 as never }), 'status'],
    [`${method}({ cursor: 'garbage' })`, (s) => s[method]({ cursor: 'garbage' }), 'cursor'],
    [`${method}({ cursor: '1' })`, (s) => s[method]({ cursor: '1' }), 'cursor'],
    [`${method}({ cursor: 20 MB })`, (s) => s[method]({ cursor: HUGE }), 'cursor'],
    [`${method}({ cursor: {} })`, (s) => s[method]({ cursor: {} as never }), 'cursor'],
    [`${method}({ limit: -1 })`, (s) => s[method]({ limit: -1 }), 'limit'],
    [`${method}({ limit: 0 })`, (s) => s[method]({ limit: 0 }), 'limit'],
    [`${method}({ limit: 1.5 })`, (s) => s[method]({ limit: 1.5 }), 'limit'],
    [`${method}({ limit: 'x' })`, (s) => s[method]({ limit: 'x' as never }), 'limit'],
    [`${method}({ limit: NaN })`, (s) => s[method]({ limit: Number.NaN }), 'limit'],
    [`${method}({ stauts: 'pending' })`, (s) => s[method]({ stauts: 'pending' } as never), 'stauts'],
    [`${method}({ consistent: 1 })`, (s) => s[method]({ consistent: 1 as never }), 'consistent'],
    [`${method}(null)`, (s) => s[method](null as never), 'options'],
    [`${method}('all')`, (s) => s[method]('all' as never), 'options'],
  ]),
  ['page({ limit: 1e9 })', (s) => s.page({ limit: 1e9 }), 'limit'],
  ['page({ limit: 1001 })', (s) => s.page({ limit: 1001 }), 'limit'],
  // Writes' other arguments.
  ['cancel(id, {})', (s) => s.cancel(ID, {} as never), 'reason'],
  ['cancel(id, 20 MB string)', (s) => s.cancel(ID, HUGE), 'reason'],
  ['cancel(id, 1001 characters)', (s) => s.cancel(ID, 'r'.repeat(1001)), 'reason'],
  ['update(id, null)', (s) => s.update(ID, null as never), 'patch'],
  ['update(id, [])', (s) => s.update(ID, [] as never), 'patch'],
  ['update(id, "payload")', (s) => s.update(ID, 'payload' as never), 'patch'],
  ['schedule(null)', (s) => s.schedule(null as never), 'spec'],
  ['schedule(handler name longer than an id)', (s) => s.schedule({ delay: 0, handler: TOO_LONG_NAME }), 'handler'],
  ['scheduleMany({})', (s) => s.scheduleMany({} as never), 'specs'],
  ['scheduleMany([null])', (s) => s.scheduleMany([null as never]), '[0].spec'],
  // Handlers and events.
  ['handle(123, fn)', (s) => s.handle(123 as never, () => {}), 'name'],
  ['handle("", fn)', (s) => s.handle('', () => {}), 'name'],
  ['handle(201 characters, fn)', (s) => s.handle(TOO_LONG_NAME, () => {}), 'name'],
  ['handle(20 MB, fn)', (s) => s.handle(HUGE, () => {}), 'name'],
  ['handle(name, "fn")', (s) => s.handle('h', 'fn' as never), 'handler'],
  ['unhandle(123)', (s) => s.unhandle(123 as never), 'name'],
  ['on("job:create", fn)', (s) => s.on('job:create' as never, () => {}), 'event'],
  ['on(123, fn)', (s) => s.on(123 as never, () => {}), 'event'],
  ['on("job:created", null)', (s) => s.on('job:created', null as never), 'listener'],
  ['once("__proto__", fn)', (s) => s.once('__proto__' as never, () => {}), 'event'],
  ['off("nope")', (s) => s.off('nope' as never), 'event'],
  ['off("error", 1)', (s) => s.off('error', 1 as never), 'listener'],
  ['listenerCount({})', (s) => s.listenerCount({} as never), 'event'],
  // Health.
  ['health({ failureThreshold: 2 })', (s) => s.health({ failureThreshold: 2 }), 'options.failureThreshold'],
  ['health({ failureThreshold: "x" })', (s) => s.health({ failureThreshold: 'x' as never }), 'options.failureThreshold'],
  ['health({ threshold: 0.2 })', (s) => s.health({ threshold: 0.2 } as never), 'options.threshold'],
  ['health(1)', (s) => s.health(1 as never), 'options'],
];

describe('every public Scheduler method refuses hostile arguments with a ValidationError naming them', () => {
  test('table of hostile calls', async () => {
    const { scheduler } = await harness();
    scheduler.handle('h', () => {});
    await scheduler.schedule({ id: ID, delay: '1h', handler: 'h' });
    const before = scheduler.stateHash();
    const problems: string[] = [];
    for (const [what, call, field] of cases) {
      let error: unknown;
      try {
        await call(scheduler);
        problems.push(`${what}: accepted`);
        continue;
      } catch (err) {
        error = err;
      }
      if (!(error instanceof ValidationError)) problems.push(`${what}: threw ${String(error)}`);
      else if (error.field !== field) problems.push(`${what}: named ${error.field}, not ${field}`);
      else if (error.message.length > 1000) problems.push(`${what}: a ${error.message.length}-character message`);
    }
    assert.deepEqual(problems, []);
    assert.equal(scheduler.stateHash(), before, 'a refused call changed the state');
    assert.equal((await scheduler.get(ID))?.status, 'pending');
    await scheduler.close();
  });

  test('the refusals point at what was meant', async () => {
    const { scheduler } = await harness();
    const message = async (call: () => unknown): Promise<string> => {
      try {
        await call();
      } catch (err) {
        assert.ok(err instanceof ValidationError);
        return err.message;
      }
      assert.fail('accepted');
    };
    assert.match(await message(() => scheduler.list({ status: 'pendng' as never })), /"pending"/);
    assert.match(await message(() => scheduler.on('job:create' as never, () => {})), /did you mean "job:created"/);
    assert.match(await message(() => scheduler.page({ stauts: 'pending' } as never)), /did you mean "status"/);
    await scheduler.close();
  });

  test('the values at the edges are accepted: cursors round-trip, a 1000-character reason, a 200-character handler name', async () => {
    const { scheduler } = await harness();
    const name = 'h'.repeat(200);
    scheduler.handle(name, () => {});
    for (let i = 0; i < 5; i++) await scheduler.schedule({ id: `j${i}`, delay: '1h', handler: name });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await scheduler.page({ limit: 2, ...(cursor !== undefined && { cursor }) });
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    assert.deepEqual(seen, ['j0', 'j1', 'j2', 'j3', 'j4']);
    assert.equal((await scheduler.page({ limit: 1000 })).jobs.length, 5);
    assert.equal((await scheduler.list({ limit: 1e9 })).length, 5);
    assert.equal((await scheduler.list({ status: 'pending', consistent: true })).length, 5);
    const reason = 'r'.repeat(1000);
    assert.equal((await scheduler.cancel('j0', reason)).cancellationReason, reason);
    assert.equal(scheduler.unhandle(name), true);
    assert.equal(scheduler.health({ failureThreshold: 0 }).status, 'ok');
    await scheduler.close();
  });
});
