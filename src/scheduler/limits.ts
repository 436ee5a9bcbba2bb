/**
 * Job defaults and the caps every job field is held to, in one place: option validation
 * (`createScheduler`) and spec validation (`schedule`, `update`) read the same numbers, so a
 * default is always a value a job could carry and `update()` never fails on a field the
 * caller did not send.
 */
import type { BackoffOptions, JobSettings } from './model.js';

/** Most attempts per occurrence a job (or the scheduler's default) may ask for. */
export const MAX_ATTEMPTS_LIMIT = 100;

/** Longest per-attempt timeout of a job (or the scheduler's default): 24 h. */
export const MAX_TIMEOUT_MS = 86_400_000;

/** Largest accepted payload, in bytes of UTF-8 JSON (1 MB, binary as everywhere in this project). */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Deepest accepted payload nesting: nobody needs more, and recursion on hostile input (in
 * validation, and in the state machine's helpers) must stay far from the stack limit.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/** Longest handler name. */
export const MAX_HANDLER_LENGTH = 200;

/** Longest `delay` of a one-shot job: 100 years, far inside the range of `Date`. */
export const MAX_DELAY_MS = 100 * 365 * 86_400_000;

/** Longest reason `cancel()` records (it is replicated and kept with the job). */
export const MAX_CANCEL_REASON_LENGTH = 1000;

/** Jobs in one `page()` when no `limit` is given (the HTTP contract's default). */
export const DEFAULT_PAGE_LIMIT = 100;

/** Most jobs in one `page()` (the HTTP contract's maximum); `list()` has no cap. */
export const MAX_PAGE_LIMIT = 1000;

/** Longest webhook URL. */
export const MAX_URL_LENGTH = 2_048;

/** What a job gets for each setting its spec does not give (the scheduler's configuration). */
export type JobDefaults = JobSettings;

/** Default backoff: 1s, ×2 per attempt, capped at 5m, up to 20% jitter. */
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 1_000, factor: 2, maxMs: 300_000, jitter: 0.2 });

/**
 * The defaults of the original service: 3 attempts, exponential backoff from 1 s, 5 min timeout,
 * skip overlaps, fire missed occurrences once, a 1 h `fire-all` window.
 */
export const DEFAULT_JOB_DEFAULTS: JobDefaults = Object.freeze({
  maxAttempts: 3,
  backoff: DEFAULT_BACKOFF,
  timeoutMs: 300_000,
  overlap: 'skip',
  catchUp: 'fire-once',
  catchUpWindowMs: 3_600_000,
});
