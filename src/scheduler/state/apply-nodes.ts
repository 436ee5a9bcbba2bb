/**
 * The node registry: `registerNode`, `renewLease`, `expireNode`, `leaveNode`. An attempt belongs
 * to one life (incarnation) of one node, and only the end of that life ends it without a report
 * from the node: a new incarnation (the process restarted: at once), an expiry (out of contact
 * past its lease, during which the node aborted its own attempts) or a departure (a graceful
 * close: interrupted, retried at once without spending an attempt). Nothing here reads a clock.
 */
import type { ExpireNodeCommand, LeaveNodeCommand, RegisterNodeCommand, RenewLeaseCommand } from './commands.js';
import { fnv1a } from '../../util/hash.js';
import { wakeOf } from './derive.js';
import { endAttempt, occurrenceOf, settle, type AttemptEnd } from './apply-finish.js';
import { NodeRecord, type ExecutionRecord } from './records.js';
import { reject, type Store } from './store.js';
import type { NodeChangeResult, Rejection, RenewLeaseResult } from './types.js';
import { executionId } from './views.js';

function invalid(message: string): Rejection {
  return reject({ code: 'INVALID_COMMAND', message });
}

function stale(nodeId: string, message: string): Rejection {
  return reject({ code: 'STALE', message: `node ${nodeId}: ${message}`, jobId: '' });
}

function wellFormed(cmd: { nodeId: unknown; incarnation: unknown }): boolean {
  return typeof cmd.nodeId === 'string' && cmd.nodeId.length > 0 && typeof cmd.incarnation === 'string' && cmd.incarnation.length > 0;
}

/**
 * When an incarnation began, as its proposer wrote it (`<start time base 36>.<random>`): a
 * registration of an older life arriving late (a delayed copy) must not undo a newer one.
 */
function bornAt(incarnation: string): number {
  const dot = incarnation.indexOf('.');
  const t = dot > 0 ? parseInt(incarnation.slice(0, dot), 36) : NaN;
  return Number.isFinite(t) ? t : -Infinity;
}

/** Applies a {@link RegisterNodeCommand}. */
export function applyRegister(store: Store, cmd: RegisterNodeCommand): NodeChangeResult<'registerNode'> | Rejection {
  if (!wellFormed(cmd) || !Array.isArray(cmd.handlers) || !cmd.handlers.every((h) => typeof h === 'string')) {
    return invalid('registerNode needs a node id, an incarnation and handler names');
  }
  const registration = Number.isFinite(cmd.registration) ? cmd.registration : 0;
  const nodeId = store.strings.intern(cmd.nodeId);
  const known = store.nodes.get(nodeId);
  const handlers = [...new Set(cmd.handlers)].sort();
  let ended = 0;
  if (known !== undefined && known.incarnation === cmd.incarnation) {
    if (registration <= known.registration) return stale(nodeId, `registration ${registration} is not newer than ${known.registration}`);
    known.handlers = handlers;
    known.registration = registration;
    known.available = true;
  } else {
    if (known !== undefined && bornAt(cmd.incarnation) < bornAt(known.incarnation)) {
      return stale(nodeId, `incarnation ${cmd.incarnation} is older than ${known.incarnation}`);
    }
    if (known !== undefined) {
      // The previous life is over: whatever it ran died with it (a crash cannot be told from a
      // handler that kills its process, so the attempt is spent).
      ended = endLife(store, nodeId, known.incarnation, cmd.now, {
        status: 'failed',
        errorType: 'unknown',
        error: `interrupted: node ${nodeId} restarted`,
        interrupted: false,
      });
    }
    store.nodes.set(nodeId, new NodeRecord(cmd.incarnation, handlers, registration, 0, true));
  }
  changed(store, nodeId);
  return { ok: true, type: 'registerNode', ended };
}

/** Applies a {@link RenewLeaseCommand}. */
export function applyRenew(store: Store, cmd: RenewLeaseCommand): RenewLeaseResult | Rejection {
  if (!wellFormed(cmd)) return invalid('renewLease needs a node id and an incarnation');
  const node = store.nodes.get(cmd.nodeId);
  if (node === undefined || node.incarnation !== cmd.incarnation || !node.available)
    return { ok: true, type: 'renewLease', renewed: false };
  node.renewals++;
  if (store.listening) {
    store.emit({ type: 'leaseRenewed', nodeId: cmd.nodeId, incarnation: node.incarnation, renewals: node.renewals });
  }
  return { ok: true, type: 'renewLease', renewed: true };
}

