/**
 * Where what the log tells this node goes: each applied {@link StateEffect} to the leader loop
 * (wake times), the executor (attempts to run or abort here) and the events; each leadership
 * change to the loop and the events. Nothing is run or emitted for the history replayed on start.
 */
import type { LeadershipChange } from '../raft/index.js';
import type { EventHub } from './event-hub.js';
import type { AttemptOutcome } from './events.js';
import type { Executor } from './executor.js';
import type { LeaderLoop } from './leader-loop.js';
import type { Execution, Job } from './model.js';
import type { StateEffect } from './state/types.js';

/** What an {@link EffectRouter} routes to. */
export interface EffectRouterTargets {
  /** This node's id: attempts assigned to it run here. */
  readonly nodeId: string;
  /** This process's life: only attempts started for it run here (an earlier life's are over). */
  readonly incarnation: string;
  /** Fires due jobs while this node leads. */
  readonly loop: LeaderLoop;
  /** Runs the attempts assigned to this node. */
  readonly executor: Executor;
  /** The public events. */
  readonly events: EventHub;
  /** The job's current view (read only when someone listens for job events). */
  readonly getJob: (jobId: string) => Job | undefined;
}

const JOB_EVENTS = {
  jobCreated: 'job:created',
  jobUpdated: 'job:updated',
  jobCancelled: 'job:cancelled',
  jobPaused: 'job:paused',
  jobResumed: 'job:resumed',
} as const;

/** Routes state effects and leadership changes to the runtime parts and the events. */
export class EffectRouter {
  /** True while the log is replayed on start: nothing is executed or emitted for history. */
  replaying = true;
  /** True once the scheduler closes: no new attempt starts and the loop stays down. */
  closing = false;
  /** The latest Raft term this node saw (stamped on manual starts as the fencing token). */
  term = 0;
  readonly #t: EffectRouterTargets;

  /** @param targets - where effects go. */
  constructor(targets: EffectRouterTargets) {
    this.#t = targets;
  }

  /** The log's leadership changed. */
  readonly leadershipChanged = (change: LeadershipChange): void => {
    const { loop, events } = this.#t;
    this.term = change.term;
    if (!this.closing) {
      if (change.isLeader) loop.activate(change.term);
      else if (loop.active) loop.deactivate();
    }
    if (!this.replaying) events.emit('leader:changed', { leader: change.leader, isLeader: change.isLeader, term: change.term });
  };

  /** One effect of an applied command. */
  readonly route = (effect: StateEffect): void => {
    const { loop, executor, events } = this.#t;
    switch (effect.type) {
      case 'wake':
        loop.wake(effect.jobId, effect.at);
        return;
      case 'executionStarted':
        if (this.replaying) return;
        if (effect.execution.nodeId === this.#t.nodeId && effect.incarnation === this.#t.incarnation && !this.closing) {
          executor.start(effect.execution, effect.job);
        }
        events.emit('execution:started', effect.execution);
        return;
      case 'executionFinished':
        // The log ended an attempt this node still runs (another node's decision): let it go.
        if (executor.isRunning(effect.execution.id)) executor.abort(effect.execution.id, 'finished');
        if (!this.replaying) this.#emitFinished(effect.execution, effect.final, effect.retryAt);
        return;
      case 'executionAborted':
        executor.abort(effect.executionId, 'cancelled');
        if (!this.replaying && effect.reason === 'deleted') events.emit('execution:cancelled', effect.execution);
        return;
      case 'occurrenceSkipped':
      case 'occurrenceMissed': {
        if (this.replaying) return;
        const event = effect.type === 'occurrenceSkipped' ? 'occurrence:skipped' : 'occurrence:missed';
        if (events.listenerCount(event) === 0) return;
        const { jobId, scheduledAt, recordedAt, reason, count } = effect;
        events.emit(event, { jobId, scheduledAt, recordedAt, reason, count });
        return;
      }
      case 'jobCreated':
      case 'jobUpdated':
      case 'jobCancelled':
      case 'jobPaused':
      case 'jobResumed': {
        if (this.replaying) return;
        const event = JOB_EVENTS[effect.type];
        if (events.listenerCount(event) === 0) return;
        const job = this.#t.getJob(effect.jobId);
        if (job !== undefined) events.emit(event, job);
        return;
      }
      case 'jobDeleted':
        if (!this.replaying) events.emit('job:deleted', { jobId: effect.jobId, reason: effect.reason });
        return;
      case 'leaseRenewed':
        loop.nodeSeen({ ...effect, available: true, handlers: [] });
        return;
      case 'nodeChanged':
        loop.nodeSeen(effect);
        loop.nodesChanged();
        return;
      case 'executionSettled':
      case 'occurrenceQueued':
        // Nothing to run or tell: the state has re-armed whatever follows through `wake`.
        return;
    }
  };

  #emitFinished(execution: Execution, final: boolean, retryAt: number | undefined): void {
    const events = this.#t.events;
    const outcome: AttemptOutcome = retryAt === undefined ? { final } : { final, retryAt };
    switch (execution.status) {
      case 'completed':
        events.emit('execution:completed', execution);
        break;
      case 'failed':
        events.emit('execution:failed', execution, outcome);
        break;
      case 'timeout':
        events.emit('execution:timeout', execution, outcome);
        break;
      case 'cancelled':
        events.emit('execution:cancelled', execution);
        break;
      default:
        break;
    }
    if (retryAt !== undefined) events.emit('execution:retrying', execution, retryAt);
  }
}
