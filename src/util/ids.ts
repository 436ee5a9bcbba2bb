/**
 * Job ids: generated ones, and the rules a caller-chosen one must follow.
 */
import { randomUUID } from 'node:crypto';
import { describe } from './describe.js';

/** Longest accepted job id. */
const MAX_JOB_ID_LENGTH = 200;

/**
 * `@` and `#` are left out on purpose: execution ids are `${jobId}@${scheduledAt}#${attempt}`,
 * so a job id containing them could be confused with (or forge) another job's execution id.
 */
const JOB_ID = /^[A-Za-z0-9._:-]+$/;

/**
 * A fresh random job id (a v4 UUID). Call it in the proposer, never inside the state machine:
 * ids travel inside commands so every replica stores the same one.
 *
 * @returns A lowercase UUID such as `'3b241101-e2bb-4255-8caf-4136c566a962'`.
 */
export function generateId(): string {
  return randomUUID();
}

/**
 * Checks a caller-chosen job id: a string of 1–200 characters from `[A-Za-z0-9._:-]`.
 *
 * @param id - The value to check.
 * @returns What is wrong with it (a message without the field name, for the caller to
 *   attach), or `undefined` when it is a valid job id.
 */
export function jobIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return `must be a string, got ${describe(id)}`;
  if (id.length === 0 || id.length > MAX_JOB_ID_LENGTH) return `must be 1-${MAX_JOB_ID_LENGTH} characters long, got ${id.length}`;
  if (!JOB_ID.test(id)) return 'may only contain letters, digits and . _ : - (@ and # are reserved for execution ids)';
  return undefined;
}
