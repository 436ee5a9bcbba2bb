/**
 * The simulator's job handler: it records every call in the {@link Ledger} and then behaves as
 * the execution id and the seed decide — completes at once or after a while, throws, rejects, or
 * hangs past its timeout (ignoring its abort signal, or honouring it). Deciding by id rather than
 * by call order keeps an execution's behaviour the same however the run around it changes.
 * @internal
 */
import type { Handler, HandlerContext } from '../../scheduler/executor.js';
import type { Clock } from '../../util/clock.js';
import type { InvocationRecord, Ledger } from './ledger.js';
import { Fence } from './process.js';
import { hashUnit } from './rng.js';

/** What one handler call does. */
export type Behaviour = 'sync-ok' | 'async-ok' | 'slow-ok' | 'throw' | 'reject' | 'hang-ignore' | 'hang-abort';

/** Cumulative weights of the behaviours (most calls succeed; one in five hangs past its timeout). */
const WEIGHTS: readonly (readonly [Behaviour, number])[] = [
  ['sync-ok', 0.15],
  ['async-ok', 0.5],
  // Long but within its timeout: holds a concurrency slot, outlives a lease renewal or two.
  ['slow-ok', 0.6],
  ['throw', 0.7],
  ['reject', 0.8],
  ['hang-ignore', 0.9],
  ['hang-abort', 1],
];

/** The behaviour of execution `id` in the run of `seed`. */
export function behaviourOf(seed: number, id: string): Behaviour {
  const u = hashUnit(seed, id);
  for (const [behaviour, upTo] of WEIGHTS) if (u < upTo) return behaviour;
  return 'async-ok';
}

/** Longest a `hang-ignore` handler runs, as a multiple of its job's timeout. */
export const HANG_FACTOR_MAX = 2.5;

/** Where one node's handler lives. */
export interface HandlerEnv {
  readonly seed: number;
  readonly node: string;
  readonly incarnation: number;
  readonly fence: Fence;
  /** The node's process clock (its timers die with it). */
  readonly clock: Clock;
  readonly ledger: Ledger;
  /** Whether the node's lease holds (a handler must never be called while it has lapsed). */
  readonly inContact: () => boolean;
}

/** The handler registered as `work` on one incarnation of one node. */
export function simHandler(env: HandlerEnv): Handler {
  return (ctx: HandlerContext) => {
    // A call queued by a process that has since died never happens.
    if (!env.fence.alive) return Fence.never<void>();
    const record = env.ledger.invoked(env.node, env.incarnation, env.fence, ctx, env.clock.now(), env.inContact());
    // From its abort on, a call is told to stop: no rule counts it as running any more.
    const signal = ctx.signal;
    if (signal.aborted) env.ledger.aborted(record, env.clock.now());
    else signal.addEventListener('abort', () => env.ledger.aborted(record, env.clock.now()), { once: true });
    const done = (): void => env.ledger.returned(record, env.clock.now());
    return behave(env, ctx, record, done);
  };
}

function behave(env: HandlerEnv, ctx: HandlerContext, record: InvocationRecord, done: () => void): unknown {
  const { clock, seed } = env;
  const id = record.executionId;
  const u = hashUnit(seed ^ 0x5bd1e995, id);
  const timeoutMs = ctx.job.timeoutMs;
  switch (behaviourOf(seed, id)) {
    case 'sync-ok':
      done();
      return undefined;
    case 'throw':
      done();
      throw new Error(`simulated failure of ${id}`);
    case 'async-ok':
      return new Promise<void>((resolve) => clock.setTimeout(() => (done(), resolve()), Math.floor(u * Math.min(400, timeoutMs / 2))));
    case 'slow-ok':
      return new Promise<void>((resolve) => clock.setTimeout(() => (done(), resolve()), Math.floor(timeoutMs * (0.3 + 0.5 * u))));
    case 'reject':
      return new Promise<void>((_, reject) =>
        clock.setTimeout(
          () => (done(), reject(new Error(`simulated async failure of ${id}`))),
          Math.floor(u * Math.min(300, timeoutMs / 2)),
        ),
      );
    case 'hang-ignore':
      // Runs past its timeout and ignores the signal: its retry must wait until it lets go.
      return new Promise<void>((resolve) =>
        clock.setTimeout(() => (done(), resolve()), Math.round(timeoutMs * (1.2 + u * (HANG_FACTOR_MAX - 1.2)))),
      );
    case 'hang-abort':
    default:
      return new Promise<void>((resolve, reject) => {
        const signal = ctx.signal;
        const onAbort = (): void => {
          done();
          reject(new Error(`aborted: ${signal.reason instanceof Error ? signal.reason.message : 'signal'}`));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        // Nothing aborts an attempt whose end the log never records (its node lost touch); give up eventually.
        clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          done();
          resolve();
        }, timeoutMs * 20);
      });
  }
}
