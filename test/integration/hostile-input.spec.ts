// The bad input of issue 17 over real HTTP to a master booted in this process (so this test can
// look at the process's own Object.prototype): each request gets a Kubernetes Status, nothing is
// polluted, and the master keeps serving reads and writes through Raft afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeKubernetesProtobuf } from '@flotilla/api';
import { memorySink } from '@flotilla/observability';
import type { StartedProcess } from '@flotilla/process/nest';
import { startControlPlane } from '../../apps/control-plane/src/start-control-plane';
import { freePortBlock } from './support/ports';
import { KubeHttp } from './support/kube-http';
import { waitFor } from './support/wait';

const CMS = '/api/v1/namespaces/default/configmaps';

describe('hostile input over HTTP to one master', () => {
  let dataRoot: string;
  let master: StartedProcess;
  let api: KubeHttp;
  let served = 0;

  beforeAll(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'flotilla-hostile-'));
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
      },
      { logSink: memorySink() },
    );
    api = new KubeHttp(`http://127.0.0.1:${master.port}`);
    await waitFor('the default namespace', async () =>
      (await api.get('/api/v1/namespaces/default')).status === 200 ? true : undefined,
    );
    expect((await api.post(CMS, { metadata: { name: 'x' }, data: { k: 'v' } })).status).toBe(201);
  });

  afterAll(async () => {
    await master?.app.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  afterEach(async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    // A write goes through Raft and the store; a read and a list come back.
    const name = `alive-${++served}`;
    expect((await api.post(CMS, { metadata: { name } })).status).toBe(201);
    expect((await api.get(`${CMS}/${name}`)).status).toBe(200);
    expect((await api.get('/api/v1/namespaces')).status).toBe(200);
  });

  it('the JSON patch of issue 17 (/__proto__/polluted): 422, the master stays up', async () => {
    const r = await api.patch(`${CMS}/x`, 'application/json-patch+json', [
      { op: 'add', path: '/__proto__/polluted', value: 'yes' },
    ]);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Invalid' });
  });

  it.each([
    ['application/merge-patch+json', '{"__proto__":{"polluted":"yes"}}'],
    ['application/strategic-merge-patch+json', '{"__proto__":{"polluted":"yes"}}'],
    [
      'application/apply-patch+yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n__proto__: {polluted: "yes"}\n',
    ],
  ])('%s with "__proto__": answered, the member kept as data', async (type, body) => {
    const query = type.includes('apply') ? '?fieldManager=hostile&force=true' : '';
    const r = await api.req('PATCH', `${CMS}/x${query}`, body, { 'content-type': type });
    expect(r.status).toBe(200);
    expect(r.body.__proto__).toEqual({ polluted: 'yes' });
  });

  it('a protobuf create with data key "__proto__"', async () => {
    const body = encodeKubernetesProtobuf({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'pb' },
      data: JSON.parse('{"__proto__":"v"}'),
    });
    const r = await api.req('POST', CMS, Buffer.from(body), {
      'content-type': 'application/vnd.kubernetes.protobuf',
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body.data)).toEqual(['__proto__']);
  });

  it.each([
    [
      '200 000 nested arrays in a ConfigMap',
      `{"metadata":{"name":"d1"},"data":{"k":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`,
    ],
    [
      '100 000 nested objects under labels',
      `{"metadata":{"name":"d2","labels":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`,
    ],
  ])('%s: 400 with the nesting limit, not 500', async (_what, body) => {
    const r = await api.req('POST', CMS, body);
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('exceeded max depth');
  });

  it('fieldSelector=spec.nodeName=== is a 400', async () => {
    const r = await api.get(`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName===')}`);
    expect(r.status).toBe(400);
  });

  it('a label selector of 1000 values in a set answers', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => `v${i}`).join(',');
    const r = await api.get(`${CMS}?labelSelector=${encodeURIComponent(`k in (${values})`)}`);
    expect(r.status).toBe(200);
  });

  it('a label selector of 50 000 values in a set answers (request heads up to 1 MiB, as Kubernetes)', async () => {
    const values = Array.from({ length: 50_000 }, (_, i) => `v${i}`).join(',');
    const r = await api.get(`${CMS}?labelSelector=${encodeURIComponent(`k in (${values})`)}`);
    expect(r.status).toBe(200);
  });
});
