import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLevel } from 'memory-level';
import { RaftNode } from '../../src/raft/node.js';
import { NoLeaderError, ProposalDroppedError, RaftError } from '../../src/raft/errors.js';
import type { LeadershipChange, StateMachine } from '../../src/raft/types.js';
import { createLevelStorage } from '../../src/storage/index.js';
import { MemoryNetwork } from '../../src/transport/index.js';
import { ManualClock } from '../../src/util/manual-clock.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const TIMING = { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 };
const IDS = ['a', 'b', 'c'];

/** mulberry32: seeded, so every run elects the same way. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Recorder implements StateMachine {
  readonly texts: string[] = [];
  constructor(readonly owner: string) {}
  apply(data: Uint8Array): unknown {
    this.texts.push(dec.decode(data));
    return `${this.owner}:${this.texts.length}`;
  }
}

/** Three nodes, one ManualClock, one MemoryNetwork; disks (memory-level) outlive node restarts. */
class Cluster {
  readonly clock = new ManualClock();
  readonly net = new MemoryNetwork({ clock: this.clock, random: seeded(7) });
  readonly dbs = new Map<string, MemoryLevel<Uint8Array, Uint8Array>>();
  readonly nodes = new Map<string, RaftNode>();
  readonly sms = new Map<string, Recorder>();
  readonly changes = new Map<string, LeadershipChange[]>();

  constructor(readonly proposalTimeoutMs = 10_000) {}

  async start(id: string, seed = IDS.indexOf(id) + 1): Promise<RaftNode> {
    let db = this.dbs.get(id);
    if (db === undefined) {
      db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
      this.dbs.set(id, db);
    }
    const sm = new Recorder(id);
    const node = new RaftNode({
      id,
      voters: IDS,
      storage: createLevelStorage(db, { closeDatabase: false }),
      transport: this.net.connect(id),
      stateMachine: sm,
      clock: this.clock,
      random: seeded(seed),
      timing: TIMING,
      proposalTimeoutMs: this.proposalTimeoutMs,
    });
    const changes: LeadershipChange[] = [];
    node.onLeadership((c) => changes.push(c));
    this.changes.set(id, changes);
    this.sms.set(id, sm);
    this.nodes.set(id, node);
    await node.start();
    return node;
  }

  async startAll(): Promise<void> {
    for (const id of IDS) await this.start(id);
  }

  node(id: string): RaftNode {
    return this.nodes.get(id)!;
  }

  /** Advances simulated time tick by tick until `cond` holds; fails after `maxMs` of simulated time. */
  async until(cond: () => boolean, maxMs = 5_000): Promise<void> {
    const end = this.clock.now() + maxMs;
    while (!cond()) {
      if (this.clock.now() >= end) throw new Error(`condition not met within ${maxMs} ms of simulated time`);
      await this.clock.advance(TIMING.tickMs);
    }
  }

  /** Waits for a promise while time moves; the promise must settle within `maxMs` of simulated time. */
  async settle<T>(promise: Promise<T>, maxMs = 5_000): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    await this.until(() => done, maxMs);
    return tracked;
  }

  leaders(): string[] {
    return IDS.filter((id) => this.nodes.get(id)?.isLeader() === true);
  }

  async electedLeader(among: string[] = IDS): Promise<string> {
    await this.until(() => {
      const l = this.leaders().filter((id) => among.includes(id));
      return l.length === 1 && among.every((id) => this.node(id).leader() === l[0]);
    });
    return this.leaders().find((id) => among.includes(id))!;
  }

  async closeAll(): Promise<void> {
    for (const node of this.nodes.values()) await node.close();
    for (const db of this.dbs.values()) await db.close();
  }
}

function followersOf(leader: string): string[] {
  return IDS.filter((id) => id !== leader);
}

