import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StepCluster } from '../../src/testing/sim/step-cluster.js';
import type { Message } from '../../src/raft/types.js';

const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Campaigns on `id` (again after a lost round) until it leads. */
function campaignUntilLeader(c: StepCluster, id: string): void {
  for (let round = 0; round < 5 && c.core(id).status().role !== 'leader'; round++) {
    c.core(id).campaign();
    c.process(id);
    for (let i = 0; i < 10_000 && c.core(id).status().role !== 'leader'; i++) if (!c.deliverOne()) break;
  }
  assert.equal(c.core(id).status().role, 'leader', `${id} did not win`);
}

/** Delivers queued messages one by one until `done()` holds. */
function deliverUntil(c: StepCluster, done: () => boolean): void {
  for (let i = 0; i < 10_000 && !done(); i++) {
    if (!c.deliverOne()) break;
  }
  assert.ok(done(), 'condition not reached');
}

describe('figure 8 of the Raft paper: a leader never commits an entry of an older term by counting replicas', () => {
  /**
   * (a) n1 leads term 1 and replicates entry 2 ("old") to n2 only. (b) n1 crashes; n5 wins term 2
   * with n3, n4 and appends its no-op at index 2 without replicating it. (c) n5 crashes; n1 comes
   * back, wins term 3 and copies entry 2 (term 1) to n3: a majority holds it, yet it must not count.
   */
  function figure8(): StepCluster {
    const c = new StepCluster({ ids: FIVE, core: { checkQuorum: false, maxEntriesPerMsg: 1 } });
    c.elect('n1');
    for (const id of FIVE) assert.equal(c.core(id).status().commit, 1);
    // (a)
    for (const id of ['n3', 'n4', 'n5']) c.cut('n1', id);
    c.propose('n1', 'old');
    c.deliverAll();
    assert.equal(c.core('n2').status().lastIndex, 2);
    assert.equal(c.core('n1').status().commit, 1);
    // (b)
    c.crash('n1');
    c.heal();
    c.cut('n5', 'n2');
    c.core('n5').campaign();
    c.process('n5');
    deliverUntil(c, () => c.core('n5').status().role === 'leader');
    assert.equal(c.core('n5').status().term, 2);
    c.take((m) => m.from === 'n5'); // its no-op never leaves
    c.crash('n5');
    c.heal();
    // (c)
    c.restart('n1');
    c.cut('n1', 'n4');
    c.cut('n1', 'n5');
    // The first round may only teach n1 that term 2 exists (n3 voted in it); the next one wins.
    campaignUntilLeader(c, 'n1');
    assert.equal(c.core('n1').status().term, 3);
    return c;
  }

  test('entry 2 of term 1 on a majority is not committed while the leader of term 3 lacks a quorum for its own entry', () => {
    const c = figure8();
    // n3 gets entry 2 (term 1) but never n1's term-3 entry: a majority (n1, n2, n3) holds entry 2.
    for (let m = c.queue.shift(); m !== undefined; m = c.queue.shift()) {
      const carriesTerm3 = m.entries?.some((e) => e.term === 3) ?? false;
      const n3Accepts = m.to === 'n3' && c.core('n3').termAt(m.index ?? 0) === m.logTerm;
      if (!(m.type === 'append' && carriesTerm3 && n3Accepts)) c.deliver(m);
    }
    for (const id of ['n1', 'n2', 'n3']) assert.equal(c.core(id).termAt(2), 1, `${id} holds entry 2 of term 1`);
    assert.equal(c.core('n1').status().commit, 1, 'counting replicas of an older-term entry must not commit it');
    // (d) n1 crashes before its term-3 entry spreads; n5 returns and wins with n2, n3, n4 (its last term 2 beats 1).
    c.crash('n1');
    c.queue = [];
    c.heal();
    c.restart('n5');
    campaignUntilLeader(c, 'n5');
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    // Entry 2 of term 1 is overwritten everywhere: that is only safe because it was never committed.
    for (const id of ['n2', 'n3', 'n4', 'n5']) {
      assert.equal(c.core(id).termAt(2), 2);
      assert.deepEqual(c.appliedData(id), []);
    }
    assert.deepEqual(c.appliedData('n1'), []);
  });

  test('once the leader of term 3 replicates its own entry to a majority, both commit', () => {
    const c = figure8();
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    const n1 = c.core('n1').status();
    assert.equal(n1.commit, n1.lastIndex);
    assert.equal(c.core('n1').termAt(n1.lastIndex), 3);
    for (const id of ['n1', 'n2', 'n3']) assert.deepEqual(c.appliedData(id), ['old']);
  });
});

describe('stale leader after a partition', () => {
  test('the isolated old leader steps down, its uncommitted entries are discarded, and it follows the new leader', () => {
    const c = new StepCluster({ core: { electionTicks: 10 } });
    c.elect('n1');
    c.propose('n1', 'committed');
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    c.isolate('n1');
    assert.equal(c.propose('n1', 'lost'), true, 'n1 still believes it leads');
    // The majority side elects a new leader once out of the old leader's lease.
    for (let i = 0; i < 40 && c.leader() !== 'n2' && c.leader() !== 'n3'; i++) {
      c.tick('n2');
      c.tick('n3');
      c.deliverAll();
    }
    const leader = c.leader();
    assert.ok(leader === 'n2' || leader === 'n3');
    assert.ok(c.core(leader).status().term > c.core('n1').status().term);
    c.propose(leader, 'new');
    c.deliverAll();
    // check-quorum: the isolated leader steps down within two election timeouts of ticks (the
    // first check may still count answers from before the partition).
    c.tick('n1', 20);
    assert.equal(c.core('n1').status().role, 'follower');
    c.heal();
    for (let i = 0; i < 5; i++) {
      c.tickAll();
      c.deliverAll();
    }
    assert.equal(c.leader(), leader);
    for (const id of c.ids) assert.deepEqual(c.appliedData(id), ['committed', 'new']);
    const last = c.core(leader).status().lastIndex;
    for (const id of c.ids) assert.equal(c.core(id).status().lastIndex, last);
  });

  test('a stale leader learns the new term from the answer to its append and steps down at once', () => {
    const c = new StepCluster({ core: { checkQuorum: false } });
    c.elect('n1');
    c.isolate('n1');
    c.elect('n2');
    assert.equal(c.leader(), 'n2');
    c.heal();
    assert.equal(c.core('n1').status().role, 'leader');
    c.propose('n1', 'stale');
    c.deliverAll();
    assert.equal(c.core('n1').status().role, 'follower');
    assert.equal(c.core('n1').status().term, c.core('n2').status().term);
  });
});

