import { Etcd3 } from 'etcd3';
import { waitFor } from '../integration/support/wait';
import { localRange, missingFrom } from './support/etcd-clients';
import { MasterContainers, MEMBER_NAMES } from './support/master-containers';

const PREFIX = '/partition';
const WRITES_TO_CUT_OFF_LEADER = 5;
const WRITES_TO_MAJORITY = 20;

interface Outcome {
  key: string;
  value: string;
  acked: boolean;
  error?: string;
}

/**
 * The leader loses its peers (docker network disconnect from the Raft network) but its clients
 * still reach it. The majority must carry on; the cut-off leader must acknowledge nothing it did
 * not commit, and commit nothing at all; once reconnected it must follow and converge.
 */
describe('partition: the leader is cut off from its peers', () => {
  let cluster: MasterContainers | undefined;

  beforeAll(async () => {
    cluster = await MasterContainers.create();
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster?.cleanup();
  }, 120_000);

  it('the majority elects a leader and commits; the old leader commits nothing, then rejoins and converges', async () => {
    const c = cluster!;
    const oldLeader = await c.waitForLeader(MEMBER_NAMES);
    const majority = MEMBER_NAMES.filter((name) => name !== oldLeader);
    await c.client(oldLeader).put(`${PREFIX}/before`).value('committed by all');

    await c.disconnectFromPeers(oldLeader);
    // Docker rewires the container's ports for a moment: wait until the cut-off member answers.
    const commitIndexAtCut = await waitFor(`${oldLeader} reachable by its clients`, () =>
      c.metric(oldLeader, 'flotilla_raft_commit_index'),
    );
    expect(commitIndexAtCut).toBeGreaterThan(0);

    // Writes to the cut-off leader and to the majority at the same time.
    const [toOldLeader, newLeader] = await Promise.all([
      putEach(c.client(oldLeader), 'old-leader', WRITES_TO_CUT_OFF_LEADER),
      c.waitForLeader(majority),
    ]);
    expect(newLeader).not.toBe(oldLeader);
    const toMajority = await putEach(c.client(newLeader), 'majority', WRITES_TO_MAJORITY);
    expect(toMajority.every((o) => o.acked)).toBe(true);

    // Nothing committed on the minority side, and no acknowledgement the majority cannot back.
    expect(await c.metric(oldLeader, 'flotilla_raft_commit_index')).toBe(commitIndexAtCut);
    const ackedByOldLeader = toOldLeader.filter((o) => o.acked);
    expect(ackedByOldLeader).toEqual([]);
    // Check-quorum: a leader that hears from no majority stops calling itself leader.
    await waitFor(`${oldLeader} steps down while cut off`, async () =>
      (await c.metric(oldLeader, 'flotilla_raft_is_leader')) === 0 ? true : undefined,
    );

    await c.reconnectToPeers(oldLeader);
    expect(await c.waitForLeader(MEMBER_NAMES)).toBe(newLeader);

    // Converged: the same applied state on all three, holding every write the majority acked.
    const acked = toMajority.map(({ key, value }) => ({ key, value }));
    const states = await waitFor(
      'the same applied state on all members',
      async () => {
        const ranges = await Promise.all(
          MEMBER_NAMES.map((name) => localRange(c.client(name), PREFIX)),
        );
        const same = ranges.every((r) => sameEntries(r, ranges[0]));
        return same && missingFrom(ranges[0], acked).length === 0 ? ranges : undefined;
      },
      30_000,
      250,
    );
    expect(missingFrom(states[0], acked)).toEqual([]);
    expect(states[0].get(`${PREFIX}/before`)).toBe('committed by all');
    console.log(
      `[partition] cut off leader ${oldLeader}; new leader ${newLeader}; ` +
        `${ackedByOldLeader.length}/${toOldLeader.length} writes acked by the cut-off leader; ` +
        `of those, ${countPresent(states[0], toOldLeader)} present after healing; ` +
        `its errors: ${[...new Set(toOldLeader.map((o) => o.error))].join(' | ')}`,
    );
  });
});

/** Sequential puts of `<PREFIX>/<label>/<n>`, each with the client's deadline; outcome per put. */
async function putEach(client: Etcd3, label: string, count: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let n = 0; n < count; n++) {
    const key = `${PREFIX}/${label}/${n}`;
    const value = `${label}-${n}`;
    const outcome = await client
      .put(key)
      .value(value)
      .exec()
      .then(
        () => ({ key, value, acked: true }),
        (err: Error) => ({ key, value, acked: false, error: err.message }),
      );
    outcomes.push(outcome);
  }
  return outcomes;
}

function sameEntries(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

function countPresent(state: Map<string, string>, outcomes: Outcome[]): number {
  return outcomes.filter((o) => state.get(o.key) === o.value).length;
}
