/**
 * The safety invariants of Raft (paper figure 3) plus the durability contract of the Ready cycle,
 * checked incrementally as the simulation runs. A failed check throws {@link SimViolation}.
 * @internal
 */
import type { RaftCore } from '../../raft/core.js';
import type { Entry, HardState, Message, ReadState } from '../../raft/types.js';
import type { Admission } from '../../raft/sessions.js';

/** A broken invariant, with the name of the invariant first. */
export class SimViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimViolation';
  }
}

/** What one simulated node has durably stored. */
export interface SimStorage {
  hardState: HardState;
  entries: Entry[];
}

/** The view of a node the checker needs. */
export interface CheckedNode {
  readonly index: number;
  readonly id: string;
  readonly core: RaftCore | null;
  readonly storage: SimStorage;
}

interface LeaderRecord {
  term: number;
  lastIndex: number;
  lastTerm: number;
}

interface PerNode {
  /** Chained hash of the stored log up to each index (position i = index i + 1). */
  prefix: number[];
  /** Highest index applied by the current incarnation. */
  applied: number;
  /** Chained hash of the applied prefix: the replica's state. */
  stateHash: number;
  leader: LeaderRecord;
  /** Candidate this node granted its vote to, per term (across restarts). */
  votes: Map<number, string>;
  /** Client proposals the current incarnation's state machine saw: each at most once. */
  proposals: Set<number>;
}

/** Hash of a byte string (FNV-1a). */
function hashBytes(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ (data[i] as number), 0x01000193);
  return h >>> 0;
}

