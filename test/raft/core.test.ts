import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RaftCore } from '../../src/raft/core.js';
import type { Ready } from '../../src/raft/types.js';
import { createRandom } from '../../src/testing/sim/random.js';
import { StepCluster } from '../../src/testing/sim/step-cluster.js';

const EMPTY = { hardState: { term: 0, vote: null, commit: 0 }, entries: [] };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function drain(core: RaftCore): Ready[] {
  const out: Ready[] = [];
  while (core.hasReady()) {
    const rd = core.ready();
    out.push(rd);
    core.advance(rd);
  }
  return out;
}

describe('single voter', () => {
  test('campaign() makes it leader at once and the no-op commits on its own', () => {
    const core = new RaftCore({ id: 'a', voters: ['a'], random: createRandom(1) }, EMPTY);
    core.campaign();
    const s = core.status();
    assert.equal(s.role, 'leader');
    assert.equal(s.term, 1);
    assert.equal(s.commit, 1);
    const [rd] = drain(core);
    assert.ok(rd);
    assert.deepEqual(rd.softState, { role: 'leader', leader: 'a' });
    assert.deepEqual(rd.hardState, { term: 1, vote: 'a', commit: 1 });
    assert.equal(rd.entries.length, 1);
    assert.equal(rd.committedEntries.length, 1);
    assert.equal(rd.committedEntries[0]?.data.length, 0);
    assert.equal(rd.messages.length, 0);
  });

  test('proposals are appended as one batch and committed in the same Ready', () => {
    const core = new RaftCore({ id: 'a', voters: ['a'], random: createRandom(1) }, EMPTY);
    core.campaign();
    drain(core);
    assert.equal(core.propose([bytes('x'), bytes('y'), bytes('z')]), true);
    const rds = drain(core);
    assert.equal(rds.length, 1);
    const rd = rds[0] as Ready;
    assert.deepEqual(
      rd.entries.map((e) => e.index),
      [2, 3, 4],
    );
    assert.deepEqual(
      rd.committedEntries.map((e) => new TextDecoder().decode(e.data)),
      ['x', 'y', 'z'],
    );
    assert.equal(rd.hardState?.commit, 4);
    assert.equal(core.status().applied, 4);
  });

  test('a single voter also elects itself on election timeout', () => {
    const core = new RaftCore({ id: 'a', voters: ['a'], electionTicks: 5, random: createRandom(2) }, EMPTY);
    for (let i = 0; i < 10; i++) core.tick();
    assert.equal(core.status().role, 'leader');
  });

  test('propose without a leader returns false', () => {
    const core = new RaftCore({ id: 'a', voters: ['a', 'b', 'c'], random: createRandom(1) }, EMPTY);
    assert.equal(core.propose([bytes('x')]), false);
  });
});

describe('three nodes, happy path', () => {
  test('elects a leader, replicates and commits on every node', () => {
    const c = new StepCluster();
    c.elect('n1');
    assert.equal(c.leader(), 'n1');
    for (const id of c.ids) {
      assert.equal(c.core(id).status().term, 1);
      assert.equal(c.core(id).status().commit, 1, `no-op committed on ${id}`);
    }
    assert.equal(c.propose('n1', 'a', 'b'), true);
    c.deliverAll();
    c.tickAll(); // heartbeat carries the final commit index to followers
    c.deliverAll();
    for (const id of c.ids) assert.deepEqual(c.appliedData(id), ['a', 'b']);
  });

  test('many proposals become one append message per follower', () => {
    const c = new StepCluster();
    c.elect('n1');
    const before = c.sent.length;
    c.core('n1').propose(Array.from({ length: 100 }, (_, i) => bytes(String(i))));
    c.process('n1');
    const appends = c.sent.slice(before).filter((m) => m.type === 'append');
    assert.equal(appends.length, 2);
    assert.equal(appends[0]?.entries?.length, 100);
  });

  test('a follower forwards proposals to the leader', () => {
    const c = new StepCluster();
    c.elect('n1');
    assert.equal(c.propose('n2', 'fwd'), true);
    assert.equal(c.queue[0]?.type, 'propose');
    assert.equal(c.queue[0]?.to, 'n1');
    c.deliverAll();
    c.tickAll();
    c.deliverAll();
    for (const id of c.ids) assert.deepEqual(c.appliedData(id), ['fwd']);
  });
});
