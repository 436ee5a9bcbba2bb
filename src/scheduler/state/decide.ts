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

/** Who runs an attempt: a node and the life of it the start is for. */
interface Runner {
  readonly nodeId: string;
  readonly incarnation: string;
}

/**
 * Commands for `job` at `now` (empty when nothing is due, or when no node can run it now: it
 * then waits until a registration adds a node that can).
 */
export function decide(job: JobRecord | undefined, now: number, ctx: DecideContext, nodes: ReadonlyMap<string, NodeRecord>): Command[] {
  const out: Command[] = [];
  if (job === undefined || !schedulable(job)) return out;
  const run = job.run;
  const active = run?.active;
  let runner: Runner | undefined | null = null;
  const who = (): Runner | undefined => (runner === null ? (runner = pickRunner(job, nodes, ctx.nodeId, ctx.incarnation)) : runner);
  let starting = false;
  if (active !== undefined) {
    for (let i = 0; i < active.length; i++) {
      const occ = active[i] as Occurrence;
      if (occ.running !== undefined || occ.held !== undefined || occ.retryAt === undefined || occ.retryAt > now) continue;
      const r = who();
      if (r === undefined) return out;
      out.push(
        startCommand(job.id, occ.scheduledAt, occ.attempts + 1, now, { ...r, term: ctx.term, missedThresholdMs: ctx.missedThresholdMs }),
      );
      starting = true;
    }
  }
  const queued = run?.queuedAt;
  if (queued !== undefined && active === undefined && queued <= now) {
    const r = who();
    if (r === undefined) return out;
    out.push(startCommand(job.id, queued, 1, now, { ...r, term: ctx.term, missedThresholdMs: ctx.missedThresholdMs }));
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
    const r = who();
    if (r === undefined) return out;
    out.push(startCommand(job.id, cursor, 1, now, { ...r, term: ctx.term, missedThresholdMs: ctx.missedThresholdMs }));
  }
  return out;
}

/** Whether `node` may be handed an attempt of `job`: in contact and, for a handler job, having the handler. */
function canRun(node: NodeRecord, job: JobRecord): boolean {
  return node.available && (job.handler === undefined || node.handlers.includes(job.handler));
}

/**
 * The node to run `job`'s next attempt: `self` (the leader) when it can — no hop, and it learns
 * of the start first — else one of the nodes that can, spread over them by the job id (the same
 * choice on every call while the registry stands), else none.
 */
function pickRunner(job: JobRecord, nodes: ReadonlyMap<string, NodeRecord>, self: string, life: string | undefined): Runner | undefined {
  const mine = nodes.get(self);
  // The registry still naming this node's previous life: that life is dead, so not a runner.
  const selfAble = mine !== undefined && (life === undefined || mine.incarnation === life) && canRun(mine, job);
  if (selfAble) return { nodeId: self, incarnation: mine.incarnation };
  let able: string[] | undefined;
  for (const [id, node] of nodes) if (id !== self && canRun(node, job)) (able ??= []).push(id);
  if (able === undefined) return undefined;
  able.sort();
  const id = able[fnv(job.id) % able.length] as string;
  return { nodeId: id, incarnation: (nodes.get(id) as NodeRecord).incarnation };
}

/** What a start command needs from the proposer: who runs it, under which term, with which threshold. */
export interface StartContext extends Runner {
  readonly term: number;
  readonly missedThresholdMs: number;
}

/** The command that starts attempt `attempt` of `jobId`'s occurrence at `scheduledAt`, proposed at `now`. */
export function startCommand(jobId: string, scheduledAt: number, attempt: number, now: number, ctx: StartContext): StartExecutionCommand {
  return {
    type: 'startExecution',
    now,
    jobId,
    scheduledAt,
    attempt,
    nodeId: ctx.nodeId,
    incarnation: ctx.incarnation,
    term: ctx.term,
    missedThresholdMs: ctx.missedThresholdMs,
  };
}

/** FNV-1a of `text`, unsigned. */
export function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
