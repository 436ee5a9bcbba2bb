/**
 * The memory estimate that capacity (`maxMemoryBytes`) is checked against. It must be the same
 * number on every replica, so it is computed from content only (never from the heap), and it is
 * kept incrementally: each job carries its share (`JobRecord.bytes`), changed as its history
 * grows or is pruned, and the state keeps the sum.
 *
 * A job's share = {@link JOB_BYTES} + its strings (id, handler, webhook, cron, zone: 16 + length
 * each) + its payload ({@link payloadBytes}) + {@link CRON_BYTES} for a cron job + {@link RUN_BYTES}
 * once it has run + per stored execution {@link EXECUTION_BYTES} + its error text + per recorded
 * skipped occurrence {@link SKIP_BYTES} + the cancellation reason. The constants were calibrated
 * against the V8 heap (Node 20, `--expose-gc`, heapUsed delta over 100k–1M jobs decoded from
 * JSON): a pending one-shot measured 263 bytes (estimate 292), one with a finished attempt 673
 * (700). They cover the record, its map and listing slots and boxed numbers, and err on the high
 * side where strings are shared.
 */
import type { JobDefinition } from './commands.js';
import { payloadBytes } from './json.js';
import type { ExecutionRecord } from './records.js';

/** A pending job: its record, its map entry and listing slot, its boxed times. */
export const JOB_BYTES = 240;
/** The schedule object of a cron job. */
const CRON_BYTES = 64;
/** The run record a job gets with its first attempt (or cancellation, or skip). */
export const RUN_BYTES = 176;
/** One stored attempt (record, boxed times, its slot in the history). */
const EXECUTION_BYTES = 256;
/** One recorded skipped or missed occurrence. */
export const SKIP_BYTES = 88;

/** Heap bytes of a string (header plus one byte per character), 0 when absent. */
export function stringBytes(value: string | undefined): number {
  return value === undefined ? 0 : 16 + value.length;
}

/**
 * The part of a job's share that its definition decides, or -1 when the payload is refused
 * (too deep or not JSON).
 */
export function definitionBytes(def: JobDefinition): number {
  const payload = payloadBytes(def.payload);
  if (payload < 0) return -1;
  let bytes = JOB_BYTES + stringBytes(def.id) + stringBytes(def.handler) + stringBytes(def.webhook) + payload;
  if (def.kind === 'cron') bytes += CRON_BYTES + stringBytes(def.cron) + stringBytes(def.timezone);
  return bytes;
}

/** One stored attempt's share. */
export function executionBytes(execution: ExecutionRecord): number {
  return EXECUTION_BYTES + stringBytes(execution.error);
}
