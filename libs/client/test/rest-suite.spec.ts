// One suite of CRUD, patch, subresource, watch and error cases, run over both transports: the
// in-process one (the API handler called directly) and HTTP to the same API server on loopback.
// Same client code, same answers.
import { ApiError, KubeObject } from '@flotilla/api';
import {
  ConfigMap,
  connect,
  Deployment,
  KubeClient,
  Pod,
  Transport,
  WatchEvent,
} from '@flotilla/client';
import { HttpTestServer, inProcessTransport, startTestApi, TestApi } from '@flotilla/testing';

type Mode = 'in-process' | 'http';

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) =>
  ({ metadata: { name, ...(labels ? { labels } : {}) }, data }) as ConfigMap;

const pod = (name: string): Pod => ({
  metadata: { name, labels: { app: 'suite' } },
  spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] },
});

const deployment = (name: string, replicas: number): Deployment => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] },
    },
  },
});

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

/** Collects watch events until `until` holds (bounded by a deadline). */
function collector<T extends KubeObject>() {
  const events: WatchEvent<T>[] = [];
  return {
    events,
    on: (e: WatchEvent<T>) => events.push(e),
    async until(pred: (events: WatchEvent<T>[]) => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(events)) {
        if (Date.now() > deadline)
          throw new Error(`watch: condition not met; got ${events.map((e) => e.type).join(',')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe.each<Mode>(['in-process', 'http'])('the REST client over the %s transport', (mode) => {
  let api: TestApi;
  let http: HttpTestServer | undefined;
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    api = await startTestApi({ bookmarkMs: 100 });
    if (mode === 'http') {
      http = await HttpTestServer.start(api.server);
      client = connect([http.url], { component: 'test', rateLimit: false }).client;
    } else {
      client = api.client;
    }
    ns = `suite-${mode}`;
    await client.namespaces().create({ metadata: { name: ns } });
  });

  afterAll(async () => {
    client.close();
    await http?.close();
    await api.stop();
  });

  it('creates, reads, updates and deletes; a stale resourceVersion gets 409 Conflict', async () => {
    const cms = client.configMaps(ns);
    const created = await cms.create(cm('crud', { a: '1' }));
    expect(created.metadata.uid).toBeTruthy();
    expect(created.metadata.namespace).toBe(ns);
    const read = await cms.get('crud');
    expect(read.data).toEqual({ a: '1' });
    const updated = await cms.update({ ...read, data: { a: '2' } });
    expect(updated.metadata.resourceVersion).not.toBe(read.metadata.resourceVersion);
    const stale = await rejection(cms.update({ ...read, data: { a: '3' } }));
    expect(stale.code).toBe(409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.status.details).toMatchObject({ name: 'crud', kind: 'configmaps' });
    const deleted = await cms.delete('crud');
    expect(deleted?.metadata.name).toBe('crud');
    const gone = await rejection(cms.get('crud'));
    expect(gone.code).toBe(404);
    expect(gone.message).toBe('configmaps "crud" not found');
  });

  it('answers AlreadyExists, Invalid (with causes) and NotFound as ApiErrors with the Status', async () => {
    const cms = client.configMaps(ns);
    await cms.create(cm('twice'));
    const again = await rejection(cms.create(cm('twice')));
    expect([again.code, again.reason]).toEqual([409, 'AlreadyExists']);
    const invalid = await rejection(cms.create(cm('Bad_Name')));
    expect([invalid.code, invalid.reason]).toEqual([422, 'Invalid']);
    expect((invalid.status.details as { causes: unknown[] }).causes.length).toBeGreaterThan(0);
    const missingNs = await rejection(client.configMaps('no-such-ns').create(cm('x')));
    expect(missingNs.code).toBe(404);
    await expect(client.configMaps().get('x')).rejects.toThrow(/namespaced/);
  });

  it('lists with selectors, in pages, and all pages at once', async () => {
    const cms = client.configMaps(ns);
    for (let i = 0; i < 7; i++)
      await cms.create(cm(`page-${i}`, { i: String(i) }, { set: 'pages', odd: String(i % 2) }));
    const odd = await cms.list({ labelSelector: 'set=pages,odd=1' });
    expect(odd.items.map((o) => o.metadata.name)).toEqual(['page-1', 'page-3', 'page-5']);
    expect(Number(odd.metadata.resourceVersion)).toBeGreaterThan(0);
    const first = await cms.list({ labelSelector: 'set=pages', limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.metadata.continue).toBeTruthy();
    const second = await cms.list({
      labelSelector: 'set=pages',
      limit: 3,
      continue: first.metadata.continue,
    });
    expect(second.items.map((o) => o.metadata.name)).toEqual(['page-3', 'page-4', 'page-5']);
    const all = await cms.listAll({ labelSelector: 'set=pages', pageSize: 2 });
    expect(all.items.map((o) => o.metadata.name)).toEqual(
      Array.from({ length: 7 }, (_, i) => `page-${i}`),
    );
    expect(all.metadata.continue).toBeUndefined();
    const named = await cms.list({ fieldSelector: 'metadata.name=page-4' });
    expect(named.items.map((o) => o.data)).toEqual([{ i: '4' }]);
    const everywhere = await client.configMaps().list({ labelSelector: 'set=pages' });
    expect(everywhere.items).toHaveLength(7);
  });

  it('patches with merge, strategic merge, JSON patch and server-side apply', async () => {
    const deploys = client.deployments(ns);
    await deploys.create(deployment('web', 1));
    const merged = await deploys.patch('web', { metadata: { labels: { tier: 'front' } } }, 'merge');
    expect(merged.metadata.labels).toEqual({ tier: 'front' });
    const strategic = await deploys.patch(
      'web',
      {
        spec: {
          template: { spec: { containers: [{ name: 'side', image: 'registry.local/s:1' }] } },
        },
      },
      'strategic',
    );
    expect(strategic.spec!.template.spec!.containers.map((c) => c.name).sort()).toEqual([
      'c',
      'side',
    ]);
    const json = await deploys.patch(
      'web',
      [{ op: 'replace', path: '/spec/replicas', value: 3 }],
      'json',
    );
    expect(json.spec!.replicas).toBe(3);
    const applied = await deploys.apply({
      metadata: { name: 'web', annotations: { owner: 'suite' } },
    } as Deployment);
    expect(applied.metadata.annotations).toEqual({ owner: 'suite' });
    const managers = (applied.metadata.managedFields as { manager: string; operation: string }[])
      .map((m) => `${m.manager}/${m.operation}`)
      .sort();
    expect(managers).toContain('flotilla-test/Apply');
    expect(managers).toContain('flotilla-test/Update');
    const badPatch = await rejection(
      deploys.patch('web', [{ op: 'test', path: '/spec/replicas', value: 9 }], 'json'),
    );
    expect(badPatch.code).toBeGreaterThanOrEqual(400);
  });

  it('reads and writes the status and scale subresources', async () => {
    const deploys = client.deployments(ns);
    await deploys.create(deployment('scaled', 2));
    const scale = await deploys.getScale('scaled');
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 2 } });
    const rescaled = await deploys.updateScale('scaled', { ...scale, spec: { replicas: 5 } });
    expect(rescaled.spec!.replicas).toBe(5);
    expect((await deploys.get('scaled')).spec!.replicas).toBe(5);
    const current = await deploys.get('scaled');
    const withStatus = await deploys.updateStatus({
      ...current,
      status: { replicas: 5, readyReplicas: 4 },
    });
    expect(withStatus.status).toMatchObject({ replicas: 5, readyReplicas: 4 });
    const patched = await deploys.patchStatus('scaled', { status: { readyReplicas: 5 } }, 'merge');
    expect(patched.status!.readyReplicas).toBe(5);
    expect((await deploys.getStatus('scaled')).status!.readyReplicas).toBe(5);
    await expect(client.configMaps(ns).getScale('x')).rejects.toThrow(/no scale subresource/);
  });

  it('binds a pod to a node through pods/binding', async () => {
    const pods = client.pods(ns);
    await pods.create(pod('bound'));
    await pods.bind('bound', 'node-a');
    expect((await pods.get('bound')).spec!.nodeName).toBe('node-a');
    const twice = await rejection(pods.bind('bound', 'node-b'));
    expect(twice.code).toBe(409);
  });

  it('deletes with a uid precondition and by collection', async () => {
    const cms = client.configMaps(ns);
    const made = await cms.create(cm('precond', {}, { set: 'del' }));
    const wrong = await rejection(cms.delete('precond', { preconditions: { uid: 'not-it' } }));
    expect(wrong.code).toBe(409);
    await cms.delete('precond', { preconditions: { uid: made.metadata.uid } });
    await cms.create(cm('del-1', {}, { set: 'del' }));
    await cms.create(cm('del-2', {}, { set: 'del' }));
    await cms.deleteCollection({ labelSelector: 'set=del' });
    expect((await cms.list({ labelSelector: 'set=del' })).items).toEqual([]);
  });

  it('watches from a resourceVersion: every change in order, bookmarks when asked', async () => {
    const cms = client.configMaps(ns);
    const start = await cms.list({ limit: 1 });
    const seen = collector<ConfigMap>();
    const watch = await cms.watch(
      { resourceVersion: start.metadata.resourceVersion, allowWatchBookmarks: true },
      seen.on,
    );
    const a = await cms.create(cm('w1', { v: '1' }));
    await cms.update({ ...a, data: { v: '2' } });
    await cms.delete('w1');
    await seen.until((ev) => ev.some((e) => e.type === 'DELETED'));
    const changes = seen.events.filter((e) => e.type !== 'BOOKMARK');
    expect(changes.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.data?.v}`)).toEqual([
      'ADDED w1 1',
      'MODIFIED w1 2',
      'DELETED w1 2',
    ]);
    // A bookmark tells of progress past the last event: a write elsewhere in the store.
    const elsewhere = await client.configMaps('default').create(cm(`progress-${mode}`));
    const past = Number(elsewhere.metadata.resourceVersion);
    await seen.until((ev) =>
      ev.some((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= past),
    );
    watch.stop();
    await expect(watch.done).resolves.toBeUndefined();
  });

  it('delivers a compacted resourceVersion as an ERROR 410 event; the resumable watch rejects with it', async () => {
    const cms = client.configMaps(ns);
    const old = await cms.create(cm('old'));
    await cms.create(cm('newer'));
    const now = await cms.create(cm('newest'));
    await api.compact(Number(now.metadata.resourceVersion));
    const seen = collector<KubeObject>();
    const watch = await cms.watch({ resourceVersion: old.metadata.resourceVersion }, seen.on);
    await seen.until((ev) => ev.length > 0);
    expect(seen.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410 } });
    await watch.done;
    const resumable = cms.watchResumable({ resourceVersion: old.metadata.resourceVersion }, () => {
      throw new Error('no event expected');
    });
    const err = await rejection(resumable.done);
    expect(err.code).toBe(410);
  });

  it('a resumable watch with no resourceVersion starts from now and sees later changes', async () => {
    const cms = client.configMaps(ns);
    const seen = collector<ConfigMap>();
    const w = cms.watchResumable({ labelSelector: 'set=resume' }, seen.on);
    // Created before the watch has certainly started: still delivered, from the listed version.
    await cms.create(cm('r1', {}, { set: 'resume' }));
    await seen.until((ev) => ev.some((e) => e.object.metadata.name === 'r1'));
    w.stop();
    await w.done;
    expect(seen.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED r1']);
  });

  it('an onEvent that throws ends the watch with that error', async () => {
    const cms = client.configMaps(ns);
    const start = await cms.list({ limit: 1 });
    const watch = await cms.watch({ resourceVersion: start.metadata.resourceVersion }, () => {
      throw new Error('handler broke');
    });
    await cms.create(cm('boom'));
    await expect(watch.done).rejects.toThrow('handler broke');
  });

  it('refuses a watch the server rejects with an ApiError, before any stream', async () => {
    const bad = await rejection(
      client.configMaps(ns).watch({ labelSelector: 'a in (' }, () => undefined),
    );
    expect(bad.code).toBe(400);
  });

  it('speaks protobuf for the kinds the server has schemas for, with the same answers', async () => {
    const inner: Transport =
      mode === 'http'
        ? connect([http!.url], { rateLimit: false }).transport
        : inProcessTransport(api.server);
    const wire: string[] = [];
    const recording: Transport = {
      describe: () => inner.describe(),
      close: () => inner.close(),
      stream: (req, onData) => inner.stream(req, onData),
      async request(req) {
        const res = await inner.request(req);
        const type = (t: string | undefined) => (t?.includes('protobuf') ? 'pb' : 'json');
        wire.push(
          `${req.method} ${type(req.headers?.['content-type'])}>${type(res.headers['content-type'])}`,
        );
        return res;
      },
    };
    const pb = new KubeClient({
      transport: recording,
      component: 'test',
      rateLimit: false,
      protobuf: true,
    });
    try {
      const pods = pb.pods(ns);
      const made = await pods.create(pod('pb'));
      expect(made.spec!.containers[0].image).toBe('registry.local/app:1');
      const read = await pods.get('pb');
      expect(read.metadata.uid).toBe(made.metadata.uid);
      const listed = await pods.list({ labelSelector: 'app=suite' });
      expect(listed.items.map((p) => p.metadata.name)).toContain('pb');
      expect(wire).toEqual(['POST pb>pb', 'GET json>pb', 'GET json>pb']);
      const viaJson = await client.pods(ns).get('pb');
      expect(read.metadata).toEqual(viaJson.metadata);
      expect(read.spec!.containers[0]).toMatchObject({ name: 'c', image: 'registry.local/app:1' });
      expect(read.spec!.restartPolicy).toBe(viaJson.spec!.restartPolicy);
      // CustomResourceDefinitions have no protobuf schema (as on Kubernetes): JSON, transparently.
      wire.length = 0;
      const group = `${ns}.example.com`;
      const crd = await pb.forResource('customresourcedefinitions', 'apiextensions.k8s.io').create({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${group}`, labels: { kept: 'yes' } },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          ],
        },
      });
      expect(crd.metadata.labels).toEqual({ kept: 'yes' });
      expect(wire).toEqual(['POST json>json']);
      // Endpoints, EndpointSlices, Nodes and Events have their schemas: protobuf both ways.
      wire.length = 0;
      const endpoints = await pb.forResource('endpoints', '', ns).create({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'l', labels: { kept: 'yes' } },
        subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
      });
      expect(endpoints.subsets).toEqual([
        { addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] },
      ]);
      expect(wire).toEqual(['POST pb>pb']);
      const missing = await rejection(pods.get('none'));
      expect(missing.code).toBe(404);
      expect(missing.message).toBe('pods "none" not found');
    } finally {
      pb.close();
    }
  });

  it('reads discovery and /version', async () => {
    const version = await client.getJson<{ gitVersion: string }>('/version');
    expect(version.gitVersion).toMatch(/^v1\./);
    const resources = await client.getJson<{ resources: { name: string }[] }>('/apis/apps/v1');
    expect(resources.resources.map((r) => r.name)).toContain('deployments');
  });
});
