import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RaftCore } from '../../src/raft/core.js';
import { createRandom } from '../../src/testing/sim/random.js';
import { StepCluster } from '../../src/testing/sim/step-cluster.js';

describe('ReadIndex', () => {
  test('a leader answers only after a quorum confirmed its leadership, with the commit index at request time', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.propose('n1', 'a');
    c.deliverAll();
    const commit = c.core('n1').status().commit;
    c.core('n1').readIndex('r1');
    c.process('n1');
    assert.deepEqual(c.readStates.get('n1'), [], 'nothing before the heartbeat round');
    const hbs = c.queue.filter((m) => m.type === 'heartbeat' && m.context === 'r1');
    assert.equal(hbs.length, 2);
    c.deliverAll();
    assert.deepEqual(c.readStates.get('n1'), [{ index: commit, context: 'r1' }]);
  });

  test('an isolated leader never answers a read', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.isolate('n1');
    c.core('n1').readIndex('r1');
    c.process('n1');
    c.deliverAll();
    c.tick('n1', 3);
    c.deliverAll();
    assert.deepEqual(c.readStates.get('n1'), []);
  });

  test('one heartbeat quorum releases every earlier pending read', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.core('n1').readIndex('r1');
    c.core('n1').readIndex('r2');
    c.process('n1');
    const r2acks = c.take((m) => m.type === 'heartbeat' && m.context === 'r2');
    c.queue = [];
    for (const m of r2acks) c.deliver(m);
    c.deliverAll();
    assert.deepEqual(
      c.readStates.get('n1')?.map((r) => r.context),
      ['r1', 'r2'],
    );
  });

  test('a follower forwards the read and gets the leader commit index back', () => {
    const c = new StepCluster();
    c.elect('n1');
    c.propose('n1', 'a', 'b');
    c.deliverAll();
    c.core('n3').readIndex('f1');
    c.process('n3');
    assert.equal(c.queue[0]?.type, 'readIndex');
    assert.equal(c.queue[0]?.to, 'n1');
    c.deliverAll();
    assert.deepEqual(c.readStates.get('n3'), [{ index: c.core('n1').status().commit, context: 'f1' }]);
  });

  test('a new leader holds reads until the no-op of its term commits (its commit index may lag before)', () => {
    const c = new StepCluster({ core: { checkQuorum: false } });
    c.elect('n1');
    c.propose('n1', 'a');
    c.deliverAll(); // n2, n3 hold index 2 but may not know it is committed
    c.isolate('n1');
    c.core('n2').campaign();
    c.process('n2');
    // Deliver only the election, hold back n2's appends.
    for (let i = 0; i < 100 && c.core('n2').status().role !== 'leader'; i++) c.deliverOne();
    assert.equal(c.core('n2').status().role, 'leader');
    const held = c.take((m) => m.from === 'n2' && m.type === 'append');
    c.core('n2').readIndex('r');
    c.process('n2');
    c.deliverAll();
    assert.deepEqual(c.readStates.get('n2'), [], 'no answer before the no-op commits');
    for (const m of held) c.deliver(m);
    c.deliverAll();
    const rs = c.readStates.get('n2') ?? [];
    assert.equal(rs.length, 1);
    assert.ok((rs[0]?.index ?? 0) >= 3, 'covers the previous leader entry and the no-op');
  });

  test('a single voter answers at once', () => {
    const core = new RaftCore(
      { id: 'a', voters: ['a'], random: createRandom(1) },
      { hardState: { term: 0, vote: null, commit: 0 }, entries: [] },
    );
    core.campaign();
    core.readIndex('x');
    assert.deepEqual(core.ready().readStates, [{ index: 1, context: 'x' }]);
  });

  test('a read on a follower without a leader is dropped', () => {
    const c = new StepCluster();
    c.core('n2').readIndex('x');
    c.process('n2');
    assert.equal(c.queue.length, 0);
  });
});
