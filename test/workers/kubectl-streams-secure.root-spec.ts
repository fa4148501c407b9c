// The same streams in the secure mode: masters with TLS and RBAC (their cluster PKI), one worker
// whose kubelet server speaks HTTPS with its own serving pair and takes only the API server's
// client certificate (from the cluster CA, group system:masters). kubectl exec, logs and
// port-forward go through both TLS hops; anyone else is turned away at the kubelet. Runs as root
// (npm run test:workers).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterCluster } from '../integration/support/master-cluster';
import { runTool } from '../integration/support/run-tool';
import type { WorkerLab } from '../../libs/kubelet/src/host/lab';
import type { Pod } from '../../libs/kubelet/src/pod/types';
import { condition, createLab, eventually } from './support/lab';

let lab: WorkerLab | undefined;
let masters: MasterCluster | undefined;
let certs: string;

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await masters!.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

function kubeletStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(
      { host: lab!.host('w1').address, port: 10250, path, rejectUnauthorized: false },
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
  });
  await masters.waitForApi();
  certs = mkdtempSync(join(tmpdir(), 'kubelet-serving-'));
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-days', '1', '-subj', '/CN=w1'],
      ...['-addext', `subjectAltName=IP:${lab.host('w1').address}`],
      ...['-keyout', join(certs, 'w1.key'), '-out', join(certs, 'w1.crt')],
    ],
    { stdio: 'ignore' },
  );
  await lab.startAgent('w1', {
    kubeconfig: masters.kubeconfig,
    args: [
      ...[
        '--tls-cert-file',
        join(certs, 'w1.crt'),
        '--tls-private-key-file',
        join(certs, 'w1.key'),
      ],
      ...['--client-ca-file', join(masters.pkiDir!, 'ca.crt')],
      ...['--cluster-dns', 'off'],
    ],
  });
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: {
        nodeName: 'w1',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'web', image: 'flotilla/demo-web' }],
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

  it('the kubelet turns away a caller without the API server certificate', async () => {
    expect(await kubeletStatus('/healthz')).toBe(200);
    expect(await kubeletStatus('/pods')).toBe(401);
    expect(await kubeletStatus('/containerLogs/default/web/web')).toBe(401);
  });

  it('RBAC decides first: a user without pods/exec is refused by the API server', async () => {
    // jane: a certificate from the cluster CA, no group, no binding.
    const pki = masters!.pkiDir!;
    const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
    ssl([
      ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-subj', '/CN=jane', '-keyout', 'jane.key', '-out', 'jane.csr'],
    ]);
    ssl([
      ...['x509', '-req', '-in', 'jane.csr', '-CA', join(pki, 'ca.crt')],
      ...['-CAkey', join(pki, 'ca.key'), '-CAcreateserial', '-days', '1', '-out', 'jane.crt'],
    ]);
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
  });
});
