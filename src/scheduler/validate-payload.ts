/**
 * Job payloads: any JSON value that survives a `JSON.stringify` → `JSON.parse` round trip
 * unchanged, at most 1 MB serialized. The stored payload is a detached copy, so a caller that
 * mutates its object afterwards cannot change replicated state.
 */
import type { JsonValue } from './model.js';
import { ValidationError } from './errors.js';
import { MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH } from './limits.js';

/**
 * Checks a payload and returns a detached copy of it.
 *
 * Refused with `INVALID_FIELD` (the field names the offending path, e.g. `payload.items.3`):
 * `undefined`, functions, symbols, bigints, `NaN` and `±Infinity`; objects that are not plain
 * (`Date`, `Map`, class instances — `JSON.stringify` would change them); arrays with holes;
 * symbol keys; `__proto__` keys (a prototype-pollution vector for whoever copies the payload
 * later); cycles; nesting deeper than 64; more than 1 MB serialized.
 *
 * @param value - The payload as given.
 * @param field - The field name (default `'payload'`).
 * @returns A deep copy made of plain JSON values.
 * @throws {@link ValidationError} `INVALID_FIELD`.
 */
export function checkPayload(value: unknown, field = 'payload'): JsonValue {
  const state: WalkState = { root: field, budget: 0, ancestors: new Set<object>() };
  walk(value, field, 0, state);
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new ValidationError(
      'INVALID_FIELD',
      field,
      `is too large: ${bytes} bytes serialized, the limit is 1 MB (${MAX_PAYLOAD_BYTES} bytes)`,
    );
  }
  return JSON.parse(text) as JsonValue;
}

interface WalkState {
  readonly root: string;
  /** A lower bound of the serialized size so far, to stop early on a huge payload. */
  budget: number;
  readonly ancestors: Set<object>;
}

function walk(value: unknown, path: string, depth: number, state: WalkState): void {
  switch (typeof value) {
    case 'string':
      state.budget += value.length + 2;
      break;
    case 'boolean':
      state.budget += 4;
      break;
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `${String(value)} is not a JSON number`);
      state.budget += 1;
      break;
    case 'object':
      if (value === null) {
        state.budget += 4;
        break;
      }
      walkObject(value, path, depth, state);
      break;
    default:
      throw notJson(path, `${typeof value} is not a JSON value`);
  }
  if (state.budget > MAX_PAYLOAD_BYTES) {
    throw new ValidationError('INVALID_FIELD', state.root, `is too large: more than 1 MB (${MAX_PAYLOAD_BYTES} bytes) serialized`);
  }
}

function walkObject(value: object, path: string, depth: number, state: WalkState): void {
  if (depth >= MAX_PAYLOAD_DEPTH) throw notJson(path, `is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  if (state.ancestors.has(value)) throw notJson(path, 'contains a cycle');
  if (Object.getOwnPropertySymbols(value).length > 0) throw notJson(path, 'has symbol keys, which JSON drops');
  state.ancestors.add(value);
  if (Array.isArray(value)) {
    state.budget += 2;
    for (let i = 0; i < value.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(value, i)) throw notJson(`${path}.${i}`, 'is a hole in a sparse array');
      if (i > 0) state.budget += 1;
      walk(value[i], `${path}.${i}`, depth + 1, state);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw notJson(path, 'must be a plain object (Date, Map, Set and class instances change in a JSON round trip)');
    }
    state.budget += 2;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key === '__proto__') throw notJson(`${path}.${key}`, 'the key "__proto__" is not allowed');
      state.budget += key.length + 3;
      walk(record[key], `${path}.${key}`, depth + 1, state);
    }
  }
  state.ancestors.delete(value);
}

function notJson(path: string, reason: string): ValidationError {
  // Paths are built from the payload's own keys, which may be huge.
  const field = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return new ValidationError('INVALID_FIELD', field, `must be JSON: ${reason}`);
}