/** Applies an {@link ExpireNodeCommand}. */
export function applyExpire(store: Store, cmd: ExpireNodeCommand): NodeChangeResult<'expireNode'> | Rejection {
  if (!wellFormed(cmd)) return invalid('expireNode needs a node id and an incarnation');
  const node = store.nodes.get(cmd.nodeId);
  if (node === undefined || node.incarnation !== cmd.incarnation) return stale(cmd.nodeId, 'that life is over already');
  if (!node.available) return stale(cmd.nodeId, 'already out of contact or gone');
  // A renewal applied after the leader looked wins: the node is in contact.
  if (node.renewals !== cmd.renewals) return stale(cmd.nodeId, `renewed since (${node.renewals}, not ${cmd.renewals})`);
  node.available = false;
  const ended = endLife(store, cmd.nodeId, node.incarnation, cmd.now, {
    status: 'timeout',
    errorType: 'timeout',
    error: `node ${cmd.nodeId} out of contact for longer than its lease (it aborted the attempt)`,
    interrupted: false,
  });
  changed(store, cmd.nodeId);
  return { ok: true, type: 'expireNode', ended };
}

/** Applies a {@link LeaveNodeCommand}. */
export function applyLeave(store: Store, cmd: LeaveNodeCommand): NodeChangeResult<'leaveNode'> | Rejection {
  if (!wellFormed(cmd)) return invalid('leaveNode needs a node id and an incarnation');
  const node = store.nodes.get(cmd.nodeId);
  if (node === undefined || node.incarnation !== cmd.incarnation) return stale(cmd.nodeId, 'that life is over already');
  node.available = false;
  const ended = endLife(store, cmd.nodeId, node.incarnation, cmd.now, {
    status: 'cancelled',
    errorType: 'cancelled',
    error: `interrupted: the scheduler on ${cmd.nodeId} closed`,
    interrupted: true,
  });
  changed(store, cmd.nodeId);
  return { ok: true, type: 'leaveNode', ended };
}

function changed(store: Store, nodeId: string): void {
  if (!store.listening) return;
  const node = store.nodes.get(nodeId) as NodeRecord;
  store.emit({
    type: 'nodeChanged',
    nodeId,
    incarnation: node.incarnation,
    renewals: node.renewals,
    available: node.available,
    handlers: node.handlers,
  });
}

/**
 * Ends every running attempt of `nodeId`'s life `incarnation` as `how` says and settles its held
 * ones (their handlers are gone or aborted). Returns how many attempts it ended.
 */
function endLife(
  store: Store,
  nodeId: string,
  incarnation: string,
  now: number,
  how: Pick<AttemptEnd, 'status' | 'errorType' | 'error' | 'interrupted'>,
): number {
  const mine = (e: ExecutionRecord): boolean => e.nodeId === nodeId && e.incarnation === incarnation;
  const running: ExecutionRecord[] = [];
  for (const e of store.running) if (mine(e)) running.push(e);
  const held: ExecutionRecord[] = [];
  for (const e of store.held) if (mine(e)) held.push(e);
  let ended = 0;
  for (const e of running) {
    const job = store.jobs.get(e.jobId);
    const occ = job === undefined ? undefined : occurrenceOf(job, e);
    if (job === undefined || occ === undefined || occ.running !== e) continue;
    const before = wakeOf(job);
    const id = executionId(e.jobId, e.scheduledAt, e.attempt);
    endAttempt(store, job, occ, e, { ...how, now, settled: true, random: fnv1a(`${id}|${now}`) / 0x1_0000_0000 });
    store.noteWake(job, before);
    ended++;
  }
  for (const e of held) {
    const job = store.jobs.get(e.jobId);
    if (job === undefined || e.settled) {
      store.held.delete(e);
      continue;
    }
    const before = wakeOf(job);
    settle(store, job, e);
    store.noteWake(job, before);
  }
  return ended;
}
