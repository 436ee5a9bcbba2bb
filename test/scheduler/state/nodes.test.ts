import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FinishExecutionResult, StartExecutionResult } from '../../../src/scheduler/state/index.js';
import type { NodeChangeResult, RenewLeaseResult } from '../../../src/scheduler/state/types.js';
import { MIN, SEC, T0, create, ctx, finish, ok, once, recording, register, rejected, start, withNode } from '../../fixtures/state.js';

const AT = T0 + MIN;
const ID = `a@${AT}#1`;

function running(maxAttempts = 3) {
  const { state, effects } = recording();
  create(state, T0, once('a', AT, { maxAttempts }));
  const r = ok<StartExecutionResult>(state.apply(start('a', AT, AT)));
  assert.equal(r.outcome, 'started');
  effects.length = 0;
  return { state, effects };
}

describe('node registry: who may run attempts', () => {
  test('a start is stale for an unregistered node, an earlier life, an unavailable node, or a node without the handler', () => {
    const state = withNode();
    create(state, T0, once('a', AT));
    assert.match(rejected(state.apply(start('a', AT, AT, { nodeId: 'n9' })), 'STALE').message, /not registered/);
    assert.match(rejected(state.apply(start('a', AT, AT, { incarnation: 'old' })), 'STALE').message, /earlier life/);
    ok(state.apply(register('n2', 'j1', ['other'])));
    assert.match(rejected(state.apply(start('a', AT, AT, { nodeId: 'n2', incarnation: 'j1' })), 'STALE').message, /no handler "work"/);
    ok(state.apply({ type: 'leaveNode', now: AT, nodeId: 'n1', incarnation: 'i1' }));
    assert.match(rejected(state.apply(start('a', AT, AT)), 'STALE').message, /out of contact or left/);
  });

  test('decide hands the attempt to this node when it can, else to a node with the handler, else waits', () => {
    const state = withNode();
    create(state, T0, once('a', AT, { handler: 'h' }));
    // Nobody has `h` yet (a rolling deploy): nothing is decided, nothing burns an attempt.
    assert.deepEqual(state.decide('a', AT, ctx()), []);
    ok(state.apply(register('n3', 'k1', ['h'])));
    assert.deepEqual(state.decide('a', AT, ctx()), [start('a', AT, AT, { nodeId: 'n3', incarnation: 'k1' })]);
    ok(state.apply(register('n1', 'i1', ['work', 'h'], { registration: 2 })));
    assert.deepEqual(state.decide('a', AT, ctx()), [start('a', AT, AT)]);
  });

  test('a registration arriving late (older registration number or older life) is stale', () => {
    const state = withNode();
    ok(state.apply(register('n1', 'i1', ['work', 'x'], { registration: 3 })));
    rejected(state.apply(register('n1', 'i1', ['work'], { registration: 2 })), 'STALE');
    ok(state.apply(register('n1', `${(T0 + 10).toString(36)}.b`, ['work'])));
    rejected(state.apply(register('n1', `${T0.toString(36)}.a`, ['work'])), 'STALE');
  });

  test("a restart (new incarnation) ends the old life's attempts at once: failed, spent, retried per backoff", () => {
    const { state, effects } = running();
    const r = ok<NodeChangeResult<'registerNode'>>(state.apply(register('n1', 'i2', ['work'], { now: AT + 5 * SEC })));
    assert.equal(r.ended, 1);
    const e = state.getExecution(ID);
    assert.equal(e?.status, 'failed');
    assert.equal(e?.errorType, 'unknown');
    assert.equal(e?.error, 'interrupted: node n1 restarted');
    assert.equal(e?.interrupted, undefined);
    const wake = state.wakeTime('a') as number;
    assert.ok(wake >= AT + 5 * SEC + 800 && wake <= AT + 5 * SEC + 1200, `retry at ${wake}`);
    assert.ok(effects.some((x) => x.type === 'executionFinished'));
    assert.ok(effects.some((x) => x.type === 'nodeChanged'));
  });

  test('renewLease renews only the registered, available life', () => {
    const state = withNode();
    assert.equal(ok<RenewLeaseResult>(state.apply({ type: 'renewLease', now: AT, nodeId: 'n1', incarnation: 'i1' })).renewed, true);
    assert.equal(ok<RenewLeaseResult>(state.apply({ type: 'renewLease', now: AT, nodeId: 'n1', incarnation: 'zz' })).renewed, false);
    assert.equal(ok<RenewLeaseResult>(state.apply({ type: 'renewLease', now: AT, nodeId: 'n7', incarnation: 'i1' })).renewed, false);
    assert.equal(state.nodes()[0]?.renewals, 1);
  });

  test('expireNode is stale after a renewal; otherwise it ends the attempts as timeouts (spent) and makes the node unavailable', () => {
    const { state } = running(1);
    ok(state.apply({ type: 'renewLease', now: AT, nodeId: 'n1', incarnation: 'i1' }));
    rejected(state.apply({ type: 'expireNode', now: AT + MIN, nodeId: 'n1', incarnation: 'i1', renewals: 0 }), 'STALE');
    assert.equal(state.getExecution(ID)?.status, 'in_progress');
    ok(state.apply({ type: 'expireNode', now: AT + MIN, nodeId: 'n1', incarnation: 'i1', renewals: 1 }));
    const e = state.getExecution(ID);
    assert.equal(e?.status, 'timeout');
    assert.match(e?.error ?? '', /out of contact/);
    assert.equal(state.getJob('a')?.status, 'timeout');
    assert.equal(state.nodes()[0]?.available, false);
    assert.equal(ok<RenewLeaseResult>(state.apply({ type: 'renewLease', now: AT, nodeId: 'n1', incarnation: 'i1' })).renewed, false);
    // Registering again (same life) makes it available again.
    ok(state.apply(register('n1', 'i1', ['work'], { registration: 2 })));
    assert.equal(state.nodes()[0]?.available, true);
  });

  test('leaveNode ends running attempts as interrupted: cancelled, retried at once, not spent (even with maxAttempts 1)', () => {
    const { state } = running(1);
    ok(state.apply({ type: 'leaveNode', now: AT + SEC, nodeId: 'n1', incarnation: 'i1' }));
    const e = state.getExecution(ID);
    assert.equal(e?.status, 'cancelled');
    assert.equal(e?.errorType, 'cancelled');
    assert.equal(e?.interrupted, true);
    assert.equal(e?.error, 'interrupted: the scheduler on n1 closed');
    assert.equal(state.getJob('a')?.status, 'pending');
    assert.equal(state.wakeTime('a'), AT + SEC);
    ok(state.apply(register('n2', 'j1')));
    const [next] = state.decide('a', AT + SEC, ctx());
    assert.deepEqual(next, start('a', AT, AT + SEC, { attempt: 2, nodeId: 'n2', incarnation: 'j1' }));
    ok(state.apply(next));
    // Attempt 2 is the first spent one: its failure is final with maxAttempts 1.
    const r = ok<FinishExecutionResult>(state.apply(finish(`a@${AT}#2`, AT + 2 * SEC, 'failed')));
    assert.equal(r.final, true);
  });

  test('a finish with interrupted: true does not spend an attempt', () => {
    const { state } = running(1);
    const r = ok<FinishExecutionResult>(
      state.apply(finish(ID, AT + SEC, 'cancelled', { errorType: 'cancelled', error: 'interrupted', interrupted: true })),
    );
    assert.equal(r.final, false);
    assert.equal(r.retryAt, AT + SEC);
    assert.equal(r.execution.interrupted, true);
  });

  test('the registry is part of the hash', () => {
    const a = withNode();
    const b = withNode();
    assert.equal(a.hash(), b.hash());
    ok(b.apply({ type: 'renewLease', now: AT, nodeId: 'n1', incarnation: 'i1' }));
    assert.notEqual(a.hash(), b.hash());
    assert.match(b.serialize(), /"N","n1","i1"/);
  });
});
