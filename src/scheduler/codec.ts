/**
 * Encoding of scheduler commands into Raft log entry data: compact JSON. V8's JSON codec beats
 * any hand-written encoder for these small, string-heavy objects, so the compaction is in what
 * is written, not how: in a list of commands or job definitions (a `batch`, a bulk
 * `createJobs`) the fields every item shares — `now`, `nodeId`, `term`, thresholds, a job's
 * defaulted options — are written once as a template instead of once per item. A bulk
 * `createJobs` of one-shot jobs shrinks from ~230 to ~40 bytes per job, which is less to
 * encode, store, replicate, keep in the log and parse on every replica.
 *
 * Wire shape of a factored list: `{"$t": template, "$i": [items]}` where each item holds only
 * what differs from the template, and `"$a": [keys]` on an item lists template keys the item
 * does not have. Decoding restores the original objects exactly (same fields, same values).
 */
import { Buffer } from 'node:buffer';
import type { Command } from './state/commands.js';

/** Lists shorter than this are written as they are: a template would not pay for itself. */
const FACTOR_MIN = 4;

type Plain = Record<string, unknown>;

interface Factored {
  readonly $t: Plain;
  readonly $i: Plain[];
}

/**
 * Encodes a command as UTF-8 JSON. The result owns its memory (never a slice of Node's shared
 * buffer pool), because storage and transports may keep it for as long as the log lives.
 */
export function encodeCommand(command: Command): Uint8Array {
  const text = JSON.stringify(compact(command));
  // Buffer.from would hand back a view into the 8 KiB pool for short strings; an exact-size
  // allocation keeps the pool from being pinned by long-lived log entries.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  bytes.write(text, 0, 'utf8');
  return bytes;
}

/** Thrown by {@link decodeCommand} for bytes that are not an encoded command. */
export class CommandDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandDecodeError';
  }
}

/** Decodes what {@link encodeCommand} produced. Throws {@link CommandDecodeError} for anything else. */
export function decodeCommand(data: Uint8Array): Command {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    throw new CommandDecodeError(`log entry is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    throw new CommandDecodeError('log entry is not a scheduler command (no "type")');
  }
  return expand(value as Plain) as unknown as Command;
}

/** The command with its long lists factored (a shallow copy; the input is not touched). */
function compact(command: Command): unknown {
  if (command.type === 'batch') {
    const commands = command.commands.map(compact);
    return { type: 'batch', commands: commands.length >= FACTOR_MIN ? factor(commands as Plain[]) : commands };
  }
  if (command.type === 'createJobs' && command.jobs.length >= FACTOR_MIN) {
    return { ...command, jobs: factor(command.jobs as unknown as Plain[]) };
  }
  return command;
}

/** Undoes {@link compact} in place on freshly parsed JSON. */
function expand(value: Plain): Plain {
  if (value['type'] === 'batch') {
    const commands = unfactor(value['commands']);
    for (let i = 0; i < commands.length; i++) commands[i] = expand(commands[i] as Plain);
    value['commands'] = commands;
  } else if (value['type'] === 'createJobs') {
    value['jobs'] = unfactor(value['jobs']);
  }
  return value;
}

/**
 * Splits `items` into a template (the first item's fields that are primitives or small flat
 * objects such as `backoff`) and, per item, what differs from it.
 */
function factor(items: readonly Plain[]): Factored {
  const first = items[0] as Plain;
  // No prototype: `key in template` must see only the template's own keys.
  const template = Object.create(null) as Plain;
  for (const key in first) {
    const v = first[key];
    if (isTemplatable(v)) template[key] = v;
  }
  const keys = Object.keys(template);
  const out = new Array<Plain>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Plain;
    const rest: Plain = {};
    let absent: string[] | undefined;
    for (const key in item) {
      const v = item[key];
      // An undefined field is absent in JSON; it is marked absent below, never written.
      if (v !== undefined && (!(key in template) || !sameValue(v, template[key]))) rest[key] = v;
    }
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      if (item[key] === undefined) (absent ??= []).push(key);
    }
    if (absent !== undefined) rest['$a'] = absent;
    out[i] = rest;
  }
  return { $t: template, $i: out };
}

/** Completes each parsed item in place from the template (no second object per item). */
function unfactor(value: unknown): Plain[] {
  if (Array.isArray(value)) return value as Plain[];
  const { $t: template, $i: items } = value as Factored;
  const keys = Object.keys(template);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Plain;
    const absent = item['$a'] as string[] | undefined;
    if (absent !== undefined) delete item['$a'];
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      if (!(key in item) && (absent === undefined || !absent.includes(key))) item[key] = template[key];
    }
  }
  return items;
}

/** Primitives, and flat objects of primitives (`backoff`, `limits`): cheap to compare. */
function isTemplatable(v: unknown): boolean {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  if (t !== 'object' || v === null || Array.isArray(v)) return false;
  for (const key in v as Plain) {
    const inner = typeof (v as Plain)[key];
    if (inner !== 'string' && inner !== 'number' && inner !== 'boolean') return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a)) return false;
  const x = a as Plain;
  const y = b as Plain;
  let n = 0;
  for (const key in x) {
    if (x[key] !== y[key]) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}
