import { computePodStatus, StatusInput, WaitingNote } from './pod-status';
import { container, instance, pod, sandbox, T0, view } from '../testing/fixtures';
import type { Pod, PodStatus } from '../pod/types';
import type { PodRuntimeView } from '../pod/runtime-view';

const NOW = T0 + 60_000;
const app = container('app');
const init1 = container('init1');

function input(p: Pod, v: PodRuntimeView, extra: Partial<StatusInput> = {}): StatusInput {
  return {
    pod: p,
    view: v,
    notes: new Map(),
    readiness: new Map(),
    startup: new Map(),
    runtimeName: 'containerd',
    hostIPs: ['10.231.0.1'],
    now: NOW,
    startTime: T0,
    terminal: false,
    ...extra,
  };
}

function notes(entries: Record<string, WaitingNote>): Map<string, WaitingNote> {
  return new Map(Object.entries(entries));
}

/** The parts a reader of `kubectl get pods` and `describe` looks at. */
function gist(s: PodStatus) {
  const cond = Object.fromEntries(
    s.conditions.map((c) => [c.type, c.status + (c.reason ? ` ${c.reason}` : '')]),
  );
  const one = (c: PodStatus['containerStatuses'][number]) => ({
    state: Object.keys(c.state)[0],
    reason:
      c.state.waiting?.reason ?? c.state.terminated?.reason ?? (c.state.running ? '' : undefined),
    ...(c.lastState.terminated ? { last: c.lastState.terminated.reason } : {}),
    restarts: c.restartCount,
    ready: c.ready,
    started: c.started,
  });
  return {
    phase: s.phase,
    cond,
    apps: s.containerStatuses.map(one),
    ...(s.initContainerStatuses ? { inits: s.initContainerStatuses.map(one) } : {}),
  };
}

const waiting = (reason: string) => ({
  state: 'waiting',
  reason,
  restarts: 0,
  ready: false,
  started: false,
});
const notReady = 'False ContainersNotReady';
const readyConds = {
  PodReadyToStartContainers: 'True',
  Initialized: 'True',
  Ready: 'True',
  ContainersReady: 'True',
  PodScheduled: 'True',
};
const pendingConds = { ...readyConds, Ready: notReady, ContainersReady: notReady };

