/**
 * Timing profiles shared by the node driver, the simulator and the failover benchmark.
 *
 * A follower's election timeout is drawn from `[electionTicks, 2 * electionTicks)` ticks, so after a
 * leader dies the first follower campaigns at most `(2 * electionTicks - 1) * tickMs` after the
 * last heartbeat it heard; one pre-vote, one vote and one append round trip follow. The defaults
 * are chosen so that this worst case stays under the failover aims (1.5 s default, 500 ms fast).
 */

/** How often a node ticks and how many ticks make an election timeout and a heartbeat interval. */
export interface RaftTiming {
  /** Milliseconds between two calls of `RaftCore.tick()`. */
  readonly tickMs: number;
  /** Base election timeout in ticks; the randomized timeout lies in `[electionTicks, 2 * electionTicks)`. */
  readonly electionTicks: number;
  /** Ticks between two leader heartbeats; must be smaller than `electionTicks`. */
  readonly heartbeatTicks: number;
}

/**
 * Default profile: 100 ms ticks, election timeout 600–1200 ms, heartbeat every 100 ms.
 * Six ticks rather than etcd's ten keep failover (usually 0.6–1.2 s; a split vote adds a
 * timeout) under 1.5 s while leaving six heartbeats of slack before a follower suspects its leader.
 */
export const DEFAULT_TIMING: RaftTiming = Object.freeze({ tickMs: 100, electionTicks: 6, heartbeatTicks: 1 });

/**
 * Fast profile for low-latency networks: 20 ms ticks, election timeout 160–320 ms, heartbeat
 * every 20 ms; failover usually ~200–450 ms (see bench/raft-failover.bench.ts).
 */
export const FAST_TIMING: RaftTiming = Object.freeze({ tickMs: 20, electionTicks: 8, heartbeatTicks: 1 });
