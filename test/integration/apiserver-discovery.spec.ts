import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { apiVersionOf, RESOURCES } from '@flotilla/api';
import { subresourcesOf } from '@flotilla/apiserver';
import { Json, KubeHttp } from './support/kube-http';
import { MasterCluster } from './support/master-cluster';
import { TsProcess } from './support/ts-process';
import { waitFor } from './support/wait';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const itWithKubectl = hasKubectl ? it : it.skip;

const DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const DISCOVERY_V2BETA1 =
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
/** What kubectl 1.32 sends to /api and /apis. */
const KUBECTL_ACCEPT = `${DISCOVERY_V2},${DISCOVERY_V2BETA1},application/json`;
/** A custom ClusterIP range and NodePort range, passed to every master. */
const SERVICE_CIDR = '10.100.0.0/16';
const FIRST_IP = '10.100.0.1';
const NODE_PORTS = '31000-31999';

describe('discovery and the kubernetes Service on three real masters', () => {
  let cluster: MasterCluster;
  let m1: KubeHttp;
  let apiPorts: number[];

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, [
      '--service-cidr',
      SERVICE_CIDR,
      '--service-node-port-range',
      NODE_PORTS,
    ]);
    apiPorts = cluster.names.map((n) => cluster.ports.get(n)!.api);
    m1 = new KubeHttp(`http://127.0.0.1:${apiPorts[0]}`);
    await cluster.waitForApi();
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  /** Runs the real kubectl against the cluster with a fresh discovery cache, at -v=6. */
  const kubectl = async (args: string[], input?: string) => {
    const cacheDir = mkdtempSync(join(cluster.root, 'kubectl-cache-'));
    const r = await cluster.kubectl([`--cache-dir=${cacheDir}`, '-v=6', ...args], { input });
    return { ...r, requests: requestsOf(r.stderr) };
  };

  /** "GET /api" for each request kubectl logged at -v=6 (method and path, no query). */
  const requestsOf = (stderr: string): string[] =>
    [...stderr.matchAll(/\] (GET|POST|PUT|PATCH|DELETE) https?:\/\/[^/\s]+(\/[^?\s]*)/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );

  /** Legacy discovery paths: /api/v1 or /apis/<group>/<version> alone. */
  const perGroupVersion = (requests: string[]) =>
    requests.filter((r) => /^GET \/(api\/v1|apis\/[^/]+\/[^/]+)$/.test(r));

  describe('aggregated discovery', () => {
    it.each([
      ['api', KUBECTL_ACCEPT, DISCOVERY_V2, 'v2'],
      ['apis', KUBECTL_ACCEPT, DISCOVERY_V2, 'v2'],
      ['api', DISCOVERY_V2BETA1, DISCOVERY_V2BETA1, 'v2beta1'],
      ['apis', DISCOVERY_V2BETA1, DISCOVERY_V2BETA1, 'v2beta1'],
    ])('/%s with %s answers %s', async (root, accept, contentType, version) => {
      for (const port of apiPorts) {
        const r = await new KubeHttp(`http://127.0.0.1:${port}`).get(`/${root}`, { accept });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe(contentType);
        expect(r.body).toMatchObject({
          kind: 'APIGroupDiscoveryList',
          apiVersion: `apidiscovery.k8s.io/${version}`,
        });
      }
    });

    it('lists every resource of the catalog with its scope, verbs and subresources', async () => {
      const items: Json[] = [];
      for (const root of ['/api', '/apis']) {
        items.push(...(await m1.get(root, { accept: KUBECTL_ACCEPT })).body.items);
      }
      const served = new Map<string, Json>();
      for (const group of items) {
        for (const v of group.versions) {
          expect(v.freshness).toBe('Current');
          for (const r of v.resources) {
            served.set(
              `${apiVersionOf({ group: group.metadata.name ?? '', version: v.version })}/${r.resource}`,
              r,
            );
          }
        }
      }
      expect([...served.keys()].sort()).toEqual(
        RESOURCES.map((r) => `${apiVersionOf(r)}/${r.plural}`).sort(),
      );
      for (const r of RESOURCES) {
        const d = served.get(`${apiVersionOf(r)}/${r.plural}`);
        expect(d).toMatchObject({
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs,
        });
        expect(d.shortNames ?? []).toEqual(r.shortNames);
        expect(d.categories ?? []).toEqual(r.categories);
        expect(d.subresources ?? []).toEqual(
          subresourcesOf(r).map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group, version: s.version, kind: s.kind },
            verbs: s.verbs,
          })),
        );
      }
      expect(served.get('apps/v1/deployments').subresources).toContainEqual({
        subresource: 'scale',
        responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'],
      });
      expect(served.get('v1/pods').subresources.map((s: Json) => s.subresource)).toEqual([
        'status',
        'binding',
        'eviction',
        'log',
        'exec',
        'attach',
        'portforward',
      ]);
    });

    it('still answers legacy discovery to clients that do not ask', async () => {
      const api = await m1.get('/api', { accept: 'application/json' });
      expect(api.headers.get('content-type')).toBe('application/json');
      expect(api.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
      expect((await m1.get('/apis')).body.kind).toBe('APIGroupList');
      expect((await m1.get('/apis/apps/v1')).body.kind).toBe('APIResourceList');
    });

    itWithKubectl(
      'kubectl api-resources asks /api and /apis only, and lists the catalog',
      async () => {
        const r = await kubectl(['api-resources']);
        expect(r.code).toBe(0);
        expect(r.requests).toEqual(['GET /api', 'GET /apis']);
        for (const res of RESOURCES) {
          const shortNames = res.shortNames.join(',');
          const row = new RegExp(
            `^${res.plural}\\s+${shortNames ? `${shortNames}\\s+` : ''}${apiVersionOf(res).replace(/\./g, '\\.')}\\s+${res.namespaced}\\s+${res.kind}$`,
            'm',
          );
          expect(r.stdout).toMatch(row);
        }
        const wide = await kubectl(['api-resources', '-o', 'wide']);
        expect(wide.stdout).toMatch(
          /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+create,delete,deletecollection,get,list,patch,update,watch\s+all$/m,
        );
      },
    );

    itWithKubectl(
      'kubectl apply, get, scale and delete work without per-group-version discovery',
      async () => {
        const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: disco, namespace: default, labels: {app: disco}}
spec:
  replicas: 1
  selector: {matchLabels: {app: disco}}
  template:
    metadata: {labels: {app: disco}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`;
        const applied = await kubectl(['apply', '-f', '-'], manifest);
        expect(applied.stdout.trim()).toBe('deployment.apps/disco created');
        const got = await kubectl(['get', 'deploy']);
        expect(got.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
        expect(got.stdout).toMatch(/^disco\s+/m);
        const scaled = await kubectl(['scale', 'deploy', 'disco', '--replicas=3']);
        expect(scaled.stdout.trim()).toBe('deployment.apps/disco scaled');
        expect(scaled.requests).toContain(
          'PATCH /apis/apps/v1/namespaces/default/deployments/disco/scale',
        );
        const replicas = await kubectl([
          'get',
          'deploy',
          'disco',
          '-o',
          'jsonpath={.spec.replicas}',
        ]);
        expect(replicas.stdout).toBe('3');
        const deleted = await kubectl(['delete', 'deploy', 'disco']);
        expect(deleted.stdout.trim()).toBe('deployment.apps "disco" deleted');
        for (const r of [applied, got, scaled, replicas, deleted]) {
          expect(r.code).toBe(0);
          // apply reads /openapi/v3 first (client-side validation); discovery is the two requests
          expect(r.requests.filter((q) => /^GET \/apis?$/.test(q))).toEqual([
            'GET /api',
            'GET /apis',
          ]);
          expect(perGroupVersion(r.requests)).toEqual([]);
        }
      },
    );
  });

  describe('the kubernetes Service', () => {
    it(`has ${FIRST_IP}, the first address of --service-cidr, and port 443 to an API port`, async () => {
      const svc = await waitFor('the kubernetes Service', async () => {
        const r = await m1.get('/api/v1/namespaces/default/services/kubernetes');
        return r.status === 200 ? r.body : undefined;
      });
      expect(svc.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
      expect(svc.spec).toMatchObject({
        type: 'ClusterIP',
        clusterIP: FIRST_IP,
        clusterIPs: [FIRST_IP],
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: expect.any(Number) }],
      });
      expect(apiPorts).toContain(svc.spec.ports[0].targetPort);
      // Created once: every master sees the same object.
      for (const port of apiPorts.slice(1)) {
        const other = await new KubeHttp(`http://127.0.0.1:${port}`).get(
          '/api/v1/namespaces/default/services/kubernetes',
        );
        expect(other.body.metadata.uid).toBe(svc.metadata.uid);
      }
    });

    it('lists the three masters in its Endpoints and EndpointSlices', async () => {
      const wanted = apiPorts.map((p) => `127.0.0.1:${p}`).sort();
      const endpoints = await waitFor(
        'three masters in the endpoints',
        async () => {
          const r = await m1.get('/api/v1/namespaces/default/endpoints/kubernetes');
          if (r.status !== 200) return undefined;
          const listed = (r.body.subsets ?? [])
            .flatMap((s: Json) =>
              s.addresses.flatMap((a: Json) => s.ports.map((p: Json) => `${a.ip}:${p.port}`)),
            )
            .sort();
          return JSON.stringify(listed) === JSON.stringify(wanted) ? r.body : undefined;
        },
        30_000,
        200,
      );
      expect(endpoints.metadata.labels).toMatchObject({
        'endpointslice.kubernetes.io/skip-mirror': 'true',
      });
      expect(
        endpoints.subsets.flatMap((s: Json) => s.addresses.map((a: Json) => a.hostname)).sort(),
      ).toEqual(['m1', 'm2', 'm3']);
      const slices = await m1.get(
        '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes',
      );
      const fromSlices = slices.body.items
        .flatMap((s: Json) =>
          s.endpoints.flatMap((e: Json) =>
            e.addresses.map((a: string) => `${a}:${s.ports[0].port}`),
          ),
        )
        .sort();
      expect(fromSlices).toEqual(wanted);
      expect(slices.body.items.map((s: Json) => s.metadata.name)).toContain('kubernetes');
      for (const s of slices.body.items) expect(s.addressType).toBe('IPv4');
    });

    itWithKubectl('kubectl shows it', async () => {
      const r = await kubectl(['get', 'svc,ep', 'kubernetes']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `^service/kubernetes\\s+ClusterIP\\s+${FIRST_IP.replace(/\./g, '\\.')}\\s+<none>\\s+443/TCP`,
          'm',
        ),
      );
      for (const port of apiPorts) expect(r.stdout).toContain(`127.0.0.1:${port}`);
    });

    it('allocates other Services from the configured ranges', async () => {
      const created = await m1.post('/api/v1/namespaces/default/services', {
        metadata: { name: 'np' },
        spec: { type: 'NodePort', ports: [{ port: 80 }] },
      });
      expect(created.status).toBe(201);
      const ip = created.body.spec.clusterIP as string;
      expect(ip.startsWith('10.100.')).toBe(true);
      expect(ip).not.toBe(FIRST_IP);
      const nodePort = created.body.spec.ports[0].nodePort;
      expect(nodePort).toBeGreaterThanOrEqual(31000);
      expect(nodePort).toBeLessThanOrEqual(31999);
      const outside = await m1.post('/api/v1/namespaces/default/services', {
        metadata: { name: 'np2' },
        spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
      });
      expect(outside.status).toBe(422);
      expect(outside.body.message).toContain('The range of valid ports is 31000-31999');
      const taken = await m1.post('/api/v1/namespaces/default/services', {
        metadata: { name: 'steal' },
        spec: { clusterIP: FIRST_IP, ports: [{ port: 80 }] },
      });
      expect(taken.status).toBe(422);
      expect(taken.body.message).toContain('provided IP is already allocated');
    });
  });

  it.each([
    [
      ['--service-cidr', '10.96.0.0/33'],
      'flotilla control-plane: --service-cidr: "10.96.0.0/33" is not an IPv4 CIDR between /8 and /30',
    ],
    [
      ['--service-node-port-range', '32767-30000'],
      'flotilla control-plane: --service-node-port-range: "32767-30000" starts above its end',
    ],
  ])('a master given %j exits 2 with one line', async (args, line) => {
    const p = new TsProcess('apps/control-plane/src/main.ts', [
      '--name',
      'm9',
      '--insecure',
      ...args,
    ]);
    const { code } = await p.exit(30_000);
    expect(code).toBe(2);
    expect(p.stderr.split('\n').filter((l) => l !== '')).toEqual([line]);
  });
});
