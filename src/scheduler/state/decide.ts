/**
 * What the leader proposes for a job whose wake time has come. Pure: it reads the job, the node
 * registry and the context and returns commands; `apply` remains the judge (anything decided
 * twice, or too late, or for a node whose life is over, is rejected there). Calling it early is
 * harmless: only what is due is proposed.
 *
 * Nothing here presumes an attempt dead: a running attempt belongs to its node until that node
 * reports it, restarts, leaves or is expired (see apply-nodes.ts), so there is nothing to decide
 * about it.
 */
import type { Command, StartExecutionCommand } from './commands.js';
import { cursorBlocked, schedulable } from './derive.js';
import type { JobRecord, NodeRecord, Occurrence } from './records.js';
import type { DecideContext } from './types.js';
import { fnv1a } from '../../util/hash.js';

/**
 * Commands for `job` at `now` (empty when nothing is due, or when no node can run it now: it
 * then waits until a registration adds a node that can).
 */
export function decide(job: JobRecord | undefined, now: number, ctx: DecideContext, nodes: ReadonlyMap<string, NodeRecord>): Command[] {
  const out: Command[] = [];
  if (job === undefined || !schedulable(job)) return out;
  const run = job.run;
  const active = run?.active;
  const runner = pickRunner(job, nodes, ctx.nodeId, ctx.incarnation);
  // No node can run it now: it waits, woken by the registration that adds one.
  if (runner === undefined) return out;
  const incarnation = (nodes.get(runner) as NodeRecord).incarnation;
  let starting = false;
  if (active !== undefined) {
    for (let i = 0; i < active.length; i++) {
      const occ = active[i] as Occurrence;
      if (occ.running !== undefined || occ.held !== undefined || occ.retryAt === undefined || occ.retryAt > now) continue;
      out.push(startCommand(job.id, occ.scheduledAt, occ.attempts + 1, now, runner, incarnation, ctx));
      starting = true;
    }
  }
  const queued = run?.queuedAt;
  if (queued !== undefined && active === undefined && queued <= now) {
    out.push(startCommand(job.id, queued, 1, now, runner, incarnation, ctx));
    starting = true;
  }
  const cursor = job.cursor;
  // With another start in this round the occurrence would meet it as an overlap (or wait behind
  // it); deciding it next round, against the applied state, gives the same answer without a stale start.
  if (
    cursor !== undefined &&
    cursor <= now &&
    !cursorBlocked(job) &&
    !(starting && job.cron !== undefined && job.opts.overlap !== 'allow')
  ) {
    out.push(startCommand(job.id, cursor, 1, now, runner, incarnation, ctx));
  }
  return out;
}

/** Whether `node` may be handed an attempt of `job`: in contact and, for a handler job, having the handler. */
function canRun(node: NodeRecord, job: JobRecord): boolean {
  return node.available && (job.handler === undefined || node.handlers.includes(job.handler));
}

/**
 * The node to run `job`'s next attempt: `self` (the leader) when it can — no hop, and it learns
 * of the start first — else the able node that ranks highest for this job (rendezvous hashing:
 * the same choice on every call while the registry stands, and a node joining or leaving moves
 * only the jobs it wins or held), else none. Allocates nothing: it runs for every due job.
 */
export function pickRunner(
  job: JobRecord,
  nodes: ReadonlyMap<string, NodeRecord>,
  self: string,
  life: string | undefined,
): string | undefined {
  const mine = nodes.get(self);
  // The registry still naming this node's previous life: that life is dead, so not a runner.
  if (mine !== undefined && (life === undefined || mine.incarnation === life) && canRun(mine, job)) return self;
  const seed = fnv1a(job.id);
  let best: string | undefined;
  let bestScore = -1;
  for (const [id, node] of nodes) {
    if (id === self || !canRun(node, job)) continue;
    const score = fnv1a(id, seed);
    if (score > bestScore || (score === bestScore && id < (best as string))) {
      best = id;
      bestScore = score;
    }
  }
  return best;
}

/** The terms a start is proposed under: the leader's term (its fencing token) and the lateness threshold. */
export type StartTerms = Pick<DecideContext, 'term' | 'missedThresholdMs'>;

/** The command that starts attempt `attempt` of `jobId`'s occurrence at `scheduledAt` on life `incarnation` of `nodeId`, proposed at `now`. */
export function startCommand(
  jobId: string,
  scheduledAt: number,
  attempt: number,
  now: number,
  nodeId: string,
  incarnation: string,
  terms: StartTerms,
): StartExecutionCommand {
  return {
    type: 'startExecution',
    now,
    jobId,
    scheduledAt,
    attempt,
    nodeId,
    incarnation,
    term: terms.term,
    missedThresholdMs: terms.missedThresholdMs,
  };
}
