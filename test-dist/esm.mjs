// The built package, imported by its own name through the exports map (ESM).
import assert from 'node:assert/strict';
import { createScheduler, ValidationError } from 'scheduled-db';
import { ManualClock } from 'scheduled-db/testing';
import { RaftCore, RaftError, DEFAULT_TIMING, openMemoryStorage } from 'scheduled-db/raft';
import * as main from 'scheduled-db';

const clock = new ManualClock();
const scheduler = await createScheduler({ clock });
const fired = new Promise((resolve) => scheduler.handle('h', async (ctx) => resolve(ctx.idempotencyKey)));
const job = await scheduler.schedule({ at: clock.now() + 1000, handler: 'h' });
await clock.advance(1000);
assert.equal(await fired, `${job.id}@${job.at}`);
await assert.rejects(scheduler.schedule({ at: 'nope', handler: 'h' }), ValidationError);
await scheduler.close();
// The Raft layer through its own subpath; entries share one copy of each class (instanceof holds across them).
assert.equal(typeof RaftCore, 'function');
assert.equal(DEFAULT_TIMING.tickMs > 0, true);
// The storage adapters come with it.
const storage = await openMemoryStorage();
assert.deepEqual((await storage.load()).entries, []);
await storage.close();
// The Raft layer is no longer part of the main entry.
assert.equal('RaftNode' in main, false);
if ('RaftError' in main) assert.equal(main.RaftError, RaftError);
if ('DEFAULT_TIMING' in main) assert.equal(main.DEFAULT_TIMING, DEFAULT_TIMING);
console.log('esm ok');
