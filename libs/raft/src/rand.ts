/** The only source of randomness the core sees; the driver injects a seeded or a system one. */
export interface Rand {
  /** A uniformly distributed integer in [0, n). */
  int(n: number): number;
}

/** Math.random-backed source for production drivers; simulations inject a seeded one. */
export const systemRand: Rand = {
  int: (n) => Math.floor(Math.random() * n),
};
