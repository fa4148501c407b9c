import { MasterCluster } from './support/master-cluster';
import { ApiError } from '@flotilla/api';
import { connect, WatchEvent } from '@flotilla/client';
import { TsProcess } from './support/ts-process';
import { waitFor } from './support/wait';

describe('Kubernetes API on three real masters', () => {
  let cluster: MasterCluster;

  beforeAll(async () => {
    // The API server alone: no controller writes status or ReplicaSets under the scenarios'
    // read-modify-write steps (controller-manager-cluster.spec.ts tests the controllers).
    cluster = await MasterCluster.start(3, ['--disable-controller-manager']);
    await cluster.waitForApi();
  }, 120_000);

  const afterThis: (() => void)[] = [];
  afterEach(() => afterThis.splice(0).forEach((f) => f()));

  afterAll(async () => {
    await cluster?.shutdown();
  });

  const kubectl = (args: string[], context = 'flotilla-m1', input?: string) =>
    cluster.kubectl(args, { context, input });

  it('serves writes on one master and reads on another; 410 after compaction', async () => {
    // One client pinned to each master.
    const clients = ['m1', 'm2', 'm3'].map(
      (n) =>
        connect([`http://127.0.0.1:${cluster.ports.get(n)!.api}`], { rateLimit: false }).client,
    );
    afterThis.push(() => clients.forEach((c) => c.close()));
    const [m1, m2, m3] = clients.map((c) => c.configMaps('default'));
    const created = await m2.create({ metadata: { name: 'ha-1' }, data: { a: '1' } });
    const read = await m3.get('ha-1');
    expect(read.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const before = created.metadata.resourceVersion!;
    await m3.create({ metadata: { name: 'ha-2' } });
    await m3.create({ metadata: { name: 'ha-3' } });
    const compact = await cluster.etcdctl(['compact', String(Number(before) + 2)]);
    expect(compact.code).toBe(0);
    const gone = await m1
      .list({ resourceVersion: before, resourceVersionMatch: 'Exact' })
      .catch((e: ApiError) => e);
    expect((gone as ApiError).code).toBe(410);
    const events: WatchEvent[] = [];
    const watch = await m1.watch({ resourceVersion: before }, (e) => events.push(e));
    await watch.done;
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });

  it('passes the @kubernetes/client-node scenario, its informer surviving a killed leader', async () => {
    const leader = await cluster.leader();
    const informerOn = cluster.names.find((n) => n !== leader)!;
    const proc = new TsProcess(
      'test/integration/support/client-node-scenario.mts',
      [cluster.kubeconfig, `flotilla-${informerOn}`],
      { stdin: true },
    );
    let killed = false;
    await waitFor(
      'the scenario to reach the fault step or finish',
      () => {
        if (!killed && proc.stdout.includes('KILL\n')) {
          cluster.kill(leader);
          killed = true;
          proc.write('KILLED');
        }
        return proc.stdout.includes('RESULT ') ? true : undefined;
      },
      150_000,
      100,
    );
    await proc.exit(10_000);
    const result = JSON.parse(proc.stdout.split('RESULT ')[1]);
    expect(result.error).toBeUndefined();
    expect(Object.values(result.crud).every((v) => v === 'ok')).toBe(true);
    expect(Object.keys(result.crud)).toHaveLength(12);
    expect(result.conflictsAndSelectors).toEqual({
      conflict: 409,
      labelSelected: ['c2'],
      fieldSelected: ['c1'],
    });
    expect(result.listThenWatch.seen).toEqual(['ADDED w1', 'DELETED w1']);
    expect(killed).toBe(true);
    expect(result.informer).toMatchObject({ consistent: true, listedCount: 32 });
    cluster.startMember(leader);
    await cluster.waitReady(leader);
  }, 240_000);

  describe('kubectl', () => {
    const manifest = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
`;

    it('api-resources lists the catalog with short names', async () => {
      const r = await kubectl(['api-resources']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      expect(r.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    });

    it('get prints tables, json, yaml, wide, across namespaces and by label', async () => {
      const ns = await kubectl(['get', 'ns']);
      expect(ns.stdout).toMatch(/^NAME\s+STATUS\s+AGE$/m);
      expect(ns.stdout).toMatch(/^kube-system\s+Active\s+/m);
      expect(
        JSON.parse((await kubectl(['get', 'ns', 'default', '-o', 'json'])).stdout).metadata.name,
      ).toBe('default');
      expect((await kubectl(['get', 'ns', 'default', '-o', 'yaml'])).stdout).toContain(
        'name: default',
      );
      await kubectl(
        ['create', '-f', '-'],
        'flotilla-m2',
        `apiVersion: v1
kind: Pod
metadata: {name: kp, namespace: default, labels: {app: kp}}
spec:
  containers: [{name: c, image: busybox}]
`,
      );
      const wide = await kubectl(['get', 'pods', '-o', 'wide']);
      expect(wide.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/m);
      expect((await kubectl(['get', 'pods', '-A'])).stdout).toMatch(/^default\s+kp\s+/m);
      expect((await kubectl(['get', 'pods', '-l', 'app=kp', '-o', 'name'])).stdout.trim()).toBe(
        'pod/kp',
      );
      expect((await kubectl(['describe', 'pod', 'kp'])).stdout).toMatch(/^Name:\s+kp$/m);
    });

    it('apply twice (the second a strategic merge patch), label, annotate, scale, patch, delete', async () => {
      const first = await kubectl(['apply', '-f', '-'], 'flotilla-m1', manifest(1));
      expect(first.stderr).toBe('');
      expect(first.stdout.trim()).toBe('deployment.apps/web created');
      const second = await kubectl(['apply', '-f', '-'], 'flotilla-m3', manifest(2));
      expect(second.stdout.trim()).toBe('deployment.apps/web configured');
      expect((await kubectl(['label', 'deploy', 'web', 'tier=front'])).stdout.trim()).toBe(
        'deployment.apps/web labeled',
      );
      expect((await kubectl(['annotate', 'deploy', 'web', 'note=hello'])).stdout.trim()).toBe(
        'deployment.apps/web annotated',
      );
      expect((await kubectl(['scale', 'deploy', 'web', '--replicas=4'])).stdout.trim()).toBe(
        'deployment.apps/web scaled',
      );
      const patched = await kubectl([
        'patch',
        'deploy',
        'web',
        '--type=merge',
        '-p',
        '{"spec":{"minReadySeconds":3}}',
      ]);
      expect(patched.stdout.trim()).toBe('deployment.apps/web patched');
      const obj = JSON.parse(
        (await kubectl(['get', 'deploy', 'web', '-o', 'json'], 'flotilla-m2')).stdout,
      );
      expect(obj.spec).toMatchObject({ replicas: 4, minReadySeconds: 3 });
      expect(obj.metadata.labels.tier).toBe('front');
      expect(obj.metadata.annotations.note).toBe('hello');
      expect((await kubectl(['delete', 'deploy', 'web'])).stdout.trim()).toBe(
        'deployment.apps "web" deleted',
      );
    });

    it('watches with -w until the timeout', async () => {
      const watching = kubectl(['get', 'configmaps', '-w', '--request-timeout=3s']);
      await new Promise((r) => setTimeout(r, 1000));
      await kubectl([
        'create',
        'configmap',
        'watched',
        '--from-literal=a=b',
        '--validate=false',
      ]).catch(() => undefined);
      await kubectl(
        ['create', '-f', '-'],
        'flotilla-m1',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched2}\n',
      );
      const out = await watching;
      expect(out.stdout).toMatch(/^watched2\s+0\s+/m);
    });

    it('reports bad input with the server message', async () => {
      const r = await kubectl(
        ['create', '-f', '-'],
        'flotilla-m1',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n',
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('is invalid');
    });
  });
});
