import { waitFor } from '../integration/support/wait';
import { localRange, missingFrom } from './support/etcd-clients';
import { MasterContainers, MEMBER_NAMES } from './support/master-containers';

const PREFIX = '/full-restart';
const KEYS = 200;

/** All three masters stop (docker stop) and start again on their volumes. */
describe('full restart: every master stops, then all start on their volumes', () => {
  let cluster: MasterContainers | undefined;

  beforeAll(async () => {
    cluster = await MasterContainers.create();
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster?.cleanup();
  }, 120_000);

  it('keeps every acknowledged write and elects a leader again', async () => {
    const c = cluster!;
    await c.waitForLeader(MEMBER_NAMES);
    const written: { key: string; value: string }[] = [];
    for (let n = 0; n < KEYS; n++) {
      const key = `${PREFIX}/${String(n).padStart(4, '0')}`;
      const value = `v${n}`;
      // Spread over the members: followers forward to the leader.
      await c
        .client(MEMBER_NAMES[n % MEMBER_NAMES.length])
        .put(key)
        .value(value);
      written.push({ key, value });
    }
    const termBefore = await c.metric(MEMBER_NAMES[0], 'flotilla_raft_term');

    await Promise.all(MEMBER_NAMES.map((name) => c.stop(name)));
    expect(c.running()).toEqual([]);
    await c.start();

    const leader = await c.waitForLeader(MEMBER_NAMES);
    expect(await c.metric(leader, 'flotilla_raft_term')).toBeGreaterThan(termBefore!);
    for (const name of MEMBER_NAMES) {
      const missing = await waitFor(
        `all ${KEYS} writes on ${name} after the restart`,
        async () => {
          const gone = missingFrom(await localRange(c.client(name), PREFIX), written);
          return gone.length === 0 ? gone : undefined;
        },
        30_000,
        250,
      ).catch(() => ['(still missing after 30 s)']);
      expect({ member: name, missing }).toEqual({ member: name, missing: [] });
    }
    // And the cluster takes writes again.
    await c.client(leader).put(`${PREFIX}/after`).value('ok');
    expect(await c.client(MEMBER_NAMES[0]).get(`${PREFIX}/after`).string()).toBe('ok');
  });
});
