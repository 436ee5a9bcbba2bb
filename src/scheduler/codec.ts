/**
 * Encoding of scheduler commands into Raft log entry data. Compact JSON (no whitespace, optional
 * fields absent): readable in a hex dump, stable across versions, and fast because V8's JSON
 * codec beats any hand-written encoder for these small, string-heavy objects.
 */
import { Buffer } from 'node:buffer';
import type { Command } from './state/commands.js';

/**
 * Encodes a command as UTF-8 JSON. The result owns its memory (never a slice of Node's shared
 * buffer pool), because storage and transports may keep it for as long as the log lives.
 */
export function encodeCommand(command: Command): Uint8Array {
  const text = JSON.stringify(command);
  // Buffer.from would hand back a view into the 8 KiB pool for short strings; an exact-size
  // allocation keeps the pool from being pinned by long-lived log entries.
  const bytes = new Uint8Array(Buffer.byteLength(text, 'utf8'));
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).write(text, 'utf8');
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
  return value as Command;
}
