import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryLevel } from 'memory-level';
import { eventually, harness, T0 } from '../fixtures/scheduler-harness.js';
import { ManualClock } from '../../src/util/manual-clock.js';
import { SchedulerState } from '../../src/scheduler/state/index.js';
import { decodeCommand } from '../../src/scheduler/codec.js';
import { payloadOffset } from '../../src/raft/envelope.js';
import { createLevelStorage } from '../../src/storage/level-storage.js';
import type { Execution } from '../../src/scheduler/model.js';

const MINUTE = 60_000;
const here = path.dirname(fileURLToPath(import.meta.url));

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'scheduled-db-'));
}

/** Reopens `directory` at `now`, collecting the executions that start. */
async function reopen(directory: string, now: number) {
  const clock = new ManualClock(now);
  const started: Execution[] = [];
  const h = await harness({ storage: { path: directory }, clock });
  h.scheduler.handle('work', () => {});
  h.scheduler.handle('hang', () => {});
  h.scheduler.on('execution:started', (e) => void started.push(e));
  return { ...h, started };
}

describe('scheduler runtime: durability and replay', () => {
  test('close and reopen a classic-level directory: jobs and history are back, due work runs late', async () => {
    const directory = await tempDir();
    try {
      const first = await harness({ storage: { path: directory } });
      first.scheduler.handle('work', () => {});
      await first.scheduler.schedule({ id: 'done', at: T0 + 1000, handler: 'work' });
      await first.scheduler.schedule({ id: 'later', at: T0 + MINUTE, handler: 'work' });
      await first.clock.advanceTo(T0 + 1000);
      await eventually(() => first.events.some((e) => e.name === 'execution:completed'), 'the first run');
      await first.scheduler.close();
      // After close: the departure of that life is part of the state too.
      const hashBefore = first.scheduler.stateHash();

      const second = await reopen(directory, T0 + 1000);
      assert.equal(second.scheduler.stateHash(), hashBefore, 'replay rebuilds the same state');
      assert.equal((await second.scheduler.status('done')).status, 'completed');
      assert.equal((await second.scheduler.executions('done')).length, 1);
      assert.equal((await second.scheduler.get('later'))?.status, 'pending');
      await second.scheduler.close();

      // Down past 'later': it runs once, late.
      const third = await reopen(directory, T0 + 10 * MINUTE);
      await third.clock.advance(0);
      await eventually(() => third.started.length === 1, 'the overdue run');
      assert.equal(third.started[0]?.jobId, 'later');
      assert.equal(third.started[0]?.late, true);
      await eventually(() => third.events.some((e) => e.name === 'execution:completed'), 'its completion');
      assert.equal(third.started.length, 1, 'once');
      await third.scheduler.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test(
    'SIGKILL a process mid-flight, reopen: every acknowledged job is back and due work runs once, late',
    { timeout: 120_000 },
    async () => {
      const directory = await tempDir();
      try {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, '../fixtures/durable-child.ts'), directory], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        let errors = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', () => output.includes('READY') && resolve());
          child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${errors}`)));
        });
        child.kill('SIGKILL');
        assert.equal(await exited, 'SIGKILL');

        const reopened = await reopen(directory, T0 + 10 * MINUTE + 30_000);
        const s = reopened.scheduler;
        assert.deepEqual((await s.list()).map((j) => j.id).sort(), ['cron', 'done', 'later', 'stuck']);
        assert.equal((await s.status('stuck')).status, 'in_progress', 'its attempt was running when the process died');
        assert.equal((await s.status('done')).status, 'completed');
        assert.deepEqual(
          (await s.executions('done')).map((e) => e.status),
          ['completed'],
        );
        assert.deepEqual((await s.get('later'))?.payload, { x: 1 });
        await reopened.clock.advance(0);
        await eventually(() => reopened.started.length === 2, 'the overdue runs');
        // The dead process's attempt ended when the new life registered (at once, not after the
        // in-progress timeout), and is retried after its backoff.
        await reopened.clock.advance(1000);
        await eventually(() => reopened.started.length === 3, 'the retry of the orphaned attempt');
        const byJob = new Map(reopened.started.map((e) => [e.jobId, e]));
        assert.equal(byJob.get('stuck')?.attempt, 2);
        await eventually(() => reopened.events.filter((e) => e.name === 'execution:completed').length === 3, 'completions');
        assert.deepEqual(
          (await s.executions('stuck')).map((e) => [e.attempt, e.status]),
          [
            [1, 'failed'],
            [2, 'completed'],
          ],
        );
        assert.equal(byJob.get('later')?.late, true);
        assert.equal(byJob.get('later')?.scheduledAt, T0 + MINUTE);
        assert.equal(byJob.get('cron')?.late, true, 'the cron catches up once (fire-once: its oldest missed occurrence)');
        assert.equal(byJob.get('cron')?.scheduledAt, T0 + MINUTE);
        assert.equal((await s.get('cron'))?.nextRunAt, T0 + 11 * MINUTE);
        await s.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  );

  test('replaying the log into a fresh state machine gives an equal hash', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const { clock, scheduler, events } = await harness({ storage: { level: db } });
    scheduler.handle('work', (ctx) => {
      if (ctx.execution.attempt === 1 && ctx.job.id === 'flaky') throw new Error('once');
    });
    await scheduler.scheduleMany([
      { id: 'a', at: T0 + 1000, handler: 'work' },
      { id: 'flaky', at: T0 + 2000, handler: 'work', backoff: { initialMs: 500 } },
      { id: 'cron', cron: '*/2 * * * *', handler: 'work' },
    ]);
    await scheduler.cancel('a', 'changed my mind');
    await clock.advanceTo(T0 + 5 * MINUTE);
    await eventually(() => events.filter((e) => e.name === 'execution:completed').length >= 3, 'runs');
    const live = scheduler.stateHash();

    const storage = createLevelStorage(db, { closeDatabase: false });
    const { entries, hardState } = await storage.load();
    const fresh = new SchedulerState();
    let applied = 0;
    for (const entry of entries) {
      if (entry.index > hardState.commit || entry.kind !== 0 || entry.data.length === 0) continue;
      const data = entry.data.subarray(payloadOffset(entry.data));
      fresh.apply(decodeCommand(data));
      applied++;
    }
    assert.ok(applied > 5);
    assert.equal(fresh.hash(), live);
    await scheduler.close();
    await db.close();
  });
});
