import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RaftCore } from '../../src/raft/core.js';
import { RaftConfigError } from '../../src/raft/errors.js';
import type { Entry, Message, PersistedState } from '../../src/raft/types.js';
import { createRandom } from '../../src/testing/sim/random.js';
import { StepCluster } from '../../src/testing/sim/step-cluster.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const entry = (index: number, term: number, data = ''): Entry => ({ index, term, kind: 0, data: bytes(data) });

function follower(persisted: PersistedState): RaftCore {
  return new RaftCore({ id: 'b', voters: ['a', 'b', 'c'], random: createRandom(5) }, persisted);
}

describe('pipelining and batching', () => {
  test('a replicating follower gets at most maxInflightMsgs unacknowledged appends', () => {
    const c = new StepCluster({ core: { maxInflightMsgs: 2, maxEntriesPerMsg: 1 } });
    c.elect('n1');
    c.tickAll();
    c.deliverAll();
    const before = c.sent.length;
    c.propose('n1', 'a', 'b', 'c', 'd', 'e');
    const toN2 = c.sent.slice(before).filter((m) => m.type === 'append' && m.to === 'n2');
    assert.equal(toN2.length, 2);
    assert.deepEqual(
      toN2.map((m) => m.entries?.length),
      [1, 1],
    );
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    for (const id of c.ids) assert.deepEqual(c.appliedData(id), ['a', 'b', 'c', 'd', 'e']);
  });

  test("a leader's status shows each voter's progress; a follower's shows none", () => {
    const c = new StepCluster();
    c.elect('n1');
    c.cut('n1', 'n3');
    c.propose('n1', 'a', 'b');
    c.deliverAll();
    const status = c.core('n1').status();
    const last = status.lastIndex;
    assert.deepEqual(status.progress, [
      { id: 'n1', match: last, next: last + 1, state: 'replicate' },
      { id: 'n2', match: last, next: last + 1, state: 'replicate' },
      // Cut off after the no-op: the leader streams optimistically, ahead of what n3 acknowledged.
      { id: 'n3', match: last - 2, next: last + 1, state: 'replicate' },
    ]);
    assert.equal(c.core('n2').status().progress, undefined);
  });

  test('maxEntriesPerMsg splits a large batch', () => {
    const c = new StepCluster({ core: { maxEntriesPerMsg: 3 } });
    c.elect('n1');
    const before = c.sent.length;
    c.propose('n1', ...Array.from({ length: 7 }, (_, i) => String(i)));
    const toN2 = c.sent.slice(before).filter((m) => m.type === 'append' && m.to === 'n2');
    assert.deepEqual(
      toN2.map((m) => m.entries?.length),
      [3, 3, 1],
    );
  });

  test('a follower acknowledges a batch with one message and one Ready', () => {
    const core = follower({ hardState: { term: 1, vote: 'a', commit: 0 }, entries: [] });
    core.step({
      type: 'append',
      from: 'a',
      to: 'b',
      term: 1,
      index: 0,
      logTerm: 0,
      commit: 0,
      entries: [entry(1, 1), entry(2, 1, 'x'), entry(3, 1, 'y')],
    });
    const rd = core.ready();
    assert.equal(rd.entries.length, 3);
    assert.deepEqual(
      rd.messages.map((m) => [m.type, m.index]),
      [['appendResp', 3]],
    );
    core.advance(rd);
    assert.equal(core.hasReady(), false);
  });
});

