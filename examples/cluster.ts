/**
 * `node --import tsx examples/cluster.ts`: three scheduler nodes in one process, linked by the
 * in-memory transport. A follower schedules a cron job that fires every second; the leader runs
 * each occurrence; then the leader closes (handing leadership over) and the new leader carries
 * on — every occurrence runs once, and every replica records the same history.
 */
import { createScheduler, FAST_TIMING, type Scheduler } from '../src/index.js';
import { MemoryNetwork } from '../src/transport/index.js';

const ids = ['a', 'b', 'c'];
const network = new MemoryNetwork();
const nodes = new Map<string, Scheduler>();
const started = Date.now();
const t = (): string => `+${((Date.now() - started) / 1000).toFixed(2)}s`;

await Promise.all(
  ids.map(async (id) => {
    const node = await createScheduler({ nodeId: id, voters: ids, transport: network.connect(id), raft: { timing: FAST_TIMING } });
    node.handle('tick', (ctx) => console.log(`${t()}  node ${id} runs ${ctx.execution.id}`));
    node.on('leader:changed', (change) => change.isLeader && console.log(`${t()}  node ${id} is the leader (term ${change.term})`));
    nodes.set(id, node);
  }),
);
while (![...nodes.values()].some((n) => n.isLeader)) await new Promise((resolve) => setTimeout(resolve, 20));

const leaderId = [...nodes].find(([, n]) => n.isLeader)![0];
const follower = nodes.get(ids.find((id) => id !== leaderId)!)!;
await follower.schedule({ id: 'heartbeat', cron: '* * * * * *', endAt: Date.now() + 4500, handler: 'tick' });
console.log(`${t()}  scheduled through follower ${follower.nodeId}`);

await new Promise((resolve) => setTimeout(resolve, 2000));
console.log(`${t()}  closing leader ${leaderId}`);
await nodes.get(leaderId)!.close();
nodes.delete(leaderId);
await new Promise((resolve) => setTimeout(resolve, 3000));

for (const [id, node] of nodes) {
  const history = await node.executions('heartbeat');
  console.log(`node ${id} sees ${history.length} runs: ${history.map((e) => `${e.status} on ${e.nodeId}`).join(', ')}`);
}
await Promise.all([...nodes.values()].map((node) => node.close()));
