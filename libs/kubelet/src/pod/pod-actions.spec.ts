import { computePodActions } from './pod-actions';
import { container, instance, pod, sandbox, view } from '../testing/fixtures';

const app = container('app');
const side = container('side');
const init1 = container('init1');
const init2 = container('init2');

function summary(a: ReturnType<typeof computePodActions>) {
  return {
    killPod: a.killPod,
    createSandbox: a.createSandbox,
    attempt: a.sandboxAttempt,
    init: a.nextInit?.name,
    initFailed: a.initFailed,
    start: a.startApps.map((c) => c.name),
    kill: a.killContainers.map((k) => k.instance.name),
  };
}

const none = {
  killPod: false,
  createSandbox: false,
  attempt: 0,
  initFailed: false,
  start: [],
  kill: [],
};

describe('computePodActions', () => {
  const cases: [
    string,
    Parameters<typeof computePodActions>,
    Partial<ReturnType<typeof summary>>,
  ][] = [
    [
      'a new pod gets a sandbox and its app containers',
      [pod({ containers: [app, side] }), view([], [])],
      { createSandbox: true, start: ['app', 'side'] },
    ],
    [
      'a new pod with init containers starts the first one only',
      [pod({ initContainers: [init1, init2] }), view([], [])],
      { createSandbox: true, init: 'init1' },
    ],
    [
      'the next init container follows a successful one',
      [
        pod({ initContainers: [init1, init2] }),
        view([sandbox()], [instance(init1, 'exited', { kind: 'init' })]),
      ],
      { init: 'init2' },
    ],
    [
      'a running init container is waited for',
      [
        pod({ initContainers: [init1, init2] }),
        view([sandbox()], [instance(init1, 'running', { kind: 'init' })]),
      ],
      {},
    ],
    [
      'a failed init container is run again under OnFailure',
      [
        pod({ initContainers: [init1], restartPolicy: 'OnFailure' }),
        view([sandbox()], [instance(init1, 'exited', { kind: 'init', exitCode: 1 })]),
      ],
      { init: 'init1' },
    ],
    [
      'a failed init container fails the pod under Never',
      [
        pod({ initContainers: [init1], restartPolicy: 'Never' }),
        view([sandbox()], [instance(init1, 'exited', { kind: 'init', exitCode: 1 })]),
      ],
      { initFailed: true, killPod: true },
    ],
    [
      'apps start once every init container succeeded',
      [
        pod({ initContainers: [init1], containers: [app] }),
        view([sandbox()], [instance(init1, 'exited', { kind: 'init' })]),
      ],
      { start: ['app'] },
    ],
    ['a running pod needs nothing', [pod(), view([sandbox()], [instance(app, 'running')])], {}],
    [
      'a crashed container restarts under Always',
      [pod(), view([sandbox()], [instance(app, 'exited', { exitCode: 2 })])],
      { start: ['app'] },
    ],
    [
      'a completed container restarts under Always',
      [pod(), view([sandbox()], [instance(app, 'exited')])],
      { start: ['app'] },
    ],
    [
      'a completed container stays done under OnFailure, and the sandbox goes',
      [pod({ restartPolicy: 'OnFailure' }), view([sandbox()], [instance(app, 'exited')])],
      { killPod: true },
    ],
    [
      'a failed container restarts under OnFailure',
      [
        pod({ restartPolicy: 'OnFailure' }),
        view([sandbox()], [instance(app, 'exited', { exitCode: 1 })]),
      ],
      { start: ['app'] },
    ],
    [
      'nothing restarts under Never',
      [
        pod({ restartPolicy: 'Never' }),
        view([sandbox()], [instance(app, 'exited', { exitCode: 1 })]),
      ],
      { killPod: true },
    ],
    [
      'a dead sandbox is replaced and everything starts again',
      [pod(), view([sandbox('notready', 0)], [instance(app, 'exited', { exitCode: 137 })])],
      { createSandbox: true, attempt: 1, start: ['app'] },
    ],
    [
      'a finished Never pod gets no second sandbox',
      [pod({ restartPolicy: 'Never' }), view([sandbox('notready', 0)], [instance(app, 'exited')])],
      {},
    ],
    [
      'an OnFailure pod that succeeded gets no second sandbox',
      [
        pod({ restartPolicy: 'OnFailure' }),
        view([sandbox('notready', 0)], [instance(app, 'exited')]),
      ],
      {},
    ],
    [
      'two ready sandboxes: both go, a new one comes',
      [pod(), view([sandbox('ready', 0), sandbox('ready', 1)], [])],
      { killPod: true, createSandbox: true, attempt: 2, start: ['app'] },
    ],
    [
      'a container whose spec changed is replaced',
      [
        pod({ containers: [{ ...app, image: 'flotilla/demo-web:2' }] }),
        view([sandbox()], [instance(app, 'running')]),
      ],
      { kill: ['app'], start: ['app'] },
    ],
  ];
  it.each(cases)('%s', (_name, args, expected) => {
    expect(summary(computePodActions(...args))).toEqual({ ...none, ...expected });
  });

  it('kills and restarts a container its liveness probe gave up on', () => {
    const running = instance(app, 'running', { id: 'c1' });
    const verdicts = {
      restart: new Map([['c1', 'Container app failed liveness probe, will be restarted']]),
    };
    const a = computePodActions(pod(), view([sandbox()], [running]), verdicts);
    expect(summary(a)).toEqual({ ...none, kill: ['app'], start: ['app'] });
    expect(a.killContainers[0].message).toMatch(/liveness/);
    const never = computePodActions(
      pod({ restartPolicy: 'Never' }),
      view([sandbox()], [running]),
      verdicts,
    );
    expect(summary(never)).toEqual({ ...none, kill: ['app'], killPod: true });
  });
});
