/**
 * Attempts belong to a node's life: a retry never starts next to an attempt that may still run,
 * a queued attempt is never ended by anyone but its node, and nothing is lost on a graceful stop,
 * a restart or a rolling deploy. Single nodes on a ManualClock and three-node clusters over a
 * MemoryNetwork; crashes are simulated with the scheduler simulator's fenced process.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLevel } from 'memory-level';
import { ANY_NODE } from '../../src/transport/index.js';
import { ManualClock } from '../../src/util/manual-clock.js';
import { createScheduler } from '../../src/scheduler/create.js';
import { InvalidStateError } from '../../src/scheduler/errors.js';
import type { Handler } from '../../src/scheduler/executor.js';
import { Fence, ProcessClock, fencedLevel } from '../../src/testing/scheduler-sim/process.js';
import { argsOf, eventually, harness, record, T0, turns } from '../fixtures/scheduler-harness.js';
import { TestCluster, until } from '../fixtures/cluster.js';
import { settle } from '../fixtures/sim-time.js';
import { seeded } from '../fixtures/state.js';

const SEC = 1000;
const MINUTE = 60 * SEC;

/** A handler that resolves after `ms` of simulated time. */
function sleeper(clock: ManualClock, ms: number, log?: string[]): Handler {
  return (ctx) => {
    log?.push(ctx.execution.id);
    return new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  };
}

describe('a queued attempt is never presumed dead', () => {
  test('concurrency 1 with ten 60 s jobs: every one runs once, none is marked timeout without running', async () => {
    const { clock, scheduler, events } = await harness({ concurrency: 1, inProgressTimeout: '2m', executionTimeout: '90s' });
    const ran: string[] = [];
    scheduler.handle('work', sleeper(clock, MINUTE, ran));
    await turns();
    await scheduler.scheduleMany(Array.from({ length: 10 }, (_, i) => ({ id: `j${i}`, at: T0 + SEC, handler: 'work' })));
    await until(clock, () => argsOf(events, 'execution:completed').length === 10, 15 * MINUTE, SEC);
    assert.equal(argsOf(events, 'execution:timeout').length, 0);
    assert.equal(ran.length, 10);
    assert.equal(new Set(ran).size, 10, 'none ran twice');
    await scheduler.close();
  });
});

describe('a retry never starts next to an attempt that may still run', () => {
  test('an attempt waiting for a slot on a healthy follower is not retried alongside itself', async () => {
    const cluster = new TestCluster();
    const ran: { id: string; at: number }[] = [];
    await cluster.start(() => ({ inProgressTimeout: '5s', executionTimeout: '20s', concurrency: 1 }));
    const leader = cluster.leader()!;
    const follower = cluster.ids.find((id) => id !== leader)!;
    // Only the follower can run `slow` (a rolling deploy): both attempts queue there, one at a time.
    cluster.node(follower).handle('slow', (ctx) => {
      ran.push({ id: ctx.execution.id, at: cluster.clock.now() });
      return new Promise<void>((resolve) => cluster.clock.setTimeout(resolve, 15 * SEC));
    });
    await until(cluster.clock, () => true, 500);
    await cluster.settle(
      cluster.node(follower).scheduleMany([
        { id: 'x', at: T0 + 20 * SEC, handler: 'slow' },
        { id: 'y', at: T0 + 20 * SEC, handler: 'slow' },
      ]),
    );
    await until(cluster.clock, () => argsOf(cluster.events.get(leader)!, 'execution:completed').length === 2, 2 * MINUTE);
    await cluster.clock.advance(10 * SEC);
    assert.deepEqual(ran.map((r) => r.id.split('@')[0]).sort(), ['x', 'y'], 'each ran once, on the follower');
    assert.ok(
      ran.every((r) => r.id.endsWith('#1')),
      'no retry',
    );
    await cluster.closeAll();
  });

  test('a partitioned node aborts its attempts when its lease lapses; the leader retries only after lease + margin', async () => {
    const cluster = new TestCluster();
    const calls: { node: string; id: string; at: number }[] = [];
    const aborted: { node: string; at: number }[] = [];
    await cluster.start((id) => ({
      inProgressTimeout: '4s',
      executionTimeout: '10m',
      handlers: {
        work: (ctx) => {
          calls.push({ node: id, id: ctx.execution.id, at: cluster.clock.now() });
          return new Promise<void>((resolve, reject) => {
            ctx.signal.addEventListener('abort', () => {
              aborted.push({ node: id, at: cluster.clock.now() });
              reject(new Error('aborted'));
            });
            cluster.clock.setTimeout(resolve, 5 * MINUTE);
          });
        },
      },
    }));
    const leader = cluster.leader()!;
    await cluster.settle(cluster.node(leader).schedule({ id: 'p', at: T0 + 15 * SEC, handler: 'work', maxAttempts: 3 }));
    await until(cluster.clock, () => calls.length === 1, MINUTE);
    assert.equal(calls[0]?.node, leader);
    const cut = cluster.clock.now();
    cluster.net.isolate(leader);
    await until(cluster.clock, () => calls.length === 2, MINUTE);
    const [lapse] = aborted;
    assert.ok(lapse !== undefined && lapse.node === leader, 'the isolated node aborted its attempt');
    const retry = calls[1]!;
    assert.notEqual(retry.node, leader);
    assert.ok(lapse.at < retry.at, `aborted at ${lapse.at - cut} ms, retried at ${retry.at - cut} ms after the cut`);
    assert.ok(retry.at - cut >= 4 * SEC, 'not before the lease');
    const executions = await cluster.settle(cluster.node(retry.node).executions('p'));
    assert.equal(executions[0]?.status, 'timeout');
    assert.match(executions[0]?.error ?? '', /out of contact/);
    await cluster.closeAll();
  });
});

