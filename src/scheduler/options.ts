/**
 * Options of `createScheduler` and their validation. Everything is resolved once, up front, into
 * plain numbers, so the hot paths never parse a duration or look up a default, and a bad option
 * fails at creation with a {@link ValidationError} naming it instead of at the first job.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { systemRandom } from '../util/random.js';
import type { AbstractLevel } from 'abstract-level';
import type { NodeId, RaftTiming, Transport } from '../raft/index.js';
import { completeClock, systemClock, type Clock, type CompleteClock } from '../util/clock.js';
import { ValidationError } from './errors.js';
import {
  booleanField,
  durationField,
  integerField,
  knownKeysField,
  numberField,
  plainObjectField,
  sizeField,
  stringField,
} from './fields.js';
import { backoffField, catchUpField, catchUpWindowField, maxAttemptsField, overlapField, timeoutField } from './job-fields.js';
import { DEFAULT_BACKOFF, DEFAULT_JOB_DEFAULTS, type JobDefaults } from './limits.js';
import type { BackoffOptions } from './model.js';
import type { CreateSchedulerOptions } from './types.js';
import type { Handler } from './runners/handler.js';
import type { CatchUpPolicy, OverlapPolicy } from './vocabulary.js';

export { DEFAULT_BACKOFF } from './limits.js';

/** A duration: milliseconds, or a string such as `"500ms"`, `"30s"`, `"5m"`, `"720h"`, `"30d"`. */
export type DurationInput = number | string;

/**
 * Any abstract-level database (or sublevel) the scheduler may keep its Raft log in. The
 * scheduler writes binary keys and values with per-operation `view` encodings, so the store's
 * own default encodings do not matter.
 */
// `any` is deliberate and the only spelling that works: AbstractLevel is invariant in its type
// parameters (they appear in both argument and result positions), so no `unknown`/`never` form
// accepts a MemoryLevel<string, string> and a ClassicLevel<Uint8Array, Uint8Array> alike. The
// adapter passes explicit encodings on every call, so the parameters never matter to it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LevelDatabase = AbstractLevel<any, any, any>;

/**
 * Where the Raft log lives: `'memory'` (default; nothing survives the process), a classic-level
 * directory (`path`; `sync` fsyncs every write, default true), or a database you opened yourself.
 */
export type StorageOption =
  | 'memory'
  | {
      /** Directory of the classic-level database holding the log (created when missing). */
      readonly path: string;
      /** Fsync every write before it counts as persisted (default true). */
      readonly sync?: boolean;
    }
  | {
      /** An abstract-level database you opened yourself; the scheduler uses it, you close it. */
      readonly level: LevelDatabase;
    };

/** Webhook delivery settings. */
export interface WebhookOptions {
  /** When set, every request is signed (`X-Scheduled-DB-Signature`, HMAC-SHA256). */
  readonly secret?: string;
  /** Allow targets in private, loopback and link-local ranges (default `true` in the library; the reference server defaults to false). */
  readonly allowPrivate?: boolean;
  /** Cap on one request; a job's own `timeout` still applies when shorter (default: the job's timeout). */
  readonly timeout?: DurationInput;
}

