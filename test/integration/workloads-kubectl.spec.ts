// The workload kinds as the real kubectl meets them on a three-master cluster: `kubectl create
// job/cronjob` (protobuf bodies), their tables, `kubectl apply` with client-side validation
// against our OpenAPI, Kubernetes' 422 causes for bad input, `kubectl create pdb`, and `kubectl
// drain` (cordon, pods/eviction, waiting) refused by a budget and going ahead without one.
import { MasterCluster } from './support/master-cluster';

describe('workloads with the real kubectl', () => {
  let cluster: MasterCluster;
  const kubectl = (args: string[], input?: string) => cluster.kubectl(args, { input });

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    await cluster.waitForApi();
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('creates a Job and a CronJob and prints them as Kubernetes does', async () => {
    const job = await kubectl([
      'create',
      'job',
      'pi',
      '--image=perl:5.34',
      '--',
      'perl',
      '-e',
      'print 1',
    ]);
    expect(job.stderr).toBe('');
    expect(job.stdout.trim()).toBe('job.batch/pi created');
    const cj = await kubectl([
      'create',
      'cronjob',
      'tick',
      '--image=busybox:1',
      '--schedule=*/5 * * * *',
      '--',
      'date',
    ]);
    expect(cj.stdout.trim()).toBe('cronjob.batch/tick created');
    const jobs = await kubectl(['get', 'jobs']);
    expect(jobs.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(jobs.stdout).toMatch(/pi\s+Running\s+0\/1/);
    const cronJobs = await kubectl(['get', 'cj']);
    expect(cronJobs.stdout.split('\n')[0]).toMatch(
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/,
    );
    expect(cronJobs.stdout).toMatch(/tick\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>/);
    const pi = JSON.parse((await kubectl(['get', 'job', 'pi', '-o', 'json'])).stdout);
    expect(pi.spec.selector.matchLabels['batch.kubernetes.io/controller-uid']).toBe(
      pi.metadata.uid,
    );
    expect(pi.spec.template.spec.restartPolicy).toBe('Never');
  }, 60_000);

  it('applies a CronJob with client-side validation and answers bad input with field causes', async () => {
    const manifest = (schedule: string, extra = '') => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "${schedule}"
  timeZone: Europe/Paris
  concurrencyPolicy: Forbid${extra}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: c
            image: busybox:1
`;
    const ok = await kubectl(['apply', '-f', '-'], manifest('0 3 * * *'));
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('cronjob.batch/nightly created');
    const unknown = await kubectl(['apply', '-f', '-'], manifest('0 3 * * *', '\n  scheduel: x'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown field "spec.scheduel"');
    const bad = await kubectl(['apply', '-f', '-'], manifest('0 3 * *'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'spec.schedule: Invalid value: "0 3 * *": expected exactly 5 fields',
    );
    const negative = await kubectl(
      ['create', '-f', '-'],
      `apiVersion: batch/v1
kind: Job
metadata: {name: neg}
spec:
  completions: -1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox:1}]
`,
    );
    expect(negative.stderr).toContain(
      'spec.completions: Invalid value: -1: must be greater than or equal to 0',
    );
  }, 60_000);

  it('applies a DaemonSet with client-side validation and prints it', async () => {
    const applied = await kubectl(
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
      nodeSelector: {role: edge}
      containers: [{name: c, image: busybox:1}]
`,
    );
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('daemonset.apps/agent created');
    const ds = await kubectl(['get', 'ds', 'agent']);
    expect(ds.stdout.split('\n')[0]).toMatch(
      /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/,
    );
    expect(ds.stdout).toMatch(/agent\s+0\s+0\s+0\s+0\s+0\s+role=edge/);
    const explain = await kubectl(['explain', 'daemonset.spec.updateStrategy']);
    expect(explain.stdout).toContain('rollingUpdate');
  }, 60_000);

  it('applies a StatefulSet and its headless Service; a bad one gets its field causes', async () => {
    const applied = await kubectl(
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
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: c, image: busybox:1}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`,
    );
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('statefulset.apps/db created');
    const sts = await kubectl(['get', 'sts', 'db']);
    expect(sts.stdout).toMatch(/db\s+0\/2/);
    const noService = await kubectl(
      ['create', '-f', '-'],
      `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: nosvc}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: c, image: busybox:1}]
`,
    );
    expect(noService.stderr).toContain('spec.serviceName: Required value');
    // In a namespace of its own: pods elsewhere in this file set no cpu requests.
    await kubectl(['create', 'namespace', 'quotas']);
    const quota = await kubectl([
      'create',
      'quota',
      'compute',
      '-n',
      'quotas',
      '--hard=pods=10,requests.cpu=4',
    ]);
    expect(quota.stderr).toBe('');
    expect(quota.stdout.trim()).toBe('resourcequota/compute created');
    const pc = await kubectl(['create', 'priorityclass', 'high', '--value=1000']);
    expect(pc.stdout.trim()).toBe('priorityclass.scheduling.k8s.io/high created');
    const quotas = await kubectl(['get', 'quota', 'compute', '-n', 'quotas']);
    expect(quotas.stdout.split('\n')[0]).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
    const manual = await kubectl(['create', 'job', 'tick-now', '--from=cronjob/tick']);
    expect(manual.stdout.trim()).toBe('job.batch/tick-now created');
  }, 60_000);

  it('drains a node: refused while a budget forbids it, done once it allows it', async () => {
    await kubectl(
      ['create', '-f', '-'],
      `apiVersion: v1
kind: Node
metadata: {name: n1}
`,
    );
    await kubectl(
      ['create', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec:
  nodeName: n1
  terminationGracePeriodSeconds: 0
  containers: [{name: c, image: busybox:1}]
`,
    );
    // What its kubelet would report: running and Ready (a Pending pod is not protected).
    const running = await kubectl([
      'patch',
      'pod',
      'db-0',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}',
    ]);
    expect(running.stderr).toBe('');
    const pdb = await kubectl(['create', 'pdb', 'db', '--selector=app=db', '--min-available=1']);
    expect(pdb.stdout.trim()).toBe('poddisruptionbudget.policy/db created');
    // No disruption controller has computed the budget: the eviction is refused (429), kubectl
    // retries it until its timeout.
    const blocked = await kubectl(['drain', 'n1', '--force', '--timeout=4s']);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain(
      "Cannot evict pod as it would violate the pod's disruption budget",
    );
    const node = JSON.parse((await kubectl(['get', 'node', 'n1', '-o', 'json'])).stdout);
    expect(node.spec.unschedulable).toBe(true);
    expect((await kubectl(['get', 'pod', 'db-0', '-o', 'name'])).stdout.trim()).toBe('pod/db-0');

    await kubectl(['delete', 'pdb', 'db']);
    const drained = await kubectl(['drain', 'n1', '--force', '--timeout=30s']);
    expect(drained.stderr).not.toContain('error');
    expect(drained.stdout).toContain('pod/db-0 evicted');
    expect(drained.stdout).toContain('node/n1 drained');
    const uncordon = await kubectl(['uncordon', 'n1']);
    expect(uncordon.stdout.trim()).toBe('node/n1 uncordoned');
  }, 90_000);
});