describe('computePodStatus', () => {
  const cases: [string, StatusInput, ReturnType<typeof gist>][] = [
    [
      'a pod the runtime has nothing of yet',
      input(pod(), view([], [])),
      {
        phase: 'Pending',
        cond: { ...pendingConds, PodReadyToStartContainers: 'False' },
        apps: [waiting('ContainerCreating')],
      },
    ],
    [
      'a running container without probes is ready',
      input(pod(), view([sandbox()], [instance(app, 'running')])),
      {
        phase: 'Running',
        cond: readyConds,
        apps: [{ state: 'running', reason: '', restarts: 0, ready: true, started: true }],
      },
    ],
    [
      'a readiness probe that has not passed keeps the pod unready',
      input(
        pod({ containers: [{ ...app, readinessProbe: { exec: { command: ['true'] } } }] }),
        view([sandbox()], [instance(app, 'running', { id: 'c1' })]),
      ),
      {
        phase: 'Running',
        cond: pendingConds,
        apps: [{ state: 'running', reason: '', restarts: 0, ready: false, started: true }],
      },
    ],
    [
      'a passed readiness probe makes it ready',
      input(
        pod({ containers: [{ ...app, readinessProbe: { exec: { command: ['true'] } } }] }),
        view([sandbox()], [instance(app, 'running', { id: 'c1' })]),
        { readiness: new Map([['c1', true]]) },
      ),
      {
        phase: 'Running',
        cond: readyConds,
        apps: [{ state: 'running', reason: '', restarts: 0, ready: true, started: true }],
      },
    ],
    [
      'a startup probe that has not passed: not started, not ready',
      input(
        pod({ containers: [{ ...app, startupProbe: { exec: { command: ['true'] } } }] }),
        view([sandbox()], [instance(app, 'running', { id: 'c1' })]),
      ),
      {
        phase: 'Running',
        cond: pendingConds,
        apps: [{ state: 'running', reason: '', restarts: 0, ready: false, started: false }],
      },
    ],
    [
      'init containers still to run: PodInitializing',
      input(
        pod({ initContainers: [init1] }),
        view([sandbox()], [instance(init1, 'running', { kind: 'init' })]),
      ),
      {
        phase: 'Pending',
        cond: { ...pendingConds, Initialized: 'False ContainersNotInitialized' },
        apps: [waiting('PodInitializing')],
        inits: [{ state: 'running', reason: '', restarts: 0, ready: false, started: true }],
      },
    ],
    [
      'init containers done: they read as ready and Completed',
      input(
        pod({ initContainers: [init1] }),
        view(
          [sandbox()],
          [
            instance(init1, 'exited', { kind: 'init' }),
            instance(app, 'running', { restartCount: 1 }),
          ],
        ),
      ),
      {
        phase: 'Running',
        cond: readyConds,
        apps: [{ state: 'running', reason: '', restarts: 1, ready: true, started: true }],
        inits: [
          { state: 'terminated', reason: 'Completed', restarts: 0, ready: true, started: false },
        ],
      },
    ],
    [
      'a crash in back-off: CrashLoopBackOff, the crash in lastState',
      input(
        pod(),
        view(
          [sandbox()],
          [
            instance(app, 'exited', { exitCode: 2, restartCount: 0 }),
            instance(app, 'exited', { exitCode: 2, restartCount: 1 }),
          ],
        ),
        {
          notes: notes({
            app: {
              reason: 'CrashLoopBackOff',
              message: 'back-off 10s restarting failed container=app pod=web_default(uid-1)',
            },
          }),
        },
      ),
      {
        phase: 'Running',
        cond: pendingConds,
        apps: [
          {
            state: 'waiting',
            reason: 'CrashLoopBackOff',
            last: 'Error',
            restarts: 1,
            ready: false,
            started: false,
          },
        ],
      },
    ],
    [
      'an image that cannot be pulled: ErrImagePull, Pending',
      input(pod(), view([sandbox()], []), {
        notes: notes({ app: { reason: 'ErrImagePull', message: 'not found' } }),
      }),
      { phase: 'Pending', cond: pendingConds, apps: [waiting('ErrImagePull')] },
    ],
    [
      'a command that does not exist: RunContainerError over StartError',
      input(
        pod(),
        view([sandbox()], [instance(app, 'exited', { exitCode: 128, reason: 'StartError' })]),
        {
          notes: notes({
            app: { reason: 'RunContainerError', message: 'exec: "nope": not found' },
          }),
        },
      ),
      {
        phase: 'Running',
        cond: pendingConds,
        apps: [
          {
            state: 'waiting',
            reason: 'RunContainerError',
            last: 'StartError',
            restarts: 0,
            ready: false,
            started: false,
          },
        ],
      },
    ],
    [
      'a missing ConfigMap key: CreateContainerConfigError',
      input(pod(), view([sandbox()], []), {
        notes: notes({
          app: { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' },
        }),
      }),
      { phase: 'Pending', cond: pendingConds, apps: [waiting('CreateContainerConfigError')] },
    ],
    [
      'OOM killed under Never: Failed with OOMKilled',
      input(
        pod({ restartPolicy: 'Never' }),
        view(
          [sandbox('notready')],
          [instance(app, 'exited', { exitCode: 137, reason: 'OOMKilled' })],
        ),
      ),
      {
        phase: 'Failed',
        cond: { ...pendingConds, PodReadyToStartContainers: 'False' },
        apps: [
          { state: 'terminated', reason: 'OOMKilled', restarts: 0, ready: false, started: false },
        ],
      },
    ],
    [
      'completed under Never: Succeeded, not ready because completed',
      input(
        pod({ restartPolicy: 'Never' }),
        view([sandbox('notready')], [instance(app, 'exited')]),
      ),
      {
        phase: 'Succeeded',
        cond: {
          ...readyConds,
          PodReadyToStartContainers: 'False',
          Ready: 'False PodCompleted',
          ContainersReady: 'False PodCompleted',
        },
        apps: [
          { state: 'terminated', reason: 'Completed', restarts: 0, ready: false, started: false },
        ],
      },
    ],
    [
      'an init container failed under Never: Failed',
      input(
        pod({ restartPolicy: 'Never', initContainers: [init1] }),
        view([sandbox('notready')], [instance(init1, 'exited', { kind: 'init', exitCode: 3 })]),
      ),
      {
        phase: 'Failed',
        cond: {
          ...pendingConds,
          PodReadyToStartContainers: 'False',
          Initialized: 'False ContainersNotInitialized',
        },
        apps: [waiting('PodInitializing')],
        inits: [
          { state: 'terminated', reason: 'Error', restarts: 0, ready: false, started: false },
        ],
      },
    ],
    [
      'deleted and stopped: terminal, Failed for a killed server',
      input(
        pod({}, { deletionTimestamp: '2030-01-01T00:01:00Z' }),
        view([sandbox('notready')], [instance(app, 'exited', { exitCode: 137 })]),
        { terminal: true, notes: notes({ app: { reason: 'CrashLoopBackOff', message: '' } }) },
      ),
      {
        phase: 'Failed',
        cond: { ...pendingConds, PodReadyToStartContainers: 'False' },
        apps: [{ state: 'terminated', reason: 'Error', restarts: 0, ready: false, started: false }],
      },
    ],
  ];
  it.each(cases)('%s', (_name, given, expected) => {
    expect(gist(computePodStatus(given))).toEqual(expected);
  });

  it('fills ids, image, IPs, times and messages in Kubernetes shape', () => {
    const running = instance(app, 'running', { id: 'abc', restartCount: 2 });
    const crashed = instance(app, 'exited', { id: 'old', exitCode: 1, restartCount: 1 });
    const s = computePodStatus(input(pod(), view([sandbox()], [running, crashed])));
    expect(s).toMatchObject({
      hostIP: '10.231.0.1',
      hostIPs: [{ ip: '10.231.0.1' }],
      podIP: '10.88.0.2',
      podIPs: [{ ip: '10.88.0.2' }],
      startTime: '2030-01-01T00:00:00Z',
      qosClass: 'BestEffort',
    });
    expect(s.containerStatuses[0]).toEqual({
      name: 'app',
      state: { running: { startedAt: '2030-01-01T00:00:03Z' } },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          startedAt: '2030-01-01T00:00:02Z',
          finishedAt: '2030-01-01T00:00:02Z',
          containerID: 'containerd://old',
        },
      },
      ready: true,
      restartCount: 2,
      image: 'flotilla/demo-web:1',
      imageID: 'docker.io/flotilla/demo-web@sha256:abc',
      containerID: 'containerd://abc',
      started: true,
    });
    const notReady = computePodStatus(
      input(
        pod({ containers: [app, container('side', { readinessProbe: {} })] }),
        view([sandbox()], [running]),
      ),
    );
    expect(notReady.conditions.find((c) => c.type === 'Ready')).toEqual({
      type: 'Ready',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: '2030-01-01T00:01:00Z',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [side]',
    });
  });

  it('keeps lastTransitionTime while a condition holds, and moves it when it flips', () => {
    const p = pod();
    const first = computePodStatus(input(p, view([sandbox()], [instance(app, 'running')])));
    const later = computePodStatus({
      ...input({ ...p, status: first }, view([sandbox()], [instance(app, 'running')])),
      now: NOW + 30_000,
    });
    expect(later.conditions).toEqual(first.conditions);
    const flipped = computePodStatus({
      ...input(
        { ...p, status: first },
        view([sandbox()], [instance(app, 'exited', { exitCode: 1 })]),
      ),
      now: NOW + 30_000,
    });
    const ready = flipped.conditions.find((c) => c.type === 'Ready')!;
    expect(ready.status).toBe('False');
    expect(ready.lastTransitionTime).toBe('2030-01-01T00:01:30Z');
    expect(flipped.startTime).toBe(first.startTime);
  });

  it('keeps the pod IP once the sandbox is gone, and uses the node IP for hostNetwork pods', () => {
    const p = pod();
    const running = computePodStatus(input(p, view([sandbox()], [instance(app, 'running')])));
    const stopped = computePodStatus(
      input({ ...p, status: running }, view([sandbox('notready')], [])),
    );
    expect(stopped.podIP).toBe('10.88.0.2');
    const host = computePodStatus(
      input(pod({ hostNetwork: true }), view([sandbox('ready', 0, '')], [])),
    );
    expect(host.podIPs).toEqual([{ ip: '10.231.0.1' }]);
  });

  it('computes the QoS class and honours readiness gates', () => {
    const guaranteed = pod({
      containers: [{ ...app, resources: { limits: { cpu: '100m', memory: '64Mi' } } }],
      readinessGates: [{ conditionType: 'example.com/ready' }],
    });
    const s = computePodStatus(input(guaranteed, view([sandbox()], [instance(app, 'running')])));
    expect(s.qosClass).toBe('Guaranteed');
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
    });
    const gated = computePodStatus(
      input(
        {
          ...guaranteed,
          status: {
            conditions: [
              {
                type: 'example.com/ready',
                status: 'True',
                lastProbeTime: null,
                lastTransitionTime: '2030-01-01T00:00:00Z',
              },
            ],
          },
        },
        view([sandbox()], [instance(app, 'running')]),
      ),
    );
    expect(gated.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(gated.conditions.map((c) => c.type)).toContain('example.com/ready');
  });
});
