// The same streams in the secure mode: masters with TLS and RBAC (their cluster PKI), one worker
// running as `flotilla up` runs its workers: its kubelet as system:node:w1 (the Node authorizer
// and NodeRestriction in the path), its kube-proxy as system:kube-proxy, its kubelet server in
// HTTPS with a serving pair from the cluster CA naming its address, taking the API server's
// client certificate and whoever a SubjectAccessReview allows (Prometheus: nodes/metrics). The masters verify that pair (--kubelet-certificate-authority). kubectl
// exec, logs and port-forward go through both TLS hops; anyone else is turned away at the
// kubelet, and a kubelet with a certificate from elsewhere is refused by the API server. Runs as
// root (npm run test:workers).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterCluster } from '../integration/support/master-cluster';
import { runTool } from '../integration/support/run-tool';
import type { WorkerLab } from '../../libs/kubelet/src/host/lab';
import type { Pod } from '../../libs/kubelet/src/pod/types';
import { issueUserCertificate, selfSignedCertificate } from '../../libs/pki/src';
import { condition, createLab, eventually } from './support/lab';

let lab: WorkerLab | undefined;
let masters: MasterCluster | undefined;
let certs: string;
let nodeKubeconfig: string;

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await masters!.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The status of a GET to w1's kubelet server, as file (a client pair of the PKI) if given. */
function kubeletStatus(path: string, file?: string): Promise<number> {
  const pki = masters!.pkiDir!;
  const pair = file
    ? {
        cert: readFileSync(join(pki, `${file}.crt`)),
        key: readFileSync(join(pki, `${file}.key`)),
      }
    : {};
  return new Promise((resolve, reject) => {
    request(
      { host: lab!.host('w1').address, port: 10250, path, rejectUnauthorized: false, ...pair },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    )
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  lab = await createLab(1);
  masters = await MasterCluster.start(3, [], undefined, [], {
    host: lab.hostAddress,
    secure: true,
    verifyKubelets: true,
  });
  await masters.waitForApi();
  certs = mkdtempSync(join(tmpdir(), 'kubelet-serving-'));
  const w1 = await masters.nodeAgentOptions('w1', lab.host('w1').address);
  nodeKubeconfig = w1.kubeconfig!;
  await lab.startAgent('w1', { ...w1, args: ['--cluster-dns', 'off'] });
  // The pod uses Secret db: the node may read it (its pod uses it), and only it.
  await kubectl(['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2']);
  await kubectl(['create', 'secret', 'generic', 'other', '--from-literal=password=nope']);
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: {
        nodeName: 'w1',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'web',
            image: 'flotilla/demo-web',
            env: [
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            ],
          },
        ],
      },
    }),
  );
  let last: Pod | undefined;
  await eventually(
    'web Running and Ready',
    async () => {
      last = await kubectl(['get', 'pod', 'web', '-o', 'json']).then(
        (t) => JSON.parse(t) as Pod,
        () => undefined,
      );
      return last?.status?.phase === 'Running' && condition(last, 'Ready') === 'True'
        ? last
        : undefined;
    },
    90_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nlast status: ${JSON.stringify(last?.status)}`);
  });
}, 400_000);

afterAll(async () => {
  await masters?.shutdown();
  if (certs) rmSync(certs, { recursive: true, force: true });
  if (!lab) return;
  await lab.destroy();
  expect(await lab.leftovers()).toEqual([]);
}, 120_000);

describe('kubectl streams with TLS and RBAC on both hops', () => {
  it('kubectl exec and logs reach the pod through an HTTPS kubelet', async () => {
    expect(await kubectl(['exec', 'web', '--', 'cat', '/etc/hostname'])).toBe('web\n');
    expect(await kubectl(['exec', '-i', 'web', '--', 'cat'], 'secret handshake\n')).toBe(
      'secret handshake\n',
    );
    const logs = await masters!.kubectl(['logs', 'web']);
    expect(logs.stderr).toBe('');
    expect(logs.code).toBe(0);
  });

  it('kubectl port-forward works over the same hops', async () => {
    const child = spawn(
      'kubectl',
      ['--context=flotilla-m1', 'port-forward', 'pod/web', ':80', '--address', '127.0.0.1'],
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
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
      expect(await res.text()).toBe('web\n');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it("the worker's kubelet runs as system:node:w1, held by the Node authorizer", async () => {
    const asNode = (args: string[]) => masters!.kubectl(args, { kubeconfig: nodeKubeconfig });
    const whoami = await asNode(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(whoami.stdout).toBe('system:node:w1');
    // The pod ran with Secret db in its environment: the kubelet read it as the node.
    expect(await kubectl(['exec', 'web', '--', 'cat', '/proc/1/environ'])).toContain(
      'PASSWORD=hunter2\0',
    );
    const other = await asNode(['get', 'secret', 'other', '-o', 'name']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(
      `secrets "other" is forbidden: User "system:node:w1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'w1' and this object`,
    );
    // Its pod status came from the node: NodeRestriction lets w1 write only its own pods.
    const node = JSON.parse(await kubectl(['get', 'pod', 'web', '-o', 'json'])) as Pod;
    expect(node.status?.hostIP).toBe(lab!.host('w1').address);
  });

  it('the kubelet turns away a caller without the API server certificate, on /healthz too', async () => {
    expect(await kubeletStatus('/healthz')).toBe(401);
    expect(await kubeletStatus('/healthz', 'apiserver-kubelet-client')).toBe(200);
    expect(await kubeletStatus('/pods')).toBe(401);
    expect(await kubeletStatus('/containerLogs/default/web/web')).toBe(401);
  });

  it('the kubelet serves /metrics to whom RBAC grants nodes/metrics, /pods to the API server; 10248 only health', async () => {
    // system:prometheus (group system:monitoring): allowed by a SubjectAccessReview the kubelet
    // sends as system:node:w1.
    expect(await kubeletStatus('/metrics', 'prometheus')).toBe(200);
    expect(await kubeletStatus('/metrics/resource', 'prometheus')).toBe(200);
    expect(await kubeletStatus('/metrics/cadvisor', 'kube-proxy')).toBe(403);
    expect(await kubeletStatus('/pods', 'prometheus')).toBe(403);
    expect(await kubeletStatus('/pods', 'apiserver-kubelet-client')).toBe(200);
    // kube-proxy's identity has no nodes/metrics.
    expect(await kubeletStatus('/metrics', 'kube-proxy')).toBe(403);
    const plain = async (path: string) =>
      (await fetch(`${lab!.agentUrl('w1')}${path}`, { signal: AbortSignal.timeout(5000) })).status;
    expect(await plain('/readyz')).toBe(200);
    expect(await plain('/healthz')).toBe(200);
    expect(await plain('/metrics')).toBe(404);
    expect(await plain('/metrics/resource')).toBe(404);
    expect(await plain('/pods')).toBe(404);
  });

  it('kubectl get --raw reaches the kubelet through nodes/proxy: metrics, pods, healthz', async () => {
    const raw = (path: string) => kubectl(['get', '--raw', `/api/v1/nodes/w1/proxy${path}`]);
    expect(await raw('/healthz')).toBe('ok');
    expect(await raw('/metrics')).toMatch(/^# (HELP|TYPE) /m);
    // The container metrics, from containerd's ListContainerStats and the host's /proc.
    const resource = await raw('/metrics/resource');
    expect(resource).toMatch(
      /^container_cpu_usage_seconds_total\{container="web",namespace="default",pod="web"\} [\d.e+-]+ \d+$/m,
    );
    expect(resource).toMatch(/^node_memory_working_set_bytes [1-9]\d* \d+$/m);
    expect(resource).toMatch(/^scrape_error 0$/m);
    const cadvisor = await raw('/metrics/cadvisor');
    const id =
      /^container_memory_working_set_bytes\{container="web",id="([^"]+)",image="flotilla\/demo-web",/m.exec(
        cadvisor,
      )?.[1];
    expect(cadvisor).toContain(`container_memory_working_set_bytes{container="web",id="${id}"`);
    // id is the container's cgroup, as cAdvisor's (cgroup v1: under each controller; v2: one tree).
    const cgroup = [join('/sys/fs/cgroup/memory', id!), join('/sys/fs/cgroup', id!)];
    expect(cgroup.filter((d) => existsSync(d))).toHaveLength(1);
    const pods = JSON.parse(await raw('/pods')) as { items: Pod[] };
    expect(pods.items.map((p) => p.metadata.name)).toContain('web');
    // HEAD, and OPTIONS with a body (the kubelet refuses it), through the master's HTTP layer.
    const pki = masters!.pkiDir!;
    const asAdmin = (method: string, body?: string) =>
      new Promise<{ status: number; type?: string; text: string }>((resolve, reject) => {
        request(
          {
            host: masters!.host,
            port: masters!.ports.get('m1')!.api,
            path: '/api/v1/nodes/w1/proxy/healthz',
            method,
            headers: body ? { 'content-length': String(Buffer.byteLength(body)) } : {},
            ca: readFileSync(join(pki, 'ca.crt')),
            cert: readFileSync(join(pki, 'admin.crt')),
            key: readFileSync(join(pki, 'admin.key')),
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }),
            );
          },
        )
          .on('error', reject)
          .end(body);
      });
    expect(await asAdmin('HEAD')).toEqual({ status: 200, type: 'text/plain', text: '' });
    const options = await asAdmin('OPTIONS', 'x');
    expect(options.status).toBe(405);
    expect(JSON.parse(options.text)).toMatchObject({ reason: 'MethodNotAllowed' });
  });

  it('RBAC decides first: a user without pods/exec is refused by the API server', async () => {
    // jane: a certificate from the cluster CA, no group, no binding.
    const pki = masters!.pkiDir!;
    const jane = await issueUserCertificate(pki, 'jane', []);
    writeFileSync(join(certs, 'jane.crt'), jane.certPem);
    writeFileSync(join(certs, 'jane.key'), jane.keyPem, { mode: 0o600 });
    const r = await runTool(
      'kubectl',
      [
        `--server=https://${masters!.host}:${masters!.ports.get('m1')!.api}`,
        `--certificate-authority=${join(pki, 'ca.crt')}`,
        `--client-certificate=${join(certs, 'jane.crt')}`,
        `--client-key=${join(certs, 'jane.key')}`,
        ...['exec', 'web', '--', 'cat', '/etc/hostname'],
      ],
      { env: { ...process.env, KUBECONFIG: join(certs, 'none') } },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forbidden/i);
    expect(r.stderr).toContain('jane');
    const proxy = await runTool(
      'kubectl',
      [
        `--server=https://${masters!.host}:${masters!.ports.get('m1')!.api}`,
        `--certificate-authority=${join(pki, 'ca.crt')}`,
        `--client-certificate=${join(certs, 'jane.crt')}`,
        `--client-key=${join(certs, 'jane.key')}`,
        ...['get', '--raw', '/api/v1/nodes/w1/proxy/healthz'],
      ],
      { env: { ...process.env, KUBECONFIG: join(certs, 'none') } },
    );
    expect(proxy.stderr).toContain(
      'User "jane" cannot get resource "nodes/proxy" in API group "" at the cluster scope',
    );
  });

  // Last: it restarts w1's agent with a serving pair the cluster CA did not issue.
  it('the API server refuses a kubelet whose serving certificate is not from the cluster CA', async () => {
    const address = lab!.host('w1').address;
    const stranger = await selfSignedCertificate({
      commonName: 'system:node:w1',
      organizations: ['system:nodes'],
      hosts: ['w1', address],
      usage: 'server',
    });
    writeFileSync(join(certs, 'stranger.crt'), stranger.certPem);
    writeFileSync(join(certs, 'stranger.key'), stranger.keyPem, { mode: 0o600 });
    const w1 = await masters!.nodeAgentOptions('w1', address);
    await lab!.stopAgent('w1');
    await lab!.startAgent('w1', {
      ...w1,
      serving: {
        cert: join(certs, 'stranger.crt'),
        key: join(certs, 'stranger.key'),
        clientCa: w1.serving!.clientCa,
      },
      args: ['--cluster-dns', 'off'],
    });
    const logs = await masters!.kubectl(['logs', 'web']);
    expect(logs.code).not.toBe(0);
    expect(logs.stderr).toContain(`the kubelet of node w1 at ${address}:10250 is not trusted`);
    const exec = await masters!.kubectl(['exec', 'web', '--', 'true']);
    expect(exec.code).not.toBe(0);
    expect(exec.stderr).toContain('is not trusted');
  });
});
