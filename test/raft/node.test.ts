import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLevel } from 'memory-level';
import { RaftNode } from '../../src/raft/node.js';
import { AlreadyStartedError, NodeClosedError, RaftConfigError, RaftError } from '../../src/raft/errors.js';
import type { Entry, HardState, LeadershipChange, RaftStorage, StateMachine } from '../../src/raft/types.js';
import { createLevelStorage, openDiskStorage, openMemoryStorage } from '../../src/storage/index.js';
import { MemoryNetwork } from '../../src/transport/index.js';
import { ManualClock } from '../../src/util/manual-clock.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A key-value-ish state machine: records every payload, answers with what it applied where. */
class Recorder implements StateMachine {
  readonly log: { text: string; index: number; term: number }[] = [];
  apply(data: Uint8Array, index: number, term: number): unknown {
    const text = dec.decode(data);
    if (text === 'boom') throw new Error('apply refused boom');
    this.log.push({ text, index, term });
    return `${text}#${this.log.length}`;
  }
  texts(): string[] {
    return this.log.map((e) => e.text);
  }
}

/** Counts writes so tests can see that proposals share them. */
class CountingStorage implements RaftStorage {
  saves = 0;
  failNext = false;
  constructor(readonly inner: RaftStorage) {}
  load() {
    return this.inner.load();
  }
  async save(hs: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    this.saves++;
    if (this.failNext) throw new Error('disk on fire');
    return this.inner.save(hs, entries);
  }
  close() {
    return this.inner.close();
  }
}

