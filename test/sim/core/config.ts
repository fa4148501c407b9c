import { RaftOptions } from '@flotilla/raft';
import { NetworkFaults } from './network';
import { createRng } from '../prng';

export interface SimConfig {
  seed: number;
  nodes: number;
  /** Ticks of chaos before the network heals. */
  steps: number;
  /** Ticks allowed after healing for a leader and every client to finish (liveness bound). */
  healSteps: number;
  clients: number;
  keys: number;
  clientRate: number;
  clientTimeout: number;
  network: NetworkFaults;
  partitionRate: number;
  maxPartitionTicks: number;
  crashRate: number;
  maxDownTicks: number;
  /** Ticks a disk write may take; a crash before it completes loses that Ready. */
  diskDelayMax: number;
  tickSkip: number;
  snapshotEvery: number;
  maxSizePerMsg: number;
  logMatchEvery: number;
  /** Chance per tick that the leader proposes a membership change (remove, add learner, promote). */
  membershipRate: number;
  /** Chance per tick that the leader transfers leadership to another voter. */
  transferRate: number;
  trace: boolean;
  raft: Partial<RaftOptions>;
}

/**
 * The fault mix of a seed. The seed picks the mix too, so that a few hundred seeds cover calm
 * and hostile worlds, small and large clusters, frequent and rare snapshots.
 */
export function configForSeed(seed: number, overrides: Partial<SimConfig> = {}): SimConfig {
  const rng = createRng(seed ^ 0x5eed);
  const hostile = rng.chance(0.7);
  const nodes = rng.pick([3, 3, 5]);
  return {
    seed,
    nodes,
    steps: 1500,
    healSteps: 600,
    clients: 2 + rng.int(4),
    keys: 1 + rng.int(5),
    clientRate: 0.3 + rng.float() * 0.6,
    clientTimeout: 40 + rng.int(60),
    network: {
      drop: hostile ? rng.float() * 0.2 : 0,
      duplicate: hostile ? rng.float() * 0.1 : 0,
      maxDelay: 1 + rng.int(hostile ? 6 : 2),
    },
    partitionRate: hostile ? 0.002 + rng.float() * 0.01 : 0,
    maxPartitionTicks: 50 + rng.int(200),
    crashRate: hostile ? rng.float() * 0.01 : 0,
    maxDownTicks: 20 + rng.int(150),
    diskDelayMax: rng.int(3),
    tickSkip: rng.float() * 0.1,
    snapshotEvery: rng.pick([5, 20, 100, 1_000_000]),
    maxSizePerMsg: rng.pick([1, 256, 4096]),
    logMatchEvery: 10,
    membershipRate: nodes === 5 && rng.chance(0.5) ? 0.01 : 0,
    transferRate: rng.chance(0.3) ? 0.005 : 0,
    trace: false,
    raft: {},
    ...overrides,
  };
}
