import { HoldingCluster } from './holding-cluster';
import { eventually } from './harness';

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('RaftNode read barriers and the requests asked before them', () => {
  let cluster: HoldingCluster;

  beforeEach(async () => {
    cluster = new HoldingCluster(['m1', 'm2', 'm3']);
    await cluster.start();
  });

  afterEach(() => cluster.stop());

  // Found by the Jepsen suite (test/jepsen): a Kubernetes GET on a resumed leader returned the
  // value from before its pause. A read round that is asked again (no answer within a few ticks,
  // or a leader change) takes in the barriers queued since, yet the answer to its first request,
  // taken before they began, still resolves them all: at an index older than writes they must
  // see. Fails on the driver as it is; the fix keeps, per request, which waiters it may serve.
  // Until it lands in raft-node.ts, apps/control-plane's ReadBarrier takes a barrier again when
  // a round was asked again while it waited (apps/control-plane/src/replication/read-barrier*).
  it.failing('a barrier is not served by a request asked before it began', async () => {
    const leader = await cluster.leader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    await cluster.node(leader).propose(Buffer.from('v1'));

    // The link leader -> follower is slow for appends and read answers (heartbeats still pass,
    // so the follower keeps its leader).
    cluster.hold((m) => m.from === leader && m.to === follower && m.type !== 'heartbeat');
    const first = cluster.node(follower).readBarrier(10_000);
    await eventually(() => cluster.held.some((m) => m.type === 'readIndexResp') || undefined);

    // A write commits with the third member; then a second barrier begins on the follower.
    await cluster.node(leader).propose(Buffer.from('v2'));
    const committedBefore = cluster.node(leader).status().commit;
    let appliedWhenServed = -1;
    const second = cluster
      .node(follower)
      .readBarrier(10_000)
      .then(() => {
        appliedWhenServed = cluster.machines.get(follower)!.appliedIndex();
      });
    // The follower gives up waiting on its first request and asks again.
    await eventually(
      () => cluster.held.filter((m) => m.type === 'readIndexResp').length >= 2 || undefined,
    );

    // The answer to the first request arrives alone; it is good for the first barrier only.
    const firstAnswer = cluster.held.find((m) => m.type === 'readIndexResp')!;
    cluster.release((m) => m === firstAnswer);
    await first;
    await turns(10);
    cluster.stopHolding();
    await second;
    expect(appliedWhenServed).toBeGreaterThanOrEqual(committedBefore);
  });
});
