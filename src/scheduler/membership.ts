/**
 * This node's place in the node registry: it registers its life (incarnation) and handlers when
 * the scheduler starts and whenever `handle`/`unhandle` change them, and — in a cluster of more
 * than one voter — renews its lease through the log every `leaseMs / 4`.
 *
 * The lease is what lets the leader presume this node's attempts dead without a report: it holds
 * until `sendTime + leaseMs` of the latest renewal the log answered `renewed: true` (the send time
 * precedes every replica's apply of that renewal, so no replica can think the lease younger than
 * it is here). When it lapses the executor aborts everything it runs and starts nothing until a
 * renewal succeeds again; the leader expires the node only `leaseMs + margin` after it last
 * applied a renewal, by which time this node has stopped. A cluster of one has no lease: there is
 * nobody to retry its attempts while it lives, and a restart ends the old life's attempts at once.
 */
import type { CompleteClock, TimerHandle } from '../util/clock.js';
import type { Command } from './state/commands.js';
import type { ApplyResult } from './state/types.js';

/** Settings of a {@link NodeMembership}. */
export interface MembershipOptions {
  readonly nodeId: string;
  /** This process's life, drawn at start (`<start time base 36>.<random hex>`). */
  readonly incarnation: string;
  readonly clock: CompleteClock;
  /** Proposes one command, resolving with its apply result (rejecting when the log did not take it). */
  readonly propose: (command: Command) => Promise<unknown>;
  /** The handler names registered here right now. */
  readonly handlers: () => readonly string[];
  /** Whether this node leases its attempts (more than one voter). */
  readonly leased: boolean;
  readonly leaseMs: number;
  /** The lease lapsed: abort what runs, start nothing. */
  readonly onLapse: () => void;
  /** A renewal succeeded after a lapse: run again. */
  readonly onRegain: () => void;
}

/** Backoff of a registration that did not get through: 25 ms doubling to 2 s. */
const RETRY_BASE_MS = 25;
const RETRY_MAX_MS = 2000;

/** Draws an incarnation: the start time first (a late registration of an older life is then recognisable), then 64 random bits. */
export function drawIncarnation(now: number, random: () => number): string {
  const word = (): string =>
    Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return `${Math.max(0, Math.floor(now)).toString(36)}.${word()}${word()}`;
}