/** Options of `createScheduler`; all optional. */
export interface SchedulerOptions {
  /** This node's id (default `'node-1'`). */
  readonly nodeId?: string;
  /** Where the Raft log lives (default `'memory'`). */
  readonly storage?: StorageOption;
  /** Source of time and timers (default: the system clock). Inject a `ManualClock` in tests. */
  readonly clock?: Clock;
  /** Uniform draws in [0, 1) for retry jitter and election timeouts (default `Math.random`). */
  readonly random?: () => number;
  /** Ids of every voting member, this node included. Absent: a cluster of one. Requires `transport`. */
  readonly voters?: readonly NodeId[];
  /** How this node reaches the other voters (e.g. `MemoryNetwork.connect(id)`). Required with more than one voter. */
  readonly transport?: Transport;
  /** Attempts per occurrence, first included (default 3). */
  readonly maxAttempts?: number;
  /** Backoff between attempts (defaults: 1s initial, ×2, 5m cap, 0.2 jitter). */
  readonly backoff?: Partial<BackoffOptions>;
  /** Per-attempt timeout (default 5m; the seed's `JOB_EXECUTION_TIMEOUT`). */
  readonly executionTimeout?: DurationInput;
  /** After this long without a finish, a started attempt is presumed dead (default 5m; `JOB_INPROGRESS_TIMEOUT`). */
  readonly inProgressTimeout?: DurationInput;
  /** An occurrence that starts later than this after its time is marked `late`/missed (default 1s). */
  readonly missedThreshold?: DurationInput;
  /** Default overlap policy of cron jobs (default `'skip'`). */
  readonly overlap?: OverlapPolicy;
  /** Default catch-up policy of cron jobs (default `'fire-once'`). */
  readonly catchUp?: CatchUpPolicy;
  /** Default catch-up window of `fire-all` (default 1h). */
  readonly catchUpWindow?: DurationInput;
  /** How long finished executions are kept (default 30d). */
  readonly historyRetention?: DurationInput;
  /** Executions kept per job, newest first (default 1000). */
  readonly historyLimit?: number;
  /** How often the leader prunes history (default 1h). */
  readonly pruneInterval?: DurationInput;
  /** Maximum number of jobs (default 100000; the seed's `QUEUE_JOB_LIMIT`). */
  readonly maxJobs?: number;
  /**
   * Memory budget for jobs and history: bytes or `"2GB"`, `"500MB"`. Wins over `maxMemoryPercent`.
   * Either is clamped to half of the V8 heap limit (`--max-old-space-size`), so scheduling past the
   * budget is a `CapacityError`, never a fatal out-of-memory.
   */
  readonly maxMemory?: number | string;
  /** Memory budget as a percentage of `os.totalmem()` (default 50), clamped like `maxMemory`. */
  readonly maxMemoryPercent?: number;
  /**
   * Longest the leader's one timer sleeps before looking at the queue again (default 60s). Due
   * times stay exact — the timer is armed for the earliest one, never later — so this never
   * delays a job; it bounds how far a wall-clock jump (NTP step, suspended VM) can push a far
   * timer off, and keeps Node's 24.8-day timer limit out of reach.
   */
  readonly slotGap?: DurationInput;
  /** Webhook delivery settings. */
  readonly webhook?: WebhookOptions;
  /** Maximum handlers running at once on this node (default unlimited); the rest wait their turn. */
  readonly concurrency?: number;
  /** On `close()`, how long running handlers may finish before their signal is aborted (default 5s). */
  readonly closeGrace?: DurationInput;
  /**
   * Keep the Node process alive until `close()`. Default: `true` on the system clock, as cron
   * libraries do (a worker script whose only purpose is to run jobs must not exit before they are
   * due); `false` with an injected clock, whose simulated time holds nothing. Set `false` to let
   * the process exit when nothing else holds it, e.g. a CLI that schedules and leaves.
   */
  readonly keepAlive?: boolean;
  /**
   * Handlers by name, registered before the node first tells the cluster what it can run: after
   * a restart, overdue jobs then fire at once instead of waiting for `handle()`. A node is handed
   * a handler job only once its registration naming the handler has been applied, so handlers
   * registered later with `handle()` are waited for too (see "Restarts and deploys" in the README).
   */
  readonly handlers?: Readonly<Record<string, Handler>>;
}

/**
 * Every option `createScheduler` accepts, and the keys of its nested option objects: anything
 * else is refused with a "did you mean" (an ignored `storge` would run in memory and lose
 * everything on restart). The record's type lists each key of {@link CreateSchedulerOptions},
 * so adding an option to the interface without adding it here does not compile: this is the one
 * place the runtime learns the option names.
 */
