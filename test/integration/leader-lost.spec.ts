import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

/**
 * SIGKILL of the leader closes its peer connections at once; the followers notice and campaign
 * at the next tick instead of waiting out the election timeout (3 s here, ticks of 100 ms).
 */
describe('a killed leader', () => {
  let cluster: MasterCluster;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, [
      ...['--heartbeat-interval', '100', '--election-timeout', '3000', '--log-level', 'info'],
    ]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('is replaced by a survivor that noticed the lost connection, and writes go on', async () => {
    const old = await cluster.leader();
    cluster.kill(old);
    const survivors = cluster.names.filter((n) => n !== old);
    const next = await cluster.leader();
    expect(survivors).toContain(next);
    // The new leader got there through the early campaign, not through its election timer.
    const noticed = survivors.filter((n) =>
      cluster.processes.get(n)!.stdout.includes('lost the connection to the leader'),
    );
    expect(noticed.length).toBeGreaterThan(0);
    const put = await waitFor('a write through the survivors', async () => {
      const r = await cluster.etcdctl(
        ['put', '/after-failover', 'ok'],
        survivors.map((n) => cluster.endpoint(n)).join(','),
      );
      return r.code === 0 ? r : undefined;
    });
    expect(put.stdout).toContain('OK');
  }, 60_000);
});