describe('a hung handler costs nothing', () => {
  test('while a timed-out handler ignores its signal, the state gives the leader nothing to wake for', async () => {
    const { clock, scheduler, events } = await harness({ inProgressTimeout: '1h' });
    scheduler.handle('hang', () => new Promise<void>(() => {}));
    await turns();
    await scheduler.schedule({ id: 'h', at: T0 + SEC, handler: 'hang', timeout: SEC });
    await until(clock, () => argsOf(events, 'execution:timeout').length === 1, 10 * SEC);
    const hash = scheduler.stateHash();
    await clock.advance(30 * MINUTE);
    await turns();
    assert.equal(scheduler.stats().queued, 0, 'no wake time for it');
    assert.equal(scheduler.stateHash(), hash, 'nothing proposed while it hangs');
    assert.equal(argsOf(events, 'execution:started').length, 1);
    // After the in-progress timeout the node abandons it, says so, and the retry runs.
    await until(clock, () => argsOf(events, 'execution:started').length === 2, 40 * MINUTE, MINUTE);
    assert.ok(argsOf(events, 'error').some(([e]) => /ignored its abort signal/.test(e.message)));
    await settle(clock, scheduler.close());
  });
});

describe('nothing is lost on a restart', () => {
  test("a node restart ends its old life's attempts at once, not after the in-progress timeout", async () => {
    const disk = new MemoryLevel<string, string>();
    const base = new ManualClock(T0);
    const boot = async (fence: Fence, handlers: Record<string, Handler>) => {
      const clock = new ProcessClock(base, fence);
      const s = await createScheduler({
        clock,
        random: seeded(3),
        storage: { level: fencedLevel(disk, fence, clock, { writeDelayMs: () => 0, landsOnCrash: () => true }) },
        raft: { timing: { tickMs: 10_000, electionTicks: 10, heartbeatTicks: 1 } },
        handlers,
      });
      return { s, events: record(s) };
    };
    const first = new Fence();
    const one = await boot(first, { work: () => new Promise<void>(() => {}) });
    await turns();
    await one.s.schedule({ id: 'r', at: T0 + SEC, handler: 'work', timeout: '1h' });
    await until(base, () => argsOf(one.events, 'execution:started').length === 1, 10 * SEC);
    first.kill();
    await base.advance(SEC);
    const restartAt = base.now();
    let ran = 0;
    const two = await boot(new Fence(), { work: () => void ran++ });
    await until(base, () => ran === 1, 10 * SEC);
    const [e1, e2] = await two.s.executions('r');
    assert.equal(e1?.status, 'failed');
    assert.equal(e1?.error, 'interrupted: node node-1 restarted');
    assert.ok((e1?.endedAt ?? Infinity) <= restartAt + 100, 'ended at the restart');
    assert.equal(e2?.attempt, 2);
    await two.s.close();
  });

  test('overdue jobs wait after a restart until handle() is called: no "no handler" failure', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const first = await harness({ storage: { level: db } });
    first.scheduler.handle('work', () => {});
    await turns();
    await first.scheduler.schedule({ id: 'o', at: T0 + MINUTE, handler: 'work', maxAttempts: 1 });
    await first.scheduler.close();
    const clock = new ManualClock(T0 + 10 * MINUTE);
    const second = await harness({ storage: { level: db }, clock });
    await turns();
    await clock.advance(5 * SEC);
    await turns();
    assert.equal(argsOf(second.events, 'execution:started').length, 0, 'nothing fires before the handler exists');
    second.scheduler.handle('work', () => {});
    await eventually(() => argsOf(second.events, 'execution:completed').length === 1, 'the overdue run');
    assert.equal(argsOf(second.events, 'execution:failed').length, 0);
    await second.scheduler.close();
  });

  test('handlers given to createScheduler are registered before the first registration', async () => {
    let ran = 0;
    const { scheduler, events } = await harness({ handlers: { work: () => void ran++ } });
    await scheduler.schedule({ id: 'w', at: T0, handler: 'work' });
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the run');
    assert.equal(ran, 1);
    await scheduler.close();
  });
});

