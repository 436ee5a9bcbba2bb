import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateId, jobIdProblem } from '../../src/util/ids.js';

describe('ids', () => {
  test('generateId gives distinct UUIDs that are valid job ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const id = generateId();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(jobIdProblem(id), undefined);
      ids.add(id);
    }
    assert.equal(ids.size, 100);
  });

  test('accepts 1-200 chars of [A-Za-z0-9._:-]', () => {
    for (const id of ['a', 'report.daily', 'tenant-1:job_2', 'A'.repeat(200), '0', '...', 'x:y:z'])
      assert.equal(jobIdProblem(id), undefined);
  });

  test('names what is wrong with other values', () => {
    const bad: unknown[] = [
      '',
      'A'.repeat(201),
      'job@1',
      'job#2',
      'a b',
      'a/b',
      'é',
      'a\n',
      '__proto__ ',
      null,
      undefined,
      42,
      {},
      ['a'],
      true,
    ];
    for (const id of bad) {
      assert.match(jobIdProblem(id) ?? '', /^(must be|may only contain)/, `accepted ${JSON.stringify(id)}`);
    }
  });

  test('explains that @ and # are reserved', () => {
    assert.match(jobIdProblem('a@b') ?? '', /reserved for execution ids/);
  });
});
