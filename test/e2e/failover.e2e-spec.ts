import { ContinuousWriter } from './support/continuous-writer';
import { localRange, missingFrom } from './support/etcd-clients';
import { MasterContainers, MEMBER_NAMES, MemberName } from './support/master-containers';
import { waitFor } from '../integration/support/wait';

const PREFIX = '/failover';

/**
 * Three masters in containers; a client writes without pause through the two followers; the
 * leader's container is SIGKILLed. Printed: the unavailability window seen by the client.
 */
describe('failover: the leader container is killed', () => {
  let cluster: MasterContainers | undefined;
  let writer: ContinuousWriter | undefined;

  beforeAll(async () => {
    cluster = await MasterContainers.create();
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await writer?.stop();
    await cluster?.cleanup();
  }, 120_000);

  it('elects a new leader, resumes writes, loses no acknowledged write, and the killed member catches up', async () => {
    const c = cluster!;
    const oldLeader = await c.waitForLeader(MEMBER_NAMES);
    const survivors = MEMBER_NAMES.filter((name) => name !== oldLeader);

    const w = new ContinuousWriter(
      PREFIX,
      survivors.map((name) => ({ name, client: c.client(name) })),
    );
    writer = w;
    w.start();
    await waitFor('50 writes acknowledged before the kill', () =>
      w.acks.length >= 50 ? true : undefined,
    );

    const killedAt = await c.kill(oldLeader);
    const newLeader = await c.waitForLeader(survivors);
    const electedAfterMs = Date.now() - killedAt;
    expect(newLeader).not.toBe(oldLeader);

    await waitFor('50 writes acknowledged after the kill', () =>
      w.acksSentAfter(killedAt).length >= 50 ? true : undefined,
    );
    await w.stop();

    const { lastBefore, firstAfter } = w.gapAround(killedAt);
    console.log(
      `[failover] killed leader ${oldLeader}; new leader ${newLeader} seen after ${electedAfterMs} ms; ` +
        `unavailability window ${firstAfter!.ackedAt - lastBefore!.ackedAt} ms ` +
        `(last ack ${killedAt - lastBefore!.ackedAt} ms before the kill, ` +
        `first ack ${firstAfter!.ackedAt - killedAt} ms after); ` +
        `${w.acks.length} acks, ${w.failedAttempts} failed attempts`,
    );

    for (const name of survivors) {
      await expectAllAcked(c, name, w);
    }

    await c.start([oldLeader]);
    await waitFor(`${oldLeader} ready again`, async () =>
      (await c.metric(oldLeader, 'flotilla_raft_has_leader')) === 1 ? true : undefined,
    );
    expect(await c.agreedLeader(MEMBER_NAMES)).toBe(newLeader);
    await expectAllAcked(c, oldLeader, w);
  });
});

/** Every acknowledged write is in this member's applied state (bounded wait for it to apply). */
async function expectAllAcked(
  cluster: MasterContainers,
  name: MemberName,
  writer: ContinuousWriter,
): Promise<void> {
  let missing: string[] = [];
  try {
    await waitFor(
      `all ${writer.acks.length} acknowledged writes applied on ${name}`,
      async () => {
        missing = missingFrom(await localRange(cluster.client(name), PREFIX), writer.acks);
        return missing.length === 0 ? true : undefined;
      },
      30_000,
      250,
    );
  } catch {
    // A clearer failure than a timeout: which writes are gone.
  }
  expect({ member: name, missing: missing.slice(0, 10), count: missing.length }).toEqual({
    member: name,
    missing: [],
    count: 0,
  });
}
