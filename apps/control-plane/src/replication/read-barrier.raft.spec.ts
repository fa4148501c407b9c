import { HoldingCluster } from '../../../../libs/raft-node/test/holding-cluster';
import { eventually } from '../../../../libs/raft-node/test/harness';
import { ReadBarrier } from './read-barrier';

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/**
 * The driver's stale-read case (libs/raft-node/test/read-barrier-order.spec.ts) through the
 * master's ReadBarrier, on real RaftNodes: a barrier that began after a write never completes
 * before this member applied that write.
 */
describe('ReadBarrier over the Raft driver', () => {
  let cluster: HoldingCluster;

  beforeEach(async () => {
    cluster = new HoldingCluster(['m1', 'm2', 'm3']);
    await cluster.start();
  });

  afterEach(() => cluster.stop());

  it('is not served by a read request sent before it began', async () => {
    const leader = await cluster.leader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    const node = cluster.node(follower);
    const reads = new ReadBarrier(node, { timeoutMs: 10_000 });
    await cluster.node(leader).propose(Buffer.from('v1'));

    cluster.hold((m) => m.from === leader && m.to === follower && m.type !== 'heartbeat');
    const first = reads.wait();
    await eventually(() => cluster.held.some((m) => m.type === 'readIndexResp') || undefined);

    await cluster.node(leader).propose(Buffer.from('v2'));
    const committedBefore = cluster.node(leader).status().commit;
    let appliedWhenServed = -1;
    const second = reads.wait().then(() => {
      appliedWhenServed = cluster.machines.get(follower)!.appliedIndex();
    });
    await eventually(
      () => cluster.held.filter((m) => m.type === 'readIndexResp').length >= 2 || undefined,
    );
    expect(node.readRetries).toBeGreaterThan(0);

    const firstAnswer = cluster.held.find((m) => m.type === 'readIndexResp')!;
    cluster.release((m) => m === firstAnswer);
    await turns(10);
    cluster.stopHolding();
    await Promise.all([first, second]);
    expect(appliedWhenServed).toBeGreaterThanOrEqual(committedBefore);
  });
});