describe('fast back-off', () => {
  test('a follower with a long divergent tail is repaired in a few round trips, not one per entry', () => {
    // n1, n2 hold 2..51 of term 3; n3 holds 2..51 of term 2 (from a leader nobody else followed).
    const logOf = (term: number): Entry[] => [entry(1, 1), ...Array.from({ length: 50 }, (_, i) => entry(i + 2, term, `t${term}`))];
    const c = new StepCluster();
    c.storage.set('n1', { hardState: { term: 3, vote: 'n1', commit: 1 }, entries: logOf(3) });
    c.storage.set('n2', { hardState: { term: 3, vote: 'n1', commit: 1 }, entries: logOf(3) });
    c.storage.set('n3', { hardState: { term: 3, vote: 'n1', commit: 1 }, entries: logOf(2) });
    for (const id of c.ids) {
      c.crash(id);
      c.restart(id);
    }
    c.cut('n1', 'n3');
    c.elect('n1');
    c.heal();
    const before = c.sent.length;
    for (let i = 0; i < 3; i++) {
      c.tick('n1');
      c.deliverAll();
    }
    const rejects = c.sent.slice(before).filter((m) => m.type === 'appendResp' && m.from === 'n3' && m.reject === true);
    assert.ok(rejects.length >= 1 && rejects.length <= 2, `${rejects.length} rejections`);
    assert.equal(c.core('n3').status().lastIndex, c.core('n1').status().lastIndex);
    assert.equal(c.core('n3').termAt(51), 3);
  });

  test('a rejection carries the hint: the last index of the follower, or the start of the conflicting term', () => {
    const core = follower({ hardState: { term: 3, vote: null, commit: 0 }, entries: [entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 2)] });
    core.step({ type: 'append', from: 'a', to: 'b', term: 3, index: 6, logTerm: 3, commit: 0, entries: [] });
    let resp = core.ready().messages[0] as Message;
    assert.deepEqual([resp.reject, resp.index, resp.rejectHint, resp.hintTerm], [true, 6, 4, 2]);
    const core2 = follower({
      hardState: { term: 3, vote: null, commit: 0 },
      entries: [entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 2)],
    });
    core2.step({ type: 'append', from: 'a', to: 'b', term: 3, index: 4, logTerm: 1, commit: 0, entries: [] });
    resp = core2.ready().messages[0] as Message;
    assert.deepEqual([resp.reject, resp.rejectHint, resp.hintTerm], [true, 1, 1]);
  });
});

describe('commit rules on followers', () => {
  test('a follower never commits past the last entry the append verified', () => {
    // Uncommitted stale entries 3..4 (term 1) sit beyond a verified prefix; the leader commit is 10.
    const core = follower({ hardState: { term: 2, vote: null, commit: 1 }, entries: [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)] });
    core.step({ type: 'append', from: 'a', to: 'b', term: 2, index: 1, logTerm: 1, commit: 10, entries: [entry(2, 1)] });
    assert.equal(core.status().commit, 2);
  });

  test('heartbeats only commit what the leader knows the follower holds', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.cut('n1', 'n3');
    c.propose('n1', 'a');
    c.deliverAll();
    c.heal();
    c.ignore('append');
    c.tick('n1');
    const hb = c.queue.find((m) => m.type === 'heartbeat' && m.to === 'n3');
    assert.equal(hb?.commit, 1, 'n3 matched only the no-op');
  });
});

describe('Ready contract when steps arrive between ready() and advance()', () => {
  test('a truncation while a Ready is being persisted makes the next Ready rewrite the suffix', () => {
    const core = follower({ hardState: { term: 1, vote: 'a', commit: 1 }, entries: [entry(1, 1)] });
    core.step({
      type: 'append',
      from: 'a',
      to: 'b',
      term: 1,
      index: 1,
      logTerm: 1,
      commit: 1,
      entries: [entry(2, 1, 'old'), entry(3, 1, 'old')],
    });
    const rd1 = core.ready(); // being persisted: entries 2..3 of term 1
    core.step({ type: 'append', from: 'c', to: 'b', term: 2, index: 1, logTerm: 1, commit: 1, entries: [entry(2, 2, 'new')] });
    core.advance(rd1);
    assert.ok(core.hasReady());
    const rd2 = core.ready();
    assert.deepEqual(
      rd2.entries.map((e) => [e.index, e.term]),
      [[2, 2]],
      'entry 2 of term 2 must be written over the stale one',
    );
  });

  test('acks for entries a conflicting append removed are never sent', () => {
    const core = follower({ hardState: { term: 1, vote: 'a', commit: 1 }, entries: [entry(1, 1)] });
    const rd0 = core.ready(); // some earlier Ready is still being persisted
    core.step({ type: 'append', from: 'a', to: 'b', term: 1, index: 1, logTerm: 1, commit: 1, entries: [entry(2, 1), entry(3, 1)] });
    core.step({ type: 'append', from: 'c', to: 'b', term: 2, index: 1, logTerm: 1, commit: 1, entries: [entry(2, 2)] });
    core.advance(rd0);
    const rd = core.ready();
    assert.deepEqual(
      rd.entries.map((e) => [e.index, e.term]),
      [[2, 2]],
    );
    const acks = rd.messages.filter((m) => m.type === 'appendResp');
    assert.deepEqual(
      acks.map((m) => [m.to, m.term, m.index]),
      [['c', 2, 2]],
      'the ack of index 3 to the old leader is dropped',
    );
  });

  test('committed entries are handed out once, even across Readies', () => {
    const core = new RaftCore(
      { id: 'a', voters: ['a'], random: createRandom(1) },
      { hardState: { term: 0, vote: null, commit: 0 }, entries: [] },
    );
    core.campaign();
    const rd1 = core.ready();
    core.propose([bytes('x')]);
    core.advance(rd1);
    const rd2 = core.ready();
    assert.deepEqual(
      rd1.committedEntries.map((e) => e.index),
      [1],
    );
    assert.deepEqual(
      rd2.committedEntries.map((e) => e.index),
      [2],
    );
  });
});

