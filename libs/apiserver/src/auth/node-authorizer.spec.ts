import { generateKeyPairSync } from 'node:crypto';
import { startTestApi, TestApi } from '@flotilla/testing';
import type { ApiRequest, ApiResponse } from '../http/api-handler';
import { NodeGraph, podReferences } from './node-graph';
import type { UserInfo } from './user-info';

const saKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const root: UserInfo = { name: 'root', groups: ['system:masters'] };
const node = (name: string): UserInfo => ({
  name: `system:node:${name}`,
  groups: ['system:nodes', 'system:authenticated'],
});
const n1 = node('n1');

type Json = ApiResponse & { kind: 'json'; body: Record<string, unknown> };

function call(
  api: TestApi,
  user: UserInfo,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Json> {
  const url = new URL(path, 'http://x');
  const req: ApiRequest = {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    user,
  };
  return api.server.handler.handle(req) as Promise<Json>;
}

const patch = (api: TestApi, user: UserInfo, path: string, body: unknown) =>
  call(api, user, 'PATCH', path, body, 'application/merge-patch+json');

/** Pods reach the Node authorizer's graph through the watch cache: wait until they have. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met within 200 tries');
}

function pod(name: string, nodeName: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, containers: [{ name: 'c', image: 'x' }], ...spec },
  };
}

const nodeObject = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  ...extra,
});

describe('the Node authorizer and NodeRestriction admission', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ authorization: 'RBAC', serviceAccountKey: saKey });
    for (const name of ['s1', 's2']) {
      const r = await call(api, root, 'POST', '/api/v1/namespaces/default/secrets', {
        metadata: { name },
        stringData: { k: 'v' },
      });
      expect(r.status).toBe(201);
    }
    expect((await call(api, root, 'POST', '/api/v1/nodes', nodeObject('n2'))).status).toBe(201);
  });
  afterAll(() => api.stop());

  it('lets a node read a Secret only while a pod bound to it uses the Secret', async () => {
    const path = '/api/v1/namespaces/default/secrets/s1';
    const before = await call(api, n1, 'GET', path);
    expect(before.status).toBe(403);
    expect(before.body.message).toBe(
      'secrets "s1" is forbidden: User "system:node:n1" cannot get resource "secrets" in API ' +
        `group "" in the namespace "default": no relationship found between node 'n1' and this object`,
    );
    const created = await call(
      api,
      root,
      'POST',
      '/api/v1/namespaces/default/pods',
      pod('uses-s1', 'n1', { volumes: [{ name: 'v', secret: { secretName: 's1' } }] }),
    );
    expect(created.status).toBe(201);
    await eventually(async () => (await call(api, n1, 'GET', path)).status === 200);
    // Only that Secret, only that node, and no list of them all.
    expect((await call(api, n1, 'GET', '/api/v1/namespaces/default/secrets/s2')).status).toBe(403);
    expect((await call(api, node('n2'), 'GET', path)).status).toBe(403);
    expect((await call(api, n1, 'GET', '/api/v1/namespaces/default/secrets')).status).toBe(403);
    // Pod gone: the relationship is gone.
    const deleted = await call(
      api,
      root,
      'DELETE',
      '/api/v1/namespaces/default/pods/uses-s1?gracePeriodSeconds=0',
    );
    expect(deleted.status).toBe(200);
    await eventually(async () => (await call(api, n1, 'GET', path)).status === 403);
  });

  it("lets a node get a PersistentVolume only through its pods' claims", async () => {
    const volume = (name: string, claimRef?: { namespace: string; name: string }) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/data/${name}` },
        ...(claimRef ? { claimRef: { kind: 'PersistentVolumeClaim', ...claimRef } } : {}),
      },
    });
    const claim = (name: string, volumeName?: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...(volumeName ? { volumeName } : {}),
      },
    });
    const created = async (path: string, body: unknown) =>
      expect((await call(api, root, 'POST', path, body)).status).toBe(201);
    // pv-a bound from the claim's side (spec.volumeName), pv-b from the volume's (claimRef),
    // pv-c bound to a claim no pod uses.
    await created('/api/v1/persistentvolumes', volume('pv-a'));
    await created('/api/v1/persistentvolumes', volume('pv-b', { namespace: 'default', name: 'b' }));
    await created('/api/v1/persistentvolumes', volume('pv-c'));
    await created('/api/v1/namespaces/default/persistentvolumeclaims', claim('a', 'pv-a'));
    await created('/api/v1/namespaces/default/persistentvolumeclaims', claim('b'));
    await created('/api/v1/namespaces/default/persistentvolumeclaims', claim('c', 'pv-c'));
    const get = (user: UserInfo, name: string) =>
      call(api, user, 'GET', `/api/v1/persistentvolumes/${name}`);
    const before = await get(n1, 'pv-a');
    expect(before.status).toBe(403);
    expect(before.body.message).toBe(
      'persistentvolumes "pv-a" is forbidden: User "system:node:n1" cannot get resource ' +
        `"persistentvolumes" in API group "" at the cluster scope: no relationship found between node 'n1' and this object`,
    );
    await created(
      '/api/v1/namespaces/default/pods',
      pod('uses-claims', 'n1', {
        volumes: [
          { name: 'a', persistentVolumeClaim: { claimName: 'a' } },
          { name: 'b', persistentVolumeClaim: { claimName: 'b' } },
        ],
      }),
    );
    await eventually(async () => (await get(n1, 'pv-a')).status === 200);
    expect((await get(n1, 'pv-b')).status).toBe(200);
    // Not the volume of a claim no pod of n1 uses, not for another node, no list.
    expect((await get(n1, 'pv-c')).status).toBe(403);
    expect((await get(node('n2'), 'pv-a')).status).toBe(403);
    expect((await call(api, n1, 'GET', '/api/v1/persistentvolumes')).status).toBe(403);
    // The claim is gone: its volume is no longer the node's (the other one still is).
    const gone = await call(
      api,
      root,
      'DELETE',
      '/api/v1/namespaces/default/persistentvolumeclaims/a',
    );
    expect(gone.status).toBe(200);
    await eventually(async () => (await get(n1, 'pv-a')).status === 403);
    expect((await get(n1, 'pv-b')).status).toBe(200);
    await call(
      api,
      root,
      'DELETE',
      '/api/v1/namespaces/default/pods/uses-claims?gracePeriodSeconds=0',
    );
    await eventually(async () => (await get(n1, 'pv-b')).status === 403);
  });

  it('lets a node register and update only its own Node, not its taints or reserved labels', async () => {
    const own = await call(api, n1, 'POST', '/api/v1/nodes', nodeObject('n1'));
    expect(own.status).toBe(201);
    const other = await call(api, n1, 'POST', '/api/v1/nodes', nodeObject('n3'));
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(
      'nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"',
    );
    const taintOther = await patch(api, n1, '/api/v1/nodes/n2', {
      spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
    });
    expect(taintOther.status).toBe(403);
    expect(taintOther.body.message).toBe(
      'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
    );
    const statusOther = await patch(api, n1, '/api/v1/nodes/n2/status', {
      status: { phase: 'Running' },
    });
    expect(statusOther.status).toBe(403);
    const labelled = await patch(api, n1, '/api/v1/nodes/n1', {
      metadata: { labels: { 'node-restriction.kubernetes.io/secure': 'yes' } },
    });
    expect(labelled.status).toBe(403);
    expect(labelled.body.message).toBe(
      'nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/secure',
    );
    const tainted = await patch(api, n1, '/api/v1/nodes/n1', {
      spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
    });
    expect(tainted.body.message).toBe('nodes "n1" is forbidden: is not allowed to modify taints');
    const ownLabel = await patch(api, n1, '/api/v1/nodes/n1', {
      metadata: { labels: { 'example.com/rack': 'r1' } },
    });
    expect(ownLabel.status).toBe(200);
    const ownStatus = await patch(api, n1, '/api/v1/nodes/n1/status', {
      status: { addresses: [{ type: 'Hostname', address: 'n1' }] },
    });
    expect(ownStatus.status).toBe(200);
    expect((await call(api, n1, 'DELETE', '/api/v1/nodes/n2')).status).toBe(403);
  });

  it('lets a node hold only its own Lease in kube-node-lease', async () => {
    const base = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    const lease = (name: string) => ({
      metadata: { name },
      spec: { holderIdentity: name, leaseDurationSeconds: 40 },
    });
    expect((await call(api, n1, 'POST', base, lease('n1'))).status).toBe(201);
    const other = await call(api, n1, 'POST', base, lease('n2'));
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(
      'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
    );
    expect((await call(api, root, 'POST', base, lease('n2'))).status).toBe(201);
    const renewOther = await patch(api, n1, `${base}/n2`, { spec: { leaseDurationSeconds: 1 } });
    expect(renewOther.status).toBe(403);
    expect(renewOther.body.message).toContain(
      'can only access node lease with the same name as the requesting node',
    );
    const elsewhere = await call(
      api,
      n1,
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/default/leases/n1',
    );
    expect(elsewhere.body.message).toContain(
      'can only access leases in the "kube-node-lease" system namespace',
    );
  });

  it("lets a node and system:kube-proxy write kube-proxy's events (events.k8s.io/v1), not read them", async () => {
    const kubeProxy: UserInfo = { name: 'system:kube-proxy', groups: ['system:authenticated'] };
    const event = (name: string, ns: string, regarding: Record<string, unknown>) => ({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'kube-proxy',
      reportingInstance: 'n1',
      action: 'SyncProxyRules',
      reason: 'KubeProxyServiceConflict',
      type: 'Warning',
      note: 'left out',
      regarding,
    });
    for (const [who, suffix] of [
      [n1, 'node'],
      [kubeProxy, 'proxy'],
    ] as const) {
      const base = (ns: string) => `/apis/events.k8s.io/v1/namespaces/${ns}/events`;
      const aboutService = event(`web.${suffix}`, 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        namespace: 'default',
        name: 'web',
      });
      expect((await call(api, who, 'POST', base('default'), aboutService)).status).toBe(201);
      const series = await patch(api, who, `${base('default')}/web.${suffix}`, {
        series: { count: 2, lastObservedTime: '2026-01-01T00:00:01.000000Z' },
      });
      expect(series.status).toBe(200);
      const aboutNode = event(`n1.${suffix}`, 'default', {
        apiVersion: 'v1',
        kind: 'Node',
        name: 'n1',
      });
      expect((await call(api, who, 'POST', base('default'), aboutNode)).status).toBe(201);
      expect((await call(api, who, 'GET', base('default'))).status).toBe(403);
    }
    // Both views of the same stored events: kubectl get events reads the core one.
    const core = await call(api, root, 'GET', '/api/v1/namespaces/default/events');
    const items = core.body.items as { metadata: { name: string }; reason: string }[];
    expect(items.map((e) => e.metadata.name).sort()).toEqual(
      expect.arrayContaining(['n1.node', 'n1.proxy', 'web.node', 'web.proxy']),
    );
  });

  it('lets a node write the status of its own pods only, and create only its own mirror pods', async () => {
    for (const [name, on] of [
      ['on-n1', 'n1'],
      ['on-n2', 'n2'],
    ]) {
      expect(
        (await call(api, root, 'POST', '/api/v1/namespaces/default/pods', pod(name, on))).status,
      ).toBe(201);
    }
    const status = { status: { phase: 'Running' } };
    const own = await patch(api, n1, '/api/v1/namespaces/default/pods/on-n1/status', status);
    expect(own.status).toBe(200);
    const other = await patch(api, n1, '/api/v1/namespaces/default/pods/on-n2/status', status);
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(
      'pods "on-n2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself',
    );
    const deleteOther = await call(api, n1, 'DELETE', '/api/v1/namespaces/default/pods/on-n2');
    expect(deleteOther.body.message).toBe(
      'pods "on-n2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself',
    );

    const mirror = (name: string, on: string, spec: Record<string, unknown> = {}) => {
      const p = pod(name, on, spec);
      return {
        ...p,
        metadata: { ...p.metadata, annotations: { 'kubernetes.io/config.mirror': 'hash' } },
      };
    };
    const plain = await call(api, n1, 'POST', '/api/v1/namespaces/default/pods', pod('p', 'n1'));
    expect(plain.body.message).toBe(
      'pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
    );
    const elsewhere = await call(
      api,
      n1,
      'POST',
      '/api/v1/namespaces/default/pods',
      mirror('m', 'n2'),
    );
    expect(elsewhere.body.message).toBe(
      'pods "m" is forbidden: node "n1" can only create pods with spec.nodeName set to itself',
    );
    const withSecret = await call(
      api,
      n1,
      'POST',
      '/api/v1/namespaces/default/pods',
      mirror('m', 'n1', { volumes: [{ name: 'v', secret: { secretName: 's2' } }] }),
    );
    expect(withSecret.body.message).toBe(
      'pods "m" is forbidden: node "n1" can not create pods that reference secrets',
    );
    const ok = await call(api, n1, 'POST', '/api/v1/namespaces/default/pods', mirror('m', 'n1'));
    expect(ok.status).toBe(201);
  });

  it("issues a node tokens only for its pods' service accounts, bound to those pods", async () => {
    const sa = await call(api, root, 'POST', '/api/v1/namespaces/default/serviceaccounts', {
      metadata: { name: 'app' },
    });
    expect(sa.status).toBe(201);
    const tokenPath = '/api/v1/namespaces/default/serviceaccounts/app/token';
    const request = (podName: string) => ({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: podName } },
    });
    const before = await call(api, n1, 'POST', tokenPath, request('app-n1'));
    expect(before.status).toBe(403);
    expect(before.body.message).toContain(
      "no relationship found between node 'n1' and this object",
    );
    for (const [name, on] of [
      ['app-n1', 'n1'],
      ['app-n2', 'n2'],
    ]) {
      const r = await call(
        api,
        root,
        'POST',
        '/api/v1/namespaces/default/pods',
        pod(name, on, { serviceAccountName: 'app' }),
      );
      expect(r.status).toBe(201);
    }
    await eventually(
      async () => (await call(api, n1, 'POST', tokenPath, request('app-n1'))).status === 201,
    );
    const other = await call(api, n1, 'POST', tokenPath, request('app-n2'));
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(
      'serviceaccounts "app" is forbidden: node requested token bound to a pod scheduled on a different node',
    );
    const unbound = await call(api, n1, 'POST', tokenPath, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {},
    });
    expect(unbound.body.message).toBe(
      'serviceaccounts "app" is forbidden: node requested token not bound to a pod',
    );
  });

  it('keeps the system:node role for reference, bound to no one', async () => {
    const b = await call(
      api,
      root,
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node',
    );
    expect(b.status).toBe(200);
    expect(b.body.subjects ?? []).toEqual([]);
    const role = await call(
      api,
      root,
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:node',
    );
    expect(role.status).toBe(200);
  });

  it("answers a kubelet's SubjectAccessReview: system:monitoring may get nodes/metrics, not nodes/proxy", async () => {
    const ask = async (groups: string[], subresource: string) => {
      const r = await call(api, n1, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: 'system:prometheus',
          groups: [...groups, 'system:authenticated'],
          resourceAttributes: { verb: 'get', resource: 'nodes', subresource, name: 'n1' },
        },
      });
      expect(r.status).toBe(201);
      return (r.body.status as { allowed: boolean }).allowed;
    };
    expect(await ask(['system:monitoring'], 'metrics')).toBe(true);
    expect(await ask(['system:monitoring'], 'proxy')).toBe(false);
    expect(await ask([], 'metrics')).toBe(false);
  });

  it('has no opinion on users who are not nodes, whatever they are named', async () => {
    const impostor: UserInfo = { name: 'system:node:n1', groups: ['system:authenticated'] };
    const r = await call(api, impostor, 'GET', '/api/v1/nodes/n1');
    expect(r.status).toBe(403);
  });
});

describe('the node graph', () => {
  it('follows every place a pod names a Secret, ConfigMap, claim or service account', () => {
    const refs = podReferences({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns' },
      spec: {
        serviceAccountName: 'sa',
        imagePullSecrets: [{ name: 'pull' }],
        volumes: [
          { name: 'a', secret: { secretName: 'vol-secret' } },
          { name: 'b', configMap: { name: 'vol-cm' } },
          { name: 'c', persistentVolumeClaim: { claimName: 'claim' } },
          { name: 'd', ephemeral: { volumeClaimTemplate: {} } },
          {
            name: 'e',
            projected: {
              sources: [{ secret: { name: 'proj-s' } }, { configMap: { name: 'proj-c' } }],
            },
          },
          { name: 'f', csi: { driver: 'x', nodePublishSecretRef: { name: 'csi-s' } } },
        ],
        initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init-env' } }] }],
        containers: [
          {
            name: 'c',
            envFrom: [{ configMapRef: { name: 'env-cm' } }],
            env: [
              { name: 'A', valueFrom: { secretKeyRef: { name: 'key-s', key: 'k' } } },
              { name: 'B', valueFrom: { configMapKeyRef: { name: 'key-c', key: 'k' } } },
            ],
          },
        ],
      },
    }).sort();
    expect(refs).toEqual(
      [
        'serviceaccounts/ns/sa',
        'secrets/ns/pull',
        'secrets/ns/vol-secret',
        'configmaps/ns/vol-cm',
        'persistentvolumeclaims/ns/claim',
        'persistentvolumeclaims/ns/p-d',
        'secrets/ns/proj-s',
        'configmaps/ns/proj-c',
        'secrets/ns/csi-s',
        'secrets/ns/init-env',
        'configmaps/ns/env-cm',
        'secrets/ns/key-s',
        'configmaps/ns/key-c',
      ].sort(),
    );
  });

  it('counts pods, so a Secret two pods use stays readable until both are gone', () => {
    const g = new NodeGraph();
    const use = (name: string, rv: string, nodeName = 'n1') =>
      [
        `/registry/pods/ns/${name}`,
        {
          metadata: { name, namespace: 'ns', resourceVersion: rv },
          spec: { nodeName, volumes: [{ name: 'v', secret: { secretName: 's' } }] },
        },
      ] as [string, never];
    g.sync([use('a', '1'), use('b', '2')]);
    expect(g.has('n1', 'secrets', 'ns', 's')).toBe(true);
    g.sync([use('b', '2')]);
    expect(g.has('n1', 'secrets', 'ns', 's')).toBe(true);
    // Moved: another resourceVersion, another node.
    g.sync([use('b', '3', 'n2')]);
    expect(g.has('n1', 'secrets', 'ns', 's')).toBe(false);
    expect(g.has('n2', 'secrets', 'ns', 's')).toBe(true);
    g.sync([]);
    expect(g.has('n2', 'secrets', 'ns', 's')).toBe(false);
  });
});
