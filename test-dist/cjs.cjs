// The built package, required by its own name through the exports map (CommonJS).
const assert = require('node:assert/strict');
const { createScheduler, CapacityError } = require('scheduled-db');
const { ManualClock } = require('scheduled-db/testing');

(async () => {
  assert.equal(typeof CapacityError, 'function');
  const clock = new ManualClock();
  const scheduler = await createScheduler({ clock });
  scheduler.handle('h', async () => {});
  const job = await scheduler.schedule({ at: clock.now() + 1000, handler: 'h' });
  assert.equal(job.nextRunAt, clock.now() + 1000);
  await scheduler.close();
  console.log('cjs ok');
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
