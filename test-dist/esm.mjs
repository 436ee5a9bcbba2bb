// The built package, imported by its own name through the exports map (ESM).
import assert from 'node:assert/strict';
import { createScheduler, ValidationError } from 'scheduled-db';
import { ManualClock } from 'scheduled-db/testing';

const clock = new ManualClock();
const scheduler = await createScheduler({ clock });
const fired = new Promise((resolve) => scheduler.handle('h', async (ctx) => resolve(ctx.idempotencyKey)));
const job = await scheduler.schedule({ at: clock.now() + 1000, handler: 'h' });
await clock.advance(1000);
assert.equal(await fired, `${job.id}@${job.at}`);
await assert.rejects(scheduler.schedule({ at: 'nope', handler: 'h' }), ValidationError);
await scheduler.close();
console.log('esm ok');
