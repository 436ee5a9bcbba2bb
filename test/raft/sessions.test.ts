import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeFields, envelopeHeader, ownSequence, payloadOffset, readEnvelope, wrapEnvelope } from '../../src/raft/envelope.js';
import { SessionTable, type Admission } from '../../src/raft/sessions.js';
import { ByteArena } from '../../src/util/byte-arena.js';

const enc = new TextEncoder();
const arena = new ByteArena();

/** An enveloped payload of session (`hi`, `lo`) of node `id`. */
function entry(id: string, hi: number, lo: number, seq: number, floor: number, basis: number, text = `${id}/${seq}`): Uint8Array {
  return wrapEnvelope(envelopeHeader(id, hi, lo), seq, floor, basis, enc.encode(text), arena);
}

/** Feeds `log` (entry `i` at index `i + 1`) to a fresh table; the decision for each. */
function replay(log: readonly Uint8Array[], window: number): { decisions: Admission[]; table: SessionTable } {
  const table = new SessionTable(window);
  const fields = envelopeFields();
  const decisions = log.map((data, i) => {
    readEnvelope(data, fields);
    return table.admit(data, fields, i + 1);
  });
  return { decisions, table };
}

describe('envelope v2', () => {
  test('round trip: 64-bit session, seq, floor and basis, then the payload', () => {
    const header = envelopeHeader('node-1', 0xdeadbeef, 0x01234567);
    assert.equal(header.length, 2 + 6 + 8);
    const data = wrapEnvelope(header, 300, 129, 2 ** 40, enc.encode('payload'), arena);
    const fields = envelopeFields();
    const offset = readEnvelope(data, fields);
    assert.deepEqual(fields, { version: 2, headerLength: header.length, seq: 300, floor: 129, basis: 2 ** 40 });
    assert.equal(new TextDecoder().decode(data.subarray(offset)), 'payload');
    assert.equal(payloadOffset(data), offset);
    assert.equal(ownSequence(data, header), 300);
    // Sessions that differ only in their high or their low 32 bits are different sessions.
    assert.equal(ownSequence(data, envelopeHeader('node-1', 0xdeadbeef, 0x01234566)), -1);
    assert.equal(ownSequence(data, envelopeHeader('node-1', 0xdeadbeee, 0x01234567)), -1);
  });

  test('a version-1 envelope (32-bit nonce, seq only) is still read', () => {
    const v1 = Uint8Array.of(1, 1, 0x61, 0, 0, 0, 7, 0x81, 0x01, 0x68, 0x69);
    const fields = envelopeFields();
    const offset = readEnvelope(v1, fields);
    assert.equal(fields.version, 1);
    assert.equal(fields.seq, 129);
    assert.equal(new TextDecoder().decode(v1.subarray(offset)), 'hi');
  });

  test('an unknown version or a truncated envelope is refused', () => {
    assert.throws(() => payloadOffset(Uint8Array.of(9, 0)), /unknown envelope version 9/);
    const cut = entry('a', 1, 2, 300, 300, 300).subarray(0, 2 + 1 + 8 + 2);
    assert.throws(() => payloadOffset(cut), /truncated/);
  });
});

describe('session table', () => {
  test('a copy of an applied entry is a duplicate; other sessions and other ids are not', () => {
    const { decisions } = replay(
      [
        entry('a', 1, 1, 1, 1, 0),
        entry('a', 1, 1, 2, 1, 0),
        entry('a', 1, 1, 1, 1, 0), // a re-sent forward of seq 1
        entry('a', 1, 2, 1, 1, 0), // another incarnation of a
        entry('b', 1, 1, 1, 1, 0), // same session bits, another node
        entry('a', 1, 1, 2, 1, 0),
      ],
      100,
    );
    assert.deepEqual(decisions, ['apply', 'apply', 'duplicate', 'apply', 'apply', 'duplicate']);
  });

  test('entries below the floor the proposer moved past are duplicates, in any order', () => {
    const { decisions } = replay(
      [
        entry('a', 1, 1, 2, 1, 0), // seq 1 still pending when 2 was proposed
        entry('a', 1, 1, 3, 3, 0), // seq 1 and 2 answered (or given up) by then
        entry('a', 1, 1, 1, 1, 0), // a late copy of 1
        entry('a', 1, 1, 2, 1, 0), // and of 2
        entry('a', 1, 1, 4, 3, 0),
      ],
      100,
    );
    assert.deepEqual(decisions, ['apply', 'apply', 'duplicate', 'duplicate', 'apply']);
  });

  test('an entry committed more than the window after its proposal is refused as stale', () => {
    const log = [entry('a', 1, 1, 1, 1, 0)];
    for (let i = 0; i < 5; i++) log.push(entry('b', 2, 2, i + 1, i + 1, i));
    log.push(entry('c', 3, 3, 1, 1, 1)); // index 7, basis 1: 6 entries old
    log.push(entry('c', 3, 3, 2, 1, 2)); // index 8, basis 2: 6 old as well
    assert.deepEqual(replay(log, 5).decisions.slice(-2), ['stale', 'stale']);
    assert.deepEqual(replay(log, 6).decisions.slice(-2), ['apply', 'apply']);
  });

  test('an idle session expires, and a copy of its entries arriving later is stale, not applied', () => {
    const log = [entry('a', 1, 1, 1, 1, 0)];
    for (let i = 0; i < 4; i++) log.push(entry('b', 2, 2, i + 1, i + 1, i + 1));
    log.push(entry('a', 1, 1, 1, 1, 0)); // index 6: a copy of index 1, a's session idle for 5
    const { decisions, table } = replay(log, 4);
    assert.deepEqual(decisions, ['apply', 'apply', 'apply', 'apply', 'apply', 'stale']);
    assert.equal(table.has(envelopeHeader('a', 1, 1)), false, 'a expired');
    assert.equal(table.has(envelopeHeader('b', 2, 2)), true);
    assert.equal(table.size, 1);
  });

  test('expiry is a function of the log: two replicas of one log take the same decisions and keep the same sessions', () => {
    // Many sessions, interleaved, with copies arriving at random distances.
    let s = 12345;
    const next = (n: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 16) % n;
    };
    const log: Uint8Array[] = [];
    const sent: Uint8Array[] = [];
    const seqs = new Map<number, number>();
    for (let i = 1; i <= 2000; i++) {
      if (sent.length > 0 && next(4) === 0) {
        log.push(sent[next(sent.length)]!);
        continue;
      }
      const who = next(8);
      const seq = (seqs.get(who) ?? 0) + 1;
      seqs.set(who, seq);
      const data = entry(`n${who}`, who, 7, seq, Math.max(1, seq - next(3)), Math.max(0, i - 1 - next(20)));
      sent.push(data);
      log.push(data);
    }
    const one = replay(log, 50);
    const two = replay(log, 50);
    assert.deepEqual(one.decisions, two.decisions);
    assert.equal(one.table.size, two.table.size);
    for (let who = 0; who < 8; who++) {
      assert.equal(one.table.has(envelopeHeader(`n${who}`, who, 7)), two.table.has(envelopeHeader(`n${who}`, who, 7)));
    }
    // At most once: no entry's bytes applied twice.
    const applied = new Set<Uint8Array>();
    one.decisions.forEach((d, i) => {
      if (d !== 'apply') return;
      assert.ok(!applied.has(log[i]!), `entry ${i + 1} applied twice`);
      applied.add(log[i]!);
    });
    assert.ok(one.decisions.includes('duplicate') && one.decisions.includes('stale'));
  });
});
