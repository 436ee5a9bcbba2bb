import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RaftCore } from '../../src/raft/core.js';
import type { Message } from '../../src/raft/types.js';
import { createRandom } from '../../src/testing/sim/random.js';
import { StepCluster } from '../../src/testing/sim/step-cluster.js';

const EMPTY = { hardState: { term: 0, vote: null, commit: 0 }, entries: [] };

describe('election timeouts', () => {
  test('the randomized timeout lies in [electionTicks, 2 * electionTicks)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const core = new RaftCore({ id: 'a', voters: ['a', 'b', 'c'], electionTicks: 5, random: createRandom(seed) }, EMPTY);
      let ticks = 0;
      while (core.status().role === 'follower' && ticks < 100) {
        core.tick();
        ticks++;
      }
      assert.ok(ticks >= 5 && ticks < 10, `seed ${seed}: campaigned after ${ticks} ticks`);
    }
  });

  test('the candidate with the more up-to-date log wins; a stale log is refused (election restriction)', () => {
    const c = new StepCluster({ core: { checkQuorum: false } });
    c.elect('n1');
    c.cut('n1', 'n3');
    c.propose('n1', 'x'); // n1, n2 have it; n3 does not
    c.deliverAll();
    c.heal();
    c.core('n3').campaign();
    c.process('n3');
    c.deliverAll();
    assert.notEqual(c.core('n3').status().role, 'leader');
    c.core('n2').campaign();
    c.process('n2');
    c.deliverAll();
    assert.equal(c.leader(), 'n2');
  });

  test('a new leader appends an empty no-op of its term', () => {
    const c = new StepCluster();
    c.elect('n2');
    const s = c.core('n2').status();
    assert.equal(s.lastIndex, 1);
    assert.equal(c.core('n2').termAt(1), s.term);
    assert.equal(c.applied.get('n2')?.[0]?.data.length, 0);
  });

  test('a Ready that grants a vote carries the vote in its hardState (persisted before the message leaves)', () => {
    const core = new RaftCore({ id: 'b', voters: ['a', 'b', 'c'], preVote: false, random: createRandom(3) }, EMPTY);
    core.step({ type: 'vote', from: 'a', to: 'b', term: 1, index: 0, logTerm: 0 });
    const rd = core.ready();
    assert.deepEqual(rd.hardState, { term: 1, vote: 'a', commit: 0 });
    assert.equal(rd.messages.length, 1);
    assert.equal(rd.messages[0]?.type, 'voteResp');
    assert.equal(rd.messages[0]?.reject, false);
  });
});

describe('pre-vote', () => {
  test('a partitioned node does not raise its term, and does not disturb the leader when it returns', () => {
    const c = new StepCluster();
    c.elect('n1');
    const term = c.core('n1').status().term;
    c.isolate('n3');
    c.tick('n3', 100);
    c.deliverAll();
    assert.equal(c.core('n3').status().term, term, 'pre-vote kept the term');
    assert.equal(c.core('n3').status().role, 'preCandidate');
    c.heal();
    for (let i = 0; i < 3; i++) {
      c.tickAll();
      c.deliverAll();
    }
    assert.equal(c.leader(), 'n1');
    assert.equal(c.core('n1').status().term, term);
    assert.equal(c.core('n3').status().leader, 'n1');
  });

  test('two pre-candidates with equal logs do not split the vote: the smaller id wins at once', () => {
    const c = new StepCluster({ core: { checkQuorum: false } });
    c.elect('n1');
    const term = c.core('n1').status().term;
    c.crash('n1');
    c.core('n3').campaign();
    c.core('n2').campaign();
    c.process('n3');
    c.process('n2');
    c.deliverAll();
    assert.equal(c.leader(), 'n2');
    assert.equal(c.core('n2').status().term, term + 1, 'one election, no split and retry');
    assert.equal(c.core('n3').status().leader, 'n2');
  });

  test('a pre-candidate grants a competing pre-candidate with a more up-to-date log', () => {
    const c = new StepCluster({ core: { checkQuorum: false } });
    c.elect('n1');
    c.cut('n1', 'n2');
    c.propose('n1', 'x'); // n3 has it, n2 does not
    c.deliverAll();
    c.heal();
    c.crash('n1');
    c.core('n2').campaign();
    c.core('n3').campaign();
    c.process('n2');
    c.process('n3');
    c.deliverAll();
    assert.equal(c.leader(), 'n3');
  });

  test('an unanswered pre-vote round is retried after the same timeout, not a fresh longer draw', () => {
    let first = true;
    const random = (): number => (first ? ((first = false), 0) : 0.99); // first draw: 10 ticks, later: 19
    const core = new RaftCore({ id: 'b', voters: ['a', 'b', 'c'], electionTicks: 10, random }, EMPTY);
    const preVotesAfter = (ticks: number): number => {
      let n = 0;
      for (let i = 0; i < ticks; i++) {
        core.tick();
        n += core.ready().messages.filter((m) => m.type === 'preVote').length;
      }
      return n;
    };
    assert.equal(preVotesAfter(10), 2);
    assert.equal(preVotesAfter(10), 2, 'second round after 10 more ticks');
  });

  test('granting a pre-vote changes neither the voter term nor its vote', () => {
    const core = new RaftCore({ id: 'b', voters: ['a', 'b', 'c'], random: createRandom(3) }, EMPTY);
    core.step({ type: 'preVote', from: 'a', to: 'b', term: 1, index: 0, logTerm: 0 });
    const s = core.status();
    assert.equal(s.term, 0);
    assert.equal(s.vote, null);
    const rd = core.ready();
    assert.equal(rd.hardState, undefined);
    assert.deepEqual(
      rd.messages.map((m) => [m.type, m.term, m.reject]),
      [['preVoteResp', 1, false]],
    );
  });

  test('without pre-vote the isolated node inflates its term and deposes the leader on return', () => {
    const c = new StepCluster({ core: { preVote: false, checkQuorum: false } });
    c.elect('n1');
    const term = c.core('n1').status().term;
    c.isolate('n3');
    c.tick('n3', 100);
    c.deliverAll();
    assert.ok(c.core('n3').status().term > term + 1);
    c.heal();
    for (let i = 0; i < 30 && c.core('n1').status().term === term; i++) {
      c.tickAll();
      c.deliverAll();
    }
    assert.ok(c.core('n1').status().term > term, 'the contrast that pre-vote prevents');
  });
});

