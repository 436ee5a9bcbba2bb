import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CommandDecodeError, decodeCommand, encodeCommand } from '../../src/scheduler/codec.js';
import type { Command } from '../../src/scheduler/state/commands.js';

describe('command codec', () => {
  test('round-trips commands, unicode included, as compact JSON', () => {
    const command: Command = {
      type: 'batch',
      commands: [
        { type: 'cancelJob', now: 1, jobId: 'a', reason: 'ünïcødé ✓ 🚀' },
        { type: 'settleExecution', now: 2, executionId: 'a@1#1' },
      ],
    };
    const bytes = encodeCommand(command);
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(bytes.byteOffset, 0, 'owns its buffer (not a slice of the shared pool)');
    assert.equal(bytes.buffer.byteLength, bytes.byteLength);
    assert.deepEqual(decodeCommand(bytes), command);
    assert.equal(new TextDecoder().decode(bytes), JSON.stringify(command));
  });

  test('decodes from a view into a larger buffer', () => {
    const inner = encodeCommand({ type: 'deleteJob', now: 5, jobId: 'x' });
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 7);
    assert.deepEqual(decodeCommand(outer.subarray(7, 7 + inner.length)), { type: 'deleteJob', now: 5, jobId: 'x' });
  });

  test('rejects what is not a command', () => {
    assert.throws(() => decodeCommand(new TextEncoder().encode('{nope')), CommandDecodeError);
    assert.throws(() => decodeCommand(new TextEncoder().encode('[1,2]')), /no "type"/);
    assert.throws(() => decodeCommand(new TextEncoder().encode('null')), CommandDecodeError);
  });
});

describe('command codec: factored lists', () => {
  const backoff = { initialMs: 1000, factor: 2, maxMs: 300000, jitter: 0.2 };
  const job = (i: number, extra: Record<string, unknown> = {}) => ({
    id: `job-${i}`,
    kind: 'once' as const,
    at: 1_900_000_000_000 + i,
    handler: 'work',
    maxAttempts: 3,
    backoff,
    timeoutMs: 300000,
    overlap: 'skip' as const,
    catchUp: 'fire-once' as const,
    catchUpWindowMs: 3600000,
    ...extra,
  });

  test('a bulk createJobs round-trips exactly, differences and absent fields included', () => {
    const jobs = [
      job(0),
      job(1, { payload: { n: 1 } }),
      job(2, { handler: undefined, webhook: 'https://example.com/hook' }),
      job(3, { backoff: { ...backoff, factor: 3 } }),
      job(4, { maxAttempts: 1, payload: null }),
      job(5, { kind: 'cron', at: undefined, cron: '* * * * *', timezone: 'Europe/Madrid' }),
    ].map((j) => JSON.parse(JSON.stringify(j)) as never);
    const command: Command = { type: 'createJobs', now: 5, jobs, limits: { maxJobs: 10, maxMemoryBytes: 1e9 } };
    assert.deepEqual(decodeCommand(encodeCommand(command)), command);
  });

  test('a batch of commands sharing fields round-trips', () => {
    const commands: Command[] = Array.from({ length: 10 }, (_, i) => ({
      type: 'startExecution',
      now: 7,
      jobId: `j${i}`,
      scheduledAt: 100 + i,
      attempt: 1,
      nodeId: 'n1',
      incarnation: 'i1',
      term: 3,
      missedThresholdMs: 1000,
      ...(i === 4 && { manual: true }),
    }));
    commands.push({ type: 'finishExecution', now: 8, executionId: 'j1@101#1', status: 'completed', settled: true, random: 0.25 });
    commands.push({ type: 'createJobs', now: 9, jobs: [0, 1, 2, 3, 4].map((i) => job(i)), limits: { maxJobs: 1, maxMemoryBytes: 1 } });
    const command: Command = { type: 'batch', commands };
    assert.deepEqual(decodeCommand(encodeCommand(command)), command);
  });

  test('factoring makes bulk creation several times smaller', () => {
    const jobs = Array.from({ length: 1000 }, (_, i) => job(i));
    const plain = new TextEncoder().encode(
      JSON.stringify({ type: 'createJobs', now: 0, jobs, limits: { maxJobs: 0, maxMemoryBytes: 0 } }),
    ).byteLength;
    const compact = encodeCommand({ type: 'createJobs', now: 0, jobs, limits: { maxJobs: 0, maxMemoryBytes: 0 } }).byteLength;
    assert.ok(compact * 4 < plain, `${compact} vs ${plain}`);
  });
});
