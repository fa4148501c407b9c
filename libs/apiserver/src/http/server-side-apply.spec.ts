// Server-side apply and managedFields through the REST handler, over one local store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../api-server';
import { LocalBackend } from '../storage/local-backend';

// Response bodies are JSON the handler produced; tests read them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const APPLY = 'application/apply-patch+yaml';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const CMS = '/api/v1/namespaces/default/configmaps';

describe('server-side apply through the API handler', () => {
  let dir: string;
  let kv: LocalBackend;
  let server: ApiServer;
  let now = new Date('2025-03-01T10:00:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-ssa-'));
    kv = await LocalBackend.open(dir);
    server = new ApiServer(kv, { watchWindow: 100, clock: () => now });
    await server.bootstrap();
  });
  afterAll(async () => {
    server.stop();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Json }> => {
    const [path, query = ''] = pathAndQuery.split('?');
    const out = await server.handler.handle({
      method,
      path,
      query: new URLSearchParams(query),
      headers: {
        'user-agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/abc',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body:
        body === undefined
          ? undefined
          : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    });
    if (out.kind !== 'json') throw new Error('unexpected watch');
    return { status: out.status, body: out.body as Json };
  };
  const apply = (path: string, body: unknown, query = 'fieldManager=kubectl') =>
    call('PATCH', `${path}?${query}`, body, { 'content-type': APPLY });
  const managers = (o: Json) =>
    (o.metadata.managedFields ?? []).map(
      (e: Json) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`,
    );

  const deployYaml = (replicas: number, ports: number[]) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [${ports.map((p) => `{containerPort: ${p}}`).join(', ')}]
`;

  it('creates from YAML (201), defaulted, with one Apply entry for the manager', async () => {
    const r = await apply(`${DEPLOYS}/web`, deployYaml(2, [80, 443]));
    expect(r.status).toBe(201);
    expect(r.body.spec.template.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'Always',
      ports: [
        { containerPort: 80, protocol: 'TCP' },
        { containerPort: 443, protocol: 'TCP' },
      ],
    });
    expect(r.body.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2025-03-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"web"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': {
                      'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
                      'k:{"containerPort":443,"protocol":"TCP"}': {
                        '.': {},
                        'f:containerPort': {},
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ]);
  });

  it('re-applying the same configuration writes nothing', async () => {
    const before = await call('GET', `${DEPLOYS}/web`);
    now = new Date('2025-03-01T10:05:00Z');
    const again = await apply(`${DEPLOYS}/web`, deployYaml(2, [80, 443]));
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
    expect(again.body.metadata.managedFields[0].time).toBe('2025-03-01T10:00:00Z');
  });

  it('records a scale through the subresource; re-applying the old replicas conflicts (409)', async () => {
    const scaled = await call(
      'PATCH',
      `${DEPLOYS}/web/scale`,
      { spec: { replicas: 5 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(scaled.status).toBe(200);
    const got = await call('GET', `${DEPLOYS}/web`);
    expect(managers(got.body)).toEqual(['kubectl/Apply', 'kubectl/Update/scale']);
    const conflict = await apply(`${DEPLOYS}/web`, deployYaml(2, [80, 443]));
    expect(conflict).toEqual({
      status: 409,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
        reason: 'Conflict',
        details: {
          causes: [
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "kubectl" with subresource "scale" using apps/v1',
              field: '.spec.replicas',
            },
          ],
        },
        code: 409,
      },
    });
    // Applying the value the object has shares the field instead.
    const shared = await apply(`${DEPLOYS}/web`, deployYaml(5, [80, 443]));
    expect(shared.status).toBe(200);
    expect(managers(shared.body)).toEqual(['kubectl/Apply', 'kubectl/Update/scale']);
  });

  it('force=true takes the field over', async () => {
    const forced = await apply(
      `${DEPLOYS}/web`,
      deployYaml(2, [80, 443]),
      'fieldManager=kubectl&force=true',
    );
    expect(forced.status).toBe(200);
    expect(forced.body.spec.replicas).toBe(2);
    expect(managers(forced.body)).toEqual(['kubectl/Apply']);
  });

  it('removes a port the manager no longer applies', async () => {
    const r = await apply(`${DEPLOYS}/web`, deployYaml(2, [80]));
    expect(r.status).toBe(200);
    expect(r.body.spec.template.spec.containers[0].ports).toEqual([
      { containerPort: 80, protocol: 'TCP' },
    ]);
  });

  it('takes a resourceVersion in the configuration as a precondition', async () => {
    const current = await call('GET', `${DEPLOYS}/web`);
    const rv = current.body.metadata.resourceVersion;
    const stale = await apply(
      `${DEPLOYS}/web`,
      deployYaml(2, [80]).replace(
        'name: web\n',
        `name: web\n  resourceVersion: "${Number(rv) - 1}"\n`,
      ),
    );
    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain('the object has been modified');
    const fresh = await apply(
      `${DEPLOYS}/web`,
      deployYaml(2, [80]).replace('name: web\n', `name: web\n  resourceVersion: "${rv}"\n`),
    );
    expect(fresh.status).toBe(200);
  });

  it('dryRun=All answers the result and stores nothing', async () => {
    const before = await call('GET', `${DEPLOYS}/web`);
    const dry = await apply(
      `${DEPLOYS}/web`,
      deployYaml(9, [80, 8080]),
      'fieldManager=kubectl&dryRun=All',
    );
    expect(dry.status).toBe(200);
    expect(dry.body.spec.replicas).toBe(9);
    const after = await call('GET', `${DEPLOYS}/web`);
    expect(after.body).toEqual(before.body);
    const dryCreate = await apply(
      `${DEPLOYS}/ghost`,
      deployYaml(1, [80]).replace('name: web\n', 'name: ghost\n'),
      'fieldManager=x&dryRun=All',
    );
    expect(dryCreate.status).toBe(201);
    expect((await call('GET', `${DEPLOYS}/ghost`)).status).toBe(404);
  });

  it('applies cluster-scoped objects and Services (ports by port and protocol, the ClusterIP kept)', async () => {
    const ns = await apply(
      '/api/v1/namespaces/team',
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {a: b}}',
    );
    expect(ns.status).toBe(201);
    expect(managers(ns.body)).toEqual(['kubectl/Apply']);
    const svc = (ports: string) =>
      `apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: web}\n  ports: [${ports}]`;
    const first = await apply(
      `/api/v1/namespaces/team/services/s`,
      svc('{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}'),
    );
    expect(first.status).toBe(201);
    const ip = first.body.spec.clusterIP;
    expect(ip).toMatch(/^10\./);
    expect(Object.keys(first.body.metadata.managedFields[0].fieldsV1['f:spec']['f:ports'])).toEqual(
      ['k:{"port":53,"protocol":"UDP"}', 'k:{"port":80,"protocol":"TCP"}'],
    );
    const second = await apply(
      `/api/v1/namespaces/team/services/s`,
      svc('{name: http, port: 80, targetPort: 8080}'),
    );
    expect(second.status).toBe(200);
    expect(second.body.spec.clusterIP).toBe(ip);
    expect(second.body.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
    ]);
  });

  it('records Update entries for create, update and patch, by fieldManager or User-Agent', async () => {
    const created = await call('POST', `${CMS}?fieldManager=kubectl-create`, {
      metadata: { name: 'cm1', labels: { a: '1' } },
      data: { x: '1' },
    });
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2025-03-01T10:05:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:x': {} },
          'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
        },
      },
    ]);
    const patched = await call(
      'PATCH',
      `${CMS}/cm1`,
      { data: { y: '2' } },
      { 'content-type': 'application/merge-patch+json', 'user-agent': 'my-controller/1.0' },
    );
    expect(managers(patched.body)).toEqual(['kubectl-create/Update', 'my-controller/Update']);
    // A PUT without managedFields keeps them; the edit moves x to kubectl-edit.
    const { managedFields: _, ...meta } = patched.body.metadata;
    const put = await call('PUT', `${CMS}/cm1?fieldManager=kubectl-edit`, {
      ...patched.body,
      metadata: meta,
      data: { x: 'edited', y: '2' },
    });
    expect(put.status).toBe(200);
    const owned = Object.fromEntries(
      put.body.metadata.managedFields.map((e: Json) => [e.manager, e.fieldsV1]),
    );
    expect(owned).toEqual({
      'kubectl-create': {
        'f:data': {},
        'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
      },
      'my-controller': { 'f:data': { 'f:y': {} } },
      'kubectl-edit': { 'f:data': { 'f:x': {} } },
    });
  });

  it('keeps managedFields on a PUT without them, and clears them on [] and on [{}]', async () => {
    const live = (await call('GET', `${CMS}/cm1`)).body;
    const { managedFields: _, ...stripped } = live.metadata;
    const kept = await call('PUT', `${CMS}/cm1?fieldManager=lean-controller`, {
      ...live,
      metadata: { ...stripped, labels: { ...stripped.labels, seen: 'yes' } },
    });
    expect(kept.status).toBe(200);
    expect(managers(kept.body).sort()).toEqual([
      'kubectl-create/Update',
      'kubectl-edit/Update',
      'lean-controller/Update',
      'my-controller/Update',
    ]);
    const cleared = await call(
      'PATCH',
      `${CMS}/cm1`,
      [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }],
      { 'content-type': 'application/json-patch+json' },
    );
    expect(cleared.status).toBe(200);
    expect(cleared.body.metadata.managedFields).toBeUndefined();
    const recorded = await apply(`${CMS}/cm2`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm2' },
      data: { x: '1' },
    });
    expect(managers(recorded.body)).toEqual(['kubectl/Apply']);
    const emptied = await call(
      'PATCH',
      `${CMS}/cm2`,
      { metadata: { managedFields: [] } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(emptied.status).toBe(200);
    expect(emptied.body.metadata.managedFields).toBeUndefined();
    // The first apply afterwards finds the fields owned by before-first-apply.
    const conflict = await apply(
      `${CMS}/cm1`,
      { apiVersion: 'v1', kind: 'ConfigMap', data: { x: 'mine' } },
      'fieldManager=ssa',
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.x',
    );
  });

  it('still finds what kubectl applied after a controller PUTs the object without managedFields', async () => {
    const cm = (data: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm3' },
      data,
    });
    expect((await apply(`${CMS}/cm3`, cm({ a: '1', b: '2' }))).status).toBe(201);
    // What a controller whose informer strips managedFields sends back: the cached object, changed.
    const live = (await call('GET', `${CMS}/cm3`)).body;
    const { managedFields: _, ...stripped } = live.metadata;
    const put = await call('PUT', `${CMS}/cm3?fieldManager=labeller`, {
      ...live,
      metadata: { ...stripped, labels: { team: 'x' } },
    });
    expect(put.status).toBe(200);
    expect(managers(put.body).sort()).toEqual(['kubectl/Apply', 'labeller/Update']);
    // kubectl still owns b, so leaving it out of the next apply removes it, without a conflict.
    const reapplied = await apply(`${CMS}/cm3`, cm({ a: '1' }));
    expect(reapplied.status).toBe(200);
    expect(reapplied.body.data).toEqual({ a: '1' });
    expect(reapplied.body.metadata.labels).toEqual({ team: 'x' });
  });

  it('records status and scale subresource writes with their subresource', async () => {
    const status = await call(
      'PATCH',
      `${DEPLOYS}/web/status?fieldManager=deployment-controller`,
      { status: { replicas: 2, observedGeneration: 1 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(status.status).toBe(200);
    expect(
      status.body.metadata.managedFields.find((e: Json) => e.subresource === 'status'),
    ).toMatchObject({
      manager: 'deployment-controller',
      operation: 'Update',
      fieldsV1: { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } },
    });
    const applied = await apply(
      `${DEPLOYS}/web/status`,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        status: { readyReplicas: 1 },
      },
      'fieldManager=probe',
    );
    expect(applied.status).toBe(200);
    expect(applied.body.status).toMatchObject({ replicas: 2, readyReplicas: 1 });
    expect(managers(applied.body)).toContain('probe/Apply/status');
    const scale = await apply(
      `${DEPLOYS}/web/scale`,
      {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'web' },
        spec: { replicas: 3 },
      },
      'fieldManager=hpa&force=true',
    );
    expect(scale.status).toBe(200);
    expect(scale.body).toMatchObject({ kind: 'Scale', spec: { replicas: 3 } });
    const got = await call('GET', `${DEPLOYS}/web`);
    expect(got.body.spec.replicas).toBe(3);
    expect(managers(got.body)).toContain('hpa/Apply/scale');
  });

  it.each([
    [
      'no fieldManager',
      '',
      deployYaml(2, [80]),
      422,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    ],
    ['malformed YAML', 'fieldManager=x', 'kind: [Deployment', 400, 'error decoding YAML: '],
    [
      'another name',
      'fieldManager=x',
      deployYaml(2, [80]).replace('name: web\n', 'name: other\n'),
      400,
      'the name of the object (other) does not match the name on the URL (web)',
    ],
    [
      'another kind',
      'fieldManager=x',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: web}',
      400,
      'invalid object type: /v1, Kind=Pod',
    ],
    [
      'managedFields in the body',
      'fieldManager=x',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, managedFields: []}',
      400,
      'metadata.managedFields must be nil',
    ],
    [
      'an unknown field, strictly',
      'fieldManager=x&fieldValidation=Strict',
      'apiVersion: apps/v1\nkind: Deployment\nspec: {replica: 1}',
      400,
      'strict decoding error: unknown field "spec.replica"',
    ],
    [
      'a key field left out',
      'fieldManager=x',
      'apiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: {containers: [{image: x}]}}}',
      400,
      'omits key field "name"',
    ],
  ])('answers %s as Kubernetes does', async (_, query, body, status, message) => {
    const r = await apply(`${DEPLOYS}/web`, body, query);
    expect(r.status).toBe(status);
    expect(r.body.message).toContain(message);
  });

  it('refuses force on other patches and bad fieldManager names', async () => {
    const force = await call(
      'PATCH',
      `${CMS}/cm1?force=true`,
      {},
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(force.status).toBe(422);
    expect(force.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    const long = await call('POST', `${CMS}?fieldManager=${'x'.repeat(129)}`, {
      metadata: { name: 'y' },
    });
    expect(long.status).toBe(422);
    expect(long.body.message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes',
    );
  });
});