const OPTION_KEYS: { readonly [K in keyof Required<CreateSchedulerOptions>]: readonly string[] } = {
  nodeId: [],
  storage: ['path', 'sync', 'level'],
  clock: [],
  random: [],
  voters: [],
  transport: [],
  maxAttempts: [],
  backoff: [],
  executionTimeout: [],
  inProgressTimeout: [],
  missedThreshold: [],
  overlap: [],
  catchUp: [],
  catchUpWindow: [],
  historyRetention: [],
  historyLimit: [],
  pruneInterval: [],
  maxJobs: [],
  maxMemory: [],
  maxMemoryPercent: [],
  slotGap: [],
  webhook: ['secret', 'allowPrivate', 'timeout'],
  concurrency: [],
  closeGrace: [],
  keepAlive: [],
  handlers: [],
  raft: ['timing', 'proposalTimeoutMs'],
};

/** Keys of `raft.timing` (a {@link RaftTiming}). */
const RAFT_TIMING_KEYS: { readonly [K in keyof RaftTiming]: true } = { tickMs: true, electionTicks: true, heartbeatTicks: true };

/** {@link SchedulerOptions} with every default applied and every duration in milliseconds. */
export interface ResolvedOptions {
  readonly nodeId: string;
  readonly storage: StorageOption;
  readonly clock: CompleteClock;
  readonly random: () => number;
  readonly voters: readonly NodeId[];
  readonly transport: Transport | undefined;
  /** What a job gets for each field it does not set; every value is one a job could carry. */
  readonly jobDefaults: JobDefaults;
  readonly inProgressTimeoutMs: number;
  /** How long this node's lease on its attempts lasts (the in-progress timeout). */
  readonly leaseMs: number;
  /** The handlers given to `createScheduler`. */
  readonly handlers: ReadonlyMap<string, Handler>;
  readonly missedThresholdMs: number;
  readonly historyRetentionMs: number;
  readonly historyLimit: number;
  readonly pruneIntervalMs: number;
  readonly maxJobs: number;
  readonly maxMemoryBytes: number;
  readonly slotGapMs: number;
  readonly webhookSecret: string | undefined;
  readonly webhookAllowPrivate: boolean;
  readonly webhookTimeoutMs: number | undefined;
  readonly concurrency: number;
  readonly closeGraceMs: number;
  readonly keepAlive: boolean;
}

const NODE_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Validates `options` and applies defaults. Unknown keys, at the top level and in `storage`,
 * `webhook`, `backoff`, `raft` and `raft.timing`, are refused with a "did you mean".
 *
 * @param options - What the caller passed to `createScheduler`, treated as hostile.
 * @param probe - Where memory limits are read (tests inject one; default: `os` and `v8`).
 * @throws {@link ValidationError} naming the bad option.
 */
