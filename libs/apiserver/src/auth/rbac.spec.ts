import { generateKeyPairSync, sign } from 'node:crypto';
import { startTestApi, TestApi } from '@flotilla/testing';
import type { ApiRequest, ApiResponse } from '../http/api-handler';
import type { UserInfo } from './user-info';

const jane: UserInfo = { name: 'jane', groups: ['system:authenticated'] };
const saKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

function call(
  api: TestApi,
  user: UserInfo | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse & { kind: 'json' }> {
  const url = new URL(path, 'http://x');
  const req: ApiRequest = {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    user,
  };
  return api.server.handler.handle(req) as Promise<ApiResponse & { kind: 'json' }>;
}

const body = (r: ApiResponse) => (r as { body: Record<string, unknown> }).body;

/** RBAC changes reach the authorizer through the watch cache: wait until they have. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met within 200 tries');
}

describe('RBAC on the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ authorization: 'RBAC', serviceAccountKey: saKey });
  });
  afterAll(() => api.stop());

  it('creates the default roles and bindings at bootstrap', async () => {
    const roles = await call(
      api,
      undefined,
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    );
    expect(roles.status).toBe(403);
    const listed = await call(
      api,
      { name: 'root', groups: ['system:masters'] },
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    );
    const names = (body(listed).items as { metadata: { name: string } }[]).map(
      (r) => r.metadata.name,
    );
    for (const n of ['cluster-admin', 'admin', 'edit', 'view', 'system:kube-scheduler']) {
      expect(names).toContain(n);
    }
  });

  it('lets a user bound to view list pods but not create one (403 as Kubernetes words it)', async () => {
    const before = await call(api, jane, 'GET', '/api/v1/namespaces/default/pods');
    expect(before.status).toBe(403);
    expect(body(before).message).toBe(
      'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    const created = await call(
      api,
      { name: 'root', groups: ['system:masters'] },
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'jane-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    );
    expect(created.status).toBe(201);
    await eventually(
      async () => (await call(api, jane, 'GET', '/api/v1/namespaces/default/pods')).status === 200,
    );
    const create = await call(api, jane, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'c' },
    });
    expect(create.status).toBe(403);
    expect(body(create)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "default"',
      details: { kind: 'configmaps', group: '' },
    });
    // Elsewhere, nothing.
    const other = await call(api, jane, 'GET', '/api/v1/namespaces/kube-system/pods');
    expect(other.status).toBe(403);
    const nodes = await call(api, jane, 'GET', '/api/v1/nodes/n1');
    expect(body(nodes).message).toBe(
      'nodes "n1" is forbidden: User "jane" cannot get resource "nodes" in API group "" at the cluster scope',
    );
    const secrets = await call(api, jane, 'GET', '/api/v1/namespaces/default/secrets');
    expect(secrets.status).toBe(403);
  });

  it('gathers aggregated roles: edit may write what view may only read', async () => {
    const bob: UserInfo = { name: 'bob', groups: ['devs'] };
    await call(
      api,
      { name: 'root', groups: ['system:masters'] },
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'devs-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    );
    await eventually(
      async () =>
        (
          await call(api, bob, 'POST', '/api/v1/namespaces/default/configmaps', {
            metadata: { name: 'from-bob' },
          })
        ).status === 201,
    );
    const rb = await call(
      api,
      bob,
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
    );
    expect(rb.status).toBe(403); // admin's, not edit's
  });

  it('answers kubectl auth can-i and whoami', async () => {
    const review = (verb: string, resource: string, namespace = 'default') =>
      call(api, jane, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb, resource, namespace } },
      });
    const yes = await review('list', 'pods');
    expect(yes.status).toBe(201);
    expect(body(yes).status).toEqual({ allowed: true });
    expect(body(await review('create', 'pods')).status).toEqual({ allowed: false });
    expect(body(await review('list', 'pods', 'kube-system')).status).toEqual({ allowed: false });
    const whoami = await call(
      api,
      jane,
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      },
    );
    expect(whoami.status).toBe(201);
    expect(body(whoami).status).toEqual({
      userInfo: { username: 'jane', groups: ['system:authenticated'] },
    });
    // Nothing was stored.
    const anon = await call(
      api,
      undefined,
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {},
    );
    expect(anon.status).toBe(403);
  });

  it('answers a SubjectAccessReview only for those allowed to ask', async () => {
    const sar = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'jane',
        resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' },
      },
    };
    expect(
      (await call(api, jane, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar))
        .status,
    ).toBe(403);
    const asAdmin = await call(
      api,
      { name: 'root', groups: ['system:masters'] },
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      sar,
    );
    expect(body(asAdmin).status).toEqual({ allowed: true });
  });

  it('keeps anonymous requests to the public paths', async () => {
    expect((await call(api, undefined, 'GET', '/version')).status).toBe(200);
    const discovery = await call(api, undefined, 'GET', '/api');
    expect(discovery.status).toBe(403);
    expect(body(discovery).message).toBe(
      'forbidden: User "system:anonymous" cannot get path "/api"',
    );
    expect((await call(api, jane, 'GET', '/apis')).status).toBe(200);
  });

  describe('service-account tokens', () => {
    const admin: UserInfo = { name: 'root', groups: ['system:masters'] };
    let pod: Record<string, unknown>;

    beforeAll(async () => {
      await call(api, admin, 'POST', '/api/v1/namespaces/default/serviceaccounts', {
        metadata: { name: 'robot' },
      });
      pod = body(
        await call(api, admin, 'POST', '/api/v1/namespaces/default/pods', {
          metadata: { name: 'p1' },
          spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] },
        }),
      );
    });

    const requestToken = async (spec: Record<string, unknown>) =>
      call(api, admin, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec,
      });

    it('issues a token bound to a pod that authenticates until the pod is deleted', async () => {
      const meta = pod.metadata as { name: string; uid: string };
      const answer = await requestToken({
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: meta.name, uid: meta.uid },
      });
      expect(answer.status).toBe(201);
      const token = (body(answer).status as { token: string }).token;
      const who = await api.server.authenticator.authenticateToken(token);
      expect(who).toMatchObject({
        kind: 'user',
        user: {
          name: 'system:serviceaccount:default:robot',
          groups: [
            'system:serviceaccounts',
            'system:serviceaccounts:default',
            'system:authenticated',
          ],
          extra: { 'authentication.kubernetes.io/pod-name': ['p1'] },
        },
      });
      const review = await call(api, admin, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      });
      expect(body(review).status).toMatchObject({
        authenticated: true,
        user: { username: 'system:serviceaccount:default:robot' },
      });
      await call(api, admin, 'DELETE', '/api/v1/namespaces/default/pods/p1?gracePeriodSeconds=0');
      expect(await api.server.authenticator.authenticateToken(token)).toEqual({
        kind: 'rejected',
        reason: 'the pod the token is bound to no longer exists',
      });
    });

    it('rejects forged tokens: alg none, another key, another audience, malformed, expired', async () => {
      const unbound = body(await requestToken({})).status as { token: string };
      const [h, p] = unbound.token.split('.');
      const reject = async (token: string, reason: RegExp) => {
        const out = await api.server.authenticator.authenticateToken(token);
        expect(out.kind).toBe('rejected');
        expect((out as { reason: string }).reason).toMatch(reason);
      };
      const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
      await reject(`${none}.${p}.`, /algorithm none/);
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const forged = sign('sha256', Buffer.from(`${h}.${p}`), {
        key: other,
        dsaEncoding: 'ieee-p1363',
      });
      await reject(`${h}.${p}.${forged.toString('base64url')}`, /invalid signature/);
      await reject('a.b.c', /malformed/);
      await reject('not-a-token', /invalid bearer token/);
      const wrongAudience = body(await requestToken({ audiences: ['vault'] })).status as {
        token: string;
      };
      await reject(wrongAudience.token, /audiences/);
      expect((await api.server.authenticator.authenticateToken(unbound.token)).kind).toBe('user');
      await call(api, admin, 'DELETE', '/api/v1/namespaces/default/serviceaccounts/robot');
      await reject(unbound.token, /service account of the token no longer exists/);
    });
  });
});
