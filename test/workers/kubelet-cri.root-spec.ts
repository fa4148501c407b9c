// The kubelet on real workers: network namespaces on a fabric, a containerd per worker, node
// agents started with nsenter, pods from manifest files. Runs as root (npm run test:workers).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { WorkerLab } from '../../libs/kubelet/src/host/lab';
import type { Pod } from '../../libs/kubelet/src/pod/types';
import { run } from '../../libs/kubelet/src/host/run';
import { REPO_ROOT, condition, containerStatus, createLab, eventually } from './support/lab';

let lab: WorkerLab;

beforeAll(async () => {
  lab = await createLab(2);
  await Promise.all([lab.startAgent('w1'), lab.startAgent('w2')]);
}, 300_000);

afterAll(async () => {
  if (!lab) return;
  await lab.destroy();
  expect(await lab.leftovers()).toEqual([]);
}, 120_000);

async function apply(worker: string, file: string, yaml: string): Promise<void> {
  const dir = lab.manifestDir(worker);
  // Written aside and renamed in, so a scan never reads half a file.
  await fs.writeFile(join(dir, `.${file}.tmp`), yaml);
  await fs.rename(join(dir, `.${file}.tmp`), join(dir, file));
}

async function remove(worker: string, file: string): Promise<void> {
  await fs.rm(join(lab.manifestDir(worker), file), { force: true });
}

async function pod(worker: string, name: string): Promise<Pod | undefined> {
  return (await lab.pods(worker)).find((p) => p.metadata.name === `${name}-${worker}`);
}

