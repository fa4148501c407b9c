import { waitFor } from '../../integration/support/wait';
import { MEMBER_NAMES, type MasterContainers, type MemberName } from './master-containers';

export const COMPONENT_LEASES = ['kube-scheduler', 'kube-controller-manager'] as const;
export type ComponentLease = (typeof COMPONENT_LEASES)[number];

const PAUSE_MS = 3000;

/**
 * Brings both component Leases (and, with `raftLeader`, Raft leadership too) onto one member, for
 * the scenarios that cut off or kill "the master doing everything". Nothing hands a Lease or Raft
 * leadership over on request, so each step pauses the member holding what must move: a paused
 * holder's Lease expires and one of the two others takes it; a paused Raft leader makes the others
 * elect. Each step lands where wanted about half the time and never undoes an earlier one (the
 * paused member holds nothing the target needs), so bounded attempts converge.
 * `holderOf(lease, via)` names the member holding a Lease as member `via` reads it.
 */
export async function coLocateComponents(
  masters: MasterContainers,
  holderOf: (lease: ComponentLease, via: MemberName) => Promise<string | undefined>,
  options: { raftLeader: boolean; attempts?: number },
): Promise<MemberName> {
  const attempts = options.attempts ?? 16;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const leader = await masters.waitForLeader(MEMBER_NAMES, 60_000);
    const [scheduler, controllerManager] = await waitFor(
      'both component Leases held',
      async () => {
        const h = await Promise.all(COMPONENT_LEASES.map((l) => holderOf(l, leader)));
        return h.every((x) => x !== undefined) ? (h as string[]) : undefined;
      },
      60_000,
      500,
    );
    const target = scheduler as MemberName;
    let moving: MemberName;
    if (controllerManager !== scheduler) moving = controllerManager as MemberName;
    else if (options.raftLeader && leader !== target) moving = leader;
    else return target;
    await masters.pause(moving);
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    await masters.unpause(moving);
    await new Promise((r) => setTimeout(r, PAUSE_MS));
  }
  throw new Error(
    `no member came to hold both Leases${options.raftLeader ? ' and lead Raft' : ''} in ${attempts} attempts`,
  );
}
