// The workload controllers in three real masters, with hollow nodes running the pods, driven by
// the real kubectl: Jobs to completion (`kubectl wait`), a retried failure, an Indexed Job, a pod
// failure policy; a CronJob firing; `kubectl rollout status` and `rollout undo` of a DaemonSet;
// a StatefulSet's ordered pods, their per-pod DNS names in the EndpointSlice, a partitioned and
// an OnDelete update; `kubectl drain` held back by a PodDisruptionBudget until a replacement is
// Ready; and a StatefulSet rollout that finishes after the controller-manager's master is killed.
import { connectFromKubeconfig, type KubeClient, type Pod } from '@flotilla/client';
import { HollowFleet } from '../../apps/flotilla/src/hollow-nodes/hollow-fleet';
import type { HollowOptions } from '../../apps/flotilla/src/hollow-nodes/hollow-options';
import {
  BatchPodPlayer,
  EXIT_CODES_ANNOTATION,
  FAIL_FIRST_ANNOTATION,
} from './support/batch-pod-player';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

const NODES = ['wl-0', 'wl-1', 'wl-2'];

const fleetOptions: HollowOptions = {
  count: NODES.length,
  cpu: '8',
  memory: '16Gi',
  pods: 110,
  labels: { pool: 'workloads' },
  taints: [],
  zones: 0,
  namePrefix: 'wl',
  kubeconfig: '',
  leaseRenewMs: 10_000,
  concurrency: 16,
};

describe('workload controllers on three masters with hollow nodes, through kubectl', () => {
  let cluster: MasterCluster;
  let client: KubeClient;
  let fleet: HollowFleet;
  let player: BatchPodPlayer;
  /** The master kubectl talks to (moves off a killed one). */
  let context = 'flotilla-m1';

  const run = (args: string[], input?: string) => cluster.kubectl(args, { context, input });
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await run(args, input);
    if (r.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const getJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> =>
    JSON.parse(await kubectl(['get', ...args, '-o', 'json'])) as T;
  const podsOf = async (selector: string): Promise<Pod[]> =>
    (await client.pods('default').list({ labelSelector: selector })).items;
  const live = (pods: Pod[]) => pods.filter((p) => !p.metadata.deletionTimestamp);

  beforeAll(async () => {
    // As `flotilla up` runs: TLS, RBAC, the controller manager under its own identity.
    cluster = await MasterCluster.start(3, [], undefined, [], { secure: true });
    await cluster.waitForApi();
    client = connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      component: 'workloads-test',
      rateLimit: false,
    }).client;
    player = new BatchPodPlayer(client);
    fleet = new HollowFleet(client, fleetOptions, undefined, player);
    await fleet.start();
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop().catch(() => undefined);
    client?.close();
    await cluster?.shutdown();
  }, 120_000);

  it('runs Jobs to completion: kubectl wait, a failed pod retried, an Indexed Job, a FailJob rule', async () => {
    await kubectl(['create', 'job', 'hello', '--image=busybox:1', '--', 'true']);
    const waited = await kubectl([
      'wait',
      '--for=condition=complete',
      'job/hello',
      '--timeout=90s',
    ]);
    expect(waited.trim()).toBe('job.batch/hello condition met');

    const job = (name: string, spec: string, annotations = '{}') => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${spec}
  template:
    metadata: {annotations: ${annotations}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox:1, command: [sh, -c, work]}]
`;
    await kubectl(
      ['create', '-f', '-'],
      job('five', '  completions: 5\n  parallelism: 2', `{"${FAIL_FIRST_ANNOTATION}": "1"}`),
    );
    await kubectl(
      ['create', '-f', '-'],
      job('indexed', '  completions: 3\n  parallelism: 3\n  completionMode: Indexed'),
    );
    await kubectl(
      ['create', '-f', '-'],
      job(
        'policy',
        `  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: c, operator: In, values: [42]}`,
        `{"${EXIT_CODES_ANNOTATION}": "{\\"c\\": 42}"}`,
      ),
    );
    // The failed pod of `five` is retried after the controller's back-off (10 s at first).
    await kubectl([
      'wait',
      '--for=condition=complete',
      'job/five',
      'job/indexed',
      '--timeout=120s',
    ]);
    const five = await getJson<{ status: Record<string, unknown> }>('job', 'five');
    expect(five.status).toMatchObject({ succeeded: 5, failed: 1 });
    const indexed = await getJson<{ status: Record<string, unknown> }>('job', 'indexed');
    expect(indexed.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const indexedPods = await podsOf('batch.kubernetes.io/job-name=indexed');
    expect(indexedPods.map((p) => p.spec?.hostname).sort()).toEqual([
      'indexed-0',
      'indexed-1',
      'indexed-2',
    ]);
    expect(indexedPods[0].spec?.containers[0].env).toContainEqual({
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: {
        fieldRef: {
          apiVersion: 'v1',
          fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']",
        },
      },
    });

    const failed = await run(['wait', '--for=condition=failed', 'job/policy', '--timeout=60s']);
    if (failed.code !== 0)
      throw new Error(
        `job/policy did not fail: ${failed.stderr} ${await kubectl(['get', 'job', 'policy', '-o', 'yaml'])}`,
      );
    const policy = await getJson<{ status: { failed: number; conditions: { type: string }[] } }>(
      'job',
      'policy',
    );
    // One pod, not seven: the rule fails the Job at once, backoffLimit notwithstanding.
    expect(policy.status.failed).toBe(1);
    expect(policy.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failed', status: 'True', reason: 'PodFailurePolicy' }),
    );
    const jobs = await kubectl(['get', 'jobs']);
    expect(jobs).toMatch(/five\s+Complete\s+5\/5/);
    expect(jobs).toMatch(/policy\s+Failed\s+0\/1/);
  }, 240_000);

  it('fires a CronJob on its schedule; under Forbid its runs never overlap', async () => {
    await kubectl(
      ['create', '-f', '-'],
      `apiVersion: batch/v1
kind: CronJob
metadata: {name: often}
spec:
  schedule: "@every 5s"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: busybox:1}]
