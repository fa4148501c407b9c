import { createRng } from '../prng';
import { NetworkFaults } from './sim-network';

export type StoreKind = 'model' | 'mvcc';

/** How often each fault kind starts, per fault roll (one roll every `faultEveryMs`). */
export interface FaultRates {
  partition: number;
  pause: number;
  crash: number;
  /** A crash aimed at work under way: a WAL fsync, a snapshot, a store write, an apply. */
  crashMidWork: number;
  slowDisk: number;
  transfer: number;
  /** The member stops cleanly (a leader hands over first) and starts again. */
  gracefulRestart: number;
}

export interface DriverSimConfig {
  seed: number;
  store: StoreKind;
  members: number;
  /** Virtual milliseconds of faults and load before everything heals. */
  chaosMs: number;
  /** After healing, every member must complete a linearizable read and a write within this. */
  livenessMs: number;
  clients: number;
  keys: number;
  /** A client waits 0..thinkMs between operations. */
  thinkMs: number;
  /** A client gives up on an operation after this (its outcome then stays unknown). */
  clientTimeoutMs: number;
  network: NetworkFaults;
  faultEveryMs: number;
  rates: FaultRates;
  /** Faults last 0.2 s .. this. */
  maxFaultMs: number;
  /** fsync takes fsyncMs[0]..fsyncMs[1]; a slow disk multiplies every latency by slowFactor. */
  fsyncMs: [number, number];
  slowFactor: number;
  /** A broken disk whose fsync makes nothing durable: the checks must catch it. */
  fsyncLies: boolean;
  /** Timers fire up to this late (a busy event loop). */
  timerLatenessMs: number;
  /** The members' wall clocks differ by up to this. */
  clockSkewMs: number;
  raft: {
    tickMs: number;
    electionTicks: number;
    snapshotEvery: number;
    proposalTimeoutMs: number;
    logSegmentBytes: number;
  };
  /** Leases granted, attached to keys and let expire (the MVCC store only). */
  leaseClients: number;
  trace: boolean;
}

/**
 * The world of a seed: the seed picks the fault mix too, so a few dozen seeds cover calm and
 * hostile networks, flaky and slow disks, frequent and rare snapshots, three and five members.
 */
export function driverConfigForSeed(
  seed: number,
  overrides: Partial<DriverSimConfig> = {},
): DriverSimConfig {
  const rng = createRng(seed ^ 0x0d71e5);
  const hostileNet = rng.chance(0.6);
  const members = rng.pick([3, 3, 3, 5]);
  const store = overrides.store ?? 'model';
  return {
    seed,
    store,
    members,
    chaosMs: 20_000,
    livenessMs: 10_000,
    clients: 3 + rng.int(4),
    keys: 2 + rng.int(4),
    thinkMs: 5 + rng.int(60),
    clientTimeoutMs: 1_000 + rng.int(3_000),
    network: {
      drop: hostileNet ? rng.float() * 0.15 : 0,
      duplicate: hostileNet ? rng.float() * 0.05 : 0,
      minDelayMs: 0.1,
      maxDelayMs: 0.5 + rng.float() * (hostileNet ? 20 : 3),
    },
    faultEveryMs: 500,
    rates: {
      partition: 0.02 + rng.float() * 0.06,
      pause: 0.02 + rng.float() * 0.06,
      crash: 0.01 + rng.float() * 0.05,
      crashMidWork: 0.02 + rng.float() * 0.06,
      slowDisk: rng.float() * 0.04,
      transfer: rng.chance(0.3) ? 0.02 : 0,
      gracefulRestart: rng.chance(0.3) ? 0.02 : 0,
    },
    maxFaultMs: 1_000 + rng.int(5_000),
    fsyncMs: [0.1, 0.5 + rng.float() * 3],
    slowFactor: 20 + rng.int(200),
    fsyncLies: false,
    timerLatenessMs: rng.int(4),
    clockSkewMs: rng.int(2_000),
    raft: {
      tickMs: 100,
      electionTicks: 10,
      snapshotEvery: rng.pick([20, 50, 200, 10_000]),
      proposalTimeoutMs: 7_000,
      logSegmentBytes: rng.pick([16 * 1024, 64 * 1024]),
    },
    leaseClients: store === 'mvcc' ? 1 + rng.int(2) : 0,
    trace: false,
    ...overrides,
  };
}
