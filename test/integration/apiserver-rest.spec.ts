import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { memorySink } from '@flotilla/observability';
import type { StartedProcess } from '@flotilla/process/nest';
import type { ReplicatedStore } from '@flotilla/replicated-store';
import { startControlPlane } from '../../apps/control-plane/src/start-control-plane';
import { REPLICATED_STORE } from '../../apps/control-plane/src/replication/replication.tokens';
import { freePortBlock } from './support/ports';
import { KubeHttp } from './support/kube-http';
import { getText, waitFor } from './support/wait';

const NS = '/api/v1/namespaces';
const cm = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data: { k: 'v' },
});
const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});
const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    },
  },
});

describe('Kubernetes REST API on one master, booted in-process', () => {
  let dataRoot: string;
  let master: StartedProcess;
  let api: KubeHttp;

  beforeAll(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'flotilla-apiserver-'));
    const base = await freePortBlock([0, 1]);
    master = await startControlPlane(
      {
        name: 'm1',
        dataDir: join(dataRoot, 'm1'),
        listenHost: '127.0.0.1',
        advertiseHost: '127.0.0.1',
        apiPort: 0,
        etcdPort: base,
        peerPort: base + 1,
        peers: [{ name: 'm1', host: '127.0.0.1', port: base + 1 }],
        clusterToken: 'test',
        logLevel: 'warn',
        tickMs: 50,
        electionTicks: 10,
        snapshotEvery: 10000,
        initialClusterState: 'new',
        // Pods here never get nodes: the master's scheduler would write their status.
        disableScheduler: true,
      },
      { logSink: memorySink() },
    );
    api = new KubeHttp(`http://127.0.0.1:${master.port}`);
    await waitFor('bootstrap namespaces', async () => {
      const r = await api.get(`${NS}/kube-node-lease`);
      return r.status === 200 ? true : undefined;
    });
    expect((await api.post(NS, { metadata: { name: 't' } })).status).toBe(201);
  });

  afterAll(async () => {
    await master?.app.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  describe('discovery', () => {
    it('serves /version, /api, /apis and resource lists with subresources', async () => {
      expect((await api.get('/version')).body).toMatchObject({
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-flotilla',
        // Run from source: the checkout's own commit, not a placeholder.
        gitCommit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
        gitTreeState: expect.stringMatching(/^(clean|dirty)$/),
        buildDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      });
      expect((await api.get('/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
      const groups = (await api.get('/apis')).body.groups.map((g: { name: string }) => g.name);
      expect(groups).toEqual(
        expect.arrayContaining(['apps', 'coordination.k8s.io', 'discovery.k8s.io']),
      );
      const apps = (await api.get('/apis/apps/v1')).body;
      expect(apps.resources).toContainEqual(
        expect.objectContaining({
          name: 'deployments/scale',
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
        }),
      );
      const core = (await api.get('/api/v1')).body;
      expect(core.resources).toContainEqual(
        expect.objectContaining({ name: 'pods', shortNames: ['po'], namespaced: true }),
      );
      expect(core.resources).toContainEqual(
        expect.objectContaining({ name: 'pods/binding', kind: 'Binding' }),
      );
      expect((await api.get('/openapi/v2')).status).toBe(404);
      expect((await api.get('/apis/nope/v1')).status).toBe(404);
    });

    it('answers aggregated-discovery requests with an APIGroupDiscoveryList, others with legacy JSON', async () => {
      const r = await api.get('/api', {
        accept:
          'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      });
      expect(r.headers.get('content-type')).toBe(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      );
      expect(r.body).toMatchObject({
        kind: 'APIGroupDiscoveryList',
        apiVersion: 'apidiscovery.k8s.io/v2',
      });
      const etag = r.headers.get('etag')!;
      const again = await api.get('/api', {
        accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
        'if-none-match': etag,
      });
      expect(again.status).toBe(304);
      const legacy = await api.get('/api', { accept: 'application/json' });
      expect(legacy.headers.get('content-type')).toBe('application/json');
      expect(legacy.body.kind).toBe('APIVersions');
    });
  });

  describe('CRUD', () => {
    it.each([
      ['configmaps', `${NS}/t/configmaps`, cm('crud-cm')],
      [
        'secrets',
        `${NS}/t/secrets`,
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { a: 'Yg==' } },
      ],
      ['serviceaccounts', `${NS}/t/serviceaccounts`, { metadata: { name: 'sa1' } }],
      ['endpoints', `${NS}/t/endpoints`, { metadata: { name: 'ep1' }, subsets: [] }],
      [
        'events',
        `${NS}/t/events`,
        {
          metadata: { name: 'ev1' },
          involvedObject: { kind: 'Pod', name: 'x', namespace: 't' },
          reason: 'R',
          message: 'm',
        },
      ],
      ['pods', `${NS}/t/pods`, pod('crud-pod')],
      [
        'services',
        `${NS}/t/services`,
        { metadata: { name: 'svc1' }, spec: { ports: [{ port: 80 }] } },
      ],
      ['deployments', '/apis/apps/v1/namespaces/t/deployments', deployment('crud-dep')],
      [
        'replicasets',
        '/apis/apps/v1/namespaces/t/replicasets',
        { ...deployment('crud-rs'), kind: 'ReplicaSet' },
      ],
      [
        'leases',
        '/apis/coordination.k8s.io/v1/namespaces/t/leases',
        { metadata: { name: 'l1' }, spec: { holderIdentity: 'me' } },
      ],
      [
        'endpointslices',
        '/apis/discovery.k8s.io/v1/namespaces/t/endpointslices',
        { metadata: { name: 'es1' }, addressType: 'IPv4', endpoints: [] },
      ],
      ['nodes', '/api/v1/nodes', { metadata: { name: 'node-crud' } }],
    ])('%s: create, get, list, update, delete', async (_plural, collection, body) => {
      const created = await api.post(collection, body);
      expect(created.status).toBe(201);
      const name = created.body.metadata.name;
      expect(created.body.metadata).toMatchObject({
        uid: expect.any(String),
        resourceVersion: expect.stringMatching(/^\d+$/),
      });
      const got = await api.get(`${collection}/${name}`);
      expect(got.status).toBe(200);
      expect(got.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
      const list = await api.get(collection);
      expect(list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain(
        name,
      );
      const updated = await api.put(`${collection}/${name}`, {
        ...got.body,
        metadata: { ...got.body.metadata, labels: { updated: 'yes' } },
      });
      expect(updated.status).toBe(200);
      expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(
        Number(got.body.metadata.resourceVersion),
      );
      expect((await api.del(`${collection}/${name}`)).status).toBe(200);
      expect((await api.get(`${collection}/${name}`)).status).toBe(404);
    });

    it('answers 409 AlreadyExists, 409 Conflict on a stale resourceVersion, and updates unconditionally without one', async () => {
      const c = `${NS}/t/configmaps`;
      const first = (await api.post(c, cm('conf'))).body;
      const dup = await api.post(c, cm('conf'));
      expect(dup.status).toBe(409);
      expect(dup.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
      const next = (await api.put(`${c}/conf`, { ...first, data: { k: '2' } })).body;
      const stale = await api.put(`${c}/conf`, { ...first, data: { k: '3' } });
      expect(stale.status).toBe(409);
      expect(stale.body.reason).toBe('Conflict');
      const blind = await api.put(`${c}/conf`, { ...cm('conf'), data: { k: '4' } });
      expect(blind.status).toBe(200);
      expect(Number(blind.body.metadata.resourceVersion)).toBeGreaterThan(
        Number(next.metadata.resourceVersion),
      );
    });

    it('fills generateName and enforces namespace lifecycle', async () => {
      const gen = await api.post(`${NS}/t/configmaps`, {
        metadata: { generateName: 'gen-' },
        data: {},
      });
      expect(gen.status).toBe(201);
      expect(gen.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
      const missing = await api.post(`${NS}/nowhere/configmaps`, cm('x'));
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('namespaces "nowhere" not found');
      await api.post(NS, { metadata: { name: 'doomed' } });
      const del = await api.del(`${NS}/doomed`);
      expect(del.body.status.phase).toBe('Terminating');
      const refused = await api.post(`${NS}/doomed/configmaps`, cm('x'));
      expect(refused.status).toBe(403);
      expect((await api.del(`${NS}/default`)).status).toBe(403);
    });

    it('supports dryRun=All without persisting', async () => {
      const r = await api.post(`${NS}/t/configmaps?dryRun=All`, cm('dry'));
      expect(r.status).toBe(201);
      expect((await api.get(`${NS}/t/configmaps/dry`)).status).toBe(404);
    });
  });

  describe('lists', () => {
    beforeAll(async () => {
      for (let i = 0; i < 7; i++) {
        await api.post(
          `${NS}/t/pods`,
          pod(`lp-${i}`, { app: i % 2 === 0 ? 'even' : 'odd', idx: String(i) }),
        );
      }
    });

    it('filters with label and field selectors, across namespaces too', async () => {
      const even = await api.get(
        `${NS}/t/pods?labelSelector=${encodeURIComponent('app=even,idx in (0,2,9)')}`,
      );
      expect(even.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
        'lp-0',
        'lp-2',
      ]);
      const notOdd = await api.get(
        `/api/v1/pods?labelSelector=${encodeURIComponent('app,app!=odd')}`,
      );
      expect(notOdd.body.items).toHaveLength(4);
      const byName = await api.get(`${NS}/t/pods?fieldSelector=metadata.name%3Dlp-3`);
      expect(byName.body.items).toHaveLength(1);
      const unbound = await api.get(`/api/v1/pods?fieldSelector=spec.nodeName%3D`);
      expect(unbound.body.items.length).toBeGreaterThanOrEqual(7);
      expect((await api.get(`${NS}/t/pods?fieldSelector=spec.bogus%3Dx`)).status).toBe(400);
    });

    it('pages with limit and continue at one revision', async () => {
      const names: string[] = [];
      let cont = '';
      let rv = '';
      for (let i = 0; i < 10; i++) {
        const page = await api.get(
          `${NS}/t/pods?labelSelector=app&limit=3${cont ? `&continue=${cont}` : ''}`,
        );
        expect(page.status).toBe(200);
        names.push(...page.body.items.map((p: { metadata: { name: string } }) => p.metadata.name));
        rv ||= page.body.metadata.resourceVersion;
        expect(page.body.metadata.resourceVersion).toBe(rv);
        cont = page.body.metadata.continue ?? '';
        if (!cont) break;
      }
      expect(names).toEqual(['lp-0', 'lp-1', 'lp-2', 'lp-3', 'lp-4', 'lp-5', 'lp-6']);
      expect((await api.get(`${NS}/t/pods?continue=garbage`)).status).toBe(400);
    });

    it('honours resourceVersion semantics: 0, exact, future, compacted', async () => {
      const before = (await api.get(`${NS}/t/configmaps`)).body;
      await api.post(`${NS}/t/configmaps`, cm('after-snapshot'));
      const any = await api.get(`${NS}/t/configmaps?resourceVersion=0`);
      expect(any.status).toBe(200);
      const exact = await api.get(
        `${NS}/t/configmaps?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`,
      );
      expect(
        exact.body.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ).not.toContain('after-snapshot');
      const future = await api.get(
        `${NS}/t/configmaps?resourceVersion=999999999&resourceVersionMatch=Exact`,
      );
      expect(future.status).toBe(504);
      const store = master.app.get<ReplicatedStore>(REPLICATED_STORE);
      await api.post(`${NS}/t/configmaps`, cm('after-snapshot-2'));
      await store.compact({ revision: store.revision() });
      const gone = await api.get(
        `${NS}/t/configmaps?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`,
      );
      expect(gone.status).toBe(410);
      expect(gone.body.reason).toBe('Expired');
      const watch = await api.watch(
        `${NS}/t/configmaps?watch=true&resourceVersion=${before.metadata.resourceVersion}`,
        1,
        5000,
      );
      expect(watch[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    });
  });

  describe('watch', () => {
    it('sends the current state, then changes; resumes from a resourceVersion', async () => {
      const c = `${NS}/t/configmaps`;
      await api.post(c, cm('w-a', { labels: { w: 'x' } }));
      const initial = api.watch(`${c}?watch=true&labelSelector=w`, 3);
      await new Promise((r) => setTimeout(r, 300));
      const b = (await api.post(c, cm('w-b', { labels: { w: 'x' } }))).body;
      await api.put(`${c}/w-b`, { ...b, metadata: { ...b.metadata, labels: {} } });
      const events = await initial;
      expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
        'ADDED w-a',
        'ADDED w-b',
        'DELETED w-b',
      ]);
      const resumed = await api.watch(
        `${c}?watch=1&resourceVersion=${b.metadata.resourceVersion}`,
        1,
        5000,
      );
      expect(resumed[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'w-b' } } });
    });

    it('serves the legacy /watch/ path and ends at timeoutSeconds', async () => {
      const started = Date.now();
      const events = await api.watch(
        `/api/v1/watch/namespaces/t/configmaps?resourceVersion=0&timeoutSeconds=1`,
        1000,
        10_000,
      );
      expect(events.length).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(9000);
    });

    it('delivers the same events over WebSocket', async () => {
      const ws = new WebSocket(
        `ws://127.0.0.1:${master.port}${NS}/t/configmaps?watch=true&fieldSelector=metadata.name%3Dws-1`,
      );
      const got: { type: string; object: { metadata: { name: string } } }[] = [];
      const done = new Promise<void>((resolve, reject) => {
        ws.on('message', (data) => {
          got.push(JSON.parse(String(data)));
          resolve();
        });
        ws.on('error', reject);
      });
      await new Promise((r) => ws.once('open', r));
      await api.post(`${NS}/t/configmaps`, cm('ws-1'));
      await done;
      ws.close();
      expect(got[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'ws-1' } } });
    });
  });

  describe('subresources and deletion', () => {
    it('keeps status apart from spec and bumps generation on spec changes only', async () => {
      const d = `/apis/apps/v1/namespaces/t/deployments`;
      const created = (await api.post(d, deployment('gen'))).body;
      expect(created.metadata.generation).toBe(1);
      const status = await api.put(`${d}/gen/status`, {
        ...created,
        status: { replicas: 5 },
        spec: { ...created.spec, replicas: 9 },
      });
      expect(status.status).toBe(200);
      expect(status.body.spec.replicas).toBe(1);
      expect(status.body.status.replicas).toBe(5);
      expect(status.body.metadata.generation).toBe(1);
      const scale = await api.get(`${d}/gen/scale`);
      expect(scale.body).toMatchObject({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        spec: { replicas: 1 },
        status: { replicas: 5, selector: 'app=gen' },
      });
      const scaled = await api.put(`${d}/gen/scale`, { ...scale.body, spec: { replicas: 4 } });
      expect(scaled.body.spec.replicas).toBe(4);
      const after = (await api.get(`${d}/gen`)).body;
      expect(after.spec.replicas).toBe(4);
      expect(after.metadata.generation).toBe(2);
      const { resourceVersion: _rv, ...meta } = scale.body.metadata;
      const negative = { ...scale.body, metadata: meta, spec: { replicas: -1 } };
      expect((await api.put(`${d}/gen/scale`, negative)).status).toBe(422);
    });

    it('binds a pod once and deletes a bound pod gracefully', async () => {
      const p = `${NS}/t/pods`;
      await api.post(p, pod('bind-me'));
      const bind = {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'bind-me' },
        target: { kind: 'Node', name: 'n1' },
      };
      expect((await api.post(`${p}/bind-me/binding`, bind)).status).toBe(201);
      expect((await api.get(`${p}/bind-me`)).body.spec.nodeName).toBe('n1');
      expect((await api.post(`${p}/bind-me/binding`, bind)).status).toBe(409);
      const graceful = await api.del(`${p}/bind-me`);
      expect(graceful.body.metadata).toMatchObject({
        deletionTimestamp: expect.any(String),
        deletionGracePeriodSeconds: 30,
      });
      expect((await api.get(`${p}/bind-me`)).status).toBe(200);
      expect((await api.del(`${p}/bind-me`, { gracePeriodSeconds: 0 })).status).toBe(200);
      expect((await api.get(`${p}/bind-me`)).status).toBe(404);
    });

    it('keeps an object with finalizers until they are removed', async () => {
      const c = `${NS}/t/configmaps`;
      await api.post(c, cm('fin', { finalizers: ['example.com/hold'] }));
      const marked = (await api.del(`${c}/fin`)).body;
      expect(marked.metadata.deletionTimestamp).toBeDefined();
      expect(
        (await api.put(`${c}/fin`, { ...marked, metadata: { ...marked.metadata, finalizers: [] } }))
          .status,
      ).toBe(200);
      expect((await api.get(`${c}/fin`)).status).toBe(404);
    });

    it('checks delete preconditions and deletes collections', async () => {
      const c = `${NS}/t/configmaps`;
      await api.post(c, cm('pre'));
      const wrong = await api.del(`${c}/pre`, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        preconditions: { uid: 'nope' },
      });
      expect(wrong.status).toBe(409);
      await api.post(c, cm('coll-1', { labels: { coll: 'y' } }));
      await api.post(c, cm('coll-2', { labels: { coll: 'y' } }));
      expect((await api.del(`${c}?labelSelector=coll`)).status).toBe(200);
      expect((await api.get(`${c}?labelSelector=coll`)).body.items).toHaveLength(0);
    });

    it('allocates cluster IPs and node ports without conflicts and frees them on delete', async () => {
      const s = `${NS}/t/services`;
      const a = await api.post(s, {
        metadata: { name: 'np-a' },
        spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] },
      });
      expect(a.status).toBe(201);
      expect(a.body.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
      const b = await api.post(s, {
        metadata: { name: 'np-b' },
        spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] },
      });
      expect(b.status).toBe(422);
      expect(b.body.message).toContain('provided port is already allocated');
      const ip = await api.post(s, {
        metadata: { name: 'ip-b' },
        spec: { clusterIP: a.body.spec.clusterIP, ports: [{ port: 80 }] },
      });
      expect(ip.status).toBe(422);
      expect(
        (
          await api.post(s, {
            metadata: { name: 'ip-c' },
            spec: { clusterIP: '192.168.0.1', ports: [{ port: 80 }] },
          })
        ).status,
      ).toBe(422);
      await api.del(`${s}/np-a`);
      expect(
        (
          await api.post(s, {
            metadata: { name: 'np-b' },
            spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] },
          })
        ).status,
      ).toBe(201);
    });
  });

  describe('patch', () => {
    it('applies JSON patch, merge patch and strategic merge patch; 415 for others', async () => {
      const d = `/apis/apps/v1/namespaces/t/deployments`;
      await api.post(d, deployment('pt'));
      const json = await api.patch(`${d}/pt`, 'application/json-patch+json', [
        { op: 'test', path: '/spec/replicas', value: 1 },
        { op: 'replace', path: '/spec/replicas', value: 2 },
      ]);
      expect(json.status).toBe(200);
      expect(json.body.spec.replicas).toBe(2);
      const merge = await api.patch(`${d}/pt`, 'application/merge-patch+json', {
        metadata: { labels: { a: 'b' } },
      });
      expect(merge.body.metadata.labels).toEqual({ a: 'b' });
      const smp = await api.patch(`${d}/pt`, 'application/strategic-merge-patch+json', {
        spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox' }] } } },
      });
      expect(
        smp.body.spec.template.spec.containers.map((c: { name: string }) => c.name).sort(),
      ).toEqual(['c', 'side']);
      expect(smp.body.metadata.generation).toBe(3);
      const failedTest = await api.patch(`${d}/pt`, 'application/json-patch+json', [
        { op: 'test', path: '/spec/replicas', value: 7 },
      ]);
      expect(failedTest.status).toBeGreaterThanOrEqual(400);
      const bad = await api.patch(`${d}/pt`, 'text/plain', { a: 1 });
      expect(bad.status).toBe(415);
      const scale = await api.patch(`${d}/pt/scale`, 'application/merge-patch+json', {
        spec: { replicas: 5 },
      });
      expect(scale.body).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
      expect((await api.patch(`${d}/missing`, 'application/merge-patch+json', {})).status).toBe(
        404,
      );
    });
  });

  describe('bad input', () => {
    it.each([
      ['malformed JSON', () => api.post(`${NS}/t/configmaps`, '{"metadata": '), 400],
      [
        'a wrong apiVersion',
        () => api.post(`${NS}/t/configmaps`, { ...cm('x'), apiVersion: 'apps/v1' }),
        400,
      ],
      ['a wrong kind', () => api.post(`${NS}/t/configmaps`, { ...cm('x'), kind: 'Secret' }), 400],
      ['an unknown resource', () => api.get('/api/v1/namespaces/t/widgets'), 404],
      ['an invalid name', () => api.post(`${NS}/t/configmaps`, cm('Not_Valid')), 422],
      [
        'a body namespace that differs from the URL',
        () => api.post(`${NS}/t/configmaps`, cm('x', { namespace: 'other' })),
        400,
      ],
      [
        'a resourceVersion from the future',
        () => api.get(`${NS}/t/configmaps?resourceVersion=99999999`),
        504,
      ],
      [
        'an unsupported content type',
        () => api.req('POST', `${NS}/t/configmaps`, 'a: b', { 'content-type': 'text/plain' }),
        415,
      ],
      [
        'a body over 3 MiB',
        () =>
          api.post(`${NS}/t/configmaps`, {
            ...cm('big'),
            data: { k: 'x'.repeat(3 * 1024 * 1024 + 10) },
          }),
        413,
      ],
    ])('%s', async (_what, call, code) => {
      const r = await call();
      expect(r.status).toBe(code);
      expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', code });
      expect((await api.get(`${NS}/t`)).status).toBe(200);
    });

    it('rejects unknown fields with fieldValidation=Strict and warns with Warn', async () => {
      const body = { ...cm('fv'), bogus: 1 };
      const strict = await api.post(`${NS}/t/configmaps?fieldValidation=Strict`, body);
      expect(strict.status).toBe(400);
      expect(strict.body.message).toContain('unknown field "bogus"');
      const warn = await api.post(`${NS}/t/configmaps?fieldValidation=Warn`, body);
      expect(warn.status).toBe(201);
      expect(warn.headers.get('warning')).toContain('unknown field');
    });
  });

  it('counts requests and watches in /metrics', async () => {
    const metrics = (await getText(`http://127.0.0.1:${master.port}/metrics`)).body;
    expect(metrics).toMatch(
      /apiserver_request_total\{verb="CREATE",resource="configmaps",code="201"\} \d+/,
    );
    expect(metrics).toContain('apiserver_request_duration_seconds_bucket');
    expect(metrics).toContain('apiserver_registered_watchers');
  });
});