describe('check-quorum', () => {
  test('a leader that hears from no quorum within an election timeout steps down', () => {
    const c = new StepCluster({ core: { electionTicks: 10 } });
    c.elect('n1');
    c.isolate('n1');
    c.tick('n1', 20);
    const s = c.core('n1').status();
    assert.equal(s.role, 'follower');
    assert.equal(s.leader, null);
  });

  test('a leader in contact with a quorum stays leader', () => {
    const c = new StepCluster({ core: { electionTicks: 10 } });
    c.elect('n1');
    c.isolate('n3');
    for (let i = 0; i < 50; i++) {
      c.tick('n1');
      c.deliverAll();
    }
    assert.equal(c.core('n1').status().role, 'leader');
  });

  test('followers that heard from the leader within the election timeout ignore votes of a higher term', () => {
    const c = new StepCluster({ core: { electionTicks: 10 } });
    c.elect('n1');
    const before = c.core('n2').status();
    const vote: Message = { type: 'vote', from: 'n3', to: 'n2', term: before.term + 5, index: 99, logTerm: 99 };
    c.deliver(vote);
    assert.deepEqual(c.core('n2').status(), before);
    assert.equal(c.queue.length, 0, 'no answer at all');
  });

  test('after the lease expires the same vote is considered', () => {
    // random() = 0.99 puts the follower's own timeout at 19 ticks, so it is still a follower at 10.
    const core = new RaftCore({ id: 'b', voters: ['a', 'b', 'c'], electionTicks: 10, preVote: false, random: () => 0.99 }, EMPTY);
    core.step({ type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 0 });
    core.step({ type: 'vote', from: 'c', to: 'b', term: 2, index: 0, logTerm: 0 });
    assert.equal(core.status().term, 1, 'ignored inside the lease');
    for (let i = 0; i < 10; i++) core.tick();
    assert.equal(core.status().role, 'follower');
    core.step({ type: 'vote', from: 'c', to: 'b', term: 2, index: 0, logTerm: 0 });
    assert.equal(core.status().term, 2);
    assert.equal(core.status().vote, 'c');
  });
});

describe('leadership transfer', () => {
  test('an up-to-date target gets timeoutNow and wins the next term at once', () => {
    const c = new StepCluster();
    c.elect('n1');
    const term = c.core('n1').status().term;
    c.core('n1').transferLeadership('n3');
    c.process('n1');
    assert.equal(c.queue[0]?.type, 'timeoutNow');
    c.deliverAll();
    assert.equal(c.leader(), 'n3');
    assert.equal(c.core('n3').status().term, term + 1);
    assert.equal(c.core('n1').status().role, 'follower');
  });

  test('a lagging target is caught up before timeoutNow', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.cut('n1', 'n3');
    c.propose('n1', 'a', 'b');
    c.deliverAll();
    c.heal();
    c.core('n1').transferLeadership('n3');
    c.process('n1');
    assert.equal(
      c.queue.some((m) => m.type === 'timeoutNow'),
      false,
    );
    c.deliverAll();
    assert.equal(c.leader(), 'n3');
    assert.equal(c.core('n3').termAt(3), c.core('n1').termAt(3));
  });

  test('proposals are refused while a transfer is pending; the transfer is abandoned after an election timeout', () => {
    const c = new StepCluster({ core: { electionTicks: 10 } });
    c.elect('n1');
    c.isolate('n3');
    c.core('n1').transferLeadership('n3');
    assert.equal(c.core('n1').status().leadTransferee, 'n3');
    assert.equal(c.core('n1').propose([new Uint8Array([1])]), false);
    for (let i = 0; i < 10; i++) {
      c.tick('n1');
      c.deliverAll();
    }
    assert.equal(c.core('n1').status().role, 'leader');
    assert.equal(c.core('n1').status().leadTransferee, null);
    assert.equal(c.core('n1').propose([new Uint8Array([1])]), true);
  });

  test('transfer is a no-op on followers and to self', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.core('n2').transferLeadership('n3');
    c.core('n1').transferLeadership('n1');
    c.process('n1');
    c.process('n2');
    assert.equal(c.queue.length, 0);
  });
});