`,
    );
    // Jobs are named after their scheduled minute, as Kubernetes names them: at most one run a
    // minute, whatever the schedule, so the second run comes in the next minute.
    const cj = await waitFor(
      'two successful runs of often',
      async () => {
        const o = await getJson<{ status?: { lastSuccessfulTime?: string } }>('cronjob', 'often');
        const jobs = (
          await getJson<{ items: { metadata: { ownerReferences?: { name: string }[] } }[] }>('jobs')
        ).items.filter((j) => j.metadata.ownerReferences?.[0]?.name === 'often');
        return o.status?.lastSuccessfulTime && jobs.length >= 2 ? o : undefined;
      },
      150_000,
      1000,
    );
    expect(cj.status?.lastSuccessfulTime).toBeDefined();
    // Forbid: each run started after the one before it had completed.
    const runs = (
      await getJson<{
        items: {
          metadata: { ownerReferences?: { name: string }[] };
          status: { startTime?: string; completionTime?: string };
        }[];
      }>('jobs')
    ).items
      .filter((j) => j.metadata.ownerReferences?.[0]?.name === 'often' && j.status.startTime)
      .sort((a, b) => a.status.startTime!.localeCompare(b.status.startTime!));
    for (let i = 1; i < runs.length; i++) {
      const before = runs[i - 1].status.completionTime;
      if (before) expect(runs[i].status.startTime! >= before).toBe(true);
    }
    await kubectl(['patch', 'cronjob', 'often', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    const table = await kubectl(['get', 'cronjob', 'often']);
    expect(table).toMatch(/often\s+@every 5s\s+<none>\s+True\s+\d+\s+\d+s/);
  }, 200_000);

  it('rolls a DaemonSet out over every node, updates it, and undoes the update', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {pool: workloads}
      containers: [{name: c, image: busybox:1}]
`,
    );
    const first = await kubectl(['rollout', 'status', 'ds/agent', '--timeout=90s']);
    expect(first).toContain('daemon set "agent" successfully rolled out');
    const nodesOf = async () =>
      live(await podsOf('app=agent'))
        .map((p) => p.spec?.nodeName)
        .sort();
    expect(await nodesOf()).toEqual(NODES);

    await kubectl(['set', 'image', 'ds/agent', 'c=busybox:2']);
    const second = await kubectl(['rollout', 'status', 'ds/agent', '--timeout=90s']);
    expect(second).toContain('daemon set "agent" successfully rolled out');
    const images = async () =>
      live(await podsOf('app=agent')).map((p) => p.spec?.containers[0].image);
    expect(await images()).toEqual(['busybox:2', 'busybox:2', 'busybox:2']);
    const history = await kubectl(['rollout', 'history', 'ds/agent']);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);

    const undo = await kubectl(['rollout', 'undo', 'ds/agent']);
    expect(undo.trim()).toBe('daemonset.apps/agent rolled back');
    await kubectl(['rollout', 'status', 'ds/agent', '--timeout=90s']);
    await waitFor(
      'agent back on busybox:1 everywhere',
      async () => {
        const now = await images();
        return now.length === 3 && now.every((i) => i === 'busybox:1') ? true : undefined;
      },
      60_000,
      500,
    );
  }, 300_000);

  it('runs a StatefulSet in order with per-pod DNS names; partitioned and OnDelete updates', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: c, image: postgres:15}]