async function waitPod(
  worker: string,
  name: string,
  what: string,
  ok: (p: Pod) => boolean,
  timeoutMs = 30_000,
): Promise<Pod> {
  let last: Pod | undefined;
  try {
    return await eventually(
      `${name} on ${worker}: ${what}`,
      async () => {
        last = await pod(worker, name);
        return last && ok(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`,
    );
  }
}

const running = (p: Pod) => p.status?.phase === 'Running' && condition(p, 'Ready') === 'True';

async function exec(worker: string, p: Pod, container: string, cmd: string[]): Promise<string> {
  const id = containerStatus(p, container)!.containerID!.replace(/^containerd:\/\//, '');
  const r = await lab.cri(worker).execSync(id, cmd, 10);
  if (r.exitCode !== 0)
    throw new Error(`${cmd.join(' ')} exited ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

function httpGet(ip: string, path = '/'): string[] {
  // busybox's wget crashes here; nc with a hand-written request does the job.
  return ['sh', '-c', `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80`];
}

describe('kubelet over CRI on containerd', () => {
  it('runs a pod that answers on its IP from a client namespace and from a pod on the other worker', async () => {
    await apply(
      'w1',
      'web.yaml',
      `
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: flotilla/demo-web
    ports: [{containerPort: 80, hostPort: 8080}]
    readinessProbe: {httpGet: {port: 80}, periodSeconds: 1}
`,
    );
    await apply(
      'w2',
      'client.yaml',
      `
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: sh, image: flotilla/demo-web, command: [sleep, '3600']}]
`,
    );
    const web = await waitPod('w1', 'web', 'Running and Ready', running);
    expect(web.status!.podIP).toMatch(/^10\.240\.1\./);
    expect(web.status!.hostIP).toBe(lab.host('w1').address);
    expect(containerStatus(web, 'web')).toMatchObject({
      ready: true,
      started: true,
      restartCount: 0,
      image: 'docker.io/flotilla/demo-web:latest',
      imageID: expect.stringMatching(/^docker\.io\/flotilla\/demo-web@sha256:/),
      containerID: expect.stringMatching(/^containerd:\/\/[0-9a-f]{64}$/),
    });
    expect(await lab.fromClient(['curl', '-s', '-m', '5', `http://${web.status!.podIP}/`])).toBe(
      'web-w1\n',
    );
    const client = await waitPod('w2', 'client', 'Running', running);
    const answer = await exec('w2', client, 'sh', httpGet(web.status!.podIP!));
    expect(answer).toMatch(/^HTTP\/1\.[01] 200/);
    expect(answer.trim().endsWith('web-w1')).toBe(true);
    // hostPort: the node's address forwards to the pod (portmap).
    const viaNode = `http://${lab.host('w1').address}:8080/`;
    const got = await lab.fromClient(['curl', '-s', '-m', '5', viaNode]);
    expect(got).toBe('web-w1\n');
    await remove('w2', 'client.yaml');
  });

  it('applies the security context and turns resources into cgroup limits', async () => {
    await apply(
      'w2',
      'secure.yaml',
      `
kind: Pod
metadata: {name: secure}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000]}
  containers:
  - name: app
    image: flotilla/demo-web
    command: [sleep, '3600']
    resources: {requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
`,
    );
    const p = await waitPod('w2', 'secure', 'Running', running);
    expect(p.status!.qosClass).toBe('Burstable');
    expect((await exec('w2', p, 'app', ['id'])).trim()).toBe('uid=1000 gid=3000 groups=3000,4000');
    const caps = await exec('w2', p, 'app', ['grep', 'CapBnd', '/proc/self/status']);
    expect(caps.trim()).toBe('CapBnd:\t0000000000000400');
    const write = await lab
      .cri('w2')
      .execSync(containerStatus(p, 'app')!.containerID!.slice(13), ['touch', '/x'], 5);
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr.toString()).toMatch(/Read-only file system/);
    const id = containerStatus(p, 'app')!.containerID!.slice('containerd://'.length);
    const cg = `${lab.host('w2').cgroupRoot}/pod${p.metadata.uid}/${id}`;
    const read = (h: string, f: string) =>
      fs.readFile(`/sys/fs/cgroup/${h}${cg}/${f}`, 'utf8').then((t) => t.trim());
    expect(await read('memory', 'memory.limit_in_bytes')).toBe(String(64 * 2 ** 20));
    expect(await read('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(await read('cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(await read('cpu', 'cpu.shares')).toBe('256');
    await remove('w2', 'secure.yaml');
  });

  it('gives containers env from ConfigMaps, Secrets and the downward API, and updates configMap volumes', async () => {
    const cfg = (greeting: string) => `
kind: ConfigMap
metadata: {name: app-config}
data: {greeting: ${greeting}, color: blue}
---
kind: Secret
metadata: {name: app-secret}
data: {password: ${Buffer.from('s3cret').toString('base64')}}
`;
    await apply('w1', 'env-objects.yaml', cfg('hello'));
    await apply(
      'w1',
      'env.yaml',
      `
kind: Pod
metadata: {name: env, labels: {tier: back}}
spec:
  containers:
  - name: app
    image: flotilla/demo-web
    command: [sleep, '3600']
    resources: {limits: {memory: 64Mi}}
    envFrom: [{configMapRef: {name: app-config}, prefix: CFG_}]
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: password}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: MESSAGE, value: '$(GREETING) from $(POD_NAME)'}
    volumeMounts: [{name: config, mountPath: /config}]
  volumes: [{name: config, configMap: {name: app-config}}]
`,
    );
    const p = await waitPod('w1', 'env', 'Running', running);
    const env = await exec('w1', p, 'app', [
      'sh',
      '-c',
      'echo "$GREETING|$PASSWORD|$POD_NAME|$POD_IP|$MEM_MI|$MESSAGE|$CFG_color"',
    ]);
    expect(env.trim()).toBe(`hello|s3cret|env-w1|${p.status!.podIP}|64|hello from env-w1|blue`);
    expect(await exec('w1', p, 'app', ['cat', '/config/greeting'])).toBe('hello');
    await apply('w1', 'env-objects.yaml', cfg('bonjour'));
    await eventually('the configMap volume to show the update', async () =>
      (await exec('w1', p, 'app', ['cat', '/config/greeting'])) === 'bonjour' ? true : undefined,
    );
    await remove('w1', 'env.yaml');
  });

  it('shares an emptyDir between two containers and mounts a Memory emptyDir as tmpfs', async () => {
    await apply(
      'w1',
      'shared.yaml',
      `
kind: Pod
metadata: {name: shared}
spec:
  containers:
  - name: writer
    image: flotilla/demo-web
    command: [sh, -c, 'echo from-writer > /data/note; sleep 3600']
    volumeMounts: [{name: data, mountPath: /data}, {name: mem, mountPath: /mem}]
  - name: reader
    image: flotilla/demo-web
    command: [sleep, '3600']
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}, {name: mem, emptyDir: {medium: Memory}}]
`,
    );
    const p = await waitPod('w1', 'shared', 'Running', running);
    await eventually('the note in the reader', async () =>
      (await exec('w1', p, 'reader', ['cat', '/data/note']).catch(() => '')) === 'from-writer\n'
        ? true
        : undefined,
    );
    expect(
      await exec('w1', p, 'writer', ['sh', '-c', "grep ' /mem ' /proc/mounts | cut -d' ' -f3"]),
    ).toBe('tmpfs\n');
    await remove('w1', 'shared.yaml');
  });

  it('runs init containers in order before the app container', async () => {
    await apply(
      'w1',
      'init.yaml',
      `
kind: Pod
metadata: {name: init}
spec:
  initContainers:
  - {name: first, image: flotilla/demo-web, command: [sh, -c, 'echo first >> /work/log'], volumeMounts: [{name: work, mountPath: /work}]}
  - {name: second, image: flotilla/demo-web, command: [sh, -c, 'sleep 1; echo second >> /work/log'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: app, image: flotilla/demo-web, command: [sh, -c, 'echo app >> /work/log; sleep 3600'], volumeMounts: [{name: work, mountPath: /work}]}
  volumes: [{name: work, emptyDir: {}}]
`,
    );
    const p = await waitPod('w1', 'init', 'Running', running);
    expect(
      p.status!.initContainerStatuses!.map((s) => [s.name, s.state.terminated?.reason, s.ready]),
    ).toEqual([
      ['first', 'Completed', true],
      ['second', 'Completed', true],
    ]);
    expect(condition(p, 'Initialized')).toBe('True');
    await eventually('the app line', async () =>
      (await exec('w1', p, 'app', ['cat', '/work/log'])) === 'first\nsecond\napp\n'
        ? true
        : undefined,
    );
    await remove('w1', 'init.yaml');
  });

  it('restarts a container whose liveness probe fails, and gates Ready on the readiness probe', async () => {
    await apply(
      'w1',
      'probes.yaml',
      `
kind: Pod
metadata: {name: probes}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: flotilla/demo-web
    command: [sh, -c, 'touch /tmp/alive; sleep 3600']
    livenessProbe: {exec: {command: [test, -f, /tmp/alive]}, periodSeconds: 1, failureThreshold: 2}
    readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1}
`,
    );
    let p = await waitPod(
      'w1',
      'probes',
      'Running, not Ready',
      (x) => x.status?.phase === 'Running' && containerStatus(x, 'app')?.started === true,
    );
    expect(condition(p, 'Ready')).toBe('False');
    expect(p.status!.conditions!.find((c) => c.type === 'Ready')?.reason).toBe(
      'ContainersNotReady',
    );
    await exec('w1', p, 'app', ['touch', '/tmp/ready']);
    p = await waitPod('w1', 'probes', 'Ready', (x) => condition(x, 'Ready') === 'True');
    await exec('w1', p, 'app', ['rm', '/tmp/ready']);
    p = await waitPod('w1', 'probes', 'not Ready again', (x) => condition(x, 'Ready') === 'False');
    expect(containerStatus(p, 'app')!.restartCount).toBe(0);
    await exec('w1', p, 'app', ['rm', '/tmp/alive']);
    p = await waitPod(
      'w1',
      'probes',
      'restarted by its liveness probe',
      (x) => containerStatus(x, 'app')!.restartCount === 1 && x.status!.phase === 'Running',
    );
    expect(containerStatus(p, 'app')!.lastState.terminated).toMatchObject({ exitCode: 137 });
    await remove('w1', 'probes.yaml');
  });

  it('backs off a crashing container: CrashLoopBackOff with the exit in lastState', async () => {
    await apply(
      'w2',
      'crash.yaml',
      `
kind: Pod
metadata: {name: crash}
spec:
  containers: [{name: app, image: flotilla/demo-web, command: [sh, -c, 'exit 3']}]
`,
    );
    const p = await waitPod(
      'w2',
      'crash',
      'in CrashLoopBackOff after two restarts',
      (x) => {
        const s = containerStatus(x, 'app');
        return (s?.restartCount ?? 0) >= 2 && s?.state.waiting?.reason === 'CrashLoopBackOff';
      },
      60_000,
    );
    const s = containerStatus(p, 'app')!;
    expect(s.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(s.state.waiting!.message).toMatch(
      /^back-off (10|20)s restarting failed container=app pod=crash-w2_default\(/,
    );
    expect(p.status!.phase).toBe('Running');
    await remove('w2', 'crash.yaml');
  });

  it('reports OOMKilled when a container passes its memory limit', async () => {
    await apply(
      'w2',
      'oom.yaml',
      `
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: flotilla/demo-web
    command: [sh, -c, 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done']
    resources: {limits: {memory: 16Mi}}
`,
    );
    const p = await waitPod('w2', 'oom', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(containerStatus(p, 'hog')!.state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
    });
    await remove('w2', 'oom.yaml');
  });

  it('deletes gracefully: preStop runs, then SIGKILL at the end of the grace period (httpd ignores SIGTERM)', async () => {
    const hostDir = join(lab.host('w1').dir, 'prestop');
    await fs.mkdir(hostDir, { recursive: true });
    await apply(
      'w1',
      'graceful.yaml',
      `
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 4
  containers:
  - name: web
    image: flotilla/demo-web
    lifecycle: {preStop: {exec: {command: [sh, -c, 'date +%s > /out/prestop']}}}
    volumeMounts: [{name: out, mountPath: /out}]
  volumes: [{name: out, hostPath: {path: ${hostDir}}}]
`,
    );
    await waitPod('w1', 'graceful', 'Running', running);
    const t0 = Date.now();
    await remove('w1', 'graceful.yaml');
    await eventually(
      'the pod to be gone',
      async () => ((await pod('w1', 'graceful')) ? undefined : true),
      30_000,
      100,
    );
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(3500);
    expect(await fs.readFile(join(hostDir, 'prestop'), 'utf8')).toMatch(/^\d+\n$/);
    const killing = lab.agents
      .get('w1')!
      .logLines()
      .filter((l) => l.reason === 'Killing' && l.pod === 'default/graceful-w1');
    expect(killing).toHaveLength(1);
  });

  it('keeps serving while bad pods wait with clear reasons: missing image, bad command, missing ConfigMap', async () => {
    await apply(
      'w2',
      'bad.yaml',
      `
kind: Pod
metadata: {name: noimage}
spec:
  containers: [{name: app, image: flotilla/does-not-exist:1}]
---
kind: Pod
metadata: {name: badcmd}
spec:
  containers: [{name: app, image: flotilla/demo-web, command: [/no/such/binary]}]
---
kind: Pod
metadata: {name: noconfig}
spec:
  containers:
  - name: app
    image: flotilla/demo-web
    env: [{name: X, valueFrom: {configMapKeyRef: {name: missing-config, key: x}}}]
---
kind: Pod
metadata: {name: novolume}
spec:
  containers: [{name: app, image: flotilla/demo-web}]
  volumes: [{name: cfg, configMap: {name: missing-config}}]
`,
    );
    await apply('w2', 'garbage.yaml', 'kind: Pod\nmetadata: {name: [unclosed\n');
    await apply(
      'w2',
      'good.yaml',
      `
kind: Pod
metadata: {name: good}
spec:
  containers: [{name: web, image: flotilla/demo-web}]
`,
    );
    const waiting = (name: string, reasons: string[]) =>
      waitPod(
        'w2',
        name,
        `waiting with ${reasons.join(' or ')}`,
        (x) => reasons.includes(containerStatus(x, 'app')?.state.waiting?.reason ?? ''),
        60_000,
      );
    const seen = new Set<string>();
    const noimage = await waiting('noimage', ['ErrImagePull', 'ImagePullBackOff']);
    seen.add(containerStatus(noimage, 'app')!.state.waiting!.reason!);
    const other = await waiting(
      'noimage',
      [...seen].includes('ErrImagePull') ? ['ImagePullBackOff'] : ['ErrImagePull'],
    );
    seen.add(containerStatus(other, 'app')!.state.waiting!.reason!);
    expect(seen).toEqual(new Set(['ErrImagePull', 'ImagePullBackOff']));
    expect(other.status!.phase).toBe('Pending');

    // RunContainerError shows from the failed start until the next sync puts the container in
    // back-off (CrashLoopBackOff), a window a loaded machine's polling can miss; the failed start
    // itself stays in lastState either way.
    const badcmd = await waitPod(
      'w2',
      'badcmd',
      'waiting after a StartError',
      (x) => {
        const s = containerStatus(x, 'app');
        return (
          ['RunContainerError', 'CrashLoopBackOff'].includes(s?.state.waiting?.reason ?? '') &&
          s?.lastState.terminated?.reason === 'StartError'
        );
      },
      60_000,
    );
    expect(containerStatus(badcmd, 'app')!.lastState.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
      message: expect.stringMatching(/no such file or directory/),
    });

    const noconfig = await waiting('noconfig', ['CreateContainerConfigError']);
    expect(containerStatus(noconfig, 'app')!.state.waiting!.message).toBe(
      'configmap "missing-config" not found',
    );

    const novolume = await waiting('novolume', ['ContainerCreating']);
    expect(novolume.status!.phase).toBe('Pending');
    await eventually(
      'the FailedMount event',
      async () =>
        lab.agents
          .get('w2')!
          .logLines()
          .some(
            (l) =>
              l.reason === 'FailedMount' &&
              l.eventMessage ===
                'MountVolume.SetUp failed for volume "cfg" : configmap "missing-config" not found',
          ) || undefined,
    );
    expect(
      lab.agents
        .get('w2')!
        .logLines()
        .some((l) => l.msg === 'manifest skipped' && String(l.problem).startsWith('garbage.yaml')),
    ).toBe(true);

    const good = await waitPod('w2', 'good', 'Running', running);
    expect(await lab.fromClient(['curl', '-s', '-m', '5', `http://${good.status!.podIP}/`])).toBe(
      'good-w2\n',
    );

    // The missing ConfigMap arrives: both pods that waited for it start.
    await apply(
      'w2',
      'missing-config.yaml',
      'kind: ConfigMap\nmetadata: {name: missing-config}\ndata: {x: "1"}\n',
    );
    await waitPod('w2', 'noconfig', 'Running', running);
    await waitPod('w2', 'novolume', 'Running', running);
    for (const f of ['bad.yaml', 'garbage.yaml', 'good.yaml', 'missing-config.yaml'])
      await remove('w2', f);
  });

  it('runs an image loaded from a docker-archive with flotilla images load', async () => {
    const archive = join(lab.options.dir, 'loaded.tar');
    // A docker save-like archive of the demo image under another name.
    await run('skopeo', [
      'copy',
      '--quiet',
      '--insecure-policy',
      '--src-tls-verify=false',
      `docker://${lab.registry}/flotilla/demo-web:latest`,
      `docker-archive:${archive}:example/loaded:v1`,
    ]);
    const out = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'apps/flotilla/src/main.ts'),
        'images',
        'load',
        archive,
        '--registry',
        lab.registry,
      ],
      { cwd: REPO_ROOT },
    );
    expect(out).toBe('loaded docker.io/example/loaded:v1\n');
    await apply(
      'w2',
      'loaded.yaml',
      `
kind: Pod
metadata: {name: loaded}
spec:
  containers: [{name: web, image: example/loaded:v1}]
`,
    );
    const p = await waitPod('w2', 'loaded', 'Running', running);
    expect(containerStatus(p, 'web')!.image).toBe('docker.io/example/loaded:v1');
    await remove('w2', 'loaded.yaml');
  });

  it('a restarted node agent adopts the running pods without restarting them', async () => {
    const before = await waitPod('w1', 'web', 'Running', running);
    const id = containerStatus(before, 'web')!.containerID;
    await lab.stopAgent('w1', 'SIGKILL');
    await lab.startAgent('w1');
    const after = await waitPod('w1', 'web', 'Running and Ready again', running);
    expect(containerStatus(after, 'web')!.containerID).toBe(id);
    expect(containerStatus(after, 'web')!.restartCount).toBe(0);
    expect(after.status!.podIP).toBe(before.status!.podIP);
    const created = lab.agents
      .get('w1')!
      .logLines()
      .filter((l) => l.reason === 'Created' || l.reason === 'Killing');
    expect(created).toEqual([]);
    expect(await lab.fromClient(['curl', '-s', '-m', '5', `http://${after.status!.podIP}/`])).toBe(
      'web-w1\n',
    );
  });
});
