export { createRandom } from './random.js';
export { runSimulation, type SimulationOptions, type SimulationResult } from './simulation.js';
