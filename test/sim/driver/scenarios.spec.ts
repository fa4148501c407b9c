import type { KvInput } from '../linearizability';
import { DriverSimConfig, driverConfigForSeed } from './config';
import { DriverWorld } from './world';

/**
 * Scenarios a reader can follow line by line, on the same world as the seeded runs: the real
 * driver on virtual time, a calm network and no nemesis, with the faults each one needs placed
 * by hand. Each ends with the world's own checks (safety after every event, linearizability
 * of everything the clients saw, liveness and convergence after healing).
 */
function calmWorld(overrides: Partial<DriverSimConfig> = {}): DriverWorld {
  return new DriverWorld(
    driverConfigForSeed(1, {
      members: 3,
      clients: 0,
      leaseClients: 0,
      chaosMs: 10_000,
      network: { drop: 0, duplicate: 0, minDelayMs: 0.5, maxDelayMs: 1 },
      rates: {
        partition: 0,
        pause: 0,
        crash: 0,
        crashMidWork: 0,
        slowDisk: 0,
        transfer: 0,
        gracefulRestart: 0,
      },
      timerLatenessMs: 0,
      trace: true,
      ...overrides,
    }),
  );
}

const get = (key: string): KvInput => ({ kind: 'get', key });
const put = (key: string, value: string): KvInput => ({ kind: 'put', key, value });

describe('the driver simulation: scenarios', () => {
  it.each(['model', 'mvcc'] as const)(
    'a read that reaches a paused leader is not answered with what it knew before the pause (%s)',
    async (store) => {
      const world = calmWorld({ store });
      const seen: unknown[] = [];
      world.script = async (w) => {
        await w.sleep(3_000);
        const old = w.leader()!;
        const follower = w.members.find((m) => m !== old)!;
        expect((await w.workload.request(1, 1, old, put('k', 'before'), 2_000)).ok).toBe(true);
        // The leader stops (SIGSTOP) right after it asks its followers to confirm a read: their
        // acknowledgements wait in its socket until it resumes.
        let armed = true;
        w.onSend = (from, m) => {
          if (armed && from === old && m.type === 'heartbeat' && m.context) {
            armed = false;
            w.log(`SCENARIO pause ${old.id} with its read confirmations out`);
            w.pause(old, 4_000);
          }
        };
        const first = w.workload.request(2, 1, old, get('k'), 8_000);
        // Meanwhile the others elect a leader and take a write.
        await w.sleep(2_500);
        expect(w.leader()).not.toBe(old);
        expect((await w.workload.request(3, 1, follower, put('k', 'after'), 2_000)).ok).toBe(true);
        // A read that arrives while the old leader is stopped, after the write was acknowledged.
        const late = await w.workload.request(4, 1, old, get('k'), 8_000);
        seen.push(late.ok ? late.value : late);
        await first;
      };
      const result = await world.run();
      expect(result.failure).toBeUndefined();
      // The late read was served, with the acknowledged write (never the old value).
      expect(seen).toEqual([{ kind: 'value', value: 'after' }]);
    },
  );
});