/** Registers this node's life and handlers and keeps its lease. */
export class NodeMembership {
  readonly #o: MembershipOptions;
  /** Registrations sent so far (each carries the next number, so a late older one is stale). */
  #registration = 0;
  /** The registration the log has applied last. */
  #applied = 0;
  /** A registration is wanted (handlers changed, or the log forgot us) and not yet sent. */
  #wanted = false;
  #scheduled = false;
  #inFlight = false;
  #failures = 0;
  #waiting: (() => void)[] = [];
  #leaseUntil = -Infinity;
  #lapsed = false;
  #renewTimer: TimerHandle | undefined;
  #lapseTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: MembershipOptions) {
    this.#o = options;
  }

  /** This process's life. */
  get incarnation(): string {
    return this.#o.incarnation;
  }

  /** Whether attempts may run here: always without a lease, else while it holds. */
  get inContact(): boolean {
    return !this.#o.leased || !this.#lapsed;
  }

  /** Registers (after the log replay) and starts renewing. */
  start(): void {
    this.#lapsed = false;
    this.changed();
    if (this.#o.leased) this.#armRenewal();
  }

  /** The handlers changed: register again (once per turn, however many changes it holds). */
  changed(): void {
    if (this.#stopped) return;
    this.#wanted = true;
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    this.#o.clock.nextTurn(() => {
      this.#scheduled = false;
      this.#send();
    });
  }

  /** Resolves once every registration asked for so far has been applied (or the membership stopped). */
  registered(): Promise<void> {
    if (this.#stopped || (!this.#wanted && !this.#inFlight && !this.#scheduled && this.#applied === this.#registration)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Stops registering and renewing (closing). */
  stop(): void {
    this.#stopped = true;
    const o = this.#o;
    o.clock.clearTimeout(this.#renewTimer);
    o.clock.clearTimeout(this.#lapseTimer);
    o.clock.clearTimeout(this.#retryTimer);
    this.#renewTimer = this.#lapseTimer = this.#retryTimer = undefined;
    this.#release();
  }

  /** The command that tells the cluster this life is over (the last thing `close()` proposes). */
  leaveCommand(): Command {
    return { type: 'leaveNode', now: this.#o.clock.now(), nodeId: this.#o.nodeId, incarnation: this.#o.incarnation };
  }

  #send(): void {
    if (this.#stopped || !this.#wanted) return this.#release();
    const o = this.#o;
    this.#wanted = false;
    this.#inFlight = true;
    const registration = ++this.#registration;
    const sentAt = o.clock.now();
    const handlers = [...o.handlers()].sort();
    const command: Command = { type: 'registerNode', now: sentAt, nodeId: o.nodeId, incarnation: o.incarnation, handlers, registration };
    o.propose(command).then(
      (result) => {
        this.#inFlight = false;
        this.#failures = 0;
        const r = result as ApplyResult;
        // Applied, or stale because a newer registration of ours got in first: either way the
        // log knows this life; a registration is also a renewal as far as the lease goes.
        this.#applied = Math.max(this.#applied, registration);
        if (r.ok) this.#renewed(sentAt);
        if (this.#wanted) this.#send();
        else this.#release();
      },
      () => {
        this.#inFlight = false;
        if (this.#stopped) return this.#release();
        this.#wanted = true;
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(this.#failures++, 7));
        this.#retryTimer = o.clock.setTimeout(() => {
          this.#retryTimer = undefined;
          this.#send();
        }, delay);
      },
    );
  }

  #release(): void {
    if (!this.#stopped && (this.#wanted || this.#inFlight || this.#scheduled)) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }

  #armRenewal(): void {
    if (this.#stopped) return;
    this.#renewTimer = this.#o.clock.setTimeout(this.#renew, Math.max(1, Math.floor(this.#o.leaseMs / 4)));
  }

  readonly #renew = (): void => {
    this.#renewTimer = undefined;
    if (this.#stopped) return;
    const o = this.#o;
    const sentAt = o.clock.now();
    o.propose({ type: 'renewLease', now: sentAt, nodeId: o.nodeId, incarnation: o.incarnation }).then(
      (result) => {
        if (this.#stopped) return;
        const r = result as ApplyResult;
        if (r.ok && r.type === 'renewLease' && r.renewed) this.#renewed(sentAt);
        // Expired (or the log lost the registration): register again; the lease comes back with it.
        else if (r.ok && r.type === 'renewLease') this.changed();
      },
      () => {},
    );
    this.#armRenewal();
  };

  /** The log accepted a renewal (or registration) sent at `sentAt`: the lease holds `leaseMs` from then. */
  #renewed(sentAt: number): void {
    if (!this.#o.leased || this.#stopped) return;
    const until = sentAt + this.#o.leaseMs;
    if (until <= this.#leaseUntil) return;
    this.#leaseUntil = until;
    const o = this.#o;
    o.clock.clearTimeout(this.#lapseTimer);
    this.#lapseTimer = o.clock.setTimeout(this.#checkLapse, Math.max(0, until - o.clock.now()));
    if (this.#lapsed && o.clock.now() < until) {
      this.#lapsed = false;
      o.onRegain();
    }
  }

  readonly #checkLapse = (): void => {
    this.#lapseTimer = undefined;
    if (this.#stopped || this.#lapsed) return;
    const o = this.#o;
    const left = this.#leaseUntil - o.clock.now();
    if (left > 0) {
      this.#lapseTimer = o.clock.setTimeout(this.#checkLapse, left);
      return;
    }
    this.#lapsed = true;
    o.onLapse();
  };
}
