import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EntryArchive } from '../../src/raft/archive.js';
import { RaftLog } from '../../src/raft/log.js';
import type { Entry } from '../../src/raft/types.js';
import { StepCluster } from '../../src/testing/sim/step-cluster.js';

/** Deterministic bytes for entry `i`: the length varies (0, short, long) and so does the content. */
function dataOf(i: number): Uint8Array {
  const len = i % 7 === 0 ? 0 : i % 11 === 0 ? 3000 + (i % 50) : (i * 13) % 150;
  const out = new Uint8Array(len);
  for (let j = 0; j < len; j++) out[j] = (i * 31 + j) & 0xff;
  return out;
}

/** Entries `from..to` with term `term`; they share one buffer, as entries out of a message do. */
function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, kind: i % 97 === 0 ? 1 : 0, data: dataOf(i) });
  return out;
}

function assertEntry(actual: Entry | undefined, expected: Entry): void {
  assert.ok(actual !== undefined, `missing entry ${expected.index}`);
  assert.equal(actual.index, expected.index);
  assert.equal(actual.term, expected.term, `term of ${expected.index}`);
  assert.equal(actual.kind, expected.kind, `kind of ${expected.index}`);
  assert.deepEqual(actual.data, expected.data, `data of ${expected.index}`);
}

describe('EntryArchive', () => {
  test('gives back every kind and byte across chunk boundaries, empty and large entries included', () => {
    const archive = new EntryArchive();
    const n = 10_000;
    for (let i = 1; i <= n; i++) archive.push(i % 97 === 0 ? 1 : 0, dataOf(i));
    assert.equal(archive.size, n);
    for (let i = 1; i <= n; i++) {
      assert.equal(archive.kind(i), i % 97 === 0 ? 1 : 0);
      assert.deepEqual(archive.data(i), dataOf(i), `entry ${i}`);
    }
  });

  test('entries sharing one buffer, entries with buffers of their own and empty entries all come back', () => {
    const archive = new EntryArchive();
    const shared = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    archive.push(0, shared.subarray(0, 3));
    archive.push(0, new Uint8Array(0));
    archive.push(1, shared.subarray(3, 5));
    archive.push(0, new Uint8Array([42]));
    archive.push(0, shared.subarray(5, 9));
    assert.deepEqual(archive.data(1), new Uint8Array([1, 2, 3]));
    assert.equal(archive.data(2).length, 0);
    assert.deepEqual(archive.data(3), new Uint8Array([4, 5]));
    assert.equal(archive.kind(3), 1);
    assert.deepEqual(archive.data(4), new Uint8Array([42]));
    assert.deepEqual(archive.data(5), new Uint8Array([6, 7, 8, 9]));
  });
});