`,
    );
    // RollingUpdate defaults to partition 0, so kubectl reports a partitioned roll out, as on
    // Kubernetes.
    const rolled = await kubectl(['rollout', 'status', 'sts/db', '--timeout=90s']);
    expect(rolled).toContain('partitioned roll out complete: 3 new pods have been updated');
    const pods = live(await podsOf('app=db'));
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);
    // Ordered: each pod was created after its predecessor.
    const created = (n: string) =>
      Date.parse(pods.find((p) => p.metadata.name === n)!.metadata.creationTimestamp!);
    expect(created('db-0')).toBeLessThanOrEqual(created('db-1'));
    expect(created('db-1')).toBeLessThanOrEqual(created('db-2'));

    // db-N.db.default.svc: the EndpointSlice names each pod by its hostname.
    const hostnames = await waitFor(
      'hostnames in the db EndpointSlice',
      async () => {
        const slices = await getJson<{ items: { endpoints?: { hostname?: string }[] }[] }>(
          'endpointslices',
          '-l',
          'kubernetes.io/service-name=db',
        );
        const names = slices.items
          .flatMap((s) => s.endpoints ?? [])
          .map((e) => e.hostname ?? '')
          .sort();
        return names.length === 3 ? names : undefined;
      },
      60_000,
      500,
    );
    expect(hostnames).toEqual(['db-0', 'db-1', 'db-2']);

    // Partition 2: only db-2 moves to the new template.
    await kubectl([
      'patch',
      'sts',
      'db',
      '--type=merge',
      '-p',
      '{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}},"template":{"spec":{"containers":[{"name":"c","image":"postgres:16"}]}}}}',
    ]);
    const partitioned = await kubectl(['rollout', 'status', 'sts/db', '--timeout=90s']);
    expect(partitioned).toContain('partitioned roll out complete: 1 new pods have been updated');
    const imageOf = async () =>
      Object.fromEntries(
        live(await podsOf('app=db')).map((p) => [p.metadata.name, p.spec?.containers[0].image]),
      );
    expect(await imageOf()).toEqual({
      'db-0': 'postgres:15',
      'db-1': 'postgres:15',
      'db-2': 'postgres:16',
    });

    // OnDelete: a new template waits until a pod is deleted by hand.
    await kubectl([
      'patch',
      'sts',
      'db',
      '--type=merge',
      '-p',
      '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null},"template":{"spec":{"containers":[{"name":"c","image":"postgres:17"}]}}}}',
    ]);
    const onDelete = await run(['rollout', 'status', 'sts/db', '--timeout=10s']);
    expect(onDelete.code).not.toBe(0);
    expect(onDelete.stderr).toContain('rollout status is only available for RollingUpdate');
    await kubectl(['delete', 'pod', 'db-0', '--wait=false']);
    await waitFor(
      'db-0 recreated on postgres:17',
      async () => {
        const images = await imageOf();
        return images['db-0'] === 'postgres:17' ? images : undefined;
      },
      60_000,
      500,
    );
    expect((await imageOf())['db-1']).toBe('postgres:15');
  }, 300_000);

  it('drains a node: the budget holds the second eviction back until a replacement is Ready', async () => {
    // Both replicas on wl-1: the other nodes are cordoned while they are placed.
    await kubectl(['cordon', 'wl-0', 'wl-2']);
    await kubectl(['create', 'deployment', 'guard', '--image=nginx:1', '--replicas=2']);
    await kubectl(['rollout', 'status', 'deployment/guard', '--timeout=90s']);
    expect(live(await podsOf('app=guard')).map((p) => p.spec?.nodeName)).toEqual(['wl-1', 'wl-1']);
    await kubectl(['create', 'pdb', 'guard', '--selector=app=guard', '--min-available=1']);
    await waitFor('the guard budget to allow one disruption', async () => {
      const pdb = await getJson<{ status?: { disruptionsAllowed?: number } }>('pdb', 'guard');
      return pdb.status?.disruptionsAllowed === 1 ? true : undefined;
    });
    await kubectl(['uncordon', 'wl-0', 'wl-2']);

    // Replacements stay Pending until released: while the first evicted pod's replacement is
    // not Ready, the budget refuses the second eviction (429) and kubectl retries it.
    player.hold = (p) => p.metadata.labels?.app === 'guard';
    const draining = run([
      'drain',
      'wl-1',
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--timeout=120s',
    ]);
    await waitFor(
      'a replacement held Pending and one guard pod left on wl-1',
      async () => {
        const pods = live(await podsOf('app=guard'));
        const pending = pods.filter((p) => p.status?.phase !== 'Running');
        const onNode = pods.filter((p) => p.spec?.nodeName === 'wl-1');
        return pending.length === 1 && onNode.length === 1 ? true : undefined;
      },
      60_000,
      200,
    );
    player.release();
    const drained = await draining;
    expect(drained.code).toBe(0);
    expect(drained.stdout).toContain('node/wl-1 drained');
    expect(drained.stderr).toContain(
      "Cannot evict pod as it would violate the pod's disruption budget",
    );
    const after = live(await podsOf('app=guard'));
    expect(after).toHaveLength(2);
    expect(after.every((p) => p.spec?.nodeName !== 'wl-1')).toBe(true);
    await kubectl(['uncordon', 'wl-1']);
  }, 240_000);

  it('finishes a StatefulSet rollout after the controller-manager master is killed', async () => {
    await kubectl([
      'patch',
      'sts',
      'db',
      '--type=merge',
      '-p',
      '{"spec":{"updateStrategy":{"type":"RollingUpdate"}}}',
    ]);
    const holder = async () =>
      (await client.leases('kube-system').get('kube-controller-manager')).spec?.holderIdentity ??
      '';
    const leader = (await holder()).split('_')[0];
    expect(cluster.names).toContain(leader);
    context = `flotilla-${cluster.names.find((n) => n !== leader)}`;

    // The first new pod stays Pending: the rollout stops there until the leader is gone.
    player.hold = (p) => p.spec?.containers[0].image === 'postgres:18';
    await kubectl(['set', 'image', 'sts/db', 'c=postgres:18']);
    await waitFor(
      'db-2 recreated on postgres:18, held Pending',
      async () =>
        live(await podsOf('app=db')).some(
          (p) => p.metadata.name === 'db-2' && p.spec?.containers[0].image === 'postgres:18',
        ) || undefined,
      60_000,
      200,
    );
    cluster.kill(leader);
    await waitFor(
      'another master to take the controller-manager Lease',
      async () => {
        const now = (await holder().catch(() => '')).split('_')[0];
        return now && now !== leader ? now : undefined;
      },
      90_000,
      500,
    );
    player.release();
    const rolled = await kubectl(['rollout', 'status', 'sts/db', '--timeout=150s']);
    expect(rolled).toContain('partitioned roll out complete: 3 new pods have been updated');
    const images = live(await podsOf('app=db')).map((p) => p.spec?.containers[0].image);
    expect(images).toEqual(['postgres:18', 'postgres:18', 'postgres:18']);
  }, 240_000);
});