describe('nothing is lost on a graceful stop', () => {
  test('close() with a running attempt and a queued one: both run again at once elsewhere, recorded interrupted, not spent', async () => {
    const cluster = new TestCluster();
    const calls: { node: string; id: string }[] = [];
    await cluster.start((id) => ({
      concurrency: 1,
      closeGrace: '1s',
      handlers: {
        work: (ctx) => {
          calls.push({ node: id, id: ctx.execution.id });
          return new Promise<void>((resolve, reject) => {
            ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
            cluster.clock.setTimeout(resolve, 10 * SEC);
          });
        },
      },
    }));
    const leader = cluster.leader()!;
    await cluster.settle(
      cluster.node(leader).scheduleMany([
        { id: 'run', at: T0 + 5 * SEC, handler: 'work', maxAttempts: 1 },
        { id: 'queued', at: T0 + 5 * SEC, handler: 'work', maxAttempts: 1 },
      ]),
    );
    await until(cluster.clock, () => calls.length === 1, MINUTE);
    const closing = cluster.node(leader).close();
    await cluster.settle(closing);
    cluster.nodes.delete(leader);
    await until(cluster.clock, () => calls.length === 3, MINUTE);
    const other = [...cluster.nodes.keys()][0]!;
    for (const id of ['run', 'queued']) {
      const executions = await cluster.settle(cluster.node(other).executions(id));
      assert.equal(executions[0]?.status, 'cancelled', id);
      assert.equal(executions[0]?.interrupted, true, id);
      assert.equal(executions[1]?.nodeId === leader, false, `${id} re-ran elsewhere`);
    }
    await until(cluster.clock, () => argsOf(cluster.events.get(other)!, 'execution:completed').length === 2, MINUTE);
    await cluster.closeAll();
  });

  test('a start committed while the node closes runs promptly on the next leader, without spending an attempt', async () => {
    const cluster = new TestCluster();
    const calls: { node: string; id: string; at: number }[] = [];
    await cluster.start((id) => ({
      handlers: { work: (ctx) => void calls.push({ node: id, id: ctx.execution.id, at: cluster.clock.now() }) },
    }));
    const leader = cluster.leader()!;
    const at = T0 + 20 * SEC;
    await cluster.settle(cluster.node(leader).schedule({ id: 's', at, handler: 'work', maxAttempts: 1 }));
    // Slow links from the leader: at `at` its loop proposes the start for itself, and the start
    // commits only while the node is already closing.
    cluster.net.setLink(leader, ANY_NODE, { delayMs: [300, 300] });
    await cluster.clock.advanceTo(at);
    assert.equal(calls.length, 0);
    const closing = cluster.node(leader).close();
    await cluster.clock.advance(1000);
    cluster.net.setLink(leader, ANY_NODE, null);
    await cluster.settle(closing);
    cluster.nodes.delete(leader);
    await until(cluster.clock, () => calls.length === 1, MINUTE);
    assert.notEqual(calls[0]?.node, leader);
    assert.ok(calls[0]!.at - at < 10 * SEC, `ran ${calls[0]!.at - at} ms after its time`);
    const [first] = await cluster.settle(cluster.node(calls[0]!.node).executions('s'));
    assert.equal(first?.nodeId, leader, 'the start had committed for the closing node');
    assert.equal(first?.interrupted, true);
    await cluster.closeAll();
  });
});

describe('a rolling deploy', () => {
  test('with only some nodes having handler h, h jobs run only on those, and nothing burns attempts', async () => {
    const cluster = new TestCluster();
    const ran: string[] = [];
    await cluster.start((id) => (id === 'b' ? { handlers: { h: () => void ran.push(id) } } : {}));
    const leader = cluster.leader()!;
    await cluster.settle(
      cluster
        .node('b')
        .scheduleMany(Array.from({ length: 6 }, (_, i) => ({ id: `h${i}`, at: T0 + 5 * SEC, handler: 'h', maxAttempts: 1 }))),
    );
    await until(cluster.clock, () => ran.length === 6, MINUTE);
    assert.deepEqual([...new Set(ran)], ['b']);
    assert.equal(argsOf(cluster.events.get(leader)!, 'execution:failed').length, 0);
    await cluster.closeAll();
  });

  test('trigger() on a node without the handler runs the occurrence on one that has it; with none it is refused', async () => {
    const cluster = new TestCluster();
    const ran: string[] = [];
    await cluster.start((id) => (id === 'b' ? { handlers: { h: () => void ran.push(id) } } : {}));
    const other = cluster.ids.find((id) => id !== 'b')!;
    await cluster.settle(cluster.node('b').schedule({ id: 'm', at: T0 + 60 * MINUTE, handler: 'h', maxAttempts: 1 }));
    // Every node's registration reaches the log (they are proposed once the schedulers start).
    await cluster.clock.advance(SEC);
    await turns(5);
    const execution = await cluster.settle(cluster.node(other).trigger('m'));
    assert.equal(execution?.nodeId, 'b');
    await until(cluster.clock, () => ran.length === 1, MINUTE);
    cluster.node('b').unhandle('h');
    // The registration without `h` reaches the log: no node can run the job any more.
    await cluster.clock.advance(SEC);
    await turns(5);
    await assert.rejects(cluster.settle(cluster.node(other).trigger('m')), (e: unknown) => e instanceof InvalidStateError);
    await cluster.closeAll();
  });
});
