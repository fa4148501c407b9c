// A real node agent process against three real masters, through the kubeconfig `flotilla up`
// writes: it registers its Node (labels, taints, runtime version), renews its Lease, runs a pod
// bound to it and writes its status, deletes it gracefully, and carries on through the loss of
// the master it talked to first. The runtime is the in-memory one (--runtime-endpoint fake://,
// a hollow node); the root worker suite runs the same agent over containerd.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterCluster } from './support/master-cluster';
import { freePortBlock } from './support/ports';
import { TsProcess } from './support/ts-process';
import { tryGetText, waitFor } from './support/wait';

const AGENT = 'apps/node-agent/src/main.ts';

describe('a node agent against real masters', () => {
  let cluster: MasterCluster;
  let agent: TsProcess;
  let dataRoot: string;
  let agentPort: number;

  const kubectl = async (...args: string[]): Promise<string> => {
    // Any live master: m1 is killed half-way.
    for (const name of cluster.processes.keys()) {
      const r = await cluster.kubectl(args, { context: `flotilla-${name}` });
      if (r.code === 0) return r.stdout;
      if (!/connection refused|EOF|timeout/i.test(r.stderr)) {
        throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      }
    }
    throw new Error(`kubectl ${args.join(' ')}: no master answers`);
  };
  const json = async (...args: string[]) => JSON.parse(await kubectl(...args, '-o', 'json'));
  const tryJson = (...args: string[]) => json(...args).catch(() => undefined);

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    await cluster.waitForApi();
    dataRoot = mkdtempSync(join(tmpdir(), 'flotilla-agent-'));
    agentPort = await freePortBlock([0]);
    agent = new TsProcess(AGENT, [
      '--name',
      'w1',
      '--data-dir',
      join(dataRoot, 'w1'),
      '--api-port',
      String(agentPort),
      '--kubeconfig',
      cluster.kubeconfig,
      '--runtime-endpoint',
      'fake://',
      '--node-ip',
      // The API server reaches the kubelet server here (kubectl logs).
      '127.0.0.1',
      '--kubelet-address',
      '127.0.0.1',
      '--kubelet-port',
      '0',
      '--node-labels',
      'pool=hollow',
      '--register-with-taints',
      'flotilla.dev/hollow=true:NoSchedule',
      // Networking is the node-network suites' business; a hollow node has none.
      '--proxy-mode',
      'none',
      '--cni-conf-dir',
      'off',
      '--cluster-dns',
      'off',
      '--log-level',
      'warn',
      // Image GC that always wants space: the image a running pod uses cannot go, so the kubelet
      // reports FreeDiskSpaceFailed on its Node (an unused image would need 2 minutes' age).
      ...['--image-gc-high-threshold', '1', '--image-gc-low-threshold', '0'],
      ...['--image-gc-period', '1s'],
    ]);
  }, 120_000);

  afterAll(async () => {
    agent?.kill();
    await cluster?.shutdown();
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  });

  it('registers its Node Ready with labels, taints, addresses and the runtime version', async () => {
    const node = await waitFor(
      'node w1 Ready',
      async () => {
        const n = await tryJson('get', 'node', 'w1');
        const ready = n?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
        return ready?.status === 'True' ? n : undefined;
      },
      60_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent stderr:\n${agent.stderr}\nstdout:\n${agent.stdout}`);
    });
    expect(node.metadata.labels).toMatchObject({
      pool: 'hollow',
      'kubernetes.io/hostname': 'w1',
      'kubernetes.io/os': 'linux',
    });
    expect(node.spec.taints).toEqual([
      { key: 'flotilla.dev/hollow', value: 'true', effect: 'NoSchedule' },
    ]);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBeGreaterThan(0);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^fake:\/\//);
    expect(node.status.nodeInfo.kubeletVersion).toMatch(/^v1\.32\.0-flotilla/);
    const lease = await json('get', 'lease', '-n', 'kube-node-lease', 'w1');
    expect(lease.spec.holderIdentity).toBe('w1');
    // The agent's own view: /readyz includes the runtime check, /pods the kubelet's pods.
    expect((await tryGetText(`http://127.0.0.1:${agentPort}/readyz`))?.status).toBe(200);
  });

  it('runs a pod bound to it and writes its status', async () => {
    await kubectl('run', 'web', '--image=flotilla/demo-web', '--overrides', podOverrides('w1'));
    const pod = await waitFor(
      'web Running and Ready',
      async () => {
        const p = await tryJson('get', 'pod', 'web');
        const ready = p?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
        return p?.status?.phase === 'Running' && ready?.status === 'True' ? p : undefined;
      },
      30_000,
      250,
    );
    expect(pod.status.hostIP).toBe('127.0.0.1');
    expect(pod.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(pod.status.containerStatuses).toEqual([
      expect.objectContaining({ name: 'web', ready: true, started: true, restartCount: 0 }),
    ]);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=web');
    expect(events).toMatch(/Started/);
    const served = await tryGetText(`http://127.0.0.1:${agentPort}/pods`);
    expect(JSON.parse(served!.body).items.map((p: Pod) => p.metadata.name)).toContain('web');
    // Insecure: the container metrics on the plain port too, the node's the sum of its pods.
    const metrics = await tryGetText(`http://127.0.0.1:${agentPort}/metrics/resource`);
    expect(metrics?.status).toBe(200);
    expect(metrics!.body).toMatch(
      /^container_cpu_usage_seconds_total\{container="web",namespace="default",pod="web"\} 0 \d+$/m,
    );
    expect(metrics!.body).toMatch(/^node_cpu_usage_seconds_total 0 \d+$/m);
  });

  it('reports that image garbage collection cannot free enough as an Event on its Node', async () => {
    await waitFor(
      'a FreeDiskSpaceFailed event',
      async () => {
        const list = await tryJson('get', 'events', '-A');
        return list?.items.find(
          (e: { reason: string; involvedObject: { kind: string; name: string } }) =>
            e.reason === 'FreeDiskSpaceFailed' &&
            e.involvedObject.kind === 'Node' &&
            e.involvedObject.name === 'w1',
        );
      },
      30_000,
      500,
    );
    const described = await kubectl('describe', 'node', 'w1');
    expect(described).toMatch(
      /Warning\s+FreeDiskSpaceFailed\s+.*Failed to garbage collect required amount of images/,
    );
  });

  it('serves kubectl logs of a hollow pod, and gives pods addresses from its podCIDR', async () => {
    expect(await kubectl('logs', 'web')).toBe('hollow container web started\n');
    const cidr: string = await waitFor(
      'a podCIDR for w1',
      async () => (await tryJson('get', 'node', 'w1'))?.spec?.podCIDR,
      30_000,
      250,
    );
    const prefix = cidr.replace(/\.0\/24$/, '.');
    // The agent learns the range from its Node watch: a pod started before then keeps 10.88.0.x.
    let ip = '';
    for (let i = 0; i < 5 && !ip.startsWith(prefix); i++) {
      await kubectl(
        'run',
        `ranged-${i}`,
        '--image=flotilla/demo-web',
        '--overrides',
        podOverrides('w1'),
      );
      ip = await waitFor(
        `ranged-${i} has an IP`,
        async () => (await tryJson('get', 'pod', `ranged-${i}`))?.status?.podIP,
        30_000,
        250,
      );
    }
    expect(cidr).toMatch(/\.0\/24$/);
    expect(ip.startsWith(prefix)).toBe(true);
  });

  it('keeps its Lease and runs new pods after the master it used first is killed', async () => {
    cluster.kill('m1');
    const before = (await json('get', 'lease', '-n', 'kube-node-lease', 'w1')).spec.renewTime;
    await waitFor(
      'the Lease renewed through another master',
      async () =>
        (await tryJson('get', 'lease', '-n', 'kube-node-lease', 'w1'))?.spec.renewTime !== before
          ? true
          : undefined,
      40_000,
      500,
    );
    await kubectl('run', 'after', '--image=flotilla/demo-web', '--overrides', podOverrides('w1'));
    await waitFor(
      'after Running',
      async () =>
        (await tryJson('get', 'pod', 'after'))?.status?.phase === 'Running' ? true : undefined,
      30_000,
      250,
    );
  });

  it('deletes a pod gracefully: the kubelet stops it, then the object goes', async () => {
    await kubectl('delete', 'pod', 'web', '--wait=false');
    await waitFor(
      'web gone',
      async () => {
        const names = (await json('get', 'pods')).items.map((p: Pod) => p.metadata.name);
        return names.includes('web') ? undefined : true;
      },
      30_000,
      250,
    );
    const served = await tryGetText(`http://127.0.0.1:${agentPort}/pods`);
    const left = JSON.parse(served!.body).items.map((p: Pod) => p.metadata.name);
    expect(left).toContain('after');
    expect(left).not.toContain('web');
  });

  it('refuses a kubeconfig it cannot read with one line and exit status 2', async () => {
    const bad = new TsProcess(AGENT, [
      '--name',
      'w9',
      '--data-dir',
      join(dataRoot, 'w9'),
      '--kubeconfig',
      join(dataRoot, 'missing-kubeconfig'),
      '--runtime-endpoint',
      'fake://',
    ]);
    const { code } = await bad.exit(60_000);
    expect(code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^flotilla node-agent: --kubeconfig: kubeconfig .*missing-kubeconfig: cannot read it/,
      ),
    ]);
  });
});

interface Pod {
  metadata: { name: string };
}

/** `kubectl run` with the pod bound to a node (no scheduler needed). */
function podOverrides(nodeName: string): string {
  return JSON.stringify({ apiVersion: 'v1', spec: { nodeName } });
}
