/**
 * A deterministic simulation of a whole Raft cluster in one process: N cores, their disks, a
 * faulty network, crashes and restarts, and clients, all driven by one seeded generator and one
 * simulated clock. Every event is followed by the invariant checks of {@link Checker}; after the
 * fault phase the cluster must converge within a bounded simulated time.
 */
import { RaftCore } from '../../raft/core.js';
import { DEFAULT_TIMING, type RaftTiming } from '../../raft/timing.js';
import type { Entry, Message, Ready } from '../../raft/types.js';
import { envelopeFields, envelopeHeader, ownSequence, readEnvelope, wrapEnvelope } from '../../raft/envelope.js';
import { SessionTable } from '../../raft/sessions.js';
import { ByteArena } from '../../util/byte-arena.js';
import { Checker, SimViolation, type CheckedNode, type SimStorage } from './checker.js';
import { EventQueue } from './event-queue.js';
import { SimNetwork, type LinkFaults } from './network.js';
import { createRandom } from './random.js';
import { Trace } from './trace.js';

/** Options of one simulation run; everything but `seed` has a default. */
export interface SimulationOptions {
  /** The seed: the same seed and options give the same run, event for event. */
  readonly seed: number;
  /** Cluster size (default: 3 or 5, chosen by the seed). */
  readonly nodes?: number;
  /** Tick length and election/heartbeat ticks (default `DEFAULT_TIMING`). */
  readonly timing?: RaftTiming;
  /** Simulated milliseconds of faults before the network heals and every node restarts (default 20 000). */
  readonly faultMs?: number;
  /** Inject faults at all (default true); without them the run checks the happy path. */
  readonly faults?: boolean;
  /** Mean simulated milliseconds between two faults (default: 300, 800 or 1500, chosen by the seed). */
  readonly faultIntervalMs?: number;
  /** Mean simulated milliseconds between client proposals during the fault phase (default 100). */
  readonly proposalIntervalMs?: number;
  /** Delay range of a healthy link in ms (default [1, 5]). */
  readonly networkDelayMs?: readonly [number, number];
  /** Longest usual simulated disk write in ms (default 3). */
  readonly diskDelayMs?: number;
  /** Let disks stall during the fault phase (default true): one write in ten takes up to ten times longer, one in fifty a hundred times. */
  readonly diskStalls?: boolean;
  /** Append pipelining window per follower (default: 1, 4 or 256, chosen by the seed). */
  readonly maxInflightMsgs?: number;
  /** Entries per append message (default: 1, 3 or 4096, chosen by the seed). */
  readonly maxEntriesPerMsg?: number;
  /** The nodes' client-session window in log entries (default: 20, 500 or 100 000, chosen by the seed). */
  readonly sessionWindowEntries?: number;
  /** Run pre-vote before elections (default true). */
  readonly preVote?: boolean;
  /** Leaders step down without a quorum; followers in contact with a leader ignore votes (default true). */
  readonly checkQuorum?: boolean;
  /**
   * Failover measurement instead of random faults: clients propose every `proposalIntervalMs`,
   * the leader crashes after `warmupMs` (plus a random fraction of a tick) and stays down; the run
   * ends when a proposal made after the crash commits, reported as `failoverMs`.
   */
  readonly failover?: {
    /** Simulated ms before the leader is crashed (default 3000). */
    readonly warmupMs?: number;
  };
  /** How many trailing trace lines to keep for a report (default 200). */
  readonly traceSize?: number;
  /** Receives every trace line as it happens (verbose replay). */
  readonly onTrace?: (line: string) => void;
}

