// kubectl logs, exec and port-forward for real: three masters on the lab's fabric address, two
// worker namespaces each with containerd and a node agent. The API server proxies to each node's
// kubelet server (10250), which hands exec and port-forward to containerd's streaming server.
// Pods resolve through the kube-dns Service's ClusterIP (dnsPolicy ClusterFirst) or their own
// dnsConfig (None). Runs as root (npm run test:workers).
import { spawn } from 'node:child_process';
import { WebSocket } from 'ws';
import { MasterCluster } from '../integration/support/master-cluster';
import type { WorkerLab } from '../../libs/kubelet/src/host/lab';
import type { Pod } from '../../libs/kubelet/src/pod/types';
import { condition, containerStatus, createLab, eventually } from './support/lab';

const DNS_IP = '10.96.0.10';
let lab: WorkerLab | undefined;
let masters: MasterCluster | undefined;

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await masters!.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function get<T>(...args: string[]): Promise<T | undefined> {
  return kubectl(['get', ...args, '-o', 'json']).then(
    (out) => JSON.parse(out) as T,
    () => undefined,
  );
}

function podManifest(name: string, node: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1, ...spec },
  });
}

async function runningPod(name: string): Promise<Pod> {
  let last: Pod | undefined;
  return eventually(
    `${name} Running and Ready`,
    async () => {
      last = await get<Pod>('pod', name);
      return last?.status?.phase === 'Running' && condition(last, 'Ready') === 'True'
        ? last
        : undefined;
    },
    90_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nlast status: ${JSON.stringify(last?.status)}`);
  });
}

beforeAll(async () => {
  lab = await createLab(2);
  masters = await MasterCluster.start(3, [], undefined, [], { host: lab.hostAddress });
  await masters.waitForApi();
  // Before the agents: their kubelets learn the cluster DNS address from it.
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      spec: { clusterIP: DNS_IP, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
    }),
  );
  const kubeconfig = masters.kubeconfig;
  await Promise.all(['w1', 'w2'].map((w) => lab!.startAgent(w, { kubeconfig })));
  await kubectl(
    ['apply', '-f', '-'],
    podManifest('web', 'w1', { containers: [{ name: 'web', image: 'flotilla/demo-web' }] }),
  );
  await kubectl(
    ['apply', '-f', '-'],
    podManifest('talker', 'w2', {
      containers: [
        {
          name: 'talk',
          image: 'flotilla/demo-web',
          command: ['sh', '-c', 'echo one; echo two; sleep 4; echo three; exit 1'],
        },
      ],
    }),
  );
  await kubectl(
    ['apply', '-f', '-'],
    podManifest('attachee', 'w1', {
      restartPolicy: 'Never',
      containers: [
        { name: 'cat', image: 'flotilla/demo-web', command: ['cat'], stdin: true, stdinOnce: true },
      ],
    }),
  );
  await kubectl(
    ['apply', '-f', '-'],
    podManifest('own-dns', 'w2', {
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['192.0.2.53'],
        searches: ['example.test'],
        options: [{ name: 'ndots', value: '2' }],
      },
      containers: [{ name: 'web', image: 'flotilla/demo-web' }],
    }),
  );
}, 400_000);

afterAll(async () => {
  await masters?.shutdown();
  if (!lab) return;
  await lab.destroy();
  expect(await lab.leftovers()).toEqual([]);
}, 120_000);

describe('kubectl exec, logs and port-forward on real workers', () => {
  it('reports each node kubelet port in its status', async () => {
    const node = await eventually(
      'w1 Ready',
      async () => {
        const n = await get<{
          status: {
            daemonEndpoints: { kubeletEndpoint: { Port: number } };
            conditions: { type: string; status: string }[];
          };
        }>('node', 'w1');
        return n?.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')
          ? n
          : undefined;
      },
      60_000,
    );
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBe(10250);
  });

  it('kubectl exec reads the pod resolv.conf: the kube-dns ClusterIP and the cluster search path', async () => {
    await runningPod('web');
    const resolv = await kubectl(['exec', 'web', '--', 'cat', '/etc/resolv.conf']);
    expect(resolv).toContain(`nameserver ${DNS_IP}`);
    expect(resolv).toContain('search default.svc.cluster.local svc.cluster.local cluster.local');
    expect(resolv).toContain('options ndots:5');
  });

  it('dnsPolicy None takes the pod dnsConfig as it is', async () => {
    await runningPod('own-dns');
    const resolv = await kubectl(['exec', 'own-dns', '--', 'cat', '/etc/resolv.conf']);
    expect(resolv).toContain('nameserver 192.0.2.53');
    expect(resolv).not.toContain(DNS_IP);
    expect(resolv).toContain('search example.test');
    expect(resolv).toContain('options ndots:2');
  });

  it('kubectl exec -i passes stdin through to its end, and the exit code back', async () => {
    expect(await kubectl(['exec', '-i', 'web', '--', 'cat'], 'hello through stdin\n')).toBe(
      'hello through stdin\n',
    );
    const failed = await masters!.kubectl([
      'exec',
      'web',
      '--',
      'sh',
      '-c',
      'echo oops >&2; exit 3',
    ]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('oops');
  });

  it('kubectl 1.32 stays on WebSocket: v5 exec translated to SPDY for containerd, no fallback', async () => {
    const r = await masters!.kubectl(['exec', '-v=7', '-i', 'web', '--', 'cat'], {
      input: 'v5 to spdy\n',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('v5 to spdy\n');
    expect(r.stderr).toContain('Sec-Websocket-Protocol: v5.channel.k8s.io');
    expect(r.stderr).not.toMatch(/fallback/i);
  });

  it('kubectl attach reaches the container stdin and stdout, and ends with it', async () => {
    await runningPod('attachee');
    const r = await masters!.kubectl(['attach', '-v=7', '-i', 'attachee'], {
      input: 'typed into cat\n',
    });
    expect(r.stdout).toContain('typed into cat\n');
    expect(r.stderr).toContain('Sec-Websocket-Protocol: v5.channel.k8s.io');
    expect(r.stderr).not.toMatch(/fallback/i);
  });

  it('an exec over WebSocket (v4.channel.k8s.io) goes through to containerd as it is', async () => {
    const api = `ws://${masters!.host}:${masters!.ports.get('m1')!.api}`;
    const ws = new WebSocket(
      `${api}/api/v1/namespaces/default/pods/web/exec?command=echo&command=over%20websocket&stdout=true`,
      ['v4.channel.k8s.io'],
    );
    const frames: Buffer[] = [];
    ws.on('message', (data: Buffer) => frames.push(Buffer.from(data)));
    await new Promise<void>((resolve, reject) => {
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    expect(ws.protocol).toBe('v4.channel.k8s.io');
    // Channel 1 is stdout, channel 3 the final status.
    const stdout = frames
      .filter((f) => f[0] === 1)
      .map((f) => f.subarray(1).toString())
      .join('');
    expect(stdout).toBe('over websocket\n');
    const status = frames.find((f) => f[0] === 3 && f.length > 1);
    expect(JSON.parse(status!.subarray(1).toString())).toMatchObject({ status: 'Success' });
  });

  it('kubectl port-forward reaches the pod port from this machine', async () => {
    const child = spawn(
      'kubectl',
      ['--context=flotilla-m1', '-v=6', 'port-forward', 'pod/web', ':80', '--address', '127.0.0.1'],
      { env: { ...process.env, KUBECONFIG: masters!.kubeconfig } },
    );
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const port = await eventually(
        'port-forward listening',
        async () => /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out)?.[1],
        30_000,
      );
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`, {
          signal: AbortSignal.timeout(10_000),
        });
        expect(await res.text()).toBe('web\n');
      }
      // Tunnelled SPDY in WebSocket all the way: kubectl never fell back to a SPDY upgrade.
      expect(out).not.toMatch(/fallback/i);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('kubectl logs: all, --tail, -f until the container ends, and --previous after a restart', async () => {
    const firstLines = await eventually(
      'talker logs',
      async () => {
        const out = await kubectl(['logs', 'talker']).catch(() => '');
        return out.startsWith('one\ntwo\n') ? out : undefined;
      },
      90_000,
    );
    expect(firstLines).toMatch(/^one\ntwo\n/);
    expect(await kubectl(['logs', 'talker', '--tail', '1'])).toMatch(/^(two|three)\n$/);
    const followed = await kubectl(['logs', '-f', 'talker', '-c', 'talk']);
    expect(followed).toMatch(/three\n$/);
    const restarted = await eventually(
      'talker restarted',
      async () => {
        const p = await get<Pod>('pod', 'talker');
        return (containerStatus(p!, 'talk')?.restartCount ?? 0) >= 1 ? p : undefined;
      },
      60_000,
    );
    expect(containerStatus(restarted, 'talk')!.restartCount).toBeGreaterThanOrEqual(1);
    expect(await kubectl(['logs', 'talker', '--previous'])).toBe('one\ntwo\nthree\n');
  });

  it('explains a pod that is not scheduled', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'nowhere' },
        spec: {
          nodeSelector: { 'no-such-label': 'x' },
          containers: [{ name: 'web', image: 'flotilla/demo-web' }],
        },
      }),
    );
    const r = await masters!.kubectl(['logs', 'nowhere']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('does not have a host assigned');
  });
});
