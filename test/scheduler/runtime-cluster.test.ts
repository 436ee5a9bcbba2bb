import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../fixtures/cluster.js';
import { T0 } from '../fixtures/scheduler-harness.js';

const IDS = ['a', 'b', 'c'];
const MINUTE = 60_000;

/** The cluster of these tests: every node runs `work`, and the runs are recorded cluster-wide. */
class Cluster extends TestCluster {
  readonly runs: { node: string; execution: string }[] = [];

  override async start(): Promise<void> {
    await super.start((id) => ({ handlers: { work: (ctx) => void this.runs.push({ node: id, execution: ctx.execution.id }) } }));
  }

  completions(id: string): string[] {
    return (this.events.get(id) ?? []).flatMap((e) => (e.name === 'execution:completed' ? [e.args[0].id] : []));
  }
}

describe('scheduler runtime: a three-node cluster over MemoryNetwork', () => {
  test('a follower schedules, the leader fires once, every replica records it the same', async () => {
    const cluster = new Cluster();
    await cluster.start();
    const leader = cluster.leader()!;
    const follower = IDS.find((id) => id !== leader)!;
    const job = await cluster.settle(cluster.node(follower).schedule({ id: 'j', at: T0 + MINUTE, handler: 'work' }));
    assert.equal(job.id, 'j');
    await cluster.until(() => IDS.every((id) => cluster.completions(id).length === 1), 2 * MINUTE);
    assert.equal(cluster.runs.length, 1, 'ran once in the whole cluster');
    assert.equal(cluster.runs[0]?.node, leader, 'on the leader');
    for (const id of IDS) {
      const [execution] = (cluster.events.get(id) ?? []).flatMap((e) => (e.name === 'execution:completed' ? [e.args[0]] : []));
      assert.equal(execution?.nodeId, leader, `${id} sees where it ran`);
    }
    await cluster.until(() => new Set(IDS.map((id) => cluster.node(id).stateHash())).size === 1);
    const stats = cluster.node(follower).stats();
    assert.equal(stats.role, 'follower');
    assert.equal(stats.leader, leader);
    assert.equal((await cluster.settle(cluster.node(follower).status('j', { consistent: true }))).status, 'completed');
    await cluster.closeAll();
  });

  test('closing the leader hands over; the new leader keeps firing each occurrence once', async () => {
    const cluster = new Cluster();
    await cluster.start();
    const first = cluster.leader()!;
    await cluster.settle(cluster.node(first).schedule({ id: 'cron', cron: '* * * * *', handler: 'work' }));
    await cluster.until(() => cluster.runs.length === 1, 2 * MINUTE);
    await cluster.settle(cluster.node(first).close());
    cluster.nodes.delete(first);
    await cluster.until(() => cluster.leader() !== undefined);
    const second = cluster.leader()!;
    assert.notEqual(second, first);
    await cluster.until(() => cluster.runs.length === 3, 3 * MINUTE);
    const ids = cluster.runs.map((r) => r.execution);
    assert.equal(new Set(ids).size, ids.length, 'no occurrence ran twice');
    assert.deepEqual(
      cluster.runs.slice(1).map((r) => r.node),
      [second, second],
    );
    await cluster.closeAll();
  });
});
