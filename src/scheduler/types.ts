/**
 * The public types of the scheduler's API, in one place: what `createScheduler` takes, what the
 * read methods accept and return, and what `stats()` and `health()` report.
 */
import type { RaftTiming } from '../raft/index.js';
import type { CatchUpPolicy, Job, JobSpecBase, JobStatus, OverlapPolicy } from './model.js';
import type { SchedulerOptions } from './options.js';

/**
 * The changes `update` applies: any job-spec field, absent fields kept. The kind cannot change
 * (no `cron` on a one-shot job, no `at` on a cron job); `startAt`/`endAt: null` remove the bound.
 */
export interface JobUpdate extends Partial<Omit<JobSpecBase, 'id'>> {
  /** New time of a one-shot job. */
  readonly at?: Date | number | string;
  /** New expression of a cron job. */
  readonly cron?: string;
  /** New time zone of a cron job. */
  readonly timezone?: string;
  /** New first possible occurrence of a cron job; `null` removes the bound. */
  readonly startAt?: Date | number | string | null;
  /** New last possible occurrence of a cron job; `null` removes the bound. */
  readonly endAt?: Date | number | string | null;
  /** New overlap policy. */
  readonly overlap?: OverlapPolicy;
  /** New catch-up policy. */
  readonly catchUp?: CatchUpPolicy;
  /** New catch-up window. */
  readonly catchUpWindow?: number | string;
}

/** Options of the read methods. */
export interface ReadOptions {
  /** Confirm with the leader that this replica is up to date before reading (linearizable). */
  readonly consistent?: boolean;
}

/** Filter and page of `Scheduler.list`. */
export interface ListOptions extends ReadOptions {
  /** Only jobs in this status (one of `JOB_STATUSES`; anything else is a `ValidationError`). */
  readonly status?: JobStatus;
  /** Most jobs returned: a positive integer; `list` default all, `page` default 100 and at most 1000. */
  readonly limit?: number;
  /** `nextCursor` of the previous page, as issued (any other string is a `ValidationError`). */
  readonly cursor?: string;
}

/** A page of `Scheduler.page`. */
export interface JobListPage {
  /** The jobs of this page, in creation order. */
  readonly jobs: Job[];
  /** Present when more jobs follow: pass it back as `cursor`. */
  readonly nextCursor?: string;
  /** How many jobs match, over all pages. */
  readonly total: number;
}

/** This node's role in the cluster. */
export type NodeRole = 'leader' | 'follower' | 'candidate';

/** Counts and limits, as `GET /health` reports them. */
export interface SchedulerStats {
  /** This node's id. */
  readonly nodeId: string;
  /** This node's role. */
  readonly role: NodeRole;
  /** Whether this node leads (and has caught up with its log). */
  readonly isLeader: boolean;
  /** The leader's node id, or `null` when none is known. */
  readonly leader: string | null;
  /** Jobs stored against `maxJobs`. */
  readonly jobs: {
    /** Jobs stored now. */
    readonly current: number;
    /** The configured `maxJobs`. */
    readonly limit: number;
    /** Jobs that can still be scheduled: `limit - current`, never below 0. */
    readonly available: number;
    /** Stored jobs per status (of their latest occurrence). */
    readonly byStatus: Readonly<Record<JobStatus, number>>;
  };
  /** The state's memory estimate (what capacity checks use) against the configured budget. */
  readonly memory: {
    /** The estimate of the stored state, in bytes. */
    readonly currentBytes: number;
    /** The configured memory budget, in bytes. */
    readonly limitBytes: number;
    /** Budget left: `limitBytes - currentBytes`, never below 0. */
    readonly availableBytes: number;
    /** `currentBytes` as a percentage of `limitBytes` (not rounded). */
    readonly utilizationPercent: number;
  };
  /** Recorded attempts by status. */
  readonly executions: {
    /** Attempts running now. */
    readonly inProgress: number;
    /** Attempts that completed. */
    readonly completed: number;
    /** Attempts that failed. */
    readonly failed: number;
    /** Attempts that timed out. */
    readonly timeout: number;
    /** Attempts that were cancelled. */
    readonly cancelled: number;
    /** (failed + timeout) / finished attempts, 0 when none finished. */
    readonly failureRate: number;
    /** When the most recent attempt started (epoch ms); absent before any attempt. */
    readonly lastExecutedAt?: number;
  };
  /** Attempts running (or waiting for a concurrency slot) on this node. */
  readonly runningHere: number;
  /** Wake times the leader loop holds (0 on followers). */
  readonly queued: number;
}

/** Options of `Scheduler.health`. */
export interface HealthOptions {
  /** Failure rate above which the node is `degraded` (default 0.1, the seed's `HEALTH_FAILURE_THRESHOLD`). */
  readonly failureThreshold?: number;
}

/** The health verdict of `GET /health`. */
export interface SchedulerHealth extends SchedulerStats {
  /**
   * `ok`; `degraded` at ≥ 90% memory or, with ≥ 10 finished attempts, a failure rate above the
   * threshold; `unhealthy` above 50% failures or with no known leader.
   */
  readonly status: 'ok' | 'degraded' | 'unhealthy';
}

/** Raft tuning for `createScheduler` (advanced; the defaults suit most deployments). */
export interface RaftTuning {
  /** Tick length and election/heartbeat ticks. */
  readonly timing?: RaftTiming;
  /** A proposal not applied after this long is rejected (default 10s). */
  readonly proposalTimeoutMs?: number;
}

/** {@link SchedulerOptions} plus the advanced Raft tuning. */
export interface CreateSchedulerOptions extends SchedulerOptions {
  /** Advanced: Raft timing. */
  readonly raft?: RaftTuning;
}
