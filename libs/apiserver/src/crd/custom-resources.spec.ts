// CustomResourceDefinitions end to end over one API server (in process): a CRD is checked, named
// and Established by the CRD controller; its resource is then served like a built-in kind (schema
// validation, defaulting, pruning, status and scale, tables, discovery, OpenAPI); deleting the CRD
// deletes its objects and stops serving it.
import { resource, type KubeObject } from '@flotilla/api';
import { startTestApi, type TestApi } from '@flotilla/testing';
import { widgetCrd } from './testdata';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const WIDGETS = '/apis/example.com/v1/namespaces/default/widgets';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read field by field
type Answer = { status: number; body: Record<string, any> };

describe('custom resources', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(() => api.stop());

  const send = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const res = await api.client.send({
      method: method as 'GET',
      path: path.split('?')[0],
      query: new URLSearchParams(path.split('?')[1] ?? ''),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      idempotent: false,
    });
    const text = res.body.toString();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };

  /** Polls (bounded) until `ok` holds for the answer of GET `path`. */
  const until = async (path: string, ok: (a: Answer) => boolean): Promise<Answer> => {
    let last: Answer | undefined;
    for (let i = 0; i < 200; i++) {
      last = await send('GET', path);
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`gave up waiting on ${path}: ${JSON.stringify(last)}`);
  };
  const condition = (a: Answer, type: string) =>
    (a.body.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
  const established = async (name = 'widgets.example.com') =>
    until(`${CRDS}/${name}`, (a) => condition(a, 'Established')?.status === 'True');

  const widget = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name },
    spec,
  });

  it('names and establishes a CRD, then serves its resource with the schema applied', async () => {
    const created = await send('POST', CRDS, widgetCrd());
    expect(created.status).toBe(201);
    expect(created.body.metadata.finalizers).toEqual([
      'customresourcecleanup.apiextensions.k8s.io',
    ]);
    expect(created.body.status.storedVersions).toEqual(['v1']);
    const crd = await established();
    expect(condition(crd, 'NamesAccepted')).toMatchObject({
      status: 'True',
      reason: 'NoConflicts',
    });
    expect(crd.body.status.acceptedNames).toMatchObject({
      plural: 'widgets',
      kind: 'Widget',
      listKind: 'WidgetList',
    });

    const w = await send('POST', WIDGETS, {
      ...widget('w1', { color: 'red', colour: 'typo', ports: [{ name: 'http' }] }),
    });
    expect(w.status).toBe(201);
    expect(w.body.spec).toEqual({
      color: 'red',
      replicas: 1,
      ports: [{ name: 'http', protocol: 'TCP' }],
    });
    expect(w.body.metadata.generation).toBe(1);

    const bad = await send('POST', WIDGETS, widget('w2', { color: 'pink', replicas: -1 }));
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.details.causes.map((c: { field: string }) => c.field)).toEqual([
      'spec.color',
      'spec.replicas',
    ]);
    expect(bad.body.message).toContain('Widget.example.com "w2" is invalid');

    const cel = await send('POST', WIDGETS, widget('w4', { color: 'green', replicas: 6 }));
    expect(cel.status).toBe(422);
    expect(cel.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec',
        message: 'Invalid value: "object": green widgets come in fives at most',
      },
    ]);

    const strict = await send(
      'POST',
      `${WIDGETS}?fieldValidation=Strict`,
      widget('w3', { color: 'red', colour: 'x' }),
    );
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.colour"');

    // Read through another served version: the same object, under that version's apiVersion.
    const beta = await send('GET', '/apis/example.com/v1beta1/namespaces/default/widgets/w1');
    expect(beta.status).toBe(200);
    expect(beta.body.apiVersion).toBe('example.com/v1beta1');
    const list = await send('GET', WIDGETS);
    expect(list.body.kind).toBe('WidgetList');
    expect(list.body.items.map((i: KubeObject) => i.metadata.name)).toEqual(['w1']);
  });

  it('serves status and scale, bumps generation on spec changes only, refuses strategic merge', async () => {
    await send('POST', CRDS, widgetCrd());
    await established();
    const w = (await send('POST', WIDGETS, widget('w', { color: 'red', replicas: 2 }))).body;

    const status = await send('PUT', `${WIDGETS}/w/status`, {
      ...w,
      spec: { color: 'blue', replicas: 9 },
      status: { replicas: 2, selector: 'app=w', phase: 'Ready' },
    });
    expect(status.status).toBe(200);
    expect(status.body.spec).toEqual({ color: 'red', replicas: 2 });
    expect(status.body.status.phase).toBe('Ready');
    expect(status.body.metadata.generation).toBe(1);

    const merge = await send(
      'PATCH',
      `${WIDGETS}/w`,
      { spec: { color: 'green' }, status: { phase: 'x' } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(merge.status).toBe(200);
    expect(merge.body.spec.color).toBe('green');
    expect(merge.body.status.phase).toBe('Ready');
    expect(merge.body.metadata.generation).toBe(2);

    const json = await send(
      'PATCH',
      `${WIDGETS}/w`,
      [{ op: 'replace', path: '/spec/replicas', value: 4 }],
      {
        'content-type': 'application/json-patch+json',
      },
    );
    expect(json.body.spec.replicas).toBe(4);

    const smp = await send(
      'PATCH',
      `${WIDGETS}/w`,
      { spec: { color: 'red' } },
      {
        'content-type': 'application/strategic-merge-patch+json',
      },
    );
    expect(smp.status).toBe(415);

    const scale = await send('GET', `${WIDGETS}/w/scale`);
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      spec: { replicas: 4 },
      status: { replicas: 2, selector: 'app=w' },
    });
    const scaled = await send(
      'PATCH',
      `${WIDGETS}/w/scale`,
      { spec: { replicas: 5 } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(scaled.status).toBe(200);
    expect((await send('GET', `${WIDGETS}/w`)).body.spec.replicas).toBe(5);
    const tooMany = await send(
      'PATCH',
      `${WIDGETS}/w/scale`,
      { spec: { replicas: 70 } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(tooMany.status).toBe(422);
  });

  it('prints the additional printer columns and lists the resource in discovery and OpenAPI', async () => {
    await send('POST', CRDS, widgetCrd());
    await established();
    await send('POST', WIDGETS, widget('w', { color: 'blue', replicas: 3 }));
    const table = await send('GET', WIDGETS, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(table.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Color',
      'Replicas',
      'Age',
    ]);
    expect(table.body.rows[0].cells.slice(0, 3)).toEqual(['w', 'blue', 3]);

    const legacy = await send('GET', '/apis/example.com/v1');
    const widgets = legacy.body.resources.find((r: { name: string }) => r.name === 'widgets');
    expect(widgets).toMatchObject({
      kind: 'Widget',
      namespaced: true,
      shortNames: ['wd'],
      categories: ['all'],
    });
    expect(legacy.body.resources.map((r: { name: string }) => r.name).sort()).toEqual([
      'widgets',
      'widgets/scale',
      'widgets/status',
    ]);
    const groups = await send('GET', '/apis');
    expect(groups.body.groups.map((g: { name: string }) => g.name)).toContain('example.com');

    const doc = await send('GET', '/openapi/v3/apis/example.com/v1');
    const schema = doc.body.components.schemas['com.example.v1.Widget'];
    expect(schema.properties.spec.properties.color.enum).toEqual(['red', 'green', 'blue']);
    expect(schema['x-kubernetes-group-version-kind']).toEqual([
      { group: 'example.com', kind: 'Widget', version: 'v1' },
    ]);
  });

  it('prunes status writes, lists and deletes collections, watches with bookmarks', async () => {
    await send('POST', CRDS, widgetCrd());
    await established();
    const w = (await send('POST', WIDGETS, widget('w', { color: 'red' }))).body;
    const status = await send('PUT', `${WIDGETS}/w/status`, {
      ...w,
      status: { replicas: 1, bogus: true },
    });
    expect(status.body.status).toEqual({ replicas: 1 });

    // A watch through libs/client, with bookmarks, sees the custom objects change.
    const info = resource('example.com', 'Widget', 'widgets', { version: 'v1' });
    const events: { type: string; object: KubeObject }[] = [];
    const handle = await api.client
      .resource(info, 'default')
      .watch(
        { resourceVersion: status.body.metadata.resourceVersion, allowWatchBookmarks: true },
        (e) => events.push(e),
      );
    await send('POST', WIDGETS, widget('x', { color: 'blue' }));
    await send('DELETE', `${WIDGETS}/x`);
    for (let i = 0; i < 200 && !events.some((e) => e.type === 'DELETED'); i++)
      await new Promise((r) => setTimeout(r, 25));
    handle.stop();
    expect(
      events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`),
    ).toEqual(['ADDED x', 'DELETED x']);

    await send('POST', WIDGETS, widget('y', { color: 'blue' }));
    const gone = await send('DELETE', `${WIDGETS}?labelSelector=`);
    expect(gone.status).toBe(200);
    expect((await send('GET', WIDGETS)).body.items).toEqual([]);
  });

  it('serves cluster-scoped custom resources and prefers the GA version in discovery', async () => {
    const crd = widgetCrd({ group: 'cluster.example.com', plural: 'gizmos', kind: 'Gizmo' });
    const spec = crd.spec as { scope: string; versions: Record<string, unknown>[] };
    spec.scope = 'Cluster';
    spec.versions.reverse(); // v1beta1 listed first
    expect((await send('POST', CRDS, crd)).status).toBe(201);
    await established('gizmos.cluster.example.com');
    const made = await send('POST', '/apis/cluster.example.com/v1/gizmos', {
      apiVersion: 'cluster.example.com/v1',
      kind: 'Gizmo',
      metadata: { name: 'g', namespace: 'ignored' },
      spec: { color: 'red' },
    });
    expect(made.status).toBe(201);
    expect(made.body.metadata.namespace).toBeUndefined();
    expect(
      (await send('GET', '/apis/cluster.example.com/v1/namespaces/default/gizmos')).status,
    ).toBe(404);
    const groups = await send('GET', '/apis');
    const group = groups.body.groups.find(
      (g: { name: string }) => g.name === 'cluster.example.com',
    );
    expect(group.preferredVersion.version).toBe('v1');
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1beta1']);
  });

  it('records stored versions, keeps them in the spec, refuses creates while terminating', async () => {
    await send('POST', CRDS, widgetCrd());
    const crd = (await established()).body;
    // Storage moves to v1beta1: both versions have been stored.
    const versions = crd.spec.versions as { name: string; storage: boolean }[];
    versions[0].storage = false;
    versions[1].storage = true;
    const moved = await send('PUT', `${CRDS}/widgets.example.com`, crd);
    expect(moved.status).toBe(200);
    expect(moved.body.status.storedVersions).toEqual(['v1', 'v1beta1']);
    // Dropping a stored version from the spec is refused.
    const dropped = {
      ...moved.body,
      spec: { ...moved.body.spec, versions: [moved.body.spec.versions[1]] },
    };
    const refused = await send('PUT', `${CRDS}/widgets.example.com`, dropped);
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain(
      'status.storedVersions[0]: Invalid value: "v1": must appear in spec.versions',
    );

    // An object with a finalizer of its own holds the CRD in Terminating; creates are refused.
    await send('POST', WIDGETS, {
      ...widget('held', { color: 'red' }),
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    await send('DELETE', `${CRDS}/widgets.example.com`);
    const terminating = await until(
      `${CRDS}/widgets.example.com`,
      (a) => condition(a, 'Terminating')?.status === 'True',
    );
    expect(condition(terminating, 'Terminating')).toMatchObject({
      reason: 'InstanceDeletionInProgress',
    });
    // Each master refuses creates once it has seen the deletion (dry runs: nothing is made).
    let refusedCreate: Answer | undefined;
    for (let i = 0; i < 200; i++) {
      refusedCreate = await send('POST', `${WIDGETS}?dryRun=All`, widget('late', { color: 'red' }));
      if (refusedCreate.status === 405) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    refusedCreate = refusedCreate!;
    expect(refusedCreate.status).toBe(405);
    expect(refusedCreate.body.message).toBe(
      'create not allowed while custom resource definition is terminating',
    );
    const held = (await send('GET', `${WIDGETS}/held`)).body;
    await send('PUT', `${WIDGETS}/held`, {
      ...held,
      metadata: { ...held.metadata, finalizers: [] },
    });
    await until(`${CRDS}/widgets.example.com`, (a) => a.status === 404);
  });

  it("merges server-side apply by the schema's list-map keys", async () => {
    await send('POST', CRDS, widgetCrd());
    await established();
    const apply = (manager: string, spec: Record<string, unknown>) =>
      send('PATCH', `${WIDGETS}/w?fieldManager=${manager}`, widget('w', spec), {
        'content-type': 'application/apply-patch+yaml',
      });
    expect((await apply('a', { color: 'red', ports: [{ name: 'http', number: 80 }] })).status).toBe(
      201,
    );
    const both = await apply('b', { color: 'red', ports: [{ name: 'metrics', number: 9090 }] });
    expect(both.status).toBe(200);
    expect(both.body.spec.ports).toEqual([
      { name: 'http', number: 80, protocol: 'TCP' },
      { name: 'metrics', number: 9090, protocol: 'TCP' },
    ]);
    const conflict = await apply('b', { color: 'blue' });
    expect(conflict.status).toBe(409);
  });

  it('rejects invalid CRDs with Kubernetes messages', async () => {
    const bad = widgetCrd();
    bad.metadata.name = 'gadgets.example.com';
    const versions = (bad.spec as { versions: Record<string, unknown>[] }).versions;
    versions[1].storage = true;
    versions[0].schema = {
      openAPIV3Schema: {
        type: 'object',
        properties: { spec: { properties: { a: { type: 'string' } } } },
      },
    };
    const answer = await send('POST', CRDS, bad);
    expect(answer.status).toBe(422);
    expect(
      answer.body.details.causes.map(
        (c: { field: string; message: string }) => `${c.field}: ${c.message}`,
      ),
    ).toEqual([
      'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
      'spec.versions: Invalid value: ["v1","v1beta1"]: must have exactly one version marked as storage version',
    ]);

    const dotless = widgetCrd({ group: 'apps' });
    const noDot = await send('POST', CRDS, dotless);
    expect(noDot.status).toBe(422);
    expect(noDot.body.message).toContain(
      'spec.group: Invalid value: "apps": should be a domain with at least one dot',
    );

    const webhook = widgetCrd({ group: 'hooks.example.com' });
    (webhook.spec as Record<string, unknown>).conversion = { strategy: 'Webhook' };
    const hook = await send('POST', CRDS, webhook);
    expect(hook.status).toBe(422);
    expect(hook.body.message).toContain(
      'spec.conversion.strategy: Forbidden: webhook conversion is not supported',
    );
  });

  it('reports name conflicts on the second CRD and does not serve it', async () => {
    await send('POST', CRDS, widgetCrd());
    await established();
    // Same group, another plural, the same kind (and so the same singular): SingularConflict.
    await send('POST', CRDS, widgetCrd({ plural: 'widgetz' }));
    const second = await until(
      `${CRDS}/widgetz.example.com`,
      (a) => condition(a, 'NamesAccepted') !== undefined,
    );
    expect(condition(second, 'NamesAccepted')).toMatchObject({
      status: 'False',
      reason: 'SingularConflict',
      message: '"widget" is already in use',
    });
    expect(condition(second, 'Established')).toMatchObject({
      status: 'False',
      reason: 'NotAccepted',
    });
    expect((await send('GET', '/apis/example.com/v1/namespaces/default/widgetz')).status).toBe(404);

    // A built-in's names in its own group (with the approval annotation a k8s.io group needs).
    const clash = widgetCrd({
      group: 'discovery.k8s.io',
      plural: 'endpointslices',
      kind: 'EndpointSlice',
    });
    clash.metadata.annotations = { 'api-approved.kubernetes.io': 'unapproved, testing only' };
    expect((await send('POST', CRDS, clash)).status).toBe(201);
    const clashed = await until(
      `${CRDS}/endpointslices.discovery.k8s.io`,
      (a) => condition(a, 'NamesAccepted') !== undefined,
    );
    expect(condition(clashed, 'NamesAccepted')).toMatchObject({
      status: 'False',
      reason: 'PluralConflict',
    });
  });

  it('deletes the objects with the CRD and stops serving the resource', async () => {
    await send('POST', CRDS, widgetCrd());
    await established();
    for (const n of ['a', 'b', 'c']) await send('POST', WIDGETS, widget(n, { color: 'red' }));
    const seen: string[] = [];
    const watch = await api.client
      .resource(resource('example.com', 'Widget', 'widgets', { version: 'v1' }), 'default')
      .watch({}, (e) => seen.push(`${e.type} ${e.object.metadata.name}`));
    const deleted = await send('DELETE', `${CRDS}/widgets.example.com`);
    expect(deleted.status).toBe(200);
    await until(`${CRDS}/widgets.example.com`, (a) => a.status === 404);
    // The open watch saw the objects go, then ended with the resource.
    await watch.done;
    expect(seen.filter((e) => e.startsWith('DELETED')).sort()).toEqual([
      'DELETED a',
      'DELETED b',
      'DELETED c',
    ]);
    await until(WIDGETS, (a) => a.status === 404);
    const groups = await send('GET', '/apis');
    expect(groups.body.groups.map((g: { name: string }) => g.name)).not.toContain('example.com');
    // A new CRD of the same name starts empty.
    await send('POST', CRDS, widgetCrd());
    await established();
    expect((await until(WIDGETS, (a) => a.status === 200)).body.items).toEqual([]);
  });

  it('serves Established CRDs on a second server over the same store', async () => {
    await send('POST', CRDS, widgetCrd());
    await established();
    const second = api.addServer();
    await second.customResourcesSynced();
    const res = await second.handler.handle({
      method: 'GET',
      path: WIDGETS,
      query: new URLSearchParams(),
      headers: { accept: 'application/json' },
    } as never);
    expect(res.kind === 'json' && res.status).toBe(200);
  });
});
