import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNetwork } from '../../src/transport/index.js';
import { ManualClock } from '../../src/util/manual-clock.js';
import { DEFAULT_TIMING } from '../../src/raft/timing.js';
import { createScheduler } from '../../src/scheduler/create.js';
import type { Scheduler } from '../../src/scheduler/scheduler.js';
import { record, T0, type Recorded } from '../fixtures/scheduler-harness.js';
import { seeded } from '../fixtures/state.js';

const IDS = ['a', 'b', 'c'];
const MINUTE = 60_000;

class Cluster {
  readonly clock = new ManualClock(T0);
  readonly net = new MemoryNetwork({ clock: this.clock, random: seeded(7) });
  readonly nodes = new Map<string, Scheduler>();
  readonly events = new Map<string, Recorded[]>();
  readonly runs: { node: string; execution: string }[] = [];

  async start(): Promise<void> {
    await Promise.all(
      IDS.map(async (id, i) => {
        const scheduler = await createScheduler({
          nodeId: id,
          voters: IDS,
          transport: this.net.connect(id),
          clock: this.clock,
          random: seeded(i + 1),
          raft: { timing: DEFAULT_TIMING },
        });
        scheduler.handle('work', (ctx) => void this.runs.push({ node: id, execution: ctx.execution.id }));
        this.nodes.set(id, scheduler);
        this.events.set(id, record(scheduler));
      }),
    );
    await this.until(() => this.leader() !== undefined);
  }

  leader(): string | undefined {
    const leaders = [...this.nodes].filter(([, s]) => s.isLeader).map(([id]) => id);
    if (leaders.length !== 1) return undefined;
    const l = leaders[0]!;
    return [...this.nodes.values()].every((s) => s.leader === l) ? l : undefined;
  }

  node(id: string): Scheduler {
    return this.nodes.get(id)!;
  }

  /** Moves simulated time in ticks until `cond` holds (at most `maxMs` of simulated time). */
  async until(cond: () => boolean, maxMs = 10_000): Promise<void> {
    const end = this.clock.now() + maxMs;
    while (!cond()) {
      if (this.clock.now() >= end) assert.fail(`condition not met within ${maxMs} ms of simulated time`);
      await this.clock.advance(DEFAULT_TIMING.tickMs);
    }
  }

  /** Waits for `promise` while simulated time moves. */
  async settle<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => (done = true));
    tracked.catch(() => {});
    await this.until(() => done);
    return tracked;
  }

  completions(id: string): string[] {
    return (this.events.get(id) ?? []).flatMap((e) => (e.name === 'execution:completed' ? [e.args[0].id] : []));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((s) => this.settle(s.close())));
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
