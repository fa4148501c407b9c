// The Deployment controller with the ReplicaSet controller, against a real API server in process,
// and a stand-in kubelet that marks pods ready: rollouts as kubectl drives them.
import type { Deployment, Pod, ReplicaSet } from '@flotilla/client';
import { deployment, fakeKubelet } from '../../test/fixtures';
import { sleep, startHarness, waitFor, type Harness } from '../../test/harness';
import { ReplicaSetController } from '../replicaset/replicaset-controller';
import { DeploymentController } from './deployment-controller';
import { REVISION, REVISION_HISTORY } from './deployment-util';

describe('Deployment controller', () => {
  let h: Harness;
  const stops: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    h = await startHarness();
    h.run([new DeploymentController(), new ReplicaSetController()]);
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
    await h.stop();
  });

  const deployments = () => h.client.deployments('default');
  const setsOf = async (app: string): Promise<ReplicaSet[]> =>
    (await h.client.replicaSets('default').list({ labelSelector: `app=${app}` })).items;
  const podsOf = async (app: string): Promise<Pod[]> =>
    (await h.client.pods('default').list({ labelSelector: `app=${app}` })).items;
  const kubelet = (ready?: (p: Pod) => boolean) => stops.push(fakeKubelet(h.client, ready));
  const imageOf = (p: { spec?: { containers?: { image?: string }[] } }) =>
    p.spec?.containers?.[0]?.image;
  const condition = (d: Deployment, type: string) =>
    d.status?.conditions?.find((c) => c.type === type);

  /** Waits until the Deployment has rolled out: all replicas updated and available. */
  const rolledOut = (name: string, timeoutMs = 20_000) =>
    waitFor(
      `${name} rolled out`,
      async () => {
        const d = await deployments().get(name);
        const want = d.spec?.replicas ?? 1;
        const s = d.status;
        return s?.observedGeneration === d.metadata.generation &&
          s?.updatedReplicas === want &&
          s?.replicas === want &&
          s?.availableReplicas === want
          ? d
          : undefined;
      },
      timeoutMs,
    );

  it('creates a ReplicaSet named by its pod-template-hash, and reports the rollout complete', async () => {
    kubelet();
    await deployments().create(deployment('web', 3));
    const d = await rolledOut('web');
    const [rs] = await setsOf('web');
    const hash = rs.metadata.labels!['pod-template-hash'];
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(rs.spec?.selector?.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations).toMatchObject({
      [REVISION]: '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(d.metadata.annotations?.[REVISION]).toBe('1');
    expect(condition(d, 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
    await waitFor('Progressing NewReplicaSetAvailable', async () => {
      const cur = await deployments().get('web');
      return condition(cur, 'Progressing')?.reason === 'NewReplicaSetAvailable' ? cur : undefined;
    });
    const pods = await podsOf('web');
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === hash)).toBe(true);
  });

  it('rolls to a new template keeping maxUnavailable and maxSurge at every observed moment', async () => {
    kubelet();
    const spec = {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } },
    };
    await deployments().create(deployment('roll', 6, 'nginx:1', spec));
    await rolledOut('roll');
    await deployments().patch(
      'roll',
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } },
      'strategic',
    );
    let worstAvailable = Infinity;
    let mostPods = 0;
    const done = await waitFor(
      'rollout to nginx:2',
      async () => {
        const pods = (await podsOf('roll')).filter((p) => !p.metadata.deletionTimestamp);
        const ready = pods.filter((p) =>
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        worstAvailable = Math.min(worstAvailable, ready.length);
        mostPods = Math.max(mostPods, pods.length);
        const d = await deployments().get('roll');
        return d.status?.updatedReplicas === 6 &&
          d.status.availableReplicas === 6 &&
          d.status.replicas === 6 &&
          pods.length === 6 &&
          pods.every((p) => imageOf(p) === 'nginx:2')
          ? d
          : undefined;
      },
      20_000,
      5,
    );
    expect(worstAvailable).toBeGreaterThanOrEqual(5);
    expect(mostPods).toBeLessThanOrEqual(8);
    expect(done.metadata.annotations?.[REVISION]).toBe('2');
    const sets = await setsOf('roll');
    expect(sets).toHaveLength(2);
    const byImage = Object.fromEntries(sets.map((rs) => [imageOf(rs.spec!.template!), rs]));
    expect(byImage['nginx:1'].spec?.replicas).toBe(0);
    expect(byImage['nginx:2'].spec?.replicas).toBe(6);
    expect(byImage['nginx:2'].metadata.annotations?.[REVISION]).toBe('2');
    const events = (await h.client.events('default').list()).items.filter(
      (e) => e.reason === 'ScalingReplicaSet',
    );
    expect(events.map((e) => e.note).join('\n')).toMatch(
      /Scaled (up|down) replica set roll-\w+ to \d+ from \d+/,
    );
  });

  it('recreates: every old pod is gone before the first new one exists', async () => {
    kubelet();
    await deployments().create(deployment('re', 3, 'nginx:1', { strategy: { type: 'Recreate' } }));
    await rolledOut('re');
    await deployments().patch(
      're',
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } },
      'strategic',
    );
    let mixed = false;
    await waitFor(
      'recreated on nginx:2',
      async () => {
        const images = new Set((await podsOf('re')).map(imageOf));
        if (images.size > 1) mixed = true;
        const d = await deployments().get('re');
        return images.size === 1 && images.has('nginx:2') && d.status?.availableReplicas === 3
          ? true
          : undefined;
      },
      20_000,
      5,
    );
    expect(mixed).toBe(false);
  });

  it('rolls back when an old template is written back (kubectl rollout undo), with the revision history', async () => {
    kubelet();
    await deployments().create(deployment('undo', 2));
    await rolledOut('undo');
    const v1 = (await deployments().get('undo')).spec!.template!;
    await deployments().patch(
      'undo',
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } },
      'strategic',
    );
    await waitFor('revision 2', async () =>
      (await deployments().get('undo')).metadata.annotations?.[REVISION] === '2' ? true : undefined,
    );
    await rolledOut('undo');
    // What kubectl rollout undo sends: the old ReplicaSet's template, without the hash label.
    await deployments().patch(
      'undo',
      [{ op: 'replace', path: '/spec/template', value: v1 }],
      'json',
    );
    const d = await waitFor('revision 3', async () => {
      const cur = await deployments().get('undo');
      return cur.metadata.annotations?.[REVISION] === '3' ? cur : undefined;
    });
    expect(imageOf(d.spec!.template!)).toBe('nginx:1');
    await rolledOut('undo');
    const sets = await setsOf('undo');
    expect(sets).toHaveLength(2);
    const back = sets.find((rs) => imageOf(rs.spec!.template!) === 'nginx:1')!;
    expect(back.metadata.annotations).toMatchObject({ [REVISION]: '3', [REVISION_HISTORY]: '1' });
    expect(back.spec?.replicas).toBe(2);
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    kubelet();
    await deployments().create(deployment('hist', 1, 'nginx:1', { revisionHistoryLimit: 1 }));
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await rolledOut('hist');
      await deployments().patch(
        'hist',
        { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } },
        'strategic',
      );
      await sleep(50);
    }
    await rolledOut('hist');
    await waitFor('two ReplicaSets left', async () => {
      const sets = await setsOf('hist');
      const images = sets.map((rs) => imageOf(rs.spec!.template!)).sort();
      return JSON.stringify(images) === JSON.stringify(['nginx:3', 'nginx:4']) ? true : undefined;
    });
  });

  it('when paused only scales; on resume it rolls out', async () => {
    kubelet();
    await deployments().create(deployment('pause', 2));
    await rolledOut('pause');
    await deployments().patch('pause', { spec: { paused: true } }, 'merge');
    await waitFor('Progressing DeploymentPaused', async () => {
      const cur = await deployments().get('pause');
      return condition(cur, 'Progressing')?.reason === 'DeploymentPaused' &&
        condition(cur, 'Progressing')?.status === 'Unknown'
        ? true
        : undefined;
    });
    await deployments().patch(
      'pause',
      {
        spec: {
          replicas: 3,
          template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } },
        },
      },
      'strategic',
    );
    await waitFor('scaled to 3 on the old template', async () => {
      const pods = await podsOf('pause');
      return pods.length === 3 && pods.every((p) => imageOf(p) === 'nginx:1') ? true : undefined;
    });
    await sleep(300);
    expect(await setsOf('pause')).toHaveLength(1);
    await deployments().patch('pause', { spec: { paused: false } }, 'merge');
    await waitFor('rolled out on nginx:2', async () => {
      const pods = await podsOf('pause');
      const d = await deployments().get('pause');
      return pods.length === 3 &&
        pods.every((p) => imageOf(p) === 'nginx:2') &&
        d.status?.availableReplicas === 3
        ? true
        : undefined;
    });
  });

  it('scales in proportion during a rollout that is stuck (kubectl scale mid-rollout)', async () => {
    // The new image never becomes ready: the rollout stalls with both ReplicaSets active.
    kubelet((p) => imageOf(p) === 'nginx:1');
    const spec = {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
    };
    await deployments().create(deployment('prop', 10, 'nginx:1', spec));
    await rolledOut('prop');
    await deployments().patch(
      'prop',
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:bad' }] } } } },
      'strategic',
    );
    const sizes = async () => {
      const sets = await setsOf('prop');
      return Object.fromEntries(
        sets.map((rs) => [imageOf(rs.spec!.template!)!, rs.spec!.replicas!]),
      );
    };
    await waitFor('stalled at 8 old + 5 new', async () => {
      const s = await sizes();
      return s['nginx:1'] === 8 && s['nginx:bad'] === 5 ? true : undefined;
    });
    await deployments().patch('prop', { spec: { replicas: 15 } }, 'merge');
    // 5 more pods, spread 3 to the old ReplicaSet and 2 to the new one, as in Kubernetes' docs.
    await waitFor('11 old + 7 new', async () => {
      const s = await sizes();
      return s['nginx:1'] === 11 && s['nginx:bad'] === 7 ? true : undefined;
    });
  });

  it('reports ProgressDeadlineExceeded when a rollout makes no progress in time', async () => {
    await deployments().create(deployment('stuck', 1, 'nginx:1', { progressDeadlineSeconds: 2 }));
    const d = await waitFor(
      'ProgressDeadlineExceeded',
      async () => {
        const cur = await deployments().get('stuck');
        const c = condition(cur, 'Progressing');
        return c?.reason === 'ProgressDeadlineExceeded' ? cur : undefined;
      },
      10_000,
    );
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'False',
      message: expect.stringMatching(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/),
    });
    expect(condition(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
  });
});
