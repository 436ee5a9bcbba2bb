import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateId, validateJobId } from '../../src/util/ids.js';
import { ValidationError } from '../../src/scheduler/errors.js';

describe('ids', () => {
  test('generateId gives distinct UUIDs that are valid job ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const id = generateId();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      validateJobId(id);
      ids.add(id);
    }
    assert.equal(ids.size, 100);
  });

  test('accepts 1-200 chars of [A-Za-z0-9._:-]', () => {
    for (const id of ['a', 'report.daily', 'tenant-1:job_2', 'A'.repeat(200), '0', '...', 'x:y:z']) validateJobId(id);
  });

  test('rejects other values with INVALID_FIELD naming the field', () => {
    const bad: unknown[] = ['', 'A'.repeat(201), 'job@1', 'job#2', 'a b', 'a/b', 'é', 'a\n', '__proto__ ', null, undefined, 42, {}, ['a'], true];
    for (const id of bad) {
      assert.throws(
        () => validateJobId(id, 'jobs.3.id'),
        (err: unknown) => err instanceof ValidationError && err.code === 'INVALID_FIELD' && err.field === 'jobs.3.id',
        `accepted ${JSON.stringify(id)}`,
      );
    }
  });

  test('explains that @ and # are reserved', () => {
    assert.throws(() => validateJobId('a@b'), /reserved for execution ids/);
  });
});
