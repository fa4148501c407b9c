// Services end to end on real workers (issue 22): three masters, two lab workers whose agents take
// their pod ranges from node IPAM. What a user types: kubectl create deployment, expose, rollout
// status; then the ClusterIP answers from a worker and from a pod with every endpoint over many
// connections, `http://web` resolves through cluster DNS (the kube-dns Service the masters make,
// served by each node agent, named in the resolv.conf the kubelet writes), a NodePort answers from
// the client namespace on the fabric, and a Service scaled to 0 refuses connections instead of
// letting them hang. Runs as root (npm run test:workers).
import { MasterCluster } from '../integration/support/master-cluster';
import { runTool, type ToolResult } from '../integration/support/run-tool';
import type { WorkerLab } from '../../libs/kubelet/src/host/lab';
import { inNetns } from '../../libs/kubelet/src/host/netns';
import type { Pod } from '../../libs/kubelet/src/pod/types';
import { containerStatus, createLab, eventually, routeClientToNodes } from './support/lab';

let lab: WorkerLab | undefined;
let masters: MasterCluster | undefined;
let clusterIP = '';
let nodePort = 0;

/** Connections per reachability check at most: with 3 endpoints picked at random, all show up. */
const CONNECTIONS = 60;

beforeAll(async () => {
  lab = await createLab(2);
  masters = await MasterCluster.start(3, [], undefined, [], { host: lab.hostAddress });
  await masters.waitForApi();
  const kubeconfig = masters.kubeconfig;
  await Promise.all(['w1', 'w2'].map((w) => lab!.startAgent(w, { kubeconfig })));
  await routeClientToNodes(lab, masters);
}, 300_000);

afterAll(async () => {
  await masters?.shutdown();
  if (!lab) return;
  await lab.destroy();
  expect(await lab.leftovers()).toEqual([]);
}, 120_000);

async function kubectl(args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await runTool('kubectl', ['--context=flotilla-m1', ...args], {
    env: { ...process.env, KUBECONFIG: masters!.kubeconfig },
    timeoutMs,
  });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Runs argv in worker w's network namespace (with the host's files). */
function inWorker(w: string, argv: string[], timeoutMs = 20_000): Promise<ToolResult> {
  const [cmd, ...args] = inNetns(lab!.host(w).spec.netns, argv);
  return runTool(cmd, args, { timeoutMs });
}

/**
 * The answers (pod names) of up to n connections made by `connect`, one at a time, until every
 * name in `all` answered (kube-proxy picks at random; an endpoint that became ready last reaches
 * it one sync period after the others).
 */
async function answers(
  n: number,
  all: string[],
  connect: () => Promise<string>,
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n && !all.every((x) => seen.has(x)); i++) {
    const who = (await connect()).trim();
    seen.set(who, (seen.get(who) ?? 0) + 1);
  }
  return seen;
}

async function curlFromWorker(w: string, url: string): Promise<string> {
  const r = await inWorker(w, ['curl', '-sS', '-m', '5', url]);
  if (r.code !== 0) throw new Error(`curl ${url} from ${w}: exit ${r.code} ${r.stderr}`);
  return r.stdout;
}