/** The outcome of one simulation run. */
export interface SimulationResult {
  /** The seed that was run. */
  readonly seed: number;
  /** Cluster size. */
  readonly nodes: number;
  /** Events processed (each followed by the invariant checks). */
  readonly events: number;
  /** Invariant checks performed. */
  readonly checks: number;
  /** Simulated milliseconds covered. */
  readonly simulatedMs: number;
  /** Hash of the whole trace: equal for equal runs. */
  readonly traceHash: string;
  /** The first violated invariant, or null. */
  readonly violation: string | null;
  /** The last trace lines (see `traceSize`), oldest first. */
  readonly trace: readonly string[];
  /** Whether the cluster converged (one stable leader, equal logs, a new proposal committed everywhere). */
  readonly converged: boolean;
  /** Simulated ms from the end of faults to convergence (-1 when it did not converge). */
  readonly convergenceMs: number;
  /** The bound convergence had to meet, in simulated ms. */
  readonly convergenceBoundMs: number;
  /** Highest commit index reached. */
  readonly commitIndex: number;
  /** Times some node became leader. */
  readonly elections: number;
  /** Node crashes injected. */
  readonly crashes: number;
  /** Failover mode: simulated ms from the leader crash to the first commit of a proposal made after it (-1 otherwise). */
  readonly failoverMs: number;
}

const enum Kind {
  Tick,
  Deliver,
  Persisted,
  Propose,
  Read,
  Transfer,
  Fault,
  Restart,
  Heal,
  LinkReset,
  EndFaults,
  CrashLeader,
  EchoEnd,
}

interface SimEvent {
  readonly kind: Kind;
  readonly node: number;
  readonly epoch: number;
  readonly msg?: Message;
  readonly token?: number;
  readonly links?: readonly number[];
  readonly faults?: LinkFaults;
}

/** How long a simulated proposer waits on a proposal before it stops holding the session floor down. */
const PROPOSAL_PATIENCE_MS = 3000;

class SimNode implements CheckedNode {
  core: RaftCore | null = null;
  epoch = 0;
  inflight: Ready | null = null;
  /** Like the node driver: this incarnation's envelope header, next sequence number, and the table its applies go through. */
  header: Uint8Array = new Uint8Array(0);
  seq = 0;
  sessions = new SessionTable();
  /** This incarnation's proposals not yet applied here: seq → when proposed. */
  readonly pending = new Map<number, number>();
  readonly storage: SimStorage = { hardState: { term: 0, vote: null, commit: 0 }, entries: [] };
  tickMs: number;
  constructor(
    readonly index: number,
    readonly id: string,
    tickMs: number,
  ) {
    this.tickMs = tickMs;
  }
}

type Phase = 'faults' | 'converge' | 'stable';

const NONE = -1;

function fmt(m: Message): string {
  let s = `${m.type} ${m.from}->${m.to} t${m.term}`;
  if (m.index !== undefined) s += ` i${m.index}`;
  if (m.logTerm !== undefined) s += `/${m.logTerm}`;
  if (m.entries !== undefined && m.entries.length > 0) s += ` +${m.entries.length}`;
  if (m.commit !== undefined) s += ` c${m.commit}`;
  if (m.reject === true) s += ` REJ h${m.rejectHint ?? ''}/${m.hintTerm ?? ''}`;
  if (m.context !== undefined) s += ` ctx=${m.context}`;
  return s;
}

