import { MasterCluster } from './support/master-cluster';
import { getText, tryGetText, waitFor } from './support/wait';

/**
 * /readyz includes a linearizable read barrier: a master that cannot complete one (here: its
 * two peers are paused, so no quorum confirms a read) is not ready, and is again once they
 * resume. Its metrics count the barriers.
 */
describe('readiness that needs a linearizable read', () => {
  let cluster: MasterCluster;
  const readyz = (name: string, query = '') =>
    tryGetText(`http://127.0.0.1:${cluster.ports.get(name)!.api}/readyz${query}`);

  /** A metric's value on a master; NaN when it is not exported. */
  const counter = async (name: string, metric: string): Promise<number> => {
    const body = (await getText(`http://127.0.0.1:${cluster.ports.get(name)!.api}/metrics`)).body;
    return Number(new RegExp(`^${metric} (\\S+)$`, 'm').exec(body)?.[1]);
  };

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
  }, 120_000);

  afterAll(async () => {
    for (const p of cluster?.processes.values() ?? []) p.child.kill('SIGCONT');
    await cluster?.shutdown();
  });

  it('fails on a master whose peers are paused and passes once they resume', async () => {
    const [watched, ...others] = cluster.names;
    expect((await readyz(watched, '?verbose'))?.body).toContain('[+]linearizable-read ok');

    for (const name of others) cluster.processes.get(name)!.child.kill('SIGSTOP');
    const failed = await waitFor(
      'the read barrier check to fail',
      async () => {
        const r = await readyz(watched);
        return r?.status === 500 && r.body.includes('[-]linearizable-read failed') ? r : undefined;
      },
      30_000,
      200,
    );
    expect(failed.body).toMatch(/readyz check failed/);
    // The barrier behind it runs to its own timeout, and counts as a failed read index.
    await waitFor(
      'a failed read index in the metrics',
      async () =>
        (await counter(watched, 'etcd_server_read_indexes_failed_total')) > 0 ? true : undefined,
      30_000,
      500,
    );

    for (const name of others) cluster.processes.get(name)!.child.kill('SIGCONT');
    await waitFor(
      'readiness again',
      async () => ((await readyz(watched))?.status === 200 ? true : undefined),
      30_000,
      200,
    );
    expect(
      await counter(watched, 'flotilla_server_read_barrier_duration_seconds_count'),
    ).toBeGreaterThan(0);
    expect(await counter(watched, 'etcd_server_slow_read_indexes_total')).toBeGreaterThanOrEqual(0);
  }, 90_000);
});
