/**
 * Test helpers for applications that embed scheduled-db: a clock moved by hand and the
 * deterministic cluster simulator.
 * @module
 */
export { ManualClock } from '../util/manual-clock.js';
export { createRandom } from './sim/random.js';
