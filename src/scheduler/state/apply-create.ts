/**
 * `createJobs`: all or nothing. Jobs are inserted in one pass and, should one of them conflict
 * or the capacity be exceeded, the pass is undone — the failure path pays for the undo, the
 * common path allocates nothing beyond the jobs themselves.
 */
import type { Job } from '../model.js';
import type { CreateJobsCommand } from './commands.js';
import { definitionProblem, newRecord, sameDefinition } from './definitions.js';
import { wakeOf } from './derive.js';
import type { JobRecord } from './records.js';
import { reject, type Store } from './store.js';
import type { CreateJobsResult, Rejection } from './types.js';
import { jobView } from './views.js';

/** Applies a {@link CreateJobsCommand}. */
export function applyCreate(store: Store, cmd: CreateJobsCommand): CreateJobsResult | Rejection {
  const defs = cmd.jobs;
  const limits = cmd.limits;
  if (!Array.isArray(defs) || typeof limits !== 'object' || limits === null) {
    return reject({ code: 'INVALID_COMMAND', message: 'createJobs needs jobs and limits' });
  }
  const now = cmd.now;
  const from = store.order.length;
  const jobsBefore = store.jobs.size;
  const bytesBefore = store.estimatedBytes;
  const records = new Array<JobRecord>(defs.length);
  const created = new Array<boolean>(defs.length);
  for (let i = 0; i < defs.length; i++) {
    const def = defs[i] as CreateJobsCommand['jobs'][number];
    const problem = definitionProblem(def);
    if (problem !== undefined) {
      store.rollback(from);
      return reject({ code: 'INVALID_DEFINITION', message: problem, jobId: typeof def?.id === 'string' ? def.id : '' });
    }
    const existing = store.jobs.get(def.id);
    if (existing !== undefined) {
      if (!sameDefinition(existing, def)) {
        store.rollback(from);
        return reject({ code: 'JOB_CONFLICT', message: `id: a different job already exists with id ${def.id}`, jobId: def.id });
      }
      records[i] = existing;
      created[i] = false;
      continue;
    }
    const job = newRecord(store, def, now);
    if (job === undefined) {
      store.rollback(from);
      return reject({ code: 'INVALID_DEFINITION', message: 'payload: nests too deep or is not JSON', jobId: def.id });
    }
    store.insert(job);
    records[i] = job;
    created[i] = true;
  }
  const added = store.jobs.size - jobsBefore;
  if (added > 0) {
    if (jobsBefore + added > limits.maxJobs) {
      store.rollback(from);
      return reject({
        code: 'CAPACITY',
        message: `maximum jobs reached: current=${jobsBefore}, limit=${limits.maxJobs}`,
        type: 'job_count',
        current: jobsBefore,
        limit: limits.maxJobs,
        requested: added,
      });
    }
    const requested = store.estimatedBytes - bytesBefore;
    if (bytesBefore + requested > limits.maxMemoryBytes) {
      store.rollback(from);
      return reject({
        code: 'CAPACITY',
        message: `insufficient memory: current=${bytesBefore} bytes, limit=${limits.maxMemoryBytes} bytes, requested=${requested} bytes`,
        type: 'memory',
        current: bytesBefore,
        limit: limits.maxMemoryBytes,
        requested,
      });
    }
  }
  if (store.listening) {
    for (let i = 0; i < records.length; i++) {
      if (created[i] !== true) continue;
      const job = records[i] as JobRecord;
      store.emit({ type: 'jobCreated', jobId: job.id });
      const at = wakeOf(job);
      if (at !== undefined) store.emit({ type: 'wake', jobId: job.id, at });
    }
  }
  return new CreatedJobs(records, created);
}

/**
 * The success of a `createJobs`. Its job views are built on first read (most results, on
 * followers and for bulk creates, are never read, and building them would double the cost of a
 * big batch); they show the jobs as they are at that moment.
 */
class CreatedJobs implements CreateJobsResult {
  readonly ok = true;
  readonly type = 'createJobs';
  readonly created: readonly boolean[];
  #records: readonly JobRecord[] | undefined;
  #views: readonly Job[] | undefined;

  constructor(records: readonly JobRecord[], created: readonly boolean[]) {
    this.#records = records;
    this.created = created;
  }

  get jobs(): readonly Job[] {
    if (this.#views === undefined) {
      this.#views = (this.#records as readonly JobRecord[]).map(jobView);
      this.#records = undefined;
    }
    return this.#views;
  }
}
