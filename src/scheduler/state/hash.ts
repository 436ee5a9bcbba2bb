/**
 * The canonical serialisation behind `hash()`: every field that can influence what the state
 * does or answers, written in a fixed order (never `Object.keys` order of stored objects; payload
 * keys sorted), jobs in creation order. Two replicas that applied the same log produce the same
 * text, byte for byte. Interned objects appear by value, so sharing never shows.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './json.js';
import type { ExecutionRecord, JobRecord, NodeRecord, Occurrence, SkipRecord } from './records.js';
import type { Store } from './store.js';

/** One value of a serialised record: absent values become `null`. */
type Field = string | number | boolean | undefined;

function line(fields: readonly Field[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    out += `${i > 0 ? ',' : ''}${f === undefined ? 'null' : JSON.stringify(f)}`;
  }
  return `${out}\n`;
}

function execution(e: ExecutionRecord): string {
  return line([
    'E',
    e.scheduledAt,
    e.attempt,
    e.nodeId,
    e.startedAt,
    e.endedAt,
    e.status,
    e.late,
    e.manual,
    e.term,
    e.incarnation,
    e.settled,
    e.interrupted,
    e.error,
    e.errorType,
    e.httpStatus,
    e.responseTimeMs,
  ]);
}

function occurrence(o: Occurrence): string {
  return line([
    'O',
    o.scheduledAt,
    o.manual,
    o.late,
    o.since,
    o.attempts,
    o.spent,
    o.retryAt,
    o.running === undefined ? undefined : o.running.attempt,
    o.held === undefined ? undefined : o.held.attempt,
  ]);
}

function skip(s: SkipRecord): string {
  return line(['S', s.scheduledAt, s.recordedAt, s.reason]);
}

function job(j: JobRecord): string {
  const o = j.opts;
  const b = o.backoff;
  const c = j.cron;
  let out = line([
    'J',
    j.seq,
    j.id,
    j.at,
    c?.cron,
    c?.timezone,
    c?.startAt,
    c?.endAt,
    j.handler,
    j.webhook,
    j.payload === undefined ? undefined : canonicalJson(j.payload),
    o.maxAttempts,
    b.initialMs,
    b.factor,
    b.maxMs,
    b.jitter,
    o.timeoutMs,
    o.overlap,
    o.catchUp,
    o.catchUpWindowMs,
    j.createdAt,
    j.updatedAt,
    j.cursor,
    j.status,
    j.paused,
    j.bytes,
  ]);
  const r = j.run;
  if (r === undefined) return out;
  out += line([
    'R',
    r.attemptCount,
    r.latestAt,
    r.firstAttemptAt,
    r.lastAttemptAt,
    r.completedAt,
    r.cancelledAt,
    r.cancellationReason,
    r.skippedCount,
    r.missedCount,
    r.queuedAt,
  ]);
  if (r.executions !== undefined) for (const e of r.executions) out += execution(e);
  if (r.skipped !== undefined) for (const s of r.skipped) out += skip(s);
  if (r.active !== undefined) for (const a of r.active) out += occurrence(a);
  return out;
}

/** The node registry, in node id order (the map's own order is the order of first registration). */
function nodes(store: Store): string {
  let out = '';
  const ids = [...store.nodes.keys()].sort();
  for (const id of ids) {
    const n = store.nodes.get(id) as NodeRecord;
    out += line(['N', id, n.incarnation, n.handlers.join('\u0000'), n.registration, n.renewals, n.available]);
  }
  return out;
}

/** SHA-256 (hex) of the canonical serialisation of `store`. */
export function hashStore(store: Store): string {
  const h = createHash('sha256');
  h.update(line(['STATE', store.seq, store.jobs.size, store.estimatedBytes, store.lastExecutedAt]));
  h.update(nodes(store));
  for (const j of store.order) if (store.isLive(j)) h.update(job(j));
  return h.digest('hex');
}

/** The canonical serialisation itself (for diffing two replicas that disagree). */
export function serializeStore(store: Store): string {
  let out = line(['STATE', store.seq, store.jobs.size, store.estimatedBytes, store.lastExecutedAt]);
  out += nodes(store);
  for (const j of store.order) if (store.isLive(j)) out += job(j);
  return out;
}
