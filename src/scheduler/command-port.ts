/**
 * The one way into the replicated log: {@link CommandPort.submit} encodes a command, proposes it,
 * and resolves with that command's own result type once it is applied here, so no caller re-checks
 * what kind of answer came back. Refusals of the state machine become the public typed errors,
 * and the Raft layer's errors the scheduler's (with the original as `cause`); the read path
 * translates with the same {@link translateLogError}.
 */
import { ProposalDroppedError, RaftError, type ReplicatedLog } from '../raft/index.js';
import { encodeCommand } from './codec.js';
import {
  CapacityError,
  ClosedError,
  DuplicateExecutionError,
  InternalError,
  InvalidStateError,
  JobConflictError,
  JobNotFoundError,
  NoLeaderError,
  SchedulerError,
  StorageError,
  TimeoutError,
  ValidationError,
} from './errors.js';
import type { Command } from './state/commands.js';
import type { ApplyResult, Rejection, RejectionInfo, ResultOf } from './state/types.js';

/** The accepted answer to `C`: what {@link CommandPort.submit} resolves with. */
export type AcceptedResultOf<C extends Command> = Exclude<ResultOf<C>, Rejection>;

/** Proposes commands through the log and answers in the scheduler's vocabulary. */
export class CommandPort {
  readonly #log: ReplicatedLog;

  /** @param log - the replicated log whose state machine is the scheduler state. */
  constructor(log: ReplicatedLog) {
    this.#log = log;
  }

  /**
   * Proposes `command` and resolves with its result once applied on this node. Rejects with the
   * typed error of a refusal, or with {@link NoLeaderError}, {@link TimeoutError},
   * {@link ClosedError} or {@link StorageError} when the log could not take it.
   */
  async submit<C extends Command>(command: C): Promise<AcceptedResultOf<C>> {
    let result: ApplyResult;
    try {
      result = (await this.#log.propose(encodeCommand(command))) as ApplyResult;
    } catch (error) {
      throw translateLogError(error);
    }
    if (!result.ok) throw rejectionError(result.rejected);
    return result as AcceptedResultOf<C>;
  }

  /**
   * Proposes `command` and resolves with its raw apply result (a refusal included), rejecting with
   * the log's own error: for the runtime's batcher, which reads per-command results itself, retries
   * on any failure, and never hands an error to a caller of the public API.
   */
  propose(command: Command): Promise<unknown> {
    return this.#log.propose(encodeCommand(command));
  }
}

/**
 * The scheduler error for a failure of the log: Raft's codes mapped onto the public ones, the
 * original kept as `cause`. Scheduler errors pass unchanged; anything else is a bug (`INTERNAL`).
 */
export function translateLogError(error: unknown): SchedulerError {
  if (error instanceof SchedulerError) return error;
  if (!(error instanceof RaftError)) {
    return new InternalError(`the log failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const options = { cause: error };
  switch (error.code) {
    case 'NO_LEADER':
    case 'NOT_LEADER':
      return new NoLeaderError(error.message, options);
    case 'PROPOSAL_DROPPED':
      // Overwritten by a new leader, or refused by every replica as too old: it never applies, as
      // if no leader took it. Given up while waiting (timeout, or the term ended): it may still
      // commit, and that uncertainty is a timeout.
      return error instanceof ProposalDroppedError && (error.reason === 'overwritten' || error.reason === 'stale')
        ? new NoLeaderError(error.message, options)
        : new TimeoutError(error.message, options);
    case 'TIMEOUT':
      return new TimeoutError(error.message, options);
    case 'CLOSED':
      // A node stopped by its storage carries the storage's error; a plain close carries none.
      return error.cause === undefined ? new ClosedError(options) : new StorageError(error.message, options);
    default:
      return new InternalError(error.message, options);
  }
}

/** Maps a state rejection onto the public typed errors. */
function rejectionError(r: RejectionInfo): SchedulerError {
  switch (r.code) {
    case 'JOB_NOT_FOUND':
      return new JobNotFoundError(r.jobId);
    case 'JOB_CONFLICT':
      return new JobConflictError(r.jobId);
    case 'CAPACITY':
      return new CapacityError(r.type, r.current, r.limit, r.requested);
    case 'INVALID_STATE':
      return new InvalidStateError(r.message);
    case 'INVALID_DEFINITION':
      return new ValidationError('INVALID_FIELD', specField(r.field), r.message);
    case 'DUPLICATE_EXECUTION':
      return new DuplicateExecutionError(r.executionId, r.message);
    default:
      // The facade never sends what the state could call stale, unknown or invalid: a bug.
      return new InternalError(`${r.code}: ${r.message}`);
  }
}

/** Definition fields whose spec (and so `ValidationError.field`) name differs. */
const SPEC_NAMES: Readonly<Record<string, string>> = { timeoutMs: 'timeout', catchUpWindowMs: 'catchUpWindow', definition: 'spec' };

/** The field a refused definition names, as the user spelled it in the spec or patch. */
function specField(field: string | undefined): string {
  if (field === undefined) return 'spec';
  return Object.prototype.hasOwnProperty.call(SPEC_NAMES, field) ? (SPEC_NAMES[field] as string) : field;
}

/**
 * The scheduler error for a failure while the log reads or writes its storage outside a proposal
 * (starting, closing): the log's own errors translated, anything else the storage's.
 */
export function storageOrLogError(error: unknown, doing: string): SchedulerError {
  if (error instanceof SchedulerError || error instanceof RaftError) return translateLogError(error);
  return new StorageError(`${doing} failed in the storage: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