function single(storage: RaftStorage, sm: StateMachine = new Recorder(), clock = new ManualClock()) {
  const net = new MemoryNetwork({ clock });
  return new RaftNode({
    id: 'solo',
    voters: ['solo'],
    storage,
    transport: net.connect('solo'),
    stateMachine: sm,
    clock,
    random: () => 0.5,
  });
}

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('RaftNode, single voter', () => {
  test('leads as soon as start() resolves and announces it', async () => {
    const clock = new ManualClock();
    const node = single(await openMemoryStorage(), new Recorder(), clock);
    const changes: LeadershipChange[] = [];
    node.onLeadership((c) => changes.push(c));
    assert.equal(node.isLeader(), false);
    await node.start();
    assert.equal(node.isLeader(), true);
    assert.equal(node.leader(), 'solo');
    assert.deepEqual(changes.at(-1), { isLeader: true, leader: 'solo', term: 1 });
    assert.equal(clock.now(), new ManualClock().now(), 'no election timeout was waited for');
    assert.equal(clock.pendingTimers, 0, 'a single voter arms no tick timer');
    await node.close();
  });

  test('an unsubscribed leadership listener hears nothing more', async () => {
    const node = single(await openMemoryStorage());
    const heard: LeadershipChange[] = [];
    const unsubscribe = node.onLeadership((c) => heard.push(c));
    await node.start();
    const before = heard.length;
    assert.ok(before > 0);
    unsubscribe();
    await node.close();
    assert.equal(heard.length, before);
  });

  test('a leadership listener that throws is reported to onError; the listeners after it still hear', async () => {
    const clock = new ManualClock();
    const storage = await openMemoryStorage();
    const errors: unknown[] = [];
    const boom = new Error('listener bug');
    const node = new RaftNode({
      id: 'solo',
      voters: ['solo'],
      storage,
      transport: new MemoryNetwork({ clock }).connect('solo'),
      stateMachine: new Recorder(),
      clock,
      random: () => 0.5,
      onError: (e) => errors.push(e),
    });
    const heard: LeadershipChange[] = [];
    node.onLeadership(() => {
      throw boom;
    });
    node.onLeadership((c) => heard.push(c));
    await node.start();
    assert.equal(node.isLeader(), true);
    assert.ok(errors.length > 0 && errors.every((e) => e === boom));
    assert.equal(errors.length, heard.length);
    await node.close();
  });

  test('misuse is a RaftError with a stable code: bad voters, start() twice, a transfer to a non-voter', async () => {
    const clock = new ManualClock();
    const storage = await openMemoryStorage();
    const transport = new MemoryNetwork({ clock }).connect('a');
    const base = { storage, transport, stateMachine: new Recorder(), clock };
    const invalid = (field: string) => (e: unknown) => e instanceof RaftConfigError && e.code === 'INVALID_CONFIG' && e.field === field;
    assert.throws(() => new RaftNode({ ...base, id: 'a', voters: ['b'] }), invalid('voters'));
    assert.throws(() => new RaftNode({ ...base, id: 'a', voters: ['a', 'a'] }), invalid('voters'));
    assert.throws(() => new RaftNode({ ...base, id: 'a'.repeat(256), voters: ['a'.repeat(256)] }), invalid('id'));
    const node = new RaftNode({ ...base, id: 'a', voters: ['a'] });
    await node.start();
    await assert.rejects(node.start(), (e: unknown) => e instanceof AlreadyStartedError && e.code === 'ALREADY_STARTED');
    await assert.rejects(node.transferLeadership('z'), invalid('to'));
    await node.close();
  });

  test('propose resolves with the apply result; apply sees the bare payload, index and term', async () => {
    const sm = new Recorder();
    const node = single(await openMemoryStorage(), sm);
    await node.start();
    assert.equal(await node.propose(enc.encode('first')), 'first#1');
    assert.equal(await node.propose(new Uint8Array(0)), '#2', 'an empty payload is still applied (only the no-op is skipped)');
    assert.deepEqual(sm.log, [
      { text: 'first', index: 2, term: 1 },
      { text: '', index: 3, term: 1 },
    ]);
    assert.deepEqual(node.status(), { id: 'solo', role: 'leader', term: 1, leader: 'solo', commit: 3, applied: 3, lastIndex: 3 });
    await node.close();
  });

  test('proposals of one macrotask share one write, and each gets its own result', async () => {
    const storage = new CountingStorage(await openMemoryStorage());
    const sm = new Recorder();
    const node = single(storage, sm);
    await node.start();
    const before = storage.saves;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => node.propose(enc.encode(`p${i}`))));
    assert.deepEqual(
      results,
      Array.from({ length: 200 }, (_, i) => `p${i}#${i + 1}`),
    );
    assert.ok(storage.saves - before <= 2, `200 proposals took ${storage.saves - before} writes`);
    await node.close();
  });

  test('proposers resuming from one batch propose together, even through layers of awaits: one write per round', async () => {
    const storage = new CountingStorage(await openMemoryStorage());
    const node = single(storage);
    await node.start();
    const before = storage.saves;
    // Applications wrap propose in async layers of different depths; their continuations still make one batch.
    const layered = async (p: Promise<unknown>, depth: number): Promise<unknown> => {
      const v = await p;
      for (let d = 0; d < depth; d++) await Promise.resolve();
      return v;
    };
    const rounds = 20;
    const client = async (i: number): Promise<void> => {
      for (let r = 0; r < rounds; r++) await layered(node.propose(enc.encode(`c${i}r${r}`)), i % 5);
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => client(i)));
    assert.equal(node.status().applied, 1 + 50 * rounds);
    assert.ok(storage.saves - before <= rounds + 2, `${50 * rounds} proposals in ${rounds} rounds took ${storage.saves - before} writes`);
    await node.close();
  });

  test('a closed loop of proposals leaves room for timers and I/O', async () => {
    const node = single(await openMemoryStorage());
    await node.start();
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 1);
    let n = 0;
    while (!fired && n < 200_000) {
      await node.propose(enc.encode('x'));
      n++;
    }
    assert.ok(fired, `no timer ran during ${n} proposals`);
    await node.close();
  });

  test('an apply that throws rejects only its proposer; the node carries on', async () => {
    const node = single(await openMemoryStorage());
    await node.start();
    const [bad, good] = await Promise.allSettled([node.propose(enc.encode('boom')), node.propose(enc.encode('fine'))]);
    assert.equal(bad.status, 'rejected');
    assert.match(String(bad.reason), /apply refused boom/);
    assert.deepEqual(good, { status: 'fulfilled', value: 'fine#1' });
    assert.equal(await node.propose(enc.encode('after')), 'after#2');
    await node.close();
  });

  test('readIndex resolves on a single node', async () => {
    const node = single(await openMemoryStorage());
    await node.start();
    await node.propose(enc.encode('x'));
    await node.readIndex();
    assert.equal(node.status().applied, 2);
    await node.close();
  });

  test('not started or closed: calls reject with CLOSED, pending proposals are rejected on close', async () => {
    const node = single(await openMemoryStorage());
    await assert.rejects(node.propose(enc.encode('early')), (e: unknown) => e instanceof NodeClosedError && e.code === 'CLOSED');
    await node.start();
    const changes: LeadershipChange[] = [];
    node.onLeadership((c) => changes.push(c));
    const pending = node.propose(enc.encode('late'));
    await node.close();
    await assert.rejects(pending, (e: unknown) => e instanceof RaftError && e.code === 'CLOSED');
    await assert.rejects(node.propose(enc.encode('after')), NodeClosedError);
    await assert.rejects(node.readIndex(), NodeClosedError);
    await assert.rejects(node.transferLeadership(), NodeClosedError);
    assert.deepEqual(changes, [{ isLeader: false, leader: null, term: 1 }]);
    assert.equal(node.isLeader(), false);
    await node.close(); // idempotent
  });

  test('a storage failure stops the node and rejects what waits, with the cause', async () => {
    const storage = new CountingStorage(await openMemoryStorage());
    const node = single(storage);
    await node.start();
    storage.failNext = true;
    const err = await node.propose(enc.encode('x')).then(
      () => assert.fail('must not resolve'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NodeClosedError);
    assert.match(String((err.cause as Error).message), /disk on fire/);
    assert.equal(node.isLeader(), false);
    await assert.rejects(node.propose(enc.encode('y')), NodeClosedError);
    await node.close();
  });

  test('restart over memory-level: the state machine is rebuilt by replaying the committed log', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const first = new Recorder();
    const a = single(createLevelStorage(db, { closeDatabase: false }), first);
    await a.start();
    for (const t of ['one', 'two', 'three']) await a.propose(enc.encode(t));
    await a.close();

    const second = new Recorder();
    const b = single(createLevelStorage(db, { closeDatabase: false }), second);
    await b.start();
    assert.deepEqual(second.texts(), ['one', 'two', 'three'], 'replayed before start() resolved');
    assert.deepEqual(second.log, first.log, 'same indexes and terms');
    assert.equal(b.isLeader(), true);
    assert.equal(await b.propose(enc.encode('four')), 'four#4');
    assert.equal(b.status().term, 2);
    await b.close();
    await db.close();
  });

  test('restart over classic-level: close, reopen the directory, same state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scheduled-db-node-'));
    dirs.push(dir);
    const first = new Recorder();
    const a = single(await openDiskStorage(dir), first);
    await a.start();
    await Promise.all(['a', 'b', 'c', 'd'].map((t) => a.propose(enc.encode(t))));
    await a.close();

    const second = new Recorder();
    const b = single(await openDiskStorage(dir), second);
    await b.start();
    assert.deepEqual(second.log, first.log);
    assert.equal(await b.propose(enc.encode('e')), 'e#5');
    await b.close();

    const third = new Recorder();
    const c = single(await openDiskStorage(dir), third);
    await c.start();
    assert.deepEqual(third.texts(), ['a', 'b', 'c', 'd', 'e']);
    await c.close();
  });

  test('a proposal of a previous incarnation is not mistaken for a new one', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const a = single(createLevelStorage(db, { closeDatabase: false }));
    await a.start();
    await a.propose(enc.encode('old-1'));
    await a.close();
    const b = single(createLevelStorage(db, { closeDatabase: false }));
    await b.start();
    // Same node id, same sequence number 1, same seeded random: still a different envelope.
    assert.equal(await b.propose(enc.encode('new-1')), 'new-1#2');
    await b.close();
    await db.close();
  });
});
