/** Uniform draws in [0, 1) from the platform: the default random source at the edges, never inside a deterministic core. */
export const systemRandom = (): number => Math.random();
