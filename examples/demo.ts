/**
 * `npm start`: a single in-memory node schedules a few one-shot jobs and a cron job a second or
 * two ahead, shows them fire (a failing one retried with backoff), prints the history, and exits.
 */
import { createScheduler, type Execution } from '../src/index.js';

const started = Date.now();
const t = (): string => `+${((Date.now() - started) / 1000).toFixed(2)}s`;

const scheduler = await createScheduler({ backoff: { initialMs: 300, jitter: 0 } });

scheduler.handle('greet', async (ctx) => {
  console.log(`${t()}  greet      ${JSON.stringify(ctx.payload)} (attempt ${ctx.execution.attempt})`);
});

let flaky = 0;
scheduler.handle('flaky', async (ctx) => {
  flaky++;
  console.log(`${t()}  flaky      attempt ${ctx.execution.attempt}, key ${ctx.idempotencyKey}`);
  if (flaky < 2) throw new Error('the first attempt always fails');
});

scheduler.handle('tick', async (ctx) => {
  console.log(`${t()}  tick       occurrence ${new Date(ctx.execution.scheduledAt).toISOString()}`);
});

const describe = (e: Execution): string => `${e.jobId} #${e.attempt} on ${e.nodeId}${e.late ? ' (late)' : ''}`;
scheduler.on('execution:completed', (e) => console.log(`${t()}  completed  ${describe(e)}`));
scheduler.on('execution:failed', (e, outcome) =>
  console.log(
    `${t()}  failed     ${describe(e)}: ${e.error}${outcome.final ? '' : ` — retry at +${((outcome.retryAt! - started) / 1000).toFixed(2)}s`}`,
  ),
);

const now = Date.now();
await scheduler.schedule({ id: 'hello', at: now + 500, handler: 'greet', payload: { name: 'Ada' } });
await scheduler.schedule({ id: 'world', at: new Date(now + 1000), handler: 'greet', payload: { name: 'Grace' } });
await scheduler.schedule({ id: 'retry-me', at: now + 700, handler: 'flaky', maxAttempts: 3 });
await scheduler.schedule({ id: 'every-second', cron: '* * * * * *', endAt: now + 2500, handler: 'tick' });
console.log(`${t()}  scheduled  ${(await scheduler.list()).map((j) => j.id).join(', ')}`);

await new Promise((resolve) => setTimeout(resolve, 3000));

for (const job of await scheduler.list()) {
  const attempts = await scheduler.executions(job.id);
  console.log(`${job.id.padEnd(13)} ${job.status.padEnd(10)} ${attempts.map((a) => a.status).join(', ')}`);
}
const stats = scheduler.stats();
console.log(`jobs ${stats.jobs.current}, completed attempts ${stats.executions.completed}, failed ${stats.executions.failed}`);
await scheduler.close();
