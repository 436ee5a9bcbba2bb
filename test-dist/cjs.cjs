// The built package, required by its own name through the exports map (CommonJS).
const assert = require('node:assert/strict');
const { createScheduler, CapacityError } = require('scheduled-db');
const { ManualClock } = require('scheduled-db/testing');
const raft = require('scheduled-db/raft');
const main = require('scheduled-db');

(async () => {
  assert.equal(typeof CapacityError, 'function');
  const clock = new ManualClock();
  const scheduler = await createScheduler({ clock });
  scheduler.handle('h', async () => {});
  const job = await scheduler.schedule({ at: clock.now() + 1000, handler: 'h' });
  assert.equal(job.nextRunAt, clock.now() + 1000);
  await scheduler.close();
  // The Raft layer through its own subpath; entries share one copy of each class (instanceof holds across them).
  assert.equal(typeof raft.RaftCore, 'function');
  assert.equal(typeof raft.RaftError, 'function');
  if ('RaftError' in main) assert.equal(main.RaftError, raft.RaftError);
  if ('DEFAULT_TIMING' in main) assert.equal(main.DEFAULT_TIMING, raft.DEFAULT_TIMING);
  console.log('cjs ok');
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
