import type { Clock } from '@flotilla/io';
import type { NodeId } from '@flotilla/raft';
import type { LeaderCall } from '@flotilla/replicated-store';
import type { SimMember } from './member';
import type { MemberProcess } from './sim-clock';
import type { DriverWorld } from './world';

class CallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The lease keeper's calls to the leader (keep-alive, time-to-live), carried as the transport
 * carries them: a request and an answer over the simulated network, each of which may be lost
 * or cut, with a deadline on the caller's clock. Store errors travel by code, as they do.
 */
export function simLeaderCall(
  world: DriverWorld,
  from: SimMember,
  proc: MemberProcess,
  clock: Clock,
): LeaderCall {
  const lost = (a: NodeId, b: NodeId) =>
    world.net.isCut(a, b) || world.rng.chance(world.net.faults.drop);
  return {
    call: (to, method, body, timeoutMs = 2_000) =>
      new Promise((resolve, reject) => {
        let settled = false;
        const timer = clock.setTimeout(() => {
          settled = true;
          reject(new CallError('timeout', `call ${method} to ${to} timed out`));
        }, timeoutMs);
        const answer = (run: () => void) => {
          if (lost(to, from.id)) return;
          proc.after(world.net.delay(), () => {
            if (settled) return;
            settled = true;
            clock.clearTimeout(timer);
            run();
          });
        };
        const target = world.members.find((m) => m.id === to);
        const tp = target?.process;
        if (!target?.up || !tp || lost(from.id, to)) return;
        tp.after(world.net.delay(), () => {
          const leases = target.leases;
          if (target.process !== tp || !leases) return;
          leases.serve(method, body).then(
            (result) => answer(() => resolve(result)),
            (e: Error & { code?: string }) =>
              answer(() => reject(new CallError(e.code ?? 'internal', e.message))),
          );
        });
      }),
  };
}