async function webPods(): Promise<Pod[]> {
  const list = JSON.parse(await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as {
    items: Pod[];
  };
  return list.items;
}

describe('a Deployment behind a Service on real workers', () => {
  it('rolls out: kubectl create deployment, expose, rollout status', async () => {
    await kubectl(['create', 'deployment', 'web', '--image=flotilla/demo-web', '--replicas=3']);
    await kubectl(['expose', 'deployment', 'web', '--port=80']);
    await kubectl(['rollout', 'status', 'deploy/web', '--timeout=150s'], 160_000);
    const pods = await webPods();
    expect(pods.filter((p) => p.status?.phase === 'Running')).toHaveLength(3);
    clusterIP = (
      JSON.parse(await kubectl(['get', 'service', 'web', '-o', 'json'])) as {
        spec: { clusterIP: string };
      }
    ).spec.clusterIP;
    expect(clusterIP).toMatch(/^10\.9[6-9]\.|^10\.1[01][0-9]\./);
  }, 200_000);

  it('answers on its ClusterIP from a worker, from every endpoint over many connections', async () => {
    const names = (await webPods()).map((p) => p.metadata.name).sort();
    // The EndpointSlice reaches both kube-proxies shortly after the rollout.
    await eventually(
      'the ClusterIP answering from w1 and w2',
      async () => {
        for (const w of ['w1', 'w2']) await curlFromWorker(w, `http://${clusterIP}/`);
        return true;
      },
      30_000,
    );
    for (const w of ['w1', 'w2']) {
      const seen = await answers(CONNECTIONS, names, () =>
        curlFromWorker(w, `http://${clusterIP}/`),
      );
      expect([...seen.keys()].sort()).toEqual(names);
    }
  }, 120_000);

  it('is found by name through cluster DNS from inside a pod: the kubelet wrote its resolv.conf', async () => {
    const dns = (
      JSON.parse(
        await kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'json']),
      ) as {
        spec: { clusterIP: string };
      }
    ).spec.clusterIP;
    expect(dns).toBe('10.96.0.10');
    const pod = (await webPods()).find((p) => p.spec.nodeName === 'w1')!;
    expect(pod).toBeDefined();
    const id = containerStatus(pod, 'demo-web')!.containerID!.replace(/^containerd:\/\//, '');
    const cri = lab!.cri('w1');
    const resolv = (await cri.execSync(id, ['cat', '/etc/resolv.conf'], 10)).stdout.toString();
    expect(resolv).toMatch(new RegExp(`^nameserver ${dns.replace(/\./g, '\\.')}$`, 'm'));
    expect(resolv).toMatch(
      /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m,
    );
    expect(resolv).toMatch(/^options ndots:5$/m);
    // busybox's nslookup asks the pod's nameserver itself.
    const lookup = await cri.execSync(id, ['nslookup', 'web.default.svc.cluster.local'], 10);
    expect(lookup.stdout.toString()).toContain(clusterIP);
    // From the pod, by its short name: the search path and the ClusterIP, as `http://web`.
    const get = await cri.execSync(
      id,
      ['sh', '-c', 'printf "GET / HTTP/1.0\\r\\nHost: web\\r\\n\\r\\n" | nc web 80'],
      10,
    );
    const body = get.stdout.toString();
    expect(body).toMatch(/^HTTP\/1\.[01] 200/);
    expect((await webPods()).map((p) => p.metadata.name)).toContain(
      body.trim().split('\n').pop()!.trim(),
    );
  }, 60_000);

  it('answers on a NodePort from the client namespace on the fabric, at either worker', async () => {
    await kubectl(['expose', 'deployment', 'web', '--port=80', '--type=NodePort', '--name=web-np']);
    nodePort = (
      JSON.parse(await kubectl(['get', 'service', 'web-np', '-o', 'json'])) as {
        spec: { ports: { nodePort: number }[] };
      }
    ).spec.ports[0].nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const names = (await webPods()).map((p) => p.metadata.name).sort();
    const url = (w: string) => `http://${lab!.host(w).address}:${nodePort}/`;
    const fromClient = (w: string) => lab!.fromClient(['curl', '-sS', '-m', '5', url(w)]);
    await eventually(
      'the NodePort answering',
      async () => {
        for (const w of ['w1', 'w2']) await fromClient(w);
        return true;
      },
      30_000,
    );
    for (const w of ['w1', 'w2']) {
      const seen = await answers(CONNECTIONS, names, () => fromClient(w));
      expect([...seen.keys()].sort()).toEqual(names);
    }
  }, 120_000);

  it('scaled to 0, refuses connections at once instead of letting them hang', async () => {
    await kubectl(['scale', 'deployment', 'web', '--replicas=0']);
    await eventually(
      'no web pods left',
      async () => ((await webPods()).length === 0 ? true : undefined),
      90_000,
    );
    // curl exits 7 when it cannot connect (-v says why), 28 when its 5 s run out.
    const refused = (r: ToolResult) => r.code === 7 && /Connection refused/.test(r.stderr);
    const curl = (w: string) => inWorker(w, ['curl', '-sSv', '-m', '5', `http://${clusterIP}/`]);
    await eventually(
      'the ClusterIP refusing',
      async () => (refused(await curl('w2')) ? true : undefined),
      30_000,
    );
    const fromW1 = await curl('w1');
    expect({ code: fromW1.code, refused: refused(fromW1) }).toEqual({ code: 7, refused: true });
    const [cmd, ...args] = inNetns(lab!.clientNetns, [
      'curl',
      '-sSv',
      '-m',
      '5',
      `http://${lab!.host('w1').address}:${nodePort}/`,
    ]);
    const np = await runTool(cmd, args, { timeoutMs: 20_000 });
    expect({ code: np.code, refused: refused(np) }).toEqual({ code: 7, refused: true });
  }, 150_000);
});
