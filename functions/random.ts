/**
 * Seeded pseudo-randomness: one generator for everything that needs a repeatable stream
 * (sample models, compile probes, the demo's payments). No I/O, no global state.
 */

/**
 * mulberry32: a tiny, fast 32-bit PRNG; the same seed gives the same stream of floats in [0, 1).
 * Good enough to spread test and probe values; not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
