// A small seeded PRNG for the simulation and its tests: xoshiro128** seeded through splitmix32.
// Only 32-bit integer arithmetic (Math.imul, >>> 0), so a seed replays identically on every
// platform and Node version; Math.random is never consulted.

export interface Rng {
  /** The seed this generator was created with, to print next to a failure. */
  readonly seed: number;
  /** A uniformly distributed unsigned 32-bit integer. */
  next(): number;
  /** An integer in [0, n); n must be a positive safe integer. */
  int(n: number): number;
  /** A float in [0, 1) with 53 bits of precision. */
  float(): number;
  /** True with probability p (p <= 0 never, p >= 1 always). */
  chance(p: number): boolean;
  /** A uniformly chosen element; the array must not be empty. */
  pick<T>(items: readonly T[]): T;
  /** Shuffles the array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
}

const TWO_POW_32 = 0x1_0000_0000;

/** One splitmix32 output for a counter; used to spread a small seed over 128 bits of state. */
function splitmix32(counter: number): number {
  let z = (counter + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`rng seed must be a safe integer, got ${seed}`);
  }
  // Fold the high bits in too, so seeds above 2^32 do not collide with their low half.
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  let s0 = splitmix32(low);
  let s1 = splitmix32(s0 ^ high);
  let s2 = splitmix32(s1);
  let s3 = splitmix32(s2);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point

  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };

  const float = (): number => {
    // 21 high bits of one draw and 32 of the next make an exact 53-bit fraction.
    const hi = next() >>> 11;
    const lo = next();
    return (hi * TWO_POW_32 + lo) / 2 ** 53;
  };

  const int = (n: number): number => {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`rng.int(n) needs a positive safe integer, got ${n}`);
    }
    return Math.floor(float() * n);
  };

  return {
    seed,
    next,
    float,
    int,
    chance: (p) => (p <= 0 ? false : p >= 1 ? true : float() < p),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('rng.pick needs a non-empty array');
      return items[int(items.length)];
    },
    shuffle: <T>(items: T[]): T[] => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const held = items[i];
        items[i] = items[j];
        items[j] = held;
      }
      return items;
    },
  };
}