describe('votes from stale terms', () => {
  test('a granted vote from an earlier term does not count in the current election', () => {
    const c = new StepCluster({ core: { preVote: false } });
    c.core('n1').campaign();
    c.process('n1');
    c.deliverAll(); // n2, n3 grant term 1 ...
    assert.equal(c.core('n1').status().role, 'leader');
    const c2 = new StepCluster({ core: { preVote: false } });
    c2.core('n1').campaign();
    c2.process('n1');
    // Let n2 vote in term 1 but hold its answer back; n3 never hears anything.
    for (const m of c2.take((m) => m.to === 'n2')) c2.deliver(m);
    const staleGrant = c2.take((m) => m.type === 'voteResp');
    assert.equal(staleGrant.length, 1);
    c2.queue = [];
    c2.core('n1').campaign(); // term 2
    c2.process('n1');
    assert.equal(c2.core('n1').status().term, 2);
    c2.queue = [];
    for (const m of staleGrant) c2.deliver(m);
    assert.equal(c2.core('n1').status().role, 'candidate', 'a term-1 grant must not elect a term-2 candidate');
  });

  test('a vote request from an older term is rejected and does not change the voter', () => {
    const c = new StepCluster({ core: { preVote: false, checkQuorum: false } });
    c.elect('n1');
    c.isolate('n1');
    c.elect('n2'); // term 2 on n2, n3
    c.heal();
    const before = c.core('n3').status();
    const stale: Message = { type: 'vote', from: 'n1', to: 'n3', term: 1, index: 10, logTerm: 1 };
    c.deliver(stale);
    assert.deepEqual(c.core('n3').status(), before);
    assert.equal(
      c.queue.some((m) => m.type === 'voteResp' && m.reject !== true),
      false,
    );
  });

  test('a node never grants two candidates in one term', () => {
    const c = new StepCluster({ core: { preVote: false } });
    c.core('n1').campaign();
    c.core('n2').campaign();
    c.process('n1');
    c.process('n2');
    const toN3 = c.take((m) => m.to === 'n3' && m.type === 'vote');
    assert.equal(toN3.length, 2);
    for (const m of toN3) c.deliver(m);
    const grants = c.queue.filter((m) => m.from === 'n3' && m.type === 'voteResp' && m.reject !== true);
    assert.equal(grants.length, 1);
  });
});

describe('follower log handling', () => {
  /** n2 holds entries 2..5, uncommitted (the leader never hears the acks). */
  function withLog(): StepCluster {
    const c = new StepCluster();
    c.elect('n1');
    c.ignore('appendResp');
    c.propose('n1', 'a', 'b', 'c', 'd');
    c.deliverAll();
    c.heal();
    return c;
  }

  test('a stale (delayed) append does not truncate entries the follower already holds', () => {
    const c = withLog();
    assert.equal(c.core('n2').status().lastIndex, 5);
    assert.equal(c.core('n2').status().commit, 1);
    const term = c.core('n1').status().term;
    const old: Message = {
      type: 'append',
      from: 'n1',
      to: 'n2',
      term,
      index: 1,
      logTerm: term,
      commit: 1,
      entries: [{ index: 2, term, kind: 0, data: new TextEncoder().encode('a') }],
    };
    c.deliver(old);
    assert.equal(c.core('n2').status().lastIndex, 5);
    const resp = c.queue.at(-1);
    assert.equal(resp?.type, 'appendResp');
    assert.equal(resp?.index, 2);
  });

  test('an append older than the commit index is answered with the commit index', () => {
    const c = withLog();
    for (let i = 0; i < 3; i++) {
      c.tickAll();
      c.deliverAll();
    }
    const commit = c.core('n2').status().commit;
    assert.equal(commit, 5);
    const term = c.core('n1').status().term;
    c.deliver({ type: 'append', from: 'n1', to: 'n2', term, index: 0, logTerm: 0, commit: 0, entries: [] });
    assert.equal(c.queue.at(-1)?.index, commit);
  });

  test('a conflicting append truncates the uncommitted suffix and the follower converges', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.cut('n1', 'n3');
    c.propose('n1', 'x1', 'x2'); // reaches n2 only; commits with n1+n2
    c.deliverAll();
    c.isolate('n2');
    c.cut('n1', 'n3');
    c.propose('n1', 'y'); // n1 alone: uncommitted
    c.crash('n1');
    c.heal();
    c.isolate('n1');
    c.tickAll(30);
    c.deliverAll();
    const leader = c.leader();
    assert.ok(leader === 'n2' || leader === 'n3');
    c.propose(leader, 'z');
    c.deliverAll();
    c.restart('n1');
    c.heal();
    for (let i = 0; i < 5; i++) {
      c.tickAll();
      c.deliverAll();
    }
    for (const id of c.ids) assert.deepEqual(c.appliedData(id), ['x1', 'x2', 'z'], id);
  });
});