function chain(prev: number, term: number, dataHash: number): number {
  let h = Math.imul(prev ^ term, 0x9e3779b1);
  h = Math.imul(h ^ dataHash ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Incremental invariant checker for one simulation run. */
export class Checker {
  /** Invariant checks performed. */
  checks = 0;
  /** Highest commit index any node reached. */
  maxCommit = 0;

  readonly #nodes: PerNode[] = [];
  /** Leader of each term. */
  readonly #leaders = new Map<number, number>();
  /** (index, term) → prefix hash: one log prefix per (index, term) is the log matching property. */
  readonly #registry = new Map<number, number>();
  /** Term of each committed index, and the term in which it was first seen committed. */
  readonly #committedTerm: number[] = [0];
  readonly #commitTermOf: number[] = [0];
  /** Entry applied at each index (term, data hash), and the state hash after it. */
  readonly #appliedTerm: number[] = [0];
  readonly #appliedData: number[] = [0];
  readonly #appliedState: number[] = [0];
  /** The session table's decision at each index: every replica must take the same. */
  readonly #admissions: (Admission | undefined)[] = [];
  /** Pending read requests: context → commit index that the answer must cover. */
  readonly #reads = new Map<string, number>();

  readonly #all: readonly CheckedNode[];

  /** @param nodes - every node of the cluster, by index. */
  constructor(nodes: readonly CheckedNode[]) {
    this.#all = nodes;
    const n = nodes.length;
    for (let i = 0; i < n; i++) {
      this.#nodes.push({
        prefix: [],
        applied: 0,
        stateHash: 0,
        leader: { term: -1, lastIndex: 0, lastTerm: 0 },
        votes: new Map(),
        proposals: new Set(),
      });
    }
  }

  /** Writes a Ready's hard state and entries to `node`'s storage, checking the durability rules. */
  persist(node: CheckedNode, hardState: HardState | undefined, entries: readonly Entry[]): void {
    const store = node.storage;
    const st = this.#nodes[node.index] as PerNode;
    const prevCommit = store.hardState.commit;
    if (hardState !== undefined) {
      const prev = store.hardState;
      this.#check(hardState.term >= prev.term, 'persisted term regressed', node, `${prev.term} -> ${hardState.term}`);
      if (hardState.term === prev.term && prev.vote !== null) {
        this.#check(
          hardState.vote === prev.vote,
          'persisted vote changed within a term',
          node,
          `term ${prev.term}: ${prev.vote} -> ${hardState.vote}`,
        );
      }
      this.#check(hardState.commit >= prev.commit, 'persisted commit regressed', node, `${prev.commit} -> ${hardState.commit}`);
      if (hardState.vote !== null) this.#recordVote(node, hardState.term, hardState.vote);
      store.hardState = hardState;
    }
    if (entries.length > 0) {
      const first = (entries[0] as Entry).index;
      this.#check(
        first >= 1 && first <= store.entries.length + 1,
        'log gap',
        node,
        `write at ${first}, stored up to ${store.entries.length}`,
      );
      for (const e of entries) {
        if (e.index <= prevCommit) {
          const old = store.entries[e.index - 1] as Entry;
          this.#check(
            old.term === e.term && hashBytes(old.data) === hashBytes(e.data),
            'committed entry rewritten',
            node,
            `index ${e.index} (commit ${prevCommit})`,
          );
        }
      }
      store.entries.length = first - 1;
      st.prefix.length = first - 1;
      let h = first > 1 ? (st.prefix[first - 2] as number) : 0;
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k] as Entry;
        this.#check(e.index === first + k, 'non-contiguous entries in Ready', node, `expected ${first + k}, got ${e.index}`);
        if (k > 0) this.#check(e.term >= (entries[k - 1] as Entry).term, 'terms decrease along the log', node, `index ${e.index}`);
        h = chain(h, e.term, hashBytes(e.data));
        store.entries.push(e);
        st.prefix.push(h);
        const key = e.index * 1_000_000 + e.term;
        const seen = this.#registry.get(key);
        if (seen === undefined) this.#registry.set(key, h);
        else this.#check(seen === h, 'log matching', node, `two different logs end with (index ${e.index}, term ${e.term})`);
      }
    }
    this.#check(
      store.hardState.commit <= store.entries.length,
      'persisted commit beyond persisted log',
      node,
      `commit ${store.hardState.commit}, entries ${store.entries.length}`,
    );
  }

  /** Checks that a message leaves only after what it depends on is durable. */
  send(node: CheckedNode, m: Message): void {
    const hs = node.storage.hardState;
    this.#check(
      m.term === 0 || hs.term >= m.term || m.type === 'preVote' || m.type === 'preVoteResp',
      'message sent before its term was persisted',
      node,
      `${m.type} term ${m.term}, persisted ${hs.term}`,
    );
    switch (m.type) {
      case 'voteResp':
        if (m.reject !== true) {
          // A later persisted term also makes the grant durable: the node can never vote in m.term again.
          this.#check(
            hs.term > m.term || hs.vote === m.to,
            'vote granted before it was persisted',
            node,
            `term ${m.term} for ${m.to}, persisted term ${hs.term} vote ${hs.vote}`,
          );
          this.#recordVote(node, m.term, m.to);
        }
        break;
      case 'vote':
        this.#check(hs.term > m.term || hs.vote === node.id, 'vote requested before the self-vote was persisted', node, `term ${m.term}`);
        break;
      case 'append': {
        const last = (m.index ?? 0) + (m.entries?.length ?? 0);
        this.#check(
          node.storage.entries.length >= last,
          'entries sent before the leader persisted them',
          node,
          `up to ${last}, persisted ${node.storage.entries.length}`,
        );
        break;
      }
      case 'appendResp':
        if (m.reject !== true && m.index !== undefined) {
          this.#check(
            node.storage.entries.length >= m.index,
            'append acknowledged before it was persisted',
            node,
            `index ${m.index}, persisted ${node.storage.entries.length}`,
          );
          this.#checkAckMatchesLeader(node, m.term, m.index);
        }
        break;
      default:
    }
  }

  /** An ack to the leader of `term` vouches that the persisted log matches the leader's up to `index`. */
  #checkAckMatchesLeader(node: CheckedNode, term: number, index: number): void {
    if (index === 0) return;
    const at = this.#leaders.get(term);
    const leader = at === undefined ? undefined : this.#all[at];
    const core = leader?.core;
    if (core === null || core === undefined) return;
    const s = core.status();
    // Only while it is still leader of that term is its log known to be the one acknowledged.
    if (s.role !== 'leader' || s.term !== term || s.lastIndex < index) return;
    const stored = node.storage.entries[index - 1];
    this.#check(
      stored !== undefined && stored.term === core.termAt(index),
      'ack vouches for entries the disk does not hold',
      node,
      `index ${index} to leader of term ${term}`,
    );
  }

  /** Checks one applied entry: in order, persisted, and identical on every node. */
  apply(node: CheckedNode, e: Entry): void {
    const st = this.#nodes[node.index] as PerNode;
    this.#check(e.index === st.applied + 1, 'applied out of order', node, `applied ${st.applied}, got ${e.index}`);
    const stored = node.storage.entries[e.index - 1];
    this.#check(stored !== undefined && stored.term === e.term, 'applied an entry that is not persisted', node, `index ${e.index}`);
    const dh = hashBytes(e.data);
    st.applied = e.index;
    st.stateHash = chain(st.stateHash, e.term, dh);
    if (e.index < this.#appliedTerm.length) {
      this.#check(
        this.#appliedTerm[e.index] === e.term && this.#appliedData[e.index] === dh,
        'state machine safety',
        node,
        `different entry applied at ${e.index}`,
      );
      this.#check(this.#appliedState[e.index] === st.stateHash, 'state hash diverged', node, `at ${e.index}`);
    } else {
      this.#appliedTerm.push(e.term);
      this.#appliedData.push(dh);
      this.#appliedState.push(st.stateHash);
    }
  }

  /**
   * Checks the session table's decision on the entry just applied at `index`, carrying client
   * proposal `proposal`: the same on every replica, and no proposal reaches a state machine twice.
   */
  admitted(node: CheckedNode, index: number, admission: Admission, proposal: number): void {
    const seen = this.#admissions[index];
    if (seen === undefined) this.#admissions[index] = admission;
    else this.#check(seen === admission, 'session decision diverged', node, `index ${index}: ${seen} elsewhere, ${admission} here`);
    if (admission !== 'apply') return;
    const st = this.#nodes[node.index] as PerNode;
    this.#check(!st.proposals.has(proposal), 'proposal applied twice', node, `proposal ${proposal} again at index ${index}`);
    st.proposals.add(proposal);
  }

  /** A restarted node's state machine starts empty (the driver replays the committed log). */
  restart(node: CheckedNode): void {
    const st = this.#nodes[node.index] as PerNode;
    st.proposals.clear();
    st.applied = 0;
    st.stateHash = 0;
    st.leader.term = -1;
  }

  /** The state hash of `node`'s applied prefix. */
  stateHash(node: CheckedNode): number {
    return (this.#nodes[node.index] as PerNode).stateHash;
  }

  /** Highest index `node` applied. */
  applied(node: CheckedNode): number {
    return (this.#nodes[node.index] as PerNode).applied;
  }

  /** Records a read request: its answer must cover everything committed now. */
  readRequested(context: string): void {
    this.#reads.set(context, this.maxCommit);
  }

  /** Checks a read state against the commit index at request time (linearizability of ReadIndex). */
  readAnswered(node: CheckedNode, rs: ReadState): void {
    const required = this.#reads.get(rs.context);
    this.#check(required !== undefined, 'read state for an unknown context', node, rs.context);
    // A duplicated request may be answered twice; every answer must still cover the request time.
    this.#check(
      rs.index >= (required as number),
      'stale read index',
      node,
      `${rs.context}: index ${rs.index} < commit ${required} at request`,
    );
  }

  /**
   * Checks the in-memory state of the node an event touched. `quiescent`: no Ready is being
   * persisted, so the stored log must be the in-memory log.
   */
  afterEvent(node: CheckedNode, quiescent: boolean): void {
    const core = node.core;
    if (core === null) return;
    this.checks++;
    const s = core.status();
    const st = this.#nodes[node.index] as PerNode;
    this.#check(
      s.term >= node.storage.hardState.term,
      'in-memory term behind persisted term',
      node,
      `${s.term} < ${node.storage.hardState.term}`,
    );
    this.#check(s.commit <= s.lastIndex, 'commit beyond log', node, `commit ${s.commit}, last ${s.lastIndex}`);
    if (quiescent) {
      const stored = node.storage.entries;
      const ok = stored.length === s.lastIndex && (s.lastIndex === 0 || stored[s.lastIndex - 1]?.term === core.termAt(s.lastIndex));
      this.#check(
        ok,
        'persisted log differs from the in-memory log after its Ready completed',
        node,
        `stored ${stored.length}, in memory ${s.lastIndex}`,
      );
    }

    if (s.commit > this.maxCommit) {
      for (let i = this.maxCommit + 1; i <= s.commit; i++) {
        this.#committedTerm[i] = core.termAt(i);
        this.#commitTermOf[i] = s.term;
      }
      this.maxCommit = s.commit;
    } else if (s.commit > 0) {
      this.#check(
        core.termAt(s.commit) === this.#committedTerm[s.commit],
        'committed entry changed',
        node,
        `index ${s.commit}: term ${core.termAt(s.commit)} vs ${this.#committedTerm[s.commit]}`,
      );
    }

    if (s.role !== 'leader') return;
    const other = this.#leaders.get(s.term);
    if (other === undefined) this.#leaders.set(s.term, node.index);
    else this.#check(other === node.index, 'election safety', node, `term ${s.term} has two leaders (node ${other} and ${node.id})`);

    const rec = st.leader;
    if (rec.term === s.term) {
      this.#check(
        s.lastIndex >= rec.lastIndex && core.termAt(rec.lastIndex) === rec.lastTerm,
        'leader append-only',
        node,
        `term ${s.term}: had (${rec.lastIndex}, ${rec.lastTerm}), now last ${s.lastIndex}`,
      );
    } else {
      this.#checkCompleteness(node, core, s.term);
    }
    rec.term = s.term;
    rec.lastIndex = s.lastIndex;
    rec.lastTerm = core.termAt(s.lastIndex);
  }

  /** Leader completeness: a new leader of `term` holds every entry committed in earlier terms. */
  #checkCompleteness(node: CheckedNode, core: RaftCore, term: number): void {
    let i = this.maxCommit;
    while (i > 0 && (this.#commitTermOf[i] as number) >= term) i--;
    if (i === 0) return;
    this.#check(
      core.termAt(i) === this.#committedTerm[i],
      'leader completeness',
      node,
      `leader of term ${term} lacks committed entry ${i} (term ${this.#committedTerm[i]})`,
    );
  }

  #recordVote(node: CheckedNode, term: number, candidate: string): void {
    const votes = (this.#nodes[node.index] as PerNode).votes;
    const prev = votes.get(term);
    if (prev === undefined) votes.set(term, candidate);
    else this.#check(prev === candidate, 'voted twice in one term', node, `term ${term}: ${prev} and ${candidate}`);
  }

  #check(ok: boolean, invariant: string, node: CheckedNode, detail: string): void {
    if (!ok) throw new SimViolation(`${invariant} (${node.id}): ${detail}`);
  }
}
