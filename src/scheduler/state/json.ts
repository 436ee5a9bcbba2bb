/**
 * JSON payload helpers: size and depth (for the memory estimate and a sanity bound), a frozen
 * private copy (so no caller can change the state through an object it still holds or was
 * given), key-order-insensitive equality and a canonical text (for idempotency and hashing).
 */
import { MAX_PAYLOAD_DEPTH } from '../limits.js';
import type { JsonValue } from '../model.js';

// Deeper payloads are refused by `apply` as by validation, so the recursive helpers below stay far from the stack limit.
/**
 * Estimated heap bytes of a JSON value (V8 object and string layouts, rounded), or -1 when it
 * nests deeper than {@link MAX_PAYLOAD_DEPTH} or holds something that is not JSON. Iterative,
 * so a hostile depth cannot overflow the stack before it is refused.
 */
export function payloadBytes(value: JsonValue | undefined): number {
  if (value === undefined) return 0;
  let bytes = 0;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop() as number;
    if (typeof v === 'string') bytes += 16 + v.length;
    else if (typeof v === 'number') bytes += Number.isFinite(v) ? 16 : -Infinity;
    else if (typeof v === 'boolean' || v === null) bytes += 0;
    else if (typeof v === 'object') {
      if (depth > MAX_PAYLOAD_DEPTH) return -1;
      if (Array.isArray(v)) {
        bytes += 32 + 8 * v.length;
        for (let i = 0; i < v.length; i++) {
          stack.push(v[i]);
          depths.push(depth + 1);
        }
      } else {
        const keys = Object.keys(v);
        bytes += 32 + 16 * keys.length;
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as string;
          bytes += key.length;
          stack.push((v as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
      }
    } else return -1;
    if (!(bytes >= 0)) return -1;
  }
  return bytes;
}

/** A deeply frozen copy of `value` (primitives as they are). Only for values {@link payloadBytes} accepted. */
export function frozenCopy(value: JsonValue): JsonValue {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = frozenCopy(value[i] as JsonValue);
    return Object.freeze(out) as JsonValue;
  }
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(value)) {
    const copy = frozenCopy(value[key] as JsonValue);
    // A plain assignment to "__proto__" would set the prototype instead of copying the key.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return Object.freeze(out);
}

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !jsonEqual(a[key], b[key])) return false;
  }
  return true;
}

/** JSON text with object keys sorted: equal values (in the sense of {@link jsonEqual}) give equal text. */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    out += `${i > 0 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(value[key])}`;
  }
  return `${out}}`;
}
