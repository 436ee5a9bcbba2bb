/**
 * The composition root: `createScheduler()` opens the storage, builds the Raft node around the
 * scheduler state, wires the command port and batcher, the executor, the leader loop and the effect router,
 * starts the log (replaying history without side effects), and only then hands the parts to the
 * {@link Scheduler} facade, which therefore never exists half-started.
 */
import { DEFAULT_TIMING, RaftNode, type RaftStorage, type StateMachine, type Transport } from '../raft/index.js';
import { holdProcess } from '../util/process-hold.js';
import { createLevelStorage, openDiskStorage, openMemoryStorage } from '../storage/index.js';
import { systemClock } from '../util/clock.js';
import { decodeCommand } from './codec.js';
import { CommandBatcher } from './command-batcher.js';
import { CommandPort, storageOrLogError } from './command-port.js';
import { EffectRouter } from './effect-router.js';
import { InternalError, StorageError } from './errors.js';
import { EventHub } from './event-hub.js';
import { Executor, type Handler } from './executor.js';
import { LeaderLoop } from './leader-loop.js';
import { drawIncarnation, NodeMembership } from './membership.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { Scheduler } from './scheduler.js';
import { SchedulerState } from './state/index.js';
import type { Command } from './state/commands.js';
import type { ApplyResult } from './state/types.js';
import type { CreateSchedulerOptions } from './types.js';

/**
 * Creates and starts a scheduler node. With no options: one node, in-memory storage, the system
 * clock. Resolves once the node has replayed its log (and, alone, become leader). Rejects with a
 * `ValidationError` for bad options and a {@link StorageError} when the storage cannot be
 * opened or read.
 */
export async function createScheduler(options: CreateSchedulerOptions = {}): Promise<Scheduler> {
  const o = resolveOptions(options);
  const storage = await openStorage(o);
  const events = new EventHub();
  const handlers = new Map<string, Handler>(o.handlers);
  const incarnation = drawIncarnation(o.clock.now(), o.random);
  // The router is built last (it needs the loop and the executor); effects flow only once the log starts.
  const state = new SchedulerState((effect) => router.route(effect));
  const log = new RaftNode({
    id: o.nodeId,
    voters: o.voters,
    storage,
    transport: o.transport ?? loneTransport(o.nodeId),
    stateMachine: stateMachineOf(state, events.reportError),
    clock: o.clock,
    random: o.random,
    ...(options.raft?.timing !== undefined && { timing: options.raft.timing }),
    ...(options.raft?.proposalTimeoutMs !== undefined && { proposalTimeoutMs: options.raft.proposalTimeoutMs }),
  });
  const port = new CommandPort(log);
  const batcher = new CommandBatcher((command) => port.propose(command), o.clock, events.reportError);
  const executor = new Executor({
    nodeId: o.nodeId,
    clock: o.clock,
    random: o.random,
    handlers,
    batcher,
    concurrency: o.concurrency,
    webhookSecret: o.webhookSecret,
    webhookAllowPrivate: o.webhookAllowPrivate,
    webhookTimeoutMs: o.webhookTimeoutMs,
    abandonAfterMs: o.inProgressTimeoutMs,
    onError: events.reportError,
  });
  const leased = o.voters.length > 1;
  const membership = new NodeMembership({
    nodeId: o.nodeId,
    incarnation,
    clock: o.clock,
    propose: (command) => port.propose(command),
    handlers: () => [...handlers.keys()],
    leased,
    leaseMs: o.leaseMs,
    onLapse: () => executor.loseContact(),
    onRegain: () => executor.regainContact(),
  });
  const timing = options.raft?.timing ?? DEFAULT_TIMING;
  // Longest election (the randomized timeout tops out below 2 × electionTicks) plus one renewal interval.
  const marginMs = 2 * timing.electionTicks * timing.tickMs + o.leaseMs / 4;
  const loop = new LeaderLoop({
    nodeId: o.nodeId,
    incarnation,
    clock: o.clock,
    state: {
      decide: (jobId, now, ctx) => state.decide(jobId, now, ctx),
      wakeTimes: () => state.wakeTimes(),
      wakeTime: (jobId) => state.wakeTime(jobId),
      nodes: () => state.nodes(),
    },
    batcher,
    missedThresholdMs: o.missedThresholdMs,
    expireAfterMs: leased ? o.leaseMs + marginMs : undefined,
    slotGapMs: o.slotGapMs,
    // Only real timers are late by design; a simulated clock's are exact.
    timerSlackMs: o.clock === systemClock ? 1 : 0,
    pruneIntervalMs: o.pruneIntervalMs,
    historyRetentionMs: o.historyRetentionMs,
    historyLimit: o.historyLimit,
    onError: events.reportError,
  });
  const router = new EffectRouter({ nodeId: o.nodeId, incarnation, loop, executor, events, getJob: (jobId) => state.getJob(jobId) });
  const unsubscribe = log.onLeadership(router.leadershipChanged);
  try {
    await log.start();
  } catch (error) {
    unsubscribe();
    await log.close().catch(() => {});
    // Loading and replaying read the storage: what else fails there is the storage.
    throw storageOrLogError(error, 'loading the log');
  }
  router.replaying = false;
  // Only now, after the replay and with the handlers given here: the cluster hands this life
  // attempts once this registration is applied, so nothing fires here before handlers exist.
  membership.start();
  const keepAlive = o.keepAlive ? holdProcess() : undefined;
  return new Scheduler({
    options: o,
    log,
    state,
    events,
    handlers,
    port,
    batcher,
    executor,
    loop,
    router,
    membership,
    unsubscribe,
    keepAlive,
  });
}

/** The transport of a cluster of one: there is nobody to talk to. */
function loneTransport(id: string): Transport {
  return { id, send() {}, onMessage() {}, close: async () => {} };
}

async function openStorage(o: ResolvedOptions): Promise<RaftStorage> {
  const storage = o.storage;
  try {
    if (storage === 'memory') return await openMemoryStorage();
    if ('path' in storage) return await openDiskStorage(storage.path, { sync: storage.sync ?? true });
    // The caller opened it and may use it for more than us: leave closing it to them.
    return createLevelStorage(storage.level, { closeDatabase: false });
  } catch (error) {
    throw new StorageError(`could not open the storage: ${messageOf(error)}`, { cause: error });
  }
}

/** The log driver's view of the state: decode and apply one committed entry. */
function stateMachineOf(state: SchedulerState, reportError: (error: Error) => void): StateMachine {
  return {
    apply(data) {
      let command: Command;
      try {
        command = decodeCommand(data);
      } catch (error) {
        // Every replica holds the same bytes and fails the same way, so skipping keeps them equal;
        // throwing would only tear down this node's apply loop.
        const message = messageOf(error);
        reportError(new InternalError(`unreadable log entry skipped: ${message}`, { cause: error }));
        return { ok: false, rejected: { code: 'INVALID_COMMAND', message } } satisfies ApplyResult;
      }
      return state.apply(command);
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