export function resolveOptions(options: CreateSchedulerOptions = {}, probe: MemoryProbe = systemMemory): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid('options', 'must be an object');
  checkOptionKeys(options);
  const nodeId = options.nodeId ?? 'node-1';
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) throw invalid('nodeId', 'must be 1-200 characters of [A-Za-z0-9._:-]');

  const voters = options.voters ?? [nodeId];
  if (!Array.isArray(voters) || voters.length === 0 || voters.some((v) => typeof v !== 'string' || !NODE_ID.test(v))) {
    throw invalid('voters', 'must be a non-empty array of node ids');
  }
  if (new Set(voters).size !== voters.length) throw invalid('voters', 'must not repeat an id');
  if (!voters.includes(nodeId)) throw invalid('voters', `must include this node's id (${nodeId})`);
  const transport = options.transport;
  if (voters.length > 1 && transport === undefined) throw missing('transport', 'is required when there is more than one voter');
  if (transport !== undefined && transport.id !== nodeId) throw invalid('transport', `belongs to node ${transport.id}, not ${nodeId}`);

  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw invalid('clock', 'must implement now, setTimeout and clearTimeout');
  }
  if (
    (clock.soon !== undefined && typeof clock.soon !== 'function') ||
    (clock.nextTurn !== undefined && typeof clock.nextTurn !== 'function')
  ) {
    throw invalid('clock', 'soon and nextTurn, when present, must be functions');
  }
  const random = options.random ?? systemRandom;
  if (typeof random !== 'function') throw invalid('random', 'must be a function returning numbers in [0, 1)');

  const inProgressTimeoutMs = durationField(options.inProgressTimeout, 'inProgressTimeout', 300_000, 1);
  return {
    nodeId,
    storage: resolveStorage(options.storage),
    clock: completeClock(clock),
    random,
    voters,
    transport,
    jobDefaults: resolveJobDefaults(options),
    inProgressTimeoutMs,
    leaseMs: inProgressTimeoutMs,
    handlers: resolveHandlers(options.handlers),
    missedThresholdMs: durationField(options.missedThreshold, 'missedThreshold', 1000, 0),
    historyRetentionMs: durationField(options.historyRetention, 'historyRetention', 30 * 86_400_000, 1),
    historyLimit: integerField(options.historyLimit, 'historyLimit', 1000, 1),
    pruneIntervalMs: durationField(options.pruneInterval, 'pruneInterval', 3_600_000, 1000),
    maxJobs: integerField(options.maxJobs, 'maxJobs', 100_000, 1),
    maxMemoryBytes: resolveMemory(options.maxMemory, options.maxMemoryPercent, probe),
    slotGapMs: durationField(options.slotGap, 'slotGap', 60_000, 1),
    ...resolveWebhook(options.webhook),
    concurrency: integerField(options.concurrency, 'concurrency', Infinity, 1),
    closeGraceMs: durationField(options.closeGrace, 'closeGrace', 5000, 0),
    keepAlive: booleanField(options.keepAlive, 'keepAlive', clock === systemClock),
  };
}

/** Unknown keys anywhere in the options, nested objects included, before any value is looked at. */
function checkOptionKeys(options: CreateSchedulerOptions): void {
  const given = plainObjectField(options, 'options');
  knownKeysField(given, Object.keys(OPTION_KEYS), '');
  for (const key of ['storage', 'webhook', 'raft'] as const) {
    const value = given[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      knownKeysField(plainObjectField(value, key), OPTION_KEYS[key], key);
    }
  }
  const raft = given['raft'];
  if (raft !== undefined) {
    const timing = plainObjectField(raft, 'raft')['timing'];
    if (timing !== undefined) knownKeysField(plainObjectField(timing, 'raft.timing'), Object.keys(RAFT_TIMING_KEYS), 'raft.timing');
  }
}

function resolveHandlers(handlers: SchedulerOptions['handlers']): ReadonlyMap<string, Handler> {
  const map = new Map<string, Handler>();
  if (handlers === undefined) return map;
  const given = plainObjectField(handlers, 'handlers');
  for (const [name, fn] of Object.entries(given)) {
    if (typeof fn !== 'function') throw invalid(`handlers.${name}`, 'must be a function');
    map.set(name, fn as Handler);
  }
  return map;
}

function resolveStorage(storage: SchedulerOptions['storage']): StorageOption {
  if (storage === undefined || storage === 'memory') return 'memory';
  if (typeof storage !== 'object' || storage === null) throw invalid('storage', "must be 'memory', { path } or { level }");
  if ('path' in storage) {
    if (typeof storage.path !== 'string' || storage.path.length === 0) throw invalid('storage.path', 'must be a non-empty directory path');
    booleanField(storage.sync, 'storage.sync', true);
    return storage;
  }
  if ('level' in storage) {
    const level = storage.level as Partial<LevelDatabase> | null;
    if (typeof level !== 'object' || level === null || typeof level.batch !== 'function' || typeof level.iterator !== 'function') {
      throw invalid('storage.level', 'must be an abstract-level database');
    }
    return storage;
  }
  throw invalid('storage', "must be 'memory', { path } or { level }");
}

/**
 * The job defaults, each checked by the job field's own checker (with the option's name), so a
 * default is a value a job could carry: `maxAttempts` ≤ 100 and `executionTimeout` ≤ 24h as for a
 * job, and `update()` of a job that took defaults never fails on a field the caller did not send.
 */
