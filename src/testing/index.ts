/**
 * Test helpers for applications that embed scheduled-db: a clock moved by hand and the
 * deterministic cluster simulator.
 * @module scheduled-db/testing
 */
export { ManualClock } from '../util/manual-clock.js';
export { createRandom, runSimulation, type SimulationOptions, type SimulationResult } from './sim/index.js';
export { DEFAULT_TIMING, FAST_TIMING, type RaftTiming } from '../raft/timing.js';
export { ANY_NODE, MemoryNetwork, type LinkFaults, type MemoryNetworkOptions, type MemoryNetworkStats } from '../transport/index.js';
