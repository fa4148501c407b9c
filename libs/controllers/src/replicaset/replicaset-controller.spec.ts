import { FakeClock } from '@flotilla/client';
// The ReplicaSet controller against a real API server in process, as scenarios: given these
// objects, after it syncs, these pods and this status.
import type { RestRequest, Transport } from '@flotilla/client';
import { replicaSet, markReady, pod, podsOf } from '../../test/fixtures';
import { startHarness, waitFor, sleep, type Harness } from '../../test/harness';
import { ReplicaSetController } from './replicaset-controller';

describe('ReplicaSet controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const pods = (app: string) => podsOf(h.client, `app=${app}`);
  const rsNamed = (name: string) => h.client.replicaSets('default').get(name);

  it('creates the missing pods, controlled by the ReplicaSet, and reports them in status', async () => {
    h.run([new ReplicaSetController()]);
    const rs = await h.client.replicaSets('default').create(replicaSet('web', 3));
    const created = await waitFor('3 pods', async () => {
      const list = await pods('web');
      return list.length === 3 ? list : undefined;
    });
    for (const p of created) {
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const status = await waitFor('status', async () => {
      const cur = await rsNamed('web');
      return cur.status?.replicas === 3 ? cur.status : undefined;
    });
    expect(status).toMatchObject({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 0,
      availableReplicas: 0,
      observedGeneration: 1,
    });
  });

  it('counts ready pods as available only after minReadySeconds', async () => {
    // The controller's clock moves only when told, so "not yet available" cannot lapse on a
    // slow machine before it is checked.
    const clock = new FakeClock(Date.now());
    h.run([new ReplicaSetController()], { clock });
    const rs = replicaSet('slow', 2);
    await h.client
      .replicaSets('default')
      .create({ ...rs, spec: { ...rs.spec!, minReadySeconds: 10 } });
    const created = await waitFor('2 pods', async () => {
      const list = await pods('slow');
      return list.length === 2 ? list : undefined;
    });
    for (const p of created) await markReady(h.client, p, new Date(clock.now()));
    await waitFor('ready 2', async () =>
      (await rsNamed('slow')).status?.readyReplicas === 2 ? true : undefined,
    );
    expect((await rsNamed('slow')).status?.availableReplicas).toBe(0);
    await clock.advance(11_000);
    await waitFor('available 2 once minReadySeconds passed', async () =>
      (await rsNamed('slow')).status?.availableReplicas === 2 ? true : undefined,
    );
  });

  it('scales down deleting not-ready pods before ready ones, with events', async () => {
    h.run([new ReplicaSetController()]);
    await h.client.replicaSets('default').create(replicaSet('down', 4));
    const created = await waitFor('4 pods', async () => {
      const list = await pods('down');
      return list.length === 4 ? list : undefined;
    });
    const ready = created.slice(0, 2);
    for (const p of ready) await markReady(h.client, p);
    await waitFor('ready 2', async () =>
      (await rsNamed('down')).status?.readyReplicas === 2 ? true : undefined,
    );
    await h.client.replicaSets('default').patch('down', { spec: { replicas: 2 } }, 'merge');
    const left = await waitFor('2 pods left', async () => {
      const list = await pods('down');
      return list.length === 2 ? list : undefined;
    });
    expect(left.map((p) => p.metadata.name).sort()).toEqual(
      ready.map((p) => p.metadata.name).sort(),
    );
    // Two deletions of one ReplicaSet are one event with a series of two.
    const event = await waitFor('deletion events', async () => {
      const list = (await h.client.events('default').list()).items.filter(
        (e) => e.reason === 'SuccessfulDelete',
      );
      return list.length === 1 && list[0].series?.count === 2 ? list[0] : undefined;
    });
    expect(event).toMatchObject({
      regarding: { kind: 'ReplicaSet', name: 'down' },
      reportingController: 'replicaset-controller',
    });
  });

  it('adopts a matching orphan and releases a pod whose labels stop matching', async () => {
    await h.client.pods('default').create(pod('orphan', { app: 'adopt' }));
    h.run([new ReplicaSetController()]);
    const rs = await h.client.replicaSets('default').create(replicaSet('adopt', 2));
    await waitFor('2 pods, the orphan adopted', async () => {
      const list = await pods('adopt');
      const adopted = list.find((p) => p.metadata.name === 'orphan');
      return list.length === 2 && adopted?.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid
        ? list
        : undefined;
    });
    await h.client
      .pods('default')
      .patch('orphan', { metadata: { labels: { app: 'gone' } } }, 'merge');
    await waitFor('the orphan released and replaced', async () => {
      const released = await h.client.pods('default').get('orphan');
      const list = await pods('adopt');
      return (released.metadata.ownerReferences ?? []).length === 0 && list.length === 2
        ? true
        : undefined;
    });
  });

  it('never creates more pods than asked while its pod watch lags behind', async () => {
    let creates = 0;
    const lagging = (inner: Transport): Transport => ({
      describe: () => inner.describe(),
      close: () => inner.close(),
      request: (req: RestRequest) => {
        if (req.method === 'POST' && req.path.endsWith('/pods')) creates++;
        return inner.request(req);
      },
      // Pod watch events arrive 400 ms late; everything else on time.
      stream: (req, onData) =>
        inner.stream(
          req,
          req.path.endsWith('/pods')
            ? (chunk) => void sleep(400).then(() => onData(chunk))
            : onData,
        ),
    });
    h.run([new ReplicaSetController()], { wrap: lagging });
    await h.client.replicaSets('default').create(replicaSet('lag', 20));
    await waitFor('20 pods seen by the controller', async () =>
      (await rsNamed('lag')).status?.replicas === 20 ? true : undefined,
    );
    // Status writes and pod events re-queue the ReplicaSet many times meanwhile; let more come.
    await h.client
      .replicaSets('default')
      .patch('lag', { metadata: { labels: { touched: 'yes' } } }, 'merge');
    await sleep(1000);
    expect(creates).toBe(20);
    expect(await pods('lag')).toHaveLength(20);
  });

  it('records ReplicaFailure while the API refuses its pods, and clears it once it accepts them', async () => {
    let refuse = true;
    const quota = (inner: Transport): Transport => ({
      describe: () => inner.describe(),
      close: () => inner.close(),
      stream: (req, onData) => inner.stream(req, onData),
      request: async (req: RestRequest) => {
        if (refuse && req.method === 'POST' && req.path.endsWith('/pods')) {
          const status = {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            code: 403,
            reason: 'Forbidden',
            message: 'exceeded quota: pods',
          };
          return {
            status: 403,
            headers: { 'content-type': 'application/json' },
            body: Buffer.from(JSON.stringify(status)),
            endpoint: 'test',
          };
        }
        return inner.request(req);
      },
    });
    h.run([new ReplicaSetController()], { wrap: quota });
    await h.client.replicaSets('default').create(replicaSet('fail', 3));
    const cond = await waitFor('ReplicaFailure', async () => {
      const cur = await rsNamed('fail');
      return cur.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    });
    expect(cond).toMatchObject({
      status: 'True',
      reason: 'FailedCreate',
      message: expect.stringContaining('exceeded quota'),
    });
    expect(await pods('fail')).toHaveLength(0);
    refuse = false;
    await waitFor('3 pods and no ReplicaFailure', async () => {
      const cur = await rsNamed('fail');
      const failing = cur.status?.conditions?.some((c) => c.type === 'ReplicaFailure');
      return !failing && (await pods('fail')).length === 3 ? true : undefined;
    });
  });
});
