// What the nemesis does and when: a list of faults, each held for a while and followed by a
// quiet stretch in which every member is probed and the clients run undisturbed.
import type { Rng } from '../../sim/prng';
import type { JepsenCluster } from '../systems/cluster';
import { sleep } from '../systems/cluster';
import { FaultKind, inject } from './faults';
import { MemberProbe, probeMembers } from './liveness-probe';

export interface FaultStep {
  kind: FaultKind;
  /** How long the fault lasts (for a kill: until the restart; the restart itself adds to it). */
  holdMs: number;
  /** Undisturbed time after it ends, before the next step (and the probe's limit). */
  quietMs: number;
}

export interface Schedule {
  name: string;
  /** Clients run this long before the first fault. */
  warmupMs: number;
  steps: FaultStep[];
}

const step = (kind: FaultKind, holdMs: number, quietMs: number): FaultStep => ({
  kind,
  holdMs,
  quietMs,
});

/**
 * Inside `npm test` (about a minute of faults): the scenario (the leader paused 4 s every
 * 8 s, three times), one leader kill, one leader partition.
 */
export const SHORT_SCHEDULE: Schedule = {
  name: 'short',
  warmupMs: 3000,
  steps: [
    step('pause-leader', 4000, 4000),
    step('pause-leader', 4000, 4000),
    step('pause-leader', 4000, 4000),
    step('kill-leader', 2000, 4000),
    step('partition-leader', 4000, 4000),
  ],
};

/** `npm run test:jepsen`: every fault kind, several times. */
export const FULL_SCHEDULE: Schedule = {
  name: 'full',
  warmupMs: 5000,
  steps: [
    step('pause-leader', 4000, 4000),
    step('pause-leader', 4000, 4000),
    step('pause-leader', 4000, 4000),
    step('pause-follower', 4000, 4000),
    step('pause-follower', 4000, 4000),
    step('kill-leader', 3000, 5000),
    step('kill-follower', 3000, 5000),
    step('kill-leader', 3000, 5000),
    step('partition-leader', 6000, 5000),
    step('partition-follower', 6000, 5000),
    step('partition-link', 6000, 5000),
    step('partition-leader', 6000, 5000),
    step('partition-link', 6000, 5000),
    step('pause-leader', 4000, 4000),
    step('kill-leader', 3000, 5000),
    step('partition-leader', 6000, 5000),
  ],
};

export const SCHEDULES: Record<string, Schedule> = {
  short: SHORT_SCHEDULE,
  full: FULL_SCHEDULE,
};

/** One fault as it happened, on the run's clock. */
export interface FaultWindow {
  kind: FaultKind;
  targets: string[];
  description: string;
  startAt: number;
  /** When the member was back: resumed, listening again after a restart, or the rules gone. */
  endAt: number;
  /** Until the next fault (or the end of the workload). */
  quietUntil: number;
  probes: MemberProbe[];
}

/**
 * Runs the schedule against the cluster while the clients work; `onFault` hears of each fault
 * as soon as it ended. Heals whatever is in place if anything goes wrong.
 */
export async function runSchedule(
  cluster: JepsenCluster,
  schedule: Schedule,
  clock: () => number,
  rng: Rng,
  log: (line: string) => void,
): Promise<FaultWindow[]> {
  const windows: FaultWindow[] = [];
  await sleep(schedule.warmupMs);
  for (const s of schedule.steps) {
    const startAt = clock();
    const fault = await inject(cluster, s.kind, rng);
    log(`${fmt(startAt)} ${fault.description}`);
    try {
      await sleep(s.holdMs);
    } finally {
      await fault.heal();
    }
    const endAt = clock();
    log(`${fmt(endAt)} healed (${s.kind}, ${Math.round(endAt - startAt)} ms)`);
    const quietEnd = endAt + s.quietMs;
    const probes = await probeMembers(cluster, clock, endAt, s.quietMs);
    log(`${fmt(clock())} probes: ${formatProbes(probes)}`);
    await sleep(Math.max(0, quietEnd - clock()));
    windows.push({
      kind: s.kind,
      targets: fault.targets,
      description: fault.description,
      startAt,
      endAt,
      quietUntil: clock(),
      probes,
    });
  }
  return windows;
}

export function formatProbes(probes: readonly MemberProbe[]): string {
  return probes
    .map((p) => {
      const parts = Object.entries(p.ms).map(([k, ms]) => `${k} ${ms}`);
      const failed = Object.keys(p.errors).map((k) => `${k} none`);
      return `${p.member}[${[...parts, ...failed].join(' ')}]`;
    })
    .join(' ');
}

function fmt(at: number): string {
  return `+${(at / 1000).toFixed(1)}s`;
}
