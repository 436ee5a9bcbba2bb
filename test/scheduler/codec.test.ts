import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CommandDecodeError, decodeCommand, encodeCommand } from '../../src/scheduler/codec.js';
import type { Command } from '../../src/scheduler/state/commands.js';

describe('command codec', () => {
  test('round-trips commands, unicode included, as compact JSON', () => {
    const command: Command = {
      type: 'batch',
      commands: [
        { type: 'cancelJob', now: 1, jobId: 'a', reason: 'ünïcødé ✓ 🚀' },
        { type: 'settleExecution', now: 2, executionId: 'a@1#1' },
      ],
    };
    const bytes = encodeCommand(command);
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(bytes.byteOffset, 0, 'owns its buffer (not a slice of the shared pool)');
    assert.equal(bytes.buffer.byteLength, bytes.byteLength);
    assert.deepEqual(decodeCommand(bytes), command);
    assert.equal(new TextDecoder().decode(bytes), JSON.stringify(command));
  });

  test('decodes from a view into a larger buffer', () => {
    const inner = encodeCommand({ type: 'deleteJob', now: 5, jobId: 'x' });
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 7);
    assert.deepEqual(decodeCommand(outer.subarray(7, 7 + inner.length)), { type: 'deleteJob', now: 5, jobId: 'x' });
  });

  test('rejects what is not a command', () => {
    assert.throws(() => decodeCommand(new TextEncoder().encode('{nope')), CommandDecodeError);
    assert.throws(() => decodeCommand(new TextEncoder().encode('[1,2]')), /no "type"/);
    assert.throws(() => decodeCommand(new TextEncoder().encode('null')), CommandDecodeError);
  });
});
