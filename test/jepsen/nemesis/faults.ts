// The faults the nemesis injects into a running cluster, each chosen against the cluster as it
// is at that moment (who leads now), and each with its own way back to health.
import type { Rng } from '../../sim/prng';
import type { JepsenCluster } from '../systems/cluster';
import { sleep } from '../systems/cluster';

export const FAULT_KINDS = [
  /** SIGSTOP of the leader (the scenario), SIGCONT at the end. */
  'pause-leader',
  'pause-follower',
  /** SIGKILL; at the end the member starts again on its data and the fault ends once it listens. */
  'kill-leader',
  'kill-follower',
  /** The leader cut from both peers: a minority of one that still thinks it leads. */
  'partition-leader',
  /** One follower cut from both peers: the majority keeps its leader. */
  'partition-follower',
  /**
   * Only the link between the leader and one follower: that follower still reaches the other
   * one, which still hears the leader (a partial partition, Jepsen's "bridge" in small).
   */
  'partition-link',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export function isFaultKind(text: string): text is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(text);
}

/** A fault in place: what it did, and how to undo it. */
export interface InjectedFault {
  kind: FaultKind;
  /** The members it acted on. */
  targets: string[];
  description: string;
  heal(): Promise<void>;
}

const LEADER_WAIT_MS = 15_000;

/** Injects one fault of this kind into the cluster as it is now. */
export async function inject(
  cluster: JepsenCluster,
  kind: FaultKind,
  rng: Rng,
): Promise<InjectedFault> {
  const leader = await waitForLeader(cluster);
  const followers = cluster.names.filter((n) => n !== leader);
  const follower = rng.pick(followers);
  switch (kind) {
    case 'pause-leader':
    case 'pause-follower': {
      const target = kind === 'pause-leader' ? leader : follower;
      const p = cluster.process(target);
      p.pause();
      return {
        kind,
        targets: [target],
        description: `SIGSTOP ${target} (${kind === 'pause-leader' ? 'leader' : 'follower'})`,
        heal: async () => p.resume(),
      };
    }
    case 'kill-leader':
    case 'kill-follower': {
      const target = kind === 'kill-leader' ? leader : follower;
      await cluster.process(target).kill();
      return {
        kind,
        targets: [target],
        description: `SIGKILL ${target} (${kind === 'kill-leader' ? 'leader' : 'follower'})`,
        heal: () => cluster.restart(target),
      };
    }
    case 'partition-leader':
    case 'partition-follower': {
      const target = kind === 'partition-leader' ? leader : follower;
      const rest = cluster.names.filter((n) => n !== target);
      await cluster.fabric.partition([[target], rest]);
      return {
        kind,
        targets: [target],
        description: `isolate ${target} (${kind === 'partition-leader' ? 'leader' : 'follower'}) from ${rest.join(', ')}`,
        heal: () => cluster.fabric.heal(),
      };
    }
    case 'partition-link': {
      await cluster.fabric.cutLinks([[leader, follower]]);
      return {
        kind,
        targets: [leader, follower],
        description: `cut ${leader} (leader) <-> ${follower}`,
        heal: () => cluster.fabric.heal(),
      };
    }
  }
}

/** The leader every answering member names; polls while an election is on. */
async function waitForLeader(cluster: JepsenCluster): Promise<string> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    const leader = await cluster.leader();
    if (leader !== undefined) return leader;
    if (Date.now() > deadline) {
      throw new Error(`no leader known after ${LEADER_WAIT_MS} ms\n${cluster.logTails(20)}`);
    }
    await sleep(100);
  }
}
