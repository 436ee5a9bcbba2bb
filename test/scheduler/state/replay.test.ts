import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SchedulerState, type ApplyResult } from '../../../src/scheduler/state/index.js';
import type { Command } from '../../../src/scheduler/state/commands.js';
import { assertConsistent, create, flatten, MIN, once, randomLog, seeded, T0 } from '../../fixtures/state.js';

const LENGTH = 2000;

function replay(log: readonly Command[], state = new SchedulerState()): { state: SchedulerState; results: ApplyResult[] } {
  const results = log.map((c) => state.apply(c));
  return { state, results };
}

/** A deep copy with every object's keys in a (seeded) random order. */
function shuffleKeys(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = shuffleKeys((value as Record<string, unknown>)[key], rnd);
  return out;
}

describe('deterministic replay', () => {
  for (const seed of [1, 2, 42]) {
    test(`seed ${seed}: two fresh states applying the same random log hold the same state`, () => {
      const { log, hash, results } = randomLog(seed, LENGTH);
      const a = replay(log);
      const b = replay(log, new SchedulerState(() => {}));
      assert.equal(a.state.hash(), hash);
      assert.equal(b.state.hash(), hash);
      assert.deepEqual(a.results, results);
      assert.equal(a.state.serialize(), b.state.serialize());
      // Nothing in a realistic log may hit a bug path.
      const flat = flatten(results);
      const internal = flat.filter((r) => !r.ok && r.rejected.code === 'INTERNAL');
      assert.deepEqual(internal, []);
      assertConsistent(a.state);
      // The log really exercised the machine (so equal hashes mean something).
      const kinds = new Set(
        flat.map((r) => (r.ok ? (r.type === 'startExecution' ? `start:${r.outcome}` : r.type) : `rejected:${r.rejected.code}`)),
      );
      for (const kind of [
        'createJobs',
        'start:started',
        'start:skipped',
        'finishExecution',
        'cancelJob',
        'deleteJob',
        'updateJob',
        'pruneHistory',
        'rejected:STALE',
        'rejected:DUPLICATE_EXECUTION',
      ]) {
        assert.ok(kinds.has(kind), `${kind} in ${[...kinds].join(' ')}`);
      }
    });
  }

  test('every prefix of the log hashes the same on two replicas (they never diverge mid-way)', () => {
    const { log } = randomLog(7, 600);
    const a = new SchedulerState();
    const b = new SchedulerState();
    for (const command of log) {
      a.apply(command);
      b.apply(command);
      assert.equal(a.hash(), b.hash());
    }
  });

  test("wake effects always tell the runtime every job's current wake time", () => {
    const { log } = randomLog(13, 1000);
    const announced = new Map<string, number | undefined>();
    const state = new SchedulerState((effect) => {
      if (effect.type === 'wake') announced.set(effect.jobId, effect.at);
    });
    const known = new Set<string>();
    for (const command of log) {
      state.apply(command);
      for (const [id] of announced) known.add(id);
      for (const id of known) assert.equal(announced.get(id), state.wakeTime(id), `job ${id}`);
      // No job has a wake time the runtime was never told about.
      for (const [id, at] of state.wakeTimes()) assert.equal(announced.get(id), at, `job ${id}`);
    }
  });

  test('reads and listeners do not change the state', () => {
    const { log, hash } = randomLog(11, 800);
    const state = new SchedulerState(() => {});
    for (const command of log) {
      state.apply(command);
      for (const [id] of state.wakeTimes()) {
        state.getJob(id);
        state.getExecutions(id);
        state.decide(id, Number.MAX_SAFE_INTEGER, { nodeId: 'n1', term: 1, missedThresholdMs: 0 });
      }
      state.counts();
      state.listJobs({ limit: 5 });
    }
    assert.equal(state.hash(), hash);
  });

  test('the hash changes with the state, and rejected commands leave it alone', () => {
    const state = new SchedulerState();
    const empty = state.hash();
    create(state, T0, once('a', T0 + MIN));
    const one = state.hash();
    assert.notEqual(one, empty);
    state.apply({ type: 'resumeJob', now: T0, jobId: 'a' });
    assert.equal(state.hash(), one);
    state.apply({ type: 'pauseJob', now: T0, jobId: 'a' });
    assert.notEqual(state.hash(), one);
  });

  test('another process, with every object key in another order, reaches the same hash', () => {
    const { log, hash } = randomLog(99, 1500);
    const rnd = seeded(1234);
    const shuffled = log.map((c) => shuffleKeys(c, rnd));
    const text = JSON.stringify(shuffled);
    assert.notEqual(text, JSON.stringify(log));
    const dir = mkdtempSync(join(tmpdir(), 'state-replay-'));
    try {
      const file = join(dir, 'log.json');
      writeFileSync(file, text);
      const module = pathToFileURL(join(import.meta.dirname, '../../../src/scheduler/state/index.js')).href;
      const script = [
        `import { SchedulerState } from ${JSON.stringify(module)};`,
        `import { readFileSync } from 'node:fs';`,
        `const state = new SchedulerState();`,
        `for (const command of JSON.parse(readFileSync(process.env.STATE_LOG, 'utf8'))) state.apply(command);`,
        `process.stdout.write(state.hash());`,
      ].join('\n');
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, STATE_LOG: file },
        encoding: 'utf8',
      });
      assert.equal(out.trim(), hash);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