describe('RaftLog tiers', () => {
  /** A log holding `n` entries over several terms, all persisted and applied: everything archived. */
  function archivedLog(n: number): { log: RaftLog; all: Entry[] } {
    const all = [...entries(1, 2000, 1), ...entries(2001, 2500, 3), ...entries(2501, n, 4)];
    const log = new RaftLog(all, n, n);
    return { log, all };
  }

  test('archived entries come back whole from slice, with the right terms', () => {
    const { log, all } = archivedLog(9000);
    assert.equal(log.lastIndex(), 9000);
    assert.equal(log.lastTerm(), 4);
    const got = log.slice(1, 9001);
    assert.equal(got.length, 9000);
    for (let i = 0; i < all.length; i++) assertEntry(got[i], all[i]!);
    assertEntry(log.slice(2000, 2002)[1], all[2000]!);
  });

  test('a slice that straddles archive and hot entries is seamless', () => {
    const { log, all } = archivedLog(5000);
    const hot = entries(5001, 5100, 5);
    for (const e of hot) log.append(e);
    const got = log.slice(4950, 5101);
    assert.equal(got.length, 151);
    for (let i = 0; i <= 50; i++) assertEntry(got[i], all[4949 + i]!);
    // Hot entries are the very objects appended: nothing is rebuilt for them.
    for (let i = 0; i < 100; i++) assert.equal(got[51 + i], hot[i]);
  });

  test('term lookups and conflict search work across term runs in both tiers', () => {
    const { log } = archivedLog(3000);
    for (const e of entries(3001, 3010, 6)) log.append(e);
    assert.equal(log.term(0), 0);
    assert.equal(log.term(1), 1);
    assert.equal(log.term(2000), 1);
    assert.equal(log.term(2001), 3);
    assert.equal(log.term(2500), 3);
    assert.equal(log.term(2501), 4);
    assert.equal(log.term(3010), 6);
    assert.equal(log.term(3011), 0);
    assert.equal(log.findConflictByTerm(3010, 5), 3000);
    assert.equal(log.findConflictByTerm(3010, 3), 2500);
    assert.equal(log.findConflictByTerm(2400, 2), 2000);
    assert.equal(log.findConflictByTerm(9999, 0), 0);
    assert.equal(log.findConflictByTerm(3005, 6), 3005);
  });

  test('only entries both applied and persisted leave the hot tier; the rest are handed out as the same objects', () => {
    const log = new RaftLog([], 0, 0);
    const batch = entries(1, 3000, 2);
    for (const e of batch) log.append(e);
    assert.deepEqual(log.unstableEntries(), batch);
    log.stableTo(2000, 2);
    log.commitTo(2500);
    const committed = log.nextCommitted();
    assert.equal(committed.length, 2500);
    assert.equal(committed[0], batch[0]);
    log.appliedTo(2500);
    // 1..2000 are archived (applied and stable); 2001..2500 are applied but not yet persisted.
    const unstable = log.unstableEntries();
    assert.equal(unstable.length, 1000);
    assert.equal(unstable[0], batch[2000]);
    log.stableTo(3000, 2);
    assert.equal(log.hasUnstable(), false);
    const all = log.slice(1, 3001);
    for (let i = 0; i < 3000; i++) assertEntry(all[i], batch[i]!);
    assert.equal(all[2999], batch[2999]);
  });

  test('a conflicting append truncates the hot tail and the term runs with it', () => {
    const log = new RaftLog(entries(1, 100, 1), 100, 100);
    assert.equal(log.maybeAppend(100, 1, entries(101, 150, 2)), 150);
    log.stableTo(150, 2);
    assert.equal(log.maybeAppend(120, 2, entries(121, 125, 3)), 125);
    assert.equal(log.takeTruncatedFrom(), 121);
    assert.equal(log.takeTruncatedFrom(), Infinity, 'a truncation is reported once');
    assert.equal(log.lastIndex(), 125);
    assert.equal(log.lastTerm(), 3);
    assert.equal(log.term(120), 2);
    assert.equal(log.term(121), 3);
    assert.equal(log.unstable, 121);
    assert.equal(log.findConflictByTerm(125, 2), 120);
    assertEntry(log.slice(100, 101)[0], entries(100, 100, 1)[0]!);
  });

  test('a restart archives the applied prefix and keeps the committed, unapplied rest for the next Ready', () => {
    const all = entries(1, 5000, 1);
    const log = new RaftLog(all, 4000, 3000);
    const next = log.nextCommitted();
    assert.equal(next.length, 1000);
    assertEntry(next[0], all[3000]!);
    assertEntry(next[999], all[3999]!);
  });
});

describe('catch-up from the archive', () => {
  test('a follower cut off for thousands of entries receives them intact from the leader archive', () => {
    const c = new StepCluster({ core: { maxEntriesPerMsg: 500 } });
    c.elect('n1');
    c.isolate('n3');
    const sent: string[] = [];
    for (let batch = 0; batch < 30; batch++) {
      const data = Array.from({ length: 200 }, (_, i) => `e${batch}-${i}-${'x'.repeat((batch * 7 + i) % 40)}`);
      sent.push(...data);
      c.propose('n1', ...data);
      c.deliverAll();
    }
    assert.equal(c.appliedData('n2').length, 6000);
    assert.equal(c.appliedData('n3').length, 0);
    c.heal();
    for (let i = 0; i < 10; i++) {
      c.tickAll();
      c.deliverAll();
    }
    assert.deepEqual(c.appliedData('n3'), sent);
    assert.deepEqual(
      c.storage.get('n3')!.entries.map((e) => e.term),
      c.storage.get('n1')!.entries.map((e) => e.term),
    );
  });
});