describe('RaftNode, three voters over MemoryNetwork', () => {
  test('elects one leader that everybody knows; isLeader only there', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    assert.deepEqual(c.leaders(), [leader]);
    const term = c.node(leader).status().term;
    for (const id of IDS) {
      assert.deepEqual(c.changes.get(id)!.at(-1), { isLeader: id === leader, leader, term });
    }
    await c.closeAll();
  });

  test('a proposal on the leader is applied everywhere, in the same order', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    const results = await c.settle(Promise.all(['x', 'y', 'z'].map((t) => c.node(leader).propose(enc.encode(t)))));
    assert.deepEqual(results, [`${leader}:1`, `${leader}:2`, `${leader}:3`]);
    await c.until(() => IDS.every((id) => c.sms.get(id)!.texts.length === 3));
    for (const id of IDS) assert.deepEqual(c.sms.get(id)!.texts, ['x', 'y', 'z']);
    await c.closeAll();
  });

  test('a proposal on a follower is forwarded and resolves there with its own apply result', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    const [f1, f2] = followersOf(leader) as [string, string];
    await c.settle(c.node(leader).propose(enc.encode('from-leader')));
    const [r1, r2] = await c.settle(Promise.all([c.node(f1).propose(enc.encode('from-f1')), c.node(f2).propose(enc.encode('from-f2'))]));
    assert.equal(r1, `${f1}:${c.sms.get(f1)!.texts.indexOf('from-f1') + 1}`);
    assert.equal(r2, `${f2}:${c.sms.get(f2)!.texts.indexOf('from-f2') + 1}`);
    await c.until(() => IDS.every((id) => c.sms.get(id)!.texts.length === 3));
    assert.deepEqual(c.sms.get(leader)!.texts, c.sms.get(f1)!.texts);
    assert.deepEqual(c.sms.get(f2)!.texts, c.sms.get(f1)!.texts);
    await c.closeAll();
  });

  test('leader crash: a new leader is elected, committed data survives, the old node catches up on restart', async () => {
    const c = new Cluster();
    await c.startAll();
    const old = await c.electedLeader();
    await c.settle(Promise.all(['1', '2', '3'].map((t) => c.node(old).propose(enc.encode(t)))));
    await c.node(old).close();
    const survivors = followersOf(old);
    const next = await c.electedLeader(survivors);
    assert.notEqual(next, old);
    assert.deepEqual(c.sms.get(next)!.texts, ['1', '2', '3']);
    assert.ok(c.node(next).status().term > c.changes.get(old)!.find((ch) => ch.isLeader)!.term);
    await c.settle(c.node(next).propose(enc.encode('4')));

    const reborn = await c.start(old, 99);
    assert.deepEqual(c.sms.get(old)!.texts, ['1', '2', '3'], 'replayed its own committed log on start');
    await c.until(() => c.sms.get(old)!.texts.length === 4);
    assert.deepEqual(c.sms.get(old)!.texts, ['1', '2', '3', '4']);
    assert.equal(reborn.leader(), next);
    await c.closeAll();
  });

  test('transferLeadership(to) hands over to that node', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    const target = followersOf(leader)[1]!;
    await c.settle(c.node(leader).transferLeadership(target));
    await c.until(() => c.node(target).isLeader());
    assert.deepEqual(c.leaders(), [target]);
    assert.equal(c.node(leader).leader(), target);
    assert.equal(await c.settle(c.node(target).propose(enc.encode('after'))), `${target}:1`);
    await c.closeAll();
  });

  test('transferLeadership() picks the most caught-up follower', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    const [lagging, fresh] = followersOf(leader) as [string, string];
    c.net.isolate(lagging);
    await c.settle(Promise.all(['p', 'q'].map((t) => c.node(leader).propose(enc.encode(t)))));
    await c.settle(c.node(leader).transferLeadership());
    await c.until(() => c.node(fresh).isLeader());
    assert.equal(c.node(leader).leader(), fresh);
    c.net.heal();
    await c.closeAll();
  });

  test('a transfer to an unreachable node times out; the leader keeps leading', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    const target = followersOf(leader)[0]!;
    c.net.isolate(target);
    const transfer = c.node(leader).transferLeadership(target);
    // While handing over, the leader refuses proposals at once rather than letting them hang.
    await assert.rejects(c.settle(c.node(leader).propose(enc.encode('during'))), (e: unknown) => e instanceof RaftError);
    await assert.rejects(c.settle(transfer), (e: unknown) => e instanceof RaftError && e.code === 'TIMEOUT');
    assert.equal(c.node(leader).isLeader(), true);
    assert.equal(await c.settle(c.node(leader).propose(enc.encode('after'))), `${leader}:1`);
    c.net.heal();
    await c.closeAll();
  });

  test('transferLeadership on a follower: nothing to hand over, or NOT_LEADER for another target', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    const [f1, f2] = followersOf(leader) as [string, string];
    await c.node(f1).transferLeadership();
    await c.node(f1).transferLeadership(leader);
    await assert.rejects(c.node(f1).transferLeadership(f2), (e: unknown) => e instanceof RaftError && e.code === 'NOT_LEADER');
    await c.closeAll();
  });

  test('readIndex on a follower resolves once it has applied what the leader had committed', async () => {
    const c = new Cluster();
    await c.startAll();
    const leader = await c.electedLeader();
    const follower = followersOf(leader)[0]!;
    // Slow the follower's inbound appends so that, without readIndex, it could still be behind.
    c.net.setLink(leader, follower, { delayMs: [30, 30] });
    await c.settle(c.node(leader).propose(enc.encode('w')));
    await c.settle(c.node(follower).readIndex());
    assert.deepEqual(c.sms.get(follower)!.texts, ['w']);
    await c.settle(c.node(leader).readIndex());
    await c.closeAll();
  });

  test('without a leader, proposals and reads are rejected at once with NO_LEADER', async () => {
    const c = new Cluster();
    await c.startAll();
    // Before any election timeout nobody leads.
    await assert.rejects(c.node('a').propose(enc.encode('early')), (e: unknown) => e instanceof NoLeaderError && e.code === 'NO_LEADER');
    await assert.rejects(c.node('a').readIndex(), NoLeaderError);
    const leader = await c.electedLeader();
    const follower = followersOf(leader)[0]!;
    c.net.isolate(follower);
    await c.until(() => c.node(follower).leader() === null);
    await assert.rejects(c.settle(c.node(follower).propose(enc.encode('cut off'))), NoLeaderError);
    c.net.heal();
    await c.closeAll();
  });

  test('a forwarded proposal that never arrives times out (PROPOSAL_DROPPED), never hangs', async () => {
    const c = new Cluster(500);
    await c.startAll();
    const leader = await c.electedLeader();
    const follower = followersOf(leader)[0]!;
    c.net.setLink(follower, leader, { drop: 1 });
    const err = await c.settle(c.node(follower).propose(enc.encode('lost'))).then(
      () => assert.fail('must not resolve'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProposalDroppedError);
    assert.equal(err.code, 'PROPOSAL_DROPPED');
    await c.closeAll();
  });

  test('an isolated leader`s uncommitted proposals are rejected once a new leader overwrites them', async () => {
    const c = new Cluster();
    await c.startAll();
    const old = await c.electedLeader();
    c.net.isolate(old);
    const doomed = c.node(old).propose(enc.encode('doomed'));
    doomed.catch(() => {});
    const next = await c.electedLeader(followersOf(old));
    await c.settle(c.node(next).propose(enc.encode('winner')));
    c.net.heal();
    const err = await c.settle(doomed).then(
      () => assert.fail('must not resolve'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProposalDroppedError);
    assert.equal(err.reason, 'overwritten');
    await c.until(() => c.sms.get(old)!.texts.length === 1);
    assert.deepEqual(c.sms.get(old)!.texts, ['winner']);
    await c.closeAll();
  });
});
