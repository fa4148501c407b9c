import type { KubeObject } from '@flotilla/api';
import { startTestApi, type TestApi } from '@flotilla/testing';

type Obj = KubeObject & Record<string, unknown>;
type Client = TestApi['client'];
/** The client's ResourceOps (this library may not import @flotilla/client itself). */
type Ops = ReturnType<Client['forResource']>;

describe('events.k8s.io/v1 and core/v1 Events share one storage', () => {
  let api: TestApi;
  let client: Client;
  let core: Ops;
  let v1: Ops;
  beforeAll(async () => {
    api = await startTestApi();
    client = api.client;
    core = client.forResource('events', '', 'default');
    v1 = client.forResource('events', 'events.k8s.io', 'default');
  });
  afterAll(async () => {
    await api.stop();
  });

  const regarding = { kind: 'Deployment', namespace: 'default', name: 'web', uid: 'd1' };

  it('an event recorded through events.k8s.io/v1 reads as core/v1 (what kubectl describe shows)', async () => {
    await v1.create({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web.a', namespace: 'default' },
      eventTime: '2026-01-02T03:04:05.000000Z',
      reportingController: 'deployment-controller',
      reportingInstance: 'deployment-controller-m1',
      action: 'Scaling',
      reason: 'ScalingReplicaSet',
      regarding,
      note: 'Scaled up replica set web-abc to 3',
      type: 'Normal',
    } as Obj);
    const seen = await core.get('web.a');
    expect(seen).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      involvedObject: regarding,
      message: 'Scaled up replica set web-abc to 3',
      reportingComponent: 'deployment-controller',
      reason: 'ScalingReplicaSet',
    });
    expect(seen.note).toBeUndefined();
    const listed = await core.list({ fieldSelector: 'involvedObject.name=web' });
    expect(listed.items.map((e) => e.metadata.name)).toContain('web.a');
  });

  it('an event written as core/v1 reads, lists and updates through events.k8s.io/v1', async () => {
    await core.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.b', namespace: 'default' },
      involvedObject: regarding,
      reason: 'Killing',
      message: 'Stopping container',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2026-01-02T03:04:05Z',
      lastTimestamp: '2026-01-02T03:04:05Z',
      count: 1,
      type: 'Normal',
    } as Obj);
    expect(await v1.get('web.b')).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      regarding,
      note: 'Stopping container',
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      deprecatedCount: 1,
    });
    const listed = await v1.list({ fieldSelector: 'regarding.name=web' });
    expect(listed.items.map((e) => e.metadata.name).sort()).toEqual(['web.a', 'web.b']);
    expect(listed.items.every((e) => e.apiVersion === 'events.k8s.io/v1')).toBe(true);

    await v1.patch('web.b', { note: 'Stopping container c', deprecatedCount: 2 }, 'merge');
    expect(await core.get('web.b')).toMatchObject({ message: 'Stopping container c', count: 2 });
    await v1.delete('web.b');
    await expect(core.get('web.b')).rejects.toMatchObject({ code: 404 });
  });

  it('a watch through either group sees writes through the other, each in its own form', async () => {
    const v1Seen: Obj[] = [];
    const coreSeen: Obj[] = [];
    const list = await core.list();
    const rv = list.metadata.resourceVersion;
    const w1 = await v1.watch({ resourceVersion: rv }, (ev) => v1Seen.push(ev.object as Obj));
    const w2 = await core.watch({ resourceVersion: rv }, (ev) => coreSeen.push(ev.object as Obj));
    try {
      await core.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'web.c', namespace: 'default' },
        involvedObject: regarding,
        message: 'from core',
      } as Obj);
      await v1.create({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'web.d', namespace: 'default' },
        eventTime: '2026-01-02T03:04:05.000000Z',
        reportingController: 'c',
        reportingInstance: 'c-1',
        action: 'A',
        reason: 'R',
        type: 'Normal',
        regarding,
        note: 'from events.k8s.io',
      } as Obj);
      const until = Date.now() + 10_000;
      while ((v1Seen.length < 2 || coreSeen.length < 2) && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      w1.stop();
      w2.stop();
    }
    expect(v1Seen.map((e) => [e.metadata.name, e.apiVersion, e.note])).toEqual([
      ['web.c', 'events.k8s.io/v1', 'from core'],
      ['web.d', 'events.k8s.io/v1', 'from events.k8s.io'],
    ]);
    expect(coreSeen.map((e) => [e.metadata.name, e.apiVersion, e.message])).toEqual([
      ['web.c', 'v1', 'from core'],
      ['web.d', 'v1', 'from events.k8s.io'],
    ]);
  });
});
