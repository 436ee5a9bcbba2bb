/**
 * Stats and health as pure functions of what the node counts, the limits it was given and the
 * roles the log reports: the facade gathers the inputs, these decide what they mean.
 */
import type { StateCounts } from './state/types.js';
import type { HealthOptions, NodeRole, SchedulerHealth, SchedulerStats } from './types.js';

/** What {@link schedulerStats} reads. */
export interface StatsInput {
  /** This node's id. */
  readonly nodeId: string;
  /** Whether the log says this node leads. */
  readonly isLeader: boolean;
  /** The leader the log knows, or `null`. */
  readonly leader: string | null;
  /** The replicated state's counts. */
  readonly counts: StateCounts;
  /** The configured `maxJobs`. */
  readonly maxJobs: number;
  /** The configured memory budget. */
  readonly maxMemoryBytes: number;
  /** Attempts the executor holds on this node. */
  readonly runningHere: number;
  /** Wake times the leader loop holds. */
  readonly queued: number;
}

/** Below this many finished attempts the failure rate says too little to change the verdict. */
const MIN_FINISHED_FOR_RATE = 10;
/** A failure rate above this is `unhealthy` whatever the threshold. */
const UNHEALTHY_FAILURE_RATE = 0.5;
/** Memory use (percent of the budget) from which the node is `degraded`. */
const DEGRADED_MEMORY_PERCENT = 90;
/** The default `failureThreshold` (the seed's `HEALTH_FAILURE_THRESHOLD`). */
const DEFAULT_FAILURE_THRESHOLD = 0.1;

/** This node's role as the log describes it. */
function nodeRole(nodeId: string, isLeader: boolean, leader: string | null): NodeRole {
  if (isLeader || leader === nodeId) return 'leader';
  return leader === null ? 'candidate' : 'follower';
}

/** Counts, limits and roles (what `GET /health` reports). */
export function schedulerStats(input: StatsInput): SchedulerStats {
  const { counts, maxJobs, maxMemoryBytes } = input;
  const e = counts.executions;
  const finished = e.completed + e.failed + e.timeout;
  return {
    nodeId: input.nodeId,
    role: nodeRole(input.nodeId, input.isLeader, input.leader),
    isLeader: input.isLeader,
    leader: input.leader,
    jobs: {
      current: counts.jobs,
      limit: maxJobs,
      available: Math.max(0, maxJobs - counts.jobs),
      byStatus: counts.byStatus,
    },
    memory: {
      currentBytes: counts.estimatedBytes,
      limitBytes: maxMemoryBytes,
      availableBytes: Math.max(0, maxMemoryBytes - counts.estimatedBytes),
      utilizationPercent: (100 * counts.estimatedBytes) / maxMemoryBytes,
    },
    executions: {
      inProgress: e.inProgress,
      completed: e.completed,
      failed: e.failed,
      timeout: e.timeout,
      cancelled: e.cancelled,
      failureRate: finished === 0 ? 0 : (e.failed + e.timeout) / finished,
      ...(counts.lastExecutedAt !== undefined && { lastExecutedAt: counts.lastExecutedAt }),
    },
    runningHere: input.runningHere,
    queued: input.queued,
  };
}

/** `stats` with the health verdict of `GET /health`. */
export function schedulerHealth(stats: SchedulerStats, options: HealthOptions = {}): SchedulerHealth {
  const threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  const e = stats.executions;
  const rated = e.completed + e.failed + e.timeout >= MIN_FINISHED_FOR_RATE;
  let status: SchedulerHealth['status'] = 'ok';
  if (stats.leader === null || (rated && e.failureRate > UNHEALTHY_FAILURE_RATE)) status = 'unhealthy';
  else if (stats.memory.utilizationPercent >= DEGRADED_MEMORY_PERCENT || (rated && e.failureRate > threshold)) status = 'degraded';
  return { ...stats, status };
}
