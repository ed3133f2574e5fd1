/**
 * mulberry32: a small, fast, seeded 32-bit PRNG returning floats in [0, 1). Pure: the same seed gives
 * the same numbers, so simulations, property tests and benchmarks are reproducible. Randomness a
 * policy needs comes in through its snapshot; this is for the code that builds snapshots and sims.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