describe('forwarding', () => {
  test('a follower without a leader refuses proposals', () => {
    const c = new StepCluster();
    assert.equal(c.core('n2').propose([bytes('x')]), false);
  });

  test('a forwarded proposal that reaches a non-leader is dropped', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.deliver({ type: 'propose', from: 'n2', to: 'n3', term: 0, entries: [entry(0, 0, 'x')] });
    assert.equal(c.core('n3').status().lastIndex, 1);
    assert.equal(c.queue.length, 0);
  });

  test('a leader drops forwarded proposals while transferring leadership', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.isolate('n3');
    c.core('n1').transferLeadership('n3');
    c.heal();
    c.queue = [];
    c.deliver({ type: 'propose', from: 'n2', to: 'n1', term: 0, entries: [entry(0, 0, 'x')] });
    assert.equal(c.core('n1').status().lastIndex, 1);
  });
});

describe('restart from PersistedState', () => {
  test('term, vote, log and commit survive; the committed prefix counts as applied', () => {
    const persisted: PersistedState = {
      hardState: { term: 4, vote: 'c', commit: 2 },
      entries: [entry(1, 1), entry(2, 3, 'x'), entry(3, 4, 'y')],
    };
    const core = follower(persisted);
    assert.deepEqual(core.status(), {
      ...{ id: 'b', term: 4, role: 'follower', leader: null, commit: 2, applied: 2, lastIndex: 3 },
      ...{ vote: 'c', leadTransferee: null },
    });
    assert.equal(core.hasReady(), false);
  });

  test('with applied: 0 the committed prefix is handed out again', () => {
    const persisted: PersistedState = {
      hardState: { term: 4, vote: 'c', commit: 2 },
      entries: [entry(1, 1), entry(2, 3, 'x'), entry(3, 4, 'y')],
    };
    const core = new RaftCore({ id: 'b', voters: ['a', 'b', 'c'], applied: 0, random: createRandom(1) }, persisted);
    assert.deepEqual(
      core.ready().committedEntries.map((e) => e.index),
      [1, 2],
    );
  });

  test('a restarted node keeps its vote: it refuses another candidate in the same term', () => {
    const core = follower({ hardState: { term: 4, vote: 'c', commit: 0 }, entries: [] });
    core.step({ type: 'vote', from: 'a', to: 'b', term: 4, index: 0, logTerm: 0 });
    assert.equal(core.ready().messages[0]?.reject, true);
  });

  test('a single voter restarts and becomes leader again with its log intact', () => {
    const a = new RaftCore(
      { id: 'a', voters: ['a'], random: createRandom(1) },
      { hardState: { term: 0, vote: null, commit: 0 }, entries: [] },
    );
    a.campaign();
    a.propose([bytes('x')]);
    const stored: Entry[] = [];
    let hs = { term: 0, vote: null as string | null, commit: 0 };
    while (a.hasReady()) {
      const rd = a.ready();
      if (rd.hardState) hs = { ...rd.hardState };
      stored.push(...rd.entries);
      a.advance(rd);
    }
    const b = new RaftCore({ id: 'a', voters: ['a'], random: createRandom(2) }, { hardState: hs, entries: stored });
    b.campaign();
    const s = b.status();
    assert.equal(s.role, 'leader');
    assert.equal(s.term, 2);
    assert.equal(s.commit, 3);
  });

  test('invalid configuration and persisted logs are rejected with a clear error', () => {
    const ok = { hardState: { term: 0, vote: null, commit: 0 }, entries: [] };
    assert.throws(() => new RaftCore({ id: 'x', voters: ['a'], random: createRandom(1) }, ok), /voters must include/);
    assert.throws(
      () => new RaftCore({ id: 'a', voters: ['a'], electionTicks: 0, random: createRandom(1) }, ok),
      (e: unknown) => e instanceof RaftConfigError && e.code === 'INVALID_CONFIG' && e.field === 'electionTicks',
    );
    assert.throws(
      () => new RaftCore({ id: 'a', voters: ['a'], heartbeatTicks: 10, electionTicks: 10, random: createRandom(1) }, ok),
      /heartbeatTicks/,
    );
    assert.throws(
      () =>
        new RaftCore(
          { id: 'a', voters: ['a'], random: createRandom(1) },
          { hardState: { term: 1, vote: null, commit: 0 }, entries: [entry(2, 1)] },
        ),
      /contiguous/,
    );
  });
});
