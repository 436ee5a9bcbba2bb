import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLevel } from 'memory-level';
import { RaftNode } from '../../src/raft/node.js';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import type { Message, StateMachine, Transport } from '../../src/raft/types.js';
import { createLevelStorage } from '../../src/storage/index.js';
import { MemoryNetwork } from '../../src/transport/index.js';
import { createRandom } from '../../src/testing/index.js';
import { ManualClock } from '../../src/util/manual-clock.js';
import { settle, until } from '../fixtures/sim-time.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const IDS = ['a', 'b', 'c'];

class Recorder implements StateMachine {
  readonly texts: string[] = [];
  apply(data: Uint8Array): unknown {
    this.texts.push(dec.decode(data));
    return this.texts.length;
  }
}

/** A transport that keeps every forwarded proposal it sends, so a test can deliver it again, anywhere. */
function recording(inner: Transport): Transport & { proposals: Message[] } {
  const t = {
    proposals: [] as Message[],
    id: inner.id,
    send(messages: readonly Message[]): void {
      for (const m of messages) if (m.type === 'propose') t.proposals.push(m);
      inner.send(messages);
    },
    onMessage: (handler: (message: Message) => void) => inner.onMessage(handler),
    close: () => inner.close(),
  };
  return t;
}

/** Three nodes on one ManualClock and MemoryNetwork; disks outlive restarts. */
class Cluster {
  readonly clock = new ManualClock();
  readonly net = new MemoryNetwork({ clock: this.clock, random: createRandom(7) });
  readonly dbs = new Map<string, MemoryLevel<Uint8Array, Uint8Array>>();
  readonly nodes = new Map<string, RaftNode>();
  readonly sms = new Map<string, Recorder>();
  readonly transports = new Map<string, Transport & { proposals: Message[] }>();

  async start(id: string, seed = IDS.indexOf(id) + 1): Promise<void> {
    let db = this.dbs.get(id);
    if (db === undefined) {
      db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
      this.dbs.set(id, db);
    }
    const sm = new Recorder();
    const transport = recording(this.net.connect(id));
    const node = new RaftNode({
      id,
      voters: IDS,
      storage: createLevelStorage(db, { closeDatabase: false }),
      transport,
      stateMachine: sm,
      clock: this.clock,
      random: createRandom(seed),
      timing: { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 },
    });
    this.sms.set(id, sm);
    this.nodes.set(id, node);
    this.transports.set(id, transport);
    await node.start();
  }

  node(id: string): RaftNode {
    return this.nodes.get(id)!;
  }

  async leader(): Promise<string> {
    await until(this.clock, () => {
      const leaders = IDS.filter((id) => this.nodes.get(id)?.isLeader() === true);
      return leaders.length === 1 && IDS.every((id) => this.node(id).leader() === leaders[0]);
    });
    return IDS.find((id) => this.node(id).isLeader())!;
  }

  /** Delivers `m` again, to `to`, as a re-sending transport would. */
  resend(m: Message, to: string): void {
    const from = this.transports.get(m.from)!;
    from.send([{ ...m, to }]);
  }

  /** Waits until every node applied everything its leader committed. */
  async caughtUp(): Promise<void> {
    await until(this.clock, () => {
      const commit = Math.max(...IDS.map((id) => this.node(id).status().commit));
      return IDS.every((id) => this.node(id).status().applied === commit);
    });
  }

  async closeAll(): Promise<void> {
    for (const node of this.nodes.values()) await node.close();
    for (const db of this.dbs.values()) await db.close();
  }
}

describe('RaftNode client sessions', () => {
  test('a forwarded proposal appended twice, by the leader and by the next one, applies once on every replica', async () => {
    const c = new Cluster();
    for (const id of IDS) await c.start(id);
    const leader = await c.leader();
    const follower = IDS.find((id) => id !== leader)!;
    const other = IDS.find((id) => id !== leader && id !== follower)!;
    assert.equal(await settle(c.clock, c.node(follower).propose(enc.encode('x'))), 1);
    const forwarded = c.transports.get(follower)!.proposals.at(-1)!;
    const lastIndex = c.node(leader).status().lastIndex;

    // The same message again at the leader: appended a second time, skipped on apply.
    c.resend(forwarded, leader);
    await until(c.clock, () => c.node(leader).status().lastIndex > lastIndex);
    await c.caughtUp();
    // A new leader whose log holds both copies never appended either: it skips a third as well.
    await settle(c.clock, c.node(leader).transferLeadership(other));
    await until(c.clock, () => c.node(other).isLeader());
    c.resend(forwarded, other);
    await settle(c.clock, c.node(other).propose(enc.encode('y')));
    await c.caughtUp();
    assert.ok(c.node(other).status().lastIndex >= lastIndex + 3, 'the copies are in the log');
    for (const id of IDS) assert.deepEqual(c.sms.get(id)!.texts, ['x', 'y'], id);

    // A restart rebuilds the table from the log: the copies are skipped in the replay too.
    await c.node(follower).close();
    await c.start(follower, 42);
    assert.deepEqual(c.sms.get(follower)!.texts, ['x', 'y']);
    await c.closeAll();
  });

  test('an own proposal committed more than the window after it was proposed is rejected as stale and never applied', async () => {
    const clock = new ManualClock();
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const sm = new Recorder();
    const node = new RaftNode({
      id: 'solo',
      voters: ['solo'],
      storage: createLevelStorage(db),
      transport: new MemoryNetwork({ clock }).connect('solo'),
      stateMachine: sm,
      clock,
      random: createRandom(1),
      sessionWindowEntries: 2,
    });
    await node.start();
    // One batch: the third entry lands three entries after the applied index it was proposed at.
    const results = await settle(clock, Promise.allSettled(['p', 'q', 'r'].map((t) => node.propose(enc.encode(t)))));
    assert.deepEqual(
      results.slice(0, 2).map((r) => r.status),
      ['fulfilled', 'fulfilled'],
    );
    const third = results[2]!;
    assert.equal(third.status, 'rejected');
    assert.ok(third.reason instanceof ProposalDroppedError);
    assert.equal(third.reason.reason, 'stale');
    assert.deepEqual(sm.texts, ['p', 'q']);
    // A retry is a new proposal, and applies.
    assert.equal(await settle(clock, node.propose(enc.encode('r'))), 3);
    await node.close();
  });

  test('sessionWindowEntries must be a positive integer', () => {
    const clock = new ManualClock();
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () =>
          new RaftNode({
            id: 'solo',
            voters: ['solo'],
            storage: createLevelStorage(db),
            transport: new MemoryNetwork({ clock }).connect('solo'),
            stateMachine: new Recorder(),
            sessionWindowEntries: bad,
          }),
        (e: unknown) => e instanceof Error && 'field' in e && e.field === 'sessionWindowEntries',
      );
    }
  });
});
