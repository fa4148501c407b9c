// Real workers against real masters: three control-plane processes listening on the lab's fabric
// address, two worker namespaces each with containerd and a node agent given the masters'
// kubeconfig. The Nodes register with containerd's version and get their pod ranges from node
// IPAM in the masters (the agents make their pod network from them), a pod bound through the API runs on
// containerd with env from an API ConfigMap and answers on its IP, and a delete through the API
// stops it in containerd before the object goes. Runs as root (npm run test:workers).
import { MasterCluster } from '../integration/support/master-cluster';
import type { WorkerLab } from '../../libs/kubelet/src/host/lab';
import type { Pod } from '../../libs/kubelet/src/pod/types';
import {
  condition,
  containerStatus,
  createLab,
  eventually,
  inCidr,
  routeClientToNodes,
} from './support/lab';

let lab: WorkerLab | undefined;
let masters: MasterCluster | undefined;
/** Node name → spec.podCIDR, from node IPAM. */
let podCidrs: Record<string, string> = {};

beforeAll(async () => {
  lab = await createLab(2);
  masters = await MasterCluster.start(3, [], undefined, [], { host: lab.hostAddress });
  await masters.waitForApi();
  const kubeconfig = masters.kubeconfig;
  await Promise.all(['w1', 'w2'].map((w) => lab!.startAgent(w, { kubeconfig })));
}, 300_000);

afterAll(async () => {
  await masters?.shutdown();
  if (!lab) return;
  await lab.destroy();
  expect(await lab.leftovers()).toEqual([]);
}, 120_000);

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await masters!.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function get<T>(...args: string[]): Promise<T | undefined> {
  return kubectl(['get', ...args, '-o', 'json']).then(
    (out) => JSON.parse(out) as T,
    () => undefined,
  );
}

interface NodeObject {
  metadata: { labels: Record<string, string> };
  spec: { podCIDR?: string; taints?: { key: string }[] };
  status: {
    conditions: { type: string; status: string }[];
    addresses: { type: string; address: string }[];
    nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string };
    capacity: Record<string, string>;
  };
}

describe('kubelet over containerd, with its pods from the API', () => {
  it('registers both Nodes Ready with their addresses and containerd as the runtime', async () => {
    for (const w of ['w1', 'w2']) {
      const node = await eventually(
        `node ${w} Ready`,
        async () => {
          const n = await get<NodeObject>('node', w);
          const ready = n?.status.conditions.find((c) => c.type === 'Ready');
          return ready?.status === 'True' ? n : undefined;
        },
        60_000,
      );
      expect(node.status.addresses).toContainEqual({
        type: 'InternalIP',
        address: lab!.host(w).address,
      });
      expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/\d/);
      expect(Number(node.status.capacity.cpu)).toBeGreaterThan(0);
    }
    podCidrs = await routeClientToNodes(lab!, masters!);
    expect(Object.keys(podCidrs).sort()).toEqual(['w1', 'w2']);
    expect(podCidrs.w1).not.toBe(podCidrs.w2);
    expect(await kubectl(['get', 'nodes'])).toMatch(/\nw2\s+Ready\s/);
  });

  it('runs a pod bound through the API on containerd, with env from an API ConfigMap', async () => {
    await kubectl(['create', 'configmap', 'greeting', '--from-literal=text=hello from the API']);
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: {
          nodeName: 'w2',
          containers: [
            {
              name: 'web',
              image: 'flotilla/demo-web',
              env: [
                {
                  name: 'GREETING',
                  valueFrom: { configMapKeyRef: { name: 'greeting', key: 'text' } },
                },
              ],
              readinessProbe: { httpGet: { port: 80 }, periodSeconds: 1 },
            },
          ],
        },
      }),
    );
    let last: Pod | undefined;
    const pod = await eventually(
      'web Running and Ready in the API',
      async () => {
        last = await get<Pod>('pod', 'web');
        return last?.status?.phase === 'Running' && condition(last, 'Ready') === 'True'
          ? last
          : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nlast status: ${JSON.stringify(last?.status)}`);
    });
    expect(pod.status!.hostIP).toBe(lab!.host('w2').address);
    expect(inCidr(pod.status!.podIP!, podCidrs.w2)).toBe(true);
    const web = containerStatus(pod, 'web')!;
    expect(web).toMatchObject({
      ready: true,
      restartCount: 0,
      image: 'docker.io/flotilla/demo-web:latest',
      containerID: expect.stringMatching(/^containerd:\/\/[0-9a-f]{64}$/),
    });
    expect(await lab!.fromClient(['curl', '-s', '-m', '5', `http://${pod.status!.podIP}/`])).toBe(
      'web\n',
    );
    const id = web.containerID!.replace(/^containerd:\/\//, '');
    const r = await lab!.cri('w2').execSync(id, ['sh', '-c', 'echo "$GREETING"'], 10);
    expect(r.stdout.toString()).toBe('hello from the API\n');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=web']);
    expect(events).toMatch(/Started/);
  });

  it('keeps the pod running while every master is down, and reports it again after', async () => {
    const before = (await get<Pod>('pod', 'web'))!;
    const id = containerStatus(before, 'web')!.containerID;
    for (const m of [...masters!.processes.keys()]) await masters!.stop(m);
    // The API is gone for longer than a few sync and lease periods: the pod keeps serving.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      expect(
        await lab!.fromClient(['curl', '-s', '-m', '5', `http://${before.status!.podIP}/`]),
      ).toBe('web\n');
    }
    for (const m of masters!.names) masters!.startMember(m);
    for (const m of masters!.names) await masters!.waitReady(m);
    await masters!.waitForApi();
    // Back: the node renews its Lease again and the pod is the same container, never restarted.
    const leaseOf = async () =>
      (await get<{ spec: { renewTime: string } }>('lease', '-n', 'kube-node-lease', 'w2'))?.spec
        .renewTime;
    const first = await eventually('the Lease readable', leaseOf, 30_000);
    await eventually(
      'the Lease renewed after the restart',
      async () => ((await leaseOf()) !== first ? true : undefined),
      40_000,
    );
    const after = (await get<Pod>('pod', 'web'))!;
    expect(containerStatus(after, 'web')).toMatchObject({ containerID: id, restartCount: 0 });
    expect(after.metadata.uid).toBe(before.metadata.uid);
  });

  it('deletes through the API: containerd stops the pod, then the object goes', async () => {
    const pod = await get<Pod>('pod', 'web');
    const id = containerStatus(pod!, 'web')!.containerID!.replace(/^containerd:\/\//, '');
    await kubectl(['delete', 'pod', 'web', '--grace-period=2', '--wait=false']);
    await eventually(
      'web gone from the API',
      async () => ((await get<Pod>('pod', 'web')) ? undefined : true),
      60_000,
    );
    const left = (await lab!.cri('w2').listContainers()).filter((c) => c.id === id);
    expect(left).toEqual([]);
  });
});
