// The DaemonSet controller against a real API server in process: a pod per eligible node that
// follows nodes joining, leaving and being tainted, a rolling update to a new template with its
// ControllerRevision, and the status `kubectl rollout status ds` reads.
import type { KubeObject } from '@flotilla/api';
import type { Node, Pod, RestRequest, Transport } from '@flotilla/client';
import { fakeKubelet } from '../../test/fixtures';
import { startHarness, waitFor, type Harness } from '../../test/harness';
import { nodeOfPod, REVISION_HASH_LABEL, type DaemonSetObject } from './daemon-pods';
import { DaemonSetController } from './daemonset-controller';

function node(name: string, labels: Record<string, string> = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } };
}

function daemonSet(
  name: string,
  image = 'agent:1',
  nodeSelector?: Record<string, string>,
): DaemonSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image }], ...(nodeSelector ? { nodeSelector } : {}) },
      },
    },
  };
}

describe('DaemonSet controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const sets = () => h.client.forKind<DaemonSetObject>('apps/v1', 'DaemonSet', 'default');
  const livePods = async (app: string): Promise<Pod[]> =>
    (await h.client.pods('default').list({ labelSelector: `app=${app}` })).items.filter(
      (p) => !p.metadata.deletionTimestamp,
    );
  const nodesOf = async (app: string) => (await livePods(app)).map((p) => nodeOfPod(p)).sort();

  it('runs one pod per eligible node, following nodes that join, leave or get tainted', async () => {
    await h.client.nodes().create(node('n1', { role: 'edge' }));
    await h.client.nodes().create(node('n2', { role: 'edge' }));
    await h.client.nodes().create(node('n3', { role: 'core' }));
    h.run([new DaemonSetController()]);
    await sets().create(daemonSet('agent', 'agent:1', { role: 'edge' }));
    await waitFor('pods on n1 and n2', async () =>
      JSON.stringify(await nodesOf('agent')) === '["n1","n2"]' ? true : undefined,
    );
    const [pod] = await livePods('agent');
    // Pinned by node affinity for the scheduler, tolerating what DaemonSet pods tolerate.
    expect(
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    ).toEqual({
      nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeOfPod(pod)] }] },
      ],
    });
    expect(pod.spec?.tolerations).toContainEqual({
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
    });
    expect(pod.metadata.labels?.[REVISION_HASH_LABEL]).toBeDefined();

    await h.client.nodes().create(node('n4', { role: 'edge' }));
    await waitFor('a pod on the new node', async () =>
      JSON.stringify(await nodesOf('agent')) === '["n1","n2","n4"]' ? true : undefined,
    );
    await h.client.nodes().delete('n1');
    await waitFor('the pod of the removed node gone', async () =>
      JSON.stringify(await nodesOf('agent')) === '["n2","n4"]' ? true : undefined,
    );
    // NoSchedule keeps a running daemon pod; NoExecute evicts it.
    await h.client
      .nodes()
      .patch('n2', { spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } }, 'merge');
    await h.client
      .nodes()
      .patch('n4', { spec: { taints: [{ key: 'broken', effect: 'NoExecute' }] } }, 'merge');
    await waitFor('the pod of the NoExecute node gone', async () =>
      JSON.stringify(await nodesOf('agent')) === '["n2"]' ? true : undefined,
    );
    const ds = await waitFor('status', async () => {
      const cur = await sets().get('agent');
      return cur.status?.desiredNumberScheduled === 1 && cur.status?.currentNumberScheduled === 1
        ? cur
        : undefined;
    });
    expect(ds.status?.numberMisscheduled).toBe(0);
  });

  it('rolls out a new template node by node and reports what rollout status reads', async () => {
    for (const n of ['n1', 'n2', 'n3']) await h.client.nodes().create(node(n));
    const stopKubelet = fakeKubelet(h.client);
    h.run([new DaemonSetController()]);
    try {
      await sets().create(daemonSet('roll', 'agent:1'));
      await waitFor('3 available', async () => {
        const s = (await sets().get('roll')).status;
        return s?.numberAvailable === 3 && s?.updatedNumberScheduled === 3 ? true : undefined;
      });
      const updated = await sets().patch(
        'roll',
        { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } },
        'strategic',
      );
      const done = await waitFor(
        'rolled out',
        async () => {
          const cur = await sets().get('roll');
          const s = cur.status ?? {};
          const pods = await livePods('roll');
          return (s.observedGeneration as number) >= (updated.metadata.generation ?? 0) &&
            s.updatedNumberScheduled === 3 &&
            s.numberAvailable === 3 &&
            pods.length === 3 &&
            pods.every((p) => p.spec?.containers[0].image === 'agent:2')
            ? cur
            : undefined;
        },
        30_000,
      );
      expect(done.status?.desiredNumberScheduled).toBe(3);
      const revisions = (
        await h.client
          .forKind<KubeObject & { revision?: number }>('apps/v1', 'ControllerRevision', 'default')
          .list()
      ).items;
      expect(revisions.map((r) => r.revision).sort()).toEqual([1, 2]);
    } finally {
      await stopKubelet();
    }
  });
  it('adopts a matching orphan pod on its node instead of creating another', async () => {
    await h.client.nodes().create(node('n1'));
    await h.client.pods('default').create({
      metadata: { name: 'left-behind', labels: { app: 'agent' } },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'agent:1' }] },
    });
    h.run([new DaemonSetController()]);
    // OnDelete: the adopted pod (of no known revision) is not replaced by a rolling update.
    const ds = await sets().create({
      ...daemonSet('agent'),
      spec: { ...daemonSet('agent').spec, updateStrategy: { type: 'OnDelete' } },
    });
    await waitFor('the orphan adopted', async () => {
      const p = await h.client.pods('default').get('left-behind');
      return p.metadata.ownerReferences?.[0]?.uid === ds.metadata.uid ? true : undefined;
    });
    await waitFor('status observed', async () =>
      (await sets().get('agent')).status?.desiredNumberScheduled === 1 ? true : undefined,
    );
    expect((await livePods('agent')).map((p) => p.metadata.name)).toEqual(['left-behind']);
  });
  // The race the Job controller had: a sync awaits an adoption after reading its pods, and the
  // informer sees the pods the previous sync created meanwhile. The transport lines it up: an
  // orphan appears (and is heard of) before the first pods are created, the pod watch is held
  // from their ADDED events on, and released while the next sync's adoption is in flight.
  it('never creates a second pod on a node while claiming an orphan', async () => {
    await h.client.nodes().create(node('n1'));
    await h.client.nodes().create(node('n2'));
    const createdOn = new Map<string, number>();
    let step: 'armed' | 'holding' | 'released' = 'armed';
    let gate: Promise<void> | undefined;
    let held: (() => void)[] = [];
    let heard: () => void = () => {};
    const lineUp = (inner: Transport): Transport => ({
      describe: () => inner.describe(),
      close: () => inner.close(),
      request: async (req: RestRequest) => {
        if (req.method === 'POST' && req.path.endsWith('/pods')) {
          const body = JSON.parse(Buffer.from(req.body!).toString()) as Pod;
          const on = nodeOfPod(body) ?? '?';
          createdOn.set(on, (createdOn.get(on) ?? 0) + 1);
          gate ??= (async () => {
            const orphanHeard = new Promise<void>((resolve) => (heard = resolve));
            await h.client.pods('default').create({
              metadata: { name: 'stray', labels: { app: 'race' } },
              spec: { nodeName: 'n9', containers: [{ name: 'c', image: 'agent:1' }] },
            });
            await orphanHeard;
            step = 'holding';
          })();
          await gate;
        }
        if (step === 'holding' && req.method === 'PATCH' && req.path.endsWith('/pods/stray')) {
          step = 'released';
          const chunks = held;
          held = [];
          for (const deliver of chunks) deliver();
        }
        return inner.request(req);
      },
      stream: (req, onData) =>
        inner.stream(
          req,
          req.path.endsWith('/pods')
            ? (chunk) => {
                const event = JSON.parse(chunk.toString()) as { type: string; object: Pod };
                if (step === 'holding' && (held.length > 0 || event.type === 'ADDED')) {
                  held.push(() => onData(chunk));
                  return;
                }
                onData(chunk);
                if (event.object.metadata?.name === 'stray') heard();
              }
            : onData,
        ),
    });
    h.run([new DaemonSetController()], { wrap: lineUp });
    await sets().create(daemonSet('race'));
    await waitFor('the held events released', () => (step === 'released' ? true : undefined));
    await waitFor('status observed', async () =>
      (await sets().get('race')).status?.currentNumberScheduled === 2 ? true : undefined,
    );
    expect(Object.fromEntries(createdOn)).toEqual({ n1: 1, n2: 1 });
  });
  it('adopts the history an earlier DaemonSet of its selector left behind', async () => {
    // What `kubectl delete ds agent --cascade=orphan` leaves: a revision with nobody's reference.
    const revisions = h.client.forKind<KubeObject & { revision?: number }>(
      'apps/v1',
      'ControllerRevision',
      'default',
    );
    await revisions.create({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'agent-old', labels: { app: 'agent', [REVISION_HASH_LABEL]: 'old' } },
      data: { spec: { template: { $patch: 'replace' } } },
      revision: 4,
    } as KubeObject);
    h.run([new DaemonSetController()]);
    const ds = await sets().create(daemonSet('agent'));
    const history = await waitFor('two revisions owned', async () => {
      const list = (await revisions.list()).items;
      return list.length === 2 &&
        list.every((r) => r.metadata.ownerReferences?.[0]?.uid === ds.metadata.uid)
        ? list
        : undefined;
    });
    // The new template's revision comes after the adopted one.
    const current = history.find((r) => r.metadata.name !== 'agent-old')!;
    expect(current.revision).toBe(5);
  });
});