function resolveJobDefaults(options: SchedulerOptions): JobDefaults {
  const d = DEFAULT_JOB_DEFAULTS;
  return {
    maxAttempts: maxAttemptsField(options.maxAttempts, 'maxAttempts', d.maxAttempts),
    // An `initialMs` above the default cap raises the cap rather than being refused.
    backoff: options.backoff === undefined ? DEFAULT_BACKOFF : backoffField(options.backoff, 'backoff', DEFAULT_BACKOFF, true),
    timeoutMs: timeoutField(options.executionTimeout, 'executionTimeout', d.timeoutMs),
    overlap: overlapField(options.overlap, 'overlap', d.overlap),
    catchUp: catchUpField(options.catchUp, 'catchUp', d.catchUp),
    catchUpWindowMs: catchUpWindowField(options.catchUpWindow, 'catchUpWindow', d.catchUpWindowMs),
  };
}

/**
 * Where the memory budget's ceilings come from: the machine's memory for `maxMemoryPercent`, and
 * the V8 heap limit, which no budget may approach (the state lives on the JavaScript heap, and
 * reaching the heap limit is a fatal out-of-memory crash, not an error anyone can catch).
 */
export interface MemoryProbe {
  /** Total system memory in bytes (`os.totalmem()`). */
  totalMemory(): number;
  /** The V8 heap limit in bytes (`v8.getHeapStatistics().heap_size_limit`). */
  heapSizeLimit(): number;
}

const systemMemory: MemoryProbe = {
  totalMemory: () => os.totalmem(),
  heapSizeLimit: () => v8.getHeapStatistics().heap_size_limit,
};

/**
 * Share of the V8 heap limit the memory budget may use at most. The budget counts the state's
 * estimate; the heap also holds the Raft log, indexes, buffers in flight and the application
 * itself, so half of the heap is the most the estimate can claim while a `CapacityError` still
 * comes before a fatal out-of-memory.
 */
export const HEAP_BUDGET_SHARE = 0.5;

/**
 * `maxMemory`, or `maxMemoryPercent` of the system memory, clamped to {@link HEAP_BUDGET_SHARE}
 * of the heap limit (read once, here, never in the state machine: the limit travels in each
 * create command). Clamping rather than refusing: the same configuration then works on a
 * machine or a `--max-old-space-size` with less room, and `stats().memory.limitBytes` shows
 * the budget in force.
 */
function resolveMemory(maxMemory: number | string | undefined, percent: number | undefined, probe: MemoryProbe): number {
  const heapCap = Math.floor(probe.heapSizeLimit() * HEAP_BUDGET_SHARE);
  if (maxMemory !== undefined) {
    const bytes = sizeField(maxMemory, 'maxMemory');
    if (!(bytes > 0)) throw invalid('maxMemory', 'must be positive');
    return Math.min(bytes, heapCap);
  }
  const p = numberField(percent, 'maxMemoryPercent', 50, 0);
  if (p <= 0 || p > 100) throw invalid('maxMemoryPercent', 'must be in (0, 100]');
  return Math.min(Math.floor((probe.totalMemory() * p) / 100), heapCap);
}

function resolveWebhook(
  webhook: WebhookOptions | undefined,
): Pick<ResolvedOptions, 'webhookSecret' | 'webhookAllowPrivate' | 'webhookTimeoutMs'> {
  if (webhook === undefined) return { webhookSecret: undefined, webhookAllowPrivate: true, webhookTimeoutMs: undefined };
  const given = plainObjectField(webhook, 'webhook');
  const secret = given['secret'] === undefined ? undefined : stringField(given['secret'], 'webhook.secret');
  return {
    webhookSecret: secret === '' ? undefined : secret,
    webhookAllowPrivate: booleanField(given['allowPrivate'], 'webhook.allowPrivate', true),
    webhookTimeoutMs: given['timeout'] === undefined ? undefined : durationField(given['timeout'], 'webhook.timeout', 0, 1),
  };
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError('INVALID_FIELD', field, message);
}

function missing(field: string, message: string): ValidationError {
  return new ValidationError('MISSING_FIELD', field, message);
}
