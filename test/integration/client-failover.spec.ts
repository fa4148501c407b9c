// @flotilla/client against three real masters: kill -9 the master a client uses while it runs a
// loop of GETs and a watch. The client must move to another master within 2 s, and the watch
// must resume from its last resourceVersion with no event missed or repeated.
import { ConfigMap, connectFromKubeconfig, KubeClient } from '@flotilla/client';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

const WRITES = 120;

describe('@flotilla/client failover on a three-master cluster', () => {
  let cluster: MasterCluster;
  const clients: KubeClient[] = [];

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    await cluster.waitForApi();
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.shutdown();
  });

  it('moves a GET loop and a watch off a SIGKILLed master within 2 s, missing and repeating nothing', async () => {
    const leader = await cluster.leader();
    // The client's master is a follower, so what is measured is the client's failover, not an
    // election; the writer uses the leader's context (it fails over too if it must).
    const target = cluster.names.find((n) => n !== leader)!;
    const url = (name: string) => `http://127.0.0.1:${cluster.ports.get(name)!.api}`;
    const reader = connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      context: `flotilla-${target}`,
      component: 'failover-reader',
      rateLimit: false,
    });
    const writer = connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      context: `flotilla-${leader}`,
      component: 'failover-writer',
      rateLimit: false,
    });
    clients.push(reader.client, writer.client);
    expect(reader.contexts).toHaveLength(3);
    expect(reader.transport.currentEndpoint()).toBe(url(target));

    const cms = reader.client.configMaps('default');
    await cms.create({ metadata: { name: 'probe' }, data: { v: '1' } });

    // The watch, from a listed version.
    const start = await cms.list({ labelSelector: 'set=failover', limit: 1 });
    const seen: { name: string; at: number }[] = [];
    const resumes: string[] = [];
    const watch = cms.watchResumable(
      { labelSelector: 'set=failover', resourceVersion: start.metadata.resourceVersion },
      (e) => seen.push({ name: `${e.type} ${e.object.metadata.name}`, at: Date.now() }),
      { onResume: (rv, why) => resumes.push(`${rv}: ${why}`) },
    );

    // The GET loop: times of successful answers.
    let reading = true;
    const answered: number[] = [];
    const failedReads: string[] = [];
    const readLoop = (async () => {
      for (let i = 0; reading && i < 100_000; i++) {
        try {
          await cms.get('probe');
          answered.push(Date.now());
        } catch (err) {
          failedReads.push((err as Error).message);
        }
      }
    })();

    // The writes, one every ~15 ms; the kill after a quarter of them.
    const acked: number[] = [];
    let killedAt = 0;
    for (let i = 0; i < WRITES; i++) {
      if (i === WRITES / 4) {
        await waitFor(
          'the watch to be live',
          () => (seen.length >= i ? true : undefined),
          10_000,
          10,
        );
        cluster.kill(target);
        killedAt = Date.now();
      }
      await writer.client.configMaps('default').create({
        metadata: { name: `w-${String(i).padStart(3, '0')}`, labels: { set: 'failover' } },
      } as ConfigMap);
      acked.push(Date.now());
      await new Promise((r) => setTimeout(r, 15));
    }
    await waitFor('every event', () => (seen.length >= WRITES ? true : undefined), 20_000, 20);
    await new Promise((r) => setTimeout(r, 300));
    reading = false;
    await readLoop;
    watch.stop();
    await watch.done;

    // Exactly the writes, in order: nothing missed, nothing repeated.
    expect(seen.map((s) => s.name)).toEqual(
      Array.from({ length: WRITES }, (_, i) => `ADDED w-${String(i).padStart(3, '0')}`),
    );
    expect(resumes.length).toBeGreaterThanOrEqual(1);
    expect(reader.transport.currentEndpoint()).not.toBe(url(target));

    // The GET loop's longest silence around the kill.
    const before = answered.filter((t) => t <= killedAt).pop()!;
    const after = answered.find((t) => t > killedAt)!;
    const readGap = after - before;
    // The watch: the longest delay between a write's acknowledgement and its event, after the kill.
    const watchLag = Math.max(
      ...seen.slice(WRITES / 4).map((s, j) => s.at - acked[WRITES / 4 + j]),
    );
    process.stdout.write(
      `failover: GET loop silent ${readGap} ms, watch lag ${watchLag} ms, ` +
        `failed reads ${failedReads.length}, resumes ${resumes.length}\n`,
    );
    expect(failedReads).toEqual([]);
    expect(readGap).toBeLessThan(2000);
    expect(watchLag).toBeLessThan(2000);
  }, 120_000);

  it('moves off a SIGSTOPped master (connections accepted, nothing answered) within 2 s, by its liveness pings', async () => {
    for (const name of cluster.names)
      if (!cluster.processes.has(name)) {
        cluster.startMember(name);
        await cluster.waitReady(name);
      }
    const leader = await cluster.leader();
    const target = cluster.names.find((n) => n !== leader)!;
    const url = (name: string) => `http://127.0.0.1:${cluster.ports.get(name)!.api}`;
    const reader = connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      context: `flotilla-${target}`,
      component: 'pause-reader',
      rateLimit: false,
    });
    const writer = connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      context: `flotilla-${leader}`,
      rateLimit: false,
    });
    clients.push(reader.client, writer.client);
    const downs: string[] = [];
    const cms = reader.client.configMaps('default');
    const start = await cms.list({ labelSelector: 'set=pause', limit: 1 });
    const seen: { name: string; at: number }[] = [];
    const watch = cms.watchResumable(
      { labelSelector: 'set=pause', resourceVersion: start.metadata.resourceVersion },
      (e) => seen.push({ name: e.object.metadata.name!, at: Date.now() }),
    );
    let reading = true;
    const answered: number[] = [];
    const readLoop = (async () => {
      for (let i = 0; reading && i < 100_000; i++) {
        await cms.get('probe').then(
          () => answered.push(Date.now()),
          (err: Error) => downs.push(err.message),
        );
      }
    })();
    const pid = cluster.processes.get(target)!.pid;
    const acked: number[] = [];
    let stoppedAt = 0;
    try {
      for (let i = 0; i < 40; i++) {
        if (i === 10) {
          await waitFor(
            'the watch to be live',
            () => (seen.length >= 10 ? true : undefined),
            10_000,
            10,
          );
          process.kill(pid, 'SIGSTOP');
          stoppedAt = Date.now();
        }
        await writer.client.configMaps('default').create({
          metadata: { name: `p-${String(i).padStart(2, '0')}`, labels: { set: 'pause' } },
        } as ConfigMap);
        acked.push(Date.now());
        await new Promise((r) => setTimeout(r, 50));
      }
      await waitFor('every event', () => (seen.length >= 40 ? true : undefined), 20_000, 20);
    } finally {
      reading = false;
      await readLoop;
      watch.stop();
      process.kill(pid, 'SIGCONT');
    }
    expect(seen.map((s) => s.name)).toEqual(
      Array.from({ length: 40 }, (_, i) => `p-${String(i).padStart(2, '0')}`),
    );
    expect(reader.transport.currentEndpoint()).not.toBe(url(target));
    const before = answered.filter((t) => t <= stoppedAt).pop()!;
    const after = answered.find((t) => t > stoppedAt)!;
    const watchLag = Math.max(...seen.slice(10).map((s, j) => s.at - acked[10 + j]));
    process.stdout.write(
      `pause: GET loop silent ${after - before} ms, watch lag ${watchLag} ms, failed reads ${downs.length}\n`,
    );
    expect(downs).toEqual([]);
    expect(after - before).toBeLessThan(2000);
    expect(watchLag).toBeLessThan(2000);
  }, 120_000);
});
