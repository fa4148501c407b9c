import { FakeNode } from './testing/fake-node';
import { container, pod } from './testing/fixtures';
import type { Pod, PodStatus } from './pod/types';

function app(s: PodStatus, name = 'app') {
  return s.containerStatuses.find((c) => c.name === name)!;
}

function waitingReason(s: PodStatus, name = 'app'): string | undefined {
  return app(s, name).state.waiting?.reason;
}

function ready(s: PodStatus): string | undefined {
  return s.conditions.find((c) => c.type === 'Ready')?.status;
}

describe('Kubelet over the fake runtime', () => {
  let node: FakeNode;
  beforeEach(async () => {
    node = new FakeNode();
    await node.start();
  });
  afterEach(() => node.cleanup());

  it('runs a pod: sandbox, image, container; Running and Ready with the pod IP', async () => {
    const p = pod();
    node.kubelet.setPods([p]);
    await node.advance(0);
    const s = node.status(p);
    expect(s.phase).toBe('Running');
    expect(ready(s)).toBe('True');
    expect(s.podIP).toBe('10.88.0.2');
    expect(app(s).containerID).toMatch(/^fake:\/\/c/);
    expect(
      node.runtime.calls.filter((c) =>
        /RunPodSandbox|PullImage|CreateContainer|StartContainer/.test(c),
      ),
    ).toEqual(
      ['RunPodSandbox', 'CreateContainer', 'StartContainer'].flatMap((c) =>
        c === 'CreateContainer' ? ['PullImage', c] : [c],
      ),
    );
    expect(node.events.reasons()).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('runs init containers one after the other, then the app', async () => {
    node.runtime.setBehaviour((config) =>
      config.metadata.name.startsWith('init') ? { exitAfterMs: 1000 } : {},
    );
    const p = pod({ initContainers: [container('init1'), container('init2')] });
    node.kubelet.setPods([p]);
    await node.advance(0);
    expect(node.status(p).initContainerStatuses!.map((c) => Object.keys(c.state)[0])).toEqual([
      'running',
      'waiting',
    ]);
    expect(waitingReason(node.status(p))).toBe('PodInitializing');
    await node.advance(1500);
    expect(node.status(p).initContainerStatuses!.map((c) => Object.keys(c.state)[0])).toEqual([
      'terminated',
      'running',
    ]);
    await node.advance(1500);
    const s = node.status(p);
    expect(s.initContainerStatuses!.map((c) => c.state.terminated?.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(s.phase).toBe('Running');
    const started = node.runtime
      .allContainers()
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((c) => c.metadata.name);
    expect(started).toEqual(['init1', 'init2', 'app']);
  });

  it('backs off a crashing container: restarts after 0, 10, 20 s with CrashLoopBackOff between', async () => {
    node.runtime.setBehaviour(() => ({ exitAfterMs: 1000, exitCode: 3 }));
    const p = pod();
    node.kubelet.setPods([p]);
    const restarts: number[] = [];
    const reasons = new Set<string>();
    for (let t = 0; t < 70_000; t += 500) {
      await node.advance(500);
      const s = node.status(p);
      restarts.push(app(s).restartCount);
      const w = waitingReason(s);
      if (w) reasons.add(w);
    }
    // Start at 0, crash at 1 s, restart at once; crash at ~2.5 s, wait 10 s; crash, wait 20 s ...
    const firstAt = (n: number) => restarts.findIndex((r) => r >= n) * 0.5;
    expect(firstAt(1)).toBeLessThanOrEqual(2);
    expect(firstAt(2) - firstAt(1)).toBeGreaterThanOrEqual(10);
    expect(firstAt(2) - firstAt(1)).toBeLessThan(13);
    expect(firstAt(3) - firstAt(2)).toBeGreaterThanOrEqual(20);
    expect(firstAt(3) - firstAt(2)).toBeLessThan(23);
    expect(reasons).toContain('CrashLoopBackOff');
    const s = node.status(p);
    expect(s.phase).toBe('Running');
    expect(app(s).lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(app(s).state.waiting?.message).toMatch(
      /^back-off 40s restarting failed container=app pod=web_default\(uid-1\)$/,
    );
    // Dead instances are collected: the newest and the one before remain.
    expect(node.runtime.allContainers().length).toBeLessThanOrEqual(2);
  });

  it('shows ErrImagePull, then ImagePullBackOff, and starts once the image can be pulled', async () => {
    node.runtime.failPulls('flotilla/missing:1', 'rpc error: not found');
    const p = pod({ containers: [container('app', { image: 'flotilla/missing:1' })] });
    const other = pod({}, { name: 'other', uid: 'uid-2' });
    node.kubelet.setPods([p, other]);
    await node.advance(0);
    expect(waitingReason(node.status(p))).toBe('ErrImagePull');
    expect(app(node.status(p)).state.waiting?.message).toBe('PullImage: rpc error: not found');
    await node.advance(2000);
    expect(waitingReason(node.status(p))).toBe('ImagePullBackOff');
    expect(node.status(p).phase).toBe('Pending');
    // The node keeps serving its other pods.
    expect(node.status(other).phase).toBe('Running');
    node.runtime.failPulls('flotilla/missing:1', undefined);
    await node.advance(10_000);
    expect(node.status(p).phase).toBe('Running');
  });

  it('says RunContainerError for a command that cannot start, then backs off', async () => {
    node.runtime.setBehaviour(() => ({
      startError: 'exec: "/nope": stat /nope: no such file or directory',
    }));
    const p = pod({ containers: [container('app', { command: ['/nope'] })] });
    node.kubelet.setPods([p]);
    await node.advance(0);
    let s = node.status(p);
    expect(waitingReason(s)).toBe('RunContainerError');
    expect(app(s).lastState.terminated?.reason).toBe('StartError');
    await node.advance(3000);
    s = node.status(p);
    expect(['RunContainerError', 'CrashLoopBackOff']).toContain(waitingReason(s));
    expect(s.phase).toBe('Running');
  });

  it('waits with CreateContainerConfigError for a missing ConfigMap, and starts once it exists', async () => {
    const p = pod({
      containers: [
        container('app', {
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
          ],
          envFrom: [{ secretRef: { name: 'sec' }, prefix: 'S_' }],
          command: ['echo', '$(GREETING)'],
        }),
      ],
    });
    node.objects.put({
      kind: 'Secret',
      metadata: { name: 'sec', namespace: 'default' },
      data: { pw: Buffer.from('x').toString('base64') },
    });
    node.kubelet.setPods([p]);
    await node.advance(0);
    const s = node.status(p);
    expect(waitingReason(s)).toBe('CreateContainerConfigError');
    expect(app(s).state.waiting?.message).toBe('configmap "cfg" not found');
    node.objects.put({
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'hi' },
    });
    node.kubelet.objectsChanged();
    await node.advance(0);
    expect(node.status(p).phase).toBe('Running');
    const created = node.runtime.allContainers()[0];
    expect(created.labels['io.kubernetes.container.name']).toBe('app');
  });

  it('keeps a pod whose volume needs a missing ConfigMap in ContainerCreating with a FailedMount event', async () => {
    const p = pod({ volumes: [{ name: 'cfg', configMap: { name: 'nope' } }] });
    node.kubelet.setPods([p]);
    await node.advance(0);
    expect(waitingReason(node.status(p))).toBe('ContainerCreating');
    const failed = node.events.events.find((e) => e.reason === 'FailedMount');
    expect(failed?.message).toBe(
      'MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found',
    );
  });

  it('reports OOMKilled; under restartPolicy Never the pod fails and its sandbox stops', async () => {
    node.runtime.setBehaviour(() => ({ exitAfterMs: 500, oom: true }));
    const p = pod({
      restartPolicy: 'Never',
      containers: [container('app', { resources: { limits: { memory: '16Mi' } } })],
    });
    node.kubelet.setPods([p]);
    await node.advance(2000);
    const s = node.status(p);
    expect(s.phase).toBe('Failed');
    expect(app(s).state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(node.runtime.allSandboxes()[0].state).toBe('notready');
    expect(node.runtime.allContainers()).toHaveLength(1);
  });

  it('restarts a container whose liveness probe fails failureThreshold times', async () => {
    const p = pod({
      containers: [
        container('app', {
          livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1, failureThreshold: 3 },
        }),
      ],
    });
    node.kubelet.setPods([p]);
    await node.advance(5000);
    expect(app(node.status(p)).restartCount).toBe(0);
    node.prober.answers.set('app', false);
    await node.advance(5000);
    const s = node.status(p);
    expect(app(s).restartCount).toBe(1);
    expect(app(s).lastState.terminated).toBeDefined();
    expect(node.events.reasons()).toContain('Unhealthy');
    expect(node.events.events.find((e) => e.reason === 'Killing')?.message).toBe(
      'Container app failed liveness probe, will be restarted',
    );
  });

  it('gates Ready on the readiness probe, after initialDelaySeconds', async () => {
    const p = pod({
      containers: [
        container('app', {
          readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 3, periodSeconds: 1 },
        }),
      ],
    });
    node.kubelet.setPods([p]);
    await node.advance(2000);
    expect(ready(node.status(p))).toBe('False');
    expect(node.prober.runs).toEqual([]);
    await node.advance(2000);
    expect(ready(node.status(p))).toBe('True');
    node.prober.answers.set('app', false);
    await node.advance(4000);
    expect(ready(node.status(p))).toBe('False');
    expect(app(node.status(p)).restartCount).toBe(0);
  });

  it('deletes gracefully: preStop, stop signal, SIGKILL at the end of the grace period, then cleanup', async () => {
    const execs: string[][] = [];
    node.runtime.setBehaviour(() => ({
      ignoresSigterm: true,
      exec: (cmd) => (
        execs.push(cmd),
        { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }
      ),
    }));
    const p = pod({
      terminationGracePeriodSeconds: 5,
      containers: [
        container('app', {
          lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'echo bye'] } } },
        }),
      ],
    });
    node.kubelet.setPods([p]);
    await node.advance(0);
    const deleting: Pod = {
      ...p,
      metadata: {
        ...p.metadata,
        deletionTimestamp: '2030-01-01T00:00:10Z',
        deletionGracePeriodSeconds: 5,
      },
    };
    const before = node.clock.now();
    node.kubelet.updatePod(deleting);
    await node.advance(4000);
    expect(node.terminated).toEqual([]);
    expect(execs).toEqual([['/bin/sh', '-c', 'echo bye']]);
    await node.advance(2000);
    expect(node.terminated).toEqual(['web']);
    const finished = node.statuses.filter((x) => x.pod === 'web').at(-1)!.status;
    expect(finished.phase).toBe('Failed');
    expect(app(finished).state.terminated?.exitCode).toBe(137);
    expect(Date.parse(app(finished).state.terminated!.finishedAt!) - before).toBeGreaterThanOrEqual(
      4000,
    );
    expect(node.runtime.allContainers()).toEqual([]);
    expect(node.runtime.allSandboxes()).toEqual([]);
  });

  it('a new kubelet adopts running pods without restarting them, and removes orphans', async () => {
    const p = pod();
    const gone = pod({}, { name: 'gone', uid: 'uid-gone' });
    node.kubelet.setPods([p, gone]);
    await node.advance(0);
    const before = node.runtime
      .allContainers()
      .map((c) => c.id)
      .sort();
    node.kubelet.stop();

    node.kubelet = node.newKubelet();
    await node.kubelet.start();
    const creates = node.runtime.calls.filter((c) => c === 'CreateContainer').length;
    node.kubelet.setPods([p]);
    await node.advance(2000);
    expect(node.runtime.calls.filter((c) => c === 'CreateContainer').length).toBe(creates);
    const s = node.status(p);
    expect(s.phase).toBe('Running');
    expect(app(s).containerID).toBe(
      `fake://${node.runtime.allContainers().find((c) => c.labels['io.kubernetes.pod.uid'] === 'uid-1')!.id}`,
    );
    const after = node.runtime.allContainers().map((c) => c.id);
    expect(after).toHaveLength(1);
    expect(before).toContain(after[0]);
  });
});