/** Runs one seeded simulation to the end and reports what happened (never throws for a violation). */
export function runSimulation(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

class Simulation {
  readonly #o: SimulationOptions;
  readonly #timing: RaftTiming;
  readonly #random: () => number;
  readonly #nodes: SimNode[] = [];
  readonly #queue = new EventQueue<SimEvent>();
  readonly #net: SimNetwork;
  readonly #checker: Checker;
  readonly #trace: Trace;
  readonly #faultMs: number;
  readonly #boundMs: number;
  readonly #stableMs: number;
  readonly #maxInflight: number;
  readonly #maxEntries: number;
  readonly #faultEveryMs: number;
  readonly #window: number;
  readonly #arena = new ByteArena();
  readonly #fields = envelopeFields();
  /** While above 0, each forwarded proposal is re-sent with this probability, late (a transport's retry). */
  #echo = 0;
  #echoId = 0;
  #now = 0;
  #events = 0;
  #phase: Phase = 'faults';
  #proposals = 0;
  #reads = 0;
  #elections = 0;
  #crashes = 0;
  #convergeStart = 0;
  #convergedAt = NONE;
  #stableUntil = 0;
  #stableLeader = NONE;
  #stableTerm = 0;
  #marker: { index: number; term: number } | null = null;
  #crashAt = NONE;
  #crashSeq = 0;
  #failoverMs = NONE;
  #stopAt = Infinity;

  constructor(options: SimulationOptions) {
    this.#o = options;
    this.#timing = options.timing ?? DEFAULT_TIMING;
    this.#random = createRandom(options.seed);
    const n = options.nodes ?? (options.seed % 2 === 0 ? 3 : 5);
    const [lo, hi] = options.networkDelayMs ?? [1, 5];
    this.#net = new SimNetwork(n, { drop: 0, duplicate: 0, minDelayMs: lo, maxDelayMs: hi }, this.#random);
    this.#trace = new Trace(options.traceSize ?? 200, options.onTrace);
    this.#faultMs = options.faults === false || options.failover !== undefined ? 0 : (options.faultMs ?? 20_000);
    const electionMaxMs = 2 * this.#timing.electionTicks * this.#timing.tickMs;
    // Generous on purpose: it bounds liveness after arbitrary faults, not failover speed (see bench/).
    this.#boundMs = 30 * electionMaxMs;
    this.#stableMs = 3 * electionMaxMs;
    const pick = (xs: readonly number[]): number => xs[Math.floor(this.#random() * xs.length)] as number;
    this.#maxInflight = options.maxInflightMsgs ?? pick([1, 4, 256]);
    this.#maxEntries = options.maxEntriesPerMsg ?? pick([1, 3, 4096]);
    this.#faultEveryMs = options.faultIntervalMs ?? pick([300, 800, 1500]);
    this.#window = options.sessionWindowEntries ?? pick([20, 500, 100_000]);
    const t = this.#timing.tickMs;
    for (let i = 0; i < n; i++) {
      // Clocks drift a little: periods differ by up to ±2 %.
      const skew = Math.round((this.#random() * 0.04 - 0.02) * t);
      this.#nodes.push(new SimNode(i, `n${i + 1}`, Math.max(1, t + skew)));
    }
    this.#checker = new Checker(this.#nodes);
  }

  run(): SimulationResult {
    let violation: string | null = null;
    try {
      for (const node of this.#nodes) this.#start(node);
      this.#schedule(this.#exp(this.#o.proposalIntervalMs ?? 100), { kind: Kind.Propose, node: NONE, epoch: 0 });
      if (this.#o.failover !== undefined) {
        const at = (this.#o.failover.warmupMs ?? 3000) + Math.floor(this.#random() * this.#timing.tickMs);
        this.#schedule(at, { kind: Kind.CrashLeader, node: NONE, epoch: 0 });
      } else {
        if (this.#faultMs > 0) this.#schedule(this.#exp(this.#faultEveryMs), { kind: Kind.Fault, node: NONE, epoch: 0 });
        this.#schedule(this.#exp(700), { kind: Kind.Read, node: NONE, epoch: 0 });
        this.#schedule(this.#exp(4000), { kind: Kind.Transfer, node: NONE, epoch: 0 });
        this.#schedule(this.#faultMs, { kind: Kind.EndFaults, node: NONE, epoch: 0 });
      }
      this.#loop();
    } catch (err) {
      if (!(err instanceof SimViolation)) {
        violation = `exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
      } else {
        violation = err.message;
      }
      this.#trace.add(`${this.#now} VIOLATION ${violation.split('\n')[0] ?? ''}`);
    }
    return {
      seed: this.#o.seed,
      nodes: this.#nodes.length,
      events: this.#events,
      checks: this.#checker.checks,
      simulatedMs: this.#now,
      traceHash: this.#trace.hash(),
      violation,
      trace: this.#trace.tail(),
      converged: this.#convergedAt !== NONE,
      convergenceMs: this.#convergedAt === NONE ? -1 : this.#convergedAt - this.#convergeStart,
      convergenceBoundMs: this.#boundMs,
      commitIndex: this.#checker.maxCommit,
      elections: this.#elections,
      crashes: this.#crashes,
      failoverMs: this.#failoverMs,
    };
  }

  #loop(): void {
    while (this.#queue.size > 0) {
      const at = this.#queue.peekTime();
      if (at > this.#stopAt) return;
      if (this.#phase === 'stable' && at > this.#stableUntil) return;
      if (this.#crashAt !== NONE && this.#failoverMs === NONE && at > this.#crashAt + this.#boundMs) {
        throw new SimViolation(`no commit within ${this.#boundMs} ms after the leader crashed`);
      }
      if (this.#phase === 'converge' && at > this.#convergeStart + this.#boundMs) {
        this.#now = this.#convergeStart + this.#boundMs;
        throw new SimViolation(`no convergence within ${this.#boundMs} ms after faults stopped`);
      }
      const ev = this.#queue.pop();
      this.#now = at;
      this.#events++;
      const touched = this.#handle(ev);
      if (touched !== null) {
        this.#checker.afterEvent(touched, touched.inflight === null);
        this.#observe(touched);
      }
    }
  }

  /** Handles one event; returns the node whose state it may have changed. */
  #handle(ev: SimEvent): SimNode | null {
    switch (ev.kind) {
      case Kind.Tick: {
        const node = this.#nodes[ev.node] as SimNode;
        if (node.epoch !== ev.epoch || node.core === null) return null;
        this.#trace.add(`${this.#now} ${node.id} tick`);
        node.core.tick();
        this.#pump(node);
        this.#schedule(this.#now + node.tickMs, { kind: Kind.Tick, node: node.index, epoch: node.epoch });
        return node;
      }
      case Kind.Deliver: {
        const m = ev.msg as Message;
        const node = this.#nodes[ev.node] as SimNode;
        if (node.core === null) {
          this.#trace.add(`${this.#now} lost (down) ${fmt(m)}`);
          return null;
        }
        this.#trace.add(`${this.#now} ${fmt(m)}`);
        node.core.step(m);
        this.#pump(node);
        return node;
      }
      case Kind.Persisted: {
        const node = this.#nodes[ev.node] as SimNode;
        if (node.epoch !== ev.epoch || node.core === null) return null;
        this.#trace.add(`${this.#now} ${node.id} persisted`);
        this.#finishReady(node);
        this.#pump(node);
        return node;
      }
      case Kind.Propose:
        return this.#propose();
      case Kind.Read:
        return this.#read();
      case Kind.Transfer:
        return this.#transfer();
      case Kind.Fault:
        this.#fault();
        return null;
      case Kind.Restart: {
        const node = this.#nodes[ev.node] as SimNode;
        if (node.core !== null || node.epoch !== ev.epoch) return null;
        this.#start(node);
        return node;
      }
      case Kind.Heal:
        if (this.#net.partitionId === ev.token) {
          this.#trace.add(`${this.#now} heal partition`);
          this.#net.heal();
        }
        return null;
      case Kind.LinkReset:
        this.#trace.add(`${this.#now} links reset`);
        for (const l of ev.links ?? []) this.#net.setLink(Math.floor(l / this.#nodes.length), l % this.#nodes.length, null);
        return null;
      case Kind.EndFaults:
        this.#endFaults();
        return null;
      case Kind.EchoEnd:
        if (this.#echoId === ev.token) this.#echo = 0;
        return null;
      case Kind.CrashLeader: {
        const leader = this.#nodes.find((x) => x.core !== null && x.core.status().role === 'leader');
        if (leader === undefined) {
          this.#schedule(this.#now + this.#timing.tickMs, { kind: Kind.CrashLeader, node: NONE, epoch: 0 });
          return null;
        }
        this.#crash(leader);
        this.#crashAt = this.#now;
        this.#crashSeq = this.#proposals;
        return null;
      }
    }
  }

  // ------------------------------------------------------------ node lifecycle and Ready cycle

  #start(node: SimNode): void {
    node.epoch++;
    const seed = Math.floor(this.#random() * 0x100000000);
    const { electionTicks, heartbeatTicks } = this.#timing;
    const store = node.storage;
    node.core = new RaftCore(
      {
        id: node.id,
        voters: this.#nodes.map((n) => n.id),
        electionTicks,
        heartbeatTicks,
        preVote: this.#o.preVote ?? true,
        checkQuorum: this.#o.checkQuorum ?? true,
        maxInflightMsgs: this.#maxInflight,
        maxEntriesPerMsg: this.#maxEntries,
        random: createRandom(seed),
      },
      { hardState: store.hardState, entries: store.entries.slice() },
    );
    node.inflight = null;
    node.header = envelopeHeader(node.id, Math.floor(this.#random() * 0x100000000), Math.floor(this.#random() * 0x100000000));
    node.seq = 0;
    node.sessions = new SessionTable(this.#window);
    node.pending.clear();
    this.#checker.restart(node);
    // Like the node driver: replay the committed prefix into the state machine before joining.
    for (let i = 0; i < store.hardState.commit; i++) this.#apply(node, store.entries[i] as Entry);
    this.#trace.add(
      `${this.#now} ${node.id} start term=${store.hardState.term} vote=${store.hardState.vote} commit=${store.hardState.commit} last=${store.entries.length}`,
    );
    const phase = Math.floor(this.#random() * node.tickMs);
    this.#schedule(this.#now + phase + 1, { kind: Kind.Tick, node: node.index, epoch: node.epoch });
  }

  #crash(node: SimNode): void {
    if (node.core === null) return;
    this.#crashes++;
    node.core = null;
    node.inflight = null;
    node.epoch++;
    this.#trace.add(`${this.#now} ${node.id} CRASH`);
  }

  /** Takes the next Ready; durable writes complete after a simulated disk delay, the rest at once. */
  #pump(node: SimNode): void {
    const core = node.core;
    while (core !== null && node.inflight === null && core.hasReady()) {
      const rd = core.ready();
      node.inflight = rd;
      if (rd.hardState === undefined && rd.entries.length === 0) {
        this.#finishReady(node);
        continue;
      }
      // Disks stall now and then; a long stall lets a leader change land between ready() and advance().
      const r = this.#random();
      const stalls = this.#o.diskStalls !== false && this.#phase === 'faults';
      const slow = !stalls ? 1 : r < 0.02 ? 100 : r < 0.1 ? 10 : 1;
      const delay = Math.floor(this.#random() * ((this.#o.diskDelayMs ?? 3) * slow + 1));
      this.#schedule(this.#now + delay, { kind: Kind.Persisted, node: node.index, epoch: node.epoch });
    }
  }

  /** The driver's order: persist, send, apply, advance. */
  #finishReady(node: SimNode): void {
    const rd = node.inflight as Ready;
    const core = node.core as RaftCore;
    node.inflight = null;
    this.#checker.persist(node, rd.hardState, rd.entries);
    for (const m of rd.messages) {
      this.#checker.send(node, m);
      const to = this.#nodes.findIndex((n) => n.id === m.to);
      if (to < 0) continue;
      this.#net.route(node.index, to, (delay) => this.#schedule(this.#now + delay, { kind: Kind.Deliver, node: to, epoch: 0, msg: m }));
      if (m.type === 'propose' && this.#echo > 0 && this.#random() < this.#echo) this.#resend(m);
    }
    for (const e of rd.committedEntries) {
      this.#apply(node, e);
      if (this.#crashAt !== NONE && this.#failoverMs === NONE && e.data.length > 0) {
        const seq = this.#proposalOf(e.data);
        if (seq > this.#crashSeq) {
          this.#failoverMs = this.#now - this.#crashAt;
          this.#stopAt = this.#now;
          this.#trace.add(`${this.#now} FAILOVER first post-crash proposal committed after ${this.#failoverMs} ms`);
        }
      }
    }
    for (const rs of rd.readStates) this.#checker.readAnswered(node, rs);
    if (rd.softState?.role === 'leader') {
      this.#elections++;
      this.#trace.add(`${this.#now} ${node.id} LEADER term=${core.status().term}`);
    }
    core.advance(rd);
  }

  /** The driver's apply: the session table decides, the checker verifies each proposal applies at most once. */
  #apply(node: SimNode, e: Entry): void {
    this.#checker.apply(node, e);
    if (e.kind !== 0 || e.data.length === 0) return;
    readEnvelope(e.data, this.#fields);
    const admission = node.sessions.admit(e.data, this.#fields, e.index);
    this.#checker.admitted(node, e.index, admission, this.#proposalOf(e.data));
    const own = ownSequence(e.data, node.header);
    if (own >= 0) node.pending.delete(own);
  }

  /** The proposal number inside an enveloped sim payload. */
  #proposalOf(data: Uint8Array): number {
    const offset = readEnvelope(data, this.#fields);
    return new DataView(data.buffer, data.byteOffset + offset, 8).getUint32(0);
  }

  /** `payload` enveloped by `node` the way the node driver does it. */
  #envelope(node: SimNode, payload: Uint8Array): Uint8Array {
    const seq = ++node.seq;
    // A real proposer gives up after its timeout; so does this one, releasing the floor.
    for (const [s, at] of node.pending) {
      if (this.#now - at <= PROPOSAL_PATIENCE_MS) break;
      node.pending.delete(s);
    }
    let floor = seq;
    for (const s of node.pending.keys()) {
      floor = s;
      break;
    }
    node.pending.set(seq, this.#now);
    return wrapEnvelope(node.header, seq, floor, this.#checker.applied(node), payload, this.#arena);
  }

  /** A transport re-sending a forwarded proposal late, to its target or to some other node (a retry after a leader change). */
  #resend(m: Message): void {
    const other = this.#nodes[Math.floor(this.#random() * this.#nodes.length)] as SimNode;
    const to = this.#random() < 0.5 ? this.#nodes.findIndex((n) => n.id === m.to) : other.index;
    const delay = this.#between(50, 5000);
    this.#trace.add(`${this.#now} resend propose ${m.from}->${(this.#nodes[to] as SimNode).id} in ${delay} ms`);
    this.#schedule(this.#now + delay, { kind: Kind.Deliver, node: to, epoch: 0, msg: { ...m, to: (this.#nodes[to] as SimNode).id } });
  }

  // ------------------------------------------------------------ clients

  #propose(): SimNode | null {
    if (this.#phase === 'faults')
      this.#schedule(this.#now + this.#exp(this.#o.proposalIntervalMs ?? 100), { kind: Kind.Propose, node: NONE, epoch: 0 });
    else return null;
    const node = this.#pickLive();
    if (node === null) return null;
    const count = 1 + Math.floor(this.#random() * 4);
    const data: Uint8Array[] = [];
    for (let i = 0; i < count; i++) data.push(this.#envelope(node, this.#payload()));
    const ok = (node.core as RaftCore).propose(data);
    this.#trace.add(`${this.#now} ${node.id} propose x${count} ${ok ? 'ok' : 'no-leader'}`);
    this.#pump(node);
    return node;
  }

  #payload(): Uint8Array {
    const p = ++this.#proposals;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, p);
    new DataView(b.buffer).setUint32(4, this.#o.seed >>> 0);
    return b;
  }

  #read(): SimNode | null {
    if (this.#phase !== 'faults') return null;
    this.#schedule(this.#now + this.#exp(700), { kind: Kind.Read, node: NONE, epoch: 0 });
    const node = this.#pickLive();
    if (node === null) return null;
    const context = `r${++this.#reads}`;
    this.#checker.readRequested(context);
    this.#trace.add(`${this.#now} ${node.id} readIndex ${context}`);
    (node.core as RaftCore).readIndex(context);
    this.#pump(node);
    return node;
  }

  #transfer(): SimNode | null {
    if (this.#phase !== 'faults') return null;
    this.#schedule(this.#now + this.#exp(4000), { kind: Kind.Transfer, node: NONE, epoch: 0 });
    const leader = this.#nodes.find((n) => n.core !== null && n.core.status().role === 'leader');
    if (leader === undefined) return null;
    const others = this.#nodes.filter((n) => n !== leader);
    const to = others[Math.floor(this.#random() * others.length)] as SimNode;
    this.#trace.add(`${this.#now} ${leader.id} transferLeadership -> ${to.id}`);
    (leader.core as RaftCore).transferLeadership(to.id);
    this.#pump(leader);
    return leader;
  }

  // ------------------------------------------------------------ faults

  #fault(): void {
    if (this.#phase !== 'faults') return;
    this.#schedule(this.#now + this.#exp(this.#faultEveryMs), { kind: Kind.Fault, node: NONE, epoch: 0 });
    const n = this.#nodes.length;
    const r = this.#random();
    if (r < 0.25) {
      const node = this.#pickLive();
      if (node === null) return;
      this.#crash(node);
      this.#schedule(this.#now + this.#between(100, 4000), { kind: Kind.Restart, node: node.index, epoch: node.epoch });
    } else if (r < 0.35) {
      const leader = this.#nodes.find((x) => x.core !== null && x.core.status().role === 'leader');
      if (leader === undefined) return;
      this.#crash(leader);
      this.#schedule(this.#now + this.#between(100, 4000), { kind: Kind.Restart, node: leader.index, epoch: leader.epoch });
    } else if (r < 0.55) {
      const group = this.#nodes.map(() => (this.#random() < 0.5 ? 0 : 1));
      const id = this.#net.partition(group);
      this.#trace.add(`${this.#now} partition ${group.join('')}`);
      this.#schedule(this.#now + this.#between(200, 4000), { kind: Kind.Heal, node: NONE, epoch: 0, token: id });
    } else if (r < 0.62) {
      // A transport that re-sends forwarded proposals: copies arrive late, possibly at a new leader.
      this.#echo = 0.2 + this.#random() * 0.8;
      const id = ++this.#echoId;
      this.#trace.add(`${this.#now} proposals re-sent p=${this.#echo.toFixed(2)}`);
      this.#schedule(this.#now + this.#between(500, 5000), { kind: Kind.EchoEnd, node: NONE, epoch: 0, token: id });
    } else if (r < 0.7) {
      const leader = this.#nodes.find((x) => x.core !== null && x.core.status().role === 'leader') ?? this.#nodes[0];
      const group = this.#nodes.map((x) => (x === leader ? 1 : 0));
      const id = this.#net.partition(group);
      this.#trace.add(`${this.#now} isolate ${leader?.id ?? ''}`);
      this.#schedule(this.#now + this.#between(200, 4000), { kind: Kind.Heal, node: NONE, epoch: 0, token: id });
    } else {
      // Lossy, duplicating, reordering links: a few links, or all of them.
      const all = r >= 0.9;
      const faults: LinkFaults = {
        drop: this.#random() * (all ? 0.3 : 0.6),
        duplicate: this.#random() * 0.3,
        minDelayMs: 0,
        maxDelayMs: Math.floor(10 + this.#random() * 300),
      };
      const links: number[] = [];
      for (let i = 0; i < n * n; i++) {
        if (Math.floor(i / n) === i % n) continue;
        if (all || this.#random() < 0.3) links.push(i);
      }
      for (const l of links) this.#net.setLink(Math.floor(l / n), l % n, faults);
      this.#trace.add(
        `${this.#now} links ${links.length} drop=${faults.drop.toFixed(2)} dup=${faults.duplicate.toFixed(2)} delay<=${faults.maxDelayMs}`,
      );
      this.#schedule(this.#now + this.#between(500, 5000), { kind: Kind.LinkReset, node: NONE, epoch: 0, links });
    }
  }

  #endFaults(): void {
    this.#trace.add(`${this.#now} END OF FAULTS`);
    this.#phase = 'converge';
    this.#convergeStart = this.#now;
    this.#net.heal();
    this.#net.clearLinks();
    this.#echo = 0;
    for (const node of this.#nodes) if (node.core === null) this.#start(node);
  }

  // ------------------------------------------------------------ convergence

  #observe(touched: SimNode): void {
    if (this.#phase === 'stable') {
      const s = (touched.core as RaftCore).status();
      const leader = this.#nodes[this.#stableLeader] as SimNode;
      if (s.term !== this.#stableTerm || (s.role === 'leader') !== (touched === leader)) {
        throw new SimViolation(
          `unstable after convergence (${touched.id}): term ${s.term} role ${s.role}, converged leader ${leader.id} term ${this.#stableTerm}`,
        );
      }
      return;
    }
    if (this.#phase === 'converge') this.#checkConvergence();
  }

  #checkConvergence(): void {
    let leader: SimNode | null = null;
    for (const node of this.#nodes) {
      if (node.core === null) return;
      if (node.core.status().role === 'leader') {
        if (leader !== null) return;
        leader = node;
      }
    }
    if (leader === null) return;
    const lc = leader.core as RaftCore;
    const ls = lc.status();
    for (const node of this.#nodes) {
      const s = (node.core as RaftCore).status();
      if (s.term !== ls.term || s.leader !== leader.id) return;
    }
    if (lc.termAt(ls.commit) !== ls.term) return;
    if (this.#marker === null || this.#marker.term !== ls.term) {
      if (!lc.propose([this.#envelope(leader, this.#payload())])) return;
      this.#marker = { index: lc.status().lastIndex, term: ls.term };
      this.#trace.add(`${this.#now} ${leader.id} propose convergence marker at ${this.#marker.index}`);
      this.#pump(leader);
      return;
    }
    const hash = this.#checker.stateHash(leader);
    for (const node of this.#nodes) {
      const core = node.core as RaftCore;
      const s = core.status();
      if (this.#checker.applied(node) < this.#marker.index) return;
      if (s.lastIndex !== ls.lastIndex || core.termAt(s.lastIndex) !== lc.termAt(ls.lastIndex)) return;
      if (this.#checker.applied(node) !== this.#checker.applied(leader) || this.#checker.stateHash(node) !== hash) return;
    }
    this.#convergedAt = this.#now;
    this.#phase = 'stable';
    this.#stableUntil = this.#now + this.#stableMs;
    this.#stableLeader = leader.index;
    this.#stableTerm = ls.term;
    this.#trace.add(
      `${this.#now} CONVERGED leader=${leader.id} term=${ls.term} last=${ls.lastIndex} after ${this.#now - this.#convergeStart} ms`,
    );
  }

  // ------------------------------------------------------------ helpers

  #schedule(at: number, ev: SimEvent): void {
    this.#queue.push(at, ev);
  }

  #pickLive(): SimNode | null {
    const live = this.#nodes.filter((n) => n.core !== null);
    if (live.length === 0) return null;
    return live[Math.floor(this.#random() * live.length)] as SimNode;
  }

  #exp(mean: number): number {
    return Math.max(1, Math.floor(-Math.log(1 - this.#random()) * mean));
  }

  #between(lo: number, hi: number): number {
    return lo + Math.floor(this.#random() * (hi - lo));
  }
}
