import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getContainerRuntimeClient } from 'testcontainers';
import { runTool } from '../integration/support/run-tool';
import { getText, waitFor } from '../integration/support/wait';
import { ClientTls, httpsRequest, tryHttpsGetText } from './support/e2e-pki';
import {
  CONTROL_PLANE_IMAGE,
  NODE_AGENT_IMAGE,
  PROMETHEUS_IMAGE,
  REGISTRY_IMAGE,
} from './support/images';
import { sampleValue } from './support/metrics-text';
import { requireLocalImage } from './support/require-image';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..');
const COMPOSE_FILE = join(REPO, 'docker-compose.ha.yml');
const PROJECT = `flotilla-e2e-compose-${randomBytes(4).toString('hex')}`;
const CLUSTER_TOKEN = randomBytes(16).toString('hex');
const SERVICES = ['m1', 'm2', 'm3', 'prometheus', 'w1', 'w2'] as const;
const MASTERS = ['m1', 'm2', 'm3'] as const;
type Master = (typeof MASTERS)[number];
/** Host ports as docker-compose.ha.yml publishes them. */
const API_PORTS: Record<Master, number> = { m1: 6443, m2: 6444, m3: 6445 };
const ETCD_PORTS: Record<Master, number> = { m1: 2379, m2: 2479, m3: 2579 };
const PROMETHEUS_PORT = 9090;

/** The few fields of API answers this suite reads. */
interface ApiObject {
  items?: { status?: { conditions?: { type: string; status: string }[] } }[];
  status?: { availableReplicas?: number };
  spec?: { clusterIP?: string };
}

/**
 * docker-compose.ha.yml itself, driven by Debian's docker-compose 1.29 (testcontainers' compose
 * support needs `docker compose` v2). Uses the fixed host ports of the file: 6443-6445,
 * 2379/2479/2579 and 9090 must be free. The certificates come from deploy/compose-pki.sh (what
 * deploy/compose.sh runs), into a directory of this run's own (FLOTILLA_COMPOSE_DIR).
 */
describe('docker-compose.ha.yml with docker-compose', () => {
  let host = '';
  let upCalled = false;
  const composeDir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-compose-'));
  const pki = (file: string) => join(composeDir, 'pki', file);
  let admin: ClientTls | undefined;

  async function compose(...args: string[]): Promise<string> {
    const { stdout } = await run('docker-compose', ['-f', COMPOSE_FILE, '-p', PROJECT, ...args], {
      timeout: 180_000,
      env: {
        ...process.env,
        FLOTILLA_IMAGE: CONTROL_PLANE_IMAGE,
        FLOTILLA_PROMETHEUS_IMAGE: PROMETHEUS_IMAGE,
        FLOTILLA_WORKER_IMAGE: NODE_AGENT_IMAGE,
        FLOTILLA_REGISTRY_IMAGE: REGISTRY_IMAGE,
        // A killed member stays down until the test starts it again.
        FLOTILLA_RESTART: 'no',
        // The members' shared secret (the public default is refused off loopback).
        FLOTILLA_CLUSTER_TOKEN: CLUSTER_TOKEN,
        FLOTILLA_COMPOSE_DIR: composeDir,
      },
    });
    return stdout;
  }

  async function containerId(service: string): Promise<string> {
    const id = (await compose('ps', '-q', service)).trim();
    if (!id) throw new Error(`compose has no container for ${service}`);
    return id;
  }

  async function health(service: string): Promise<string | undefined> {
    const runtime = await getContainerRuntimeClient();
    const info = await runtime.container.dockerode
      .getContainer(await containerId(service))
      .inspect();
    return info.State.Health?.Status;
  }

  async function waitHealthy(services: readonly string[]): Promise<void> {
    for (const service of services) {
      await waitFor(
        `${service} healthy`,
        async () => ((await health(service)) === 'healthy' ? true : undefined),
        120_000,
        1000,
      );
    }
  }

  /** GET on a master's published API port, as the admin unless given other credentials. */
  function get(member: Master, path: string, tls: ClientTls = admin!) {
    return tryHttpsGetText(`https://${host}:${API_PORTS[member]}${path}`, tls);
  }

  async function metric(member: Master, name: string): Promise<number | undefined> {
    const res = await get(member, '/metrics');
    return res?.status === 200 ? sampleValue(res.body, name) : undefined;
  }

  async function agreedLeader(among: readonly Master[]): Promise<Master | undefined> {
    const views = await Promise.all(
      among.map(async (m) => ({
        m,
        isLeader: await metric(m, 'flotilla_raft_is_leader'),
        hasLeader: await metric(m, 'flotilla_raft_has_leader'),
      })),
    );
    const leaders = views.filter((v) => v.isLeader === 1);
    return leaders.length === 1 && views.every((v) => v.hasLeader === 1) ? leaders[0].m : undefined;
  }

  beforeAll(async () => {
    await requireLocalImage(CONTROL_PLANE_IMAGE);
    await requireLocalImage(PROMETHEUS_IMAGE);
    await requireLocalImage(NODE_AGENT_IMAGE);
    await requireLocalImage(REGISTRY_IMAGE);
    await run('docker-compose', ['version', '--short']).catch((err: Error) => {
      throw new Error(
        `docker-compose is not usable (${err.message}); run 'bash deploy/provision-docker.sh'.`,
      );
    });
    host = (await getContainerRuntimeClient()).info.containerRuntime.host;
    // The serving certificates must also name the address the suite dials (Docker's gateway
    // address when testcontainers says so), as a user adds this machine's name.
    const made = await runTool('bash', [join(REPO, 'deploy', 'compose-pki.sh'), composeDir], {
      env: { ...process.env, FLOTILLA_COMPOSE_HOSTS: host },
      timeoutMs: 240_000,
    });
    if (made.code !== 0) throw new Error(`deploy/compose-pki.sh failed: ${made.stderr}`);
    admin = {
      ca: readFileSync(pki('ca.crt')),
      cert: readFileSync(pki('admin.crt')),
      key: readFileSync(pki('admin.key')),
    };
    upCalled = true;
    await compose('up', '-d');
  }, 240_000);

  afterAll(async () => {
    if (upCalled) await compose('down', '-v', '--remove-orphans', '--timeout', '10');
    rmSync(composeDir, { recursive: true, force: true });
  }, 180_000);

  it('comes up healthy with one leader, and Prometheus scrapes the three masters and both workers', async () => {
    await waitHealthy(SERVICES);
    const leader = await waitFor('a leader', () => agreedLeader(MASTERS));
    expect(MASTERS).toContain(leader);
    const up = await waitFor(
      'Prometheus sees three masters up',
      async () => {
        const res = await getText(
          `http://${host}:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent('sum(up{job="flotilla-masters"})')}`,
        ).catch(() => undefined);
        const result = res?.status === 200 ? JSON.parse(res.body).data.result : [];
        return result.length === 1 && result[0].value[1] === '3' ? true : undefined;
      },
      60_000,
      1000,
    );
    expect(up).toBe(true);
    const workersUp = await waitFor(
      'Prometheus sees both workers (node agents) up',
      async () => {
        const q = 'sum(up{job="flotilla-workers"})';
        const res = await getText(
          `http://${host}:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(q)}`,
        ).catch(() => undefined);
        const result = res?.status === 200 ? JSON.parse(res.body).data.result : [];
        return result.length === 1 && result[0].value[1] === '2' ? true : undefined;
      },
      60_000,
      1000,
    );
    expect(workersUp).toBe(true);
    // The workers are scraped on their kubelet servers, with the client pair (nodes/metrics).
    const targets = await getText(`http://${host}:${PROMETHEUS_PORT}/api/v1/targets`);
    const active = JSON.parse(targets.body).data.activeTargets as {
      labels: { job: string };
      scrapeUrl: string;
      health: string;
    }[];
    expect(
      active
        .filter((t) => t.labels.job === 'flotilla-workers')
        .map((t) => [t.scrapeUrl, t.health])
        .sort(),
    ).toEqual([
      ['https://w1:10250/metrics', 'up'],
      ['https://w2:10250/metrics', 'up'],
    ]);
  });

  it('runs a Deployment on the workers w1 and w2, and its Service answers inside a worker', async () => {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await httpsRequest(
        `https://${host}:${API_PORTS.m1}${path}`,
        admin!,
        method,
        body,
      );
      return { status: res.status, body: JSON.parse(res.body) as ApiObject };
    };
    await waitFor(
      'Nodes w1 and w2 Ready',
      async () => {
        const nodes = await api('GET', '/api/v1/nodes').catch(() => undefined);
        const ready = (nodes?.body.items ?? []).filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === 2 ? true : undefined;
      },
      120_000,
      1000,
    );
    // What the README has users type: create deployment web --replicas=3, expose --port=80.
    const labels = { app: 'web' };
    const created = await api('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'web', labels },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'demo-web', image: 'flotilla/demo-web' }] },
        },
      },
    });
    expect(created.status).toBe(201);
    const svc = await api('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 80 }] },
    });
    expect(svc.status).toBe(201);
    await waitFor(
      'deployment web rolled out',
      async () => {
        const d = await api('GET', '/apis/apps/v1/namespaces/default/deployments/web');
        return d.body.status?.availableReplicas === 3 ? true : undefined;
      },
      180_000,
      1000,
    );
    const runtime = await getContainerRuntimeClient();
    const w1 = runtime.container.dockerode.getContainer(await containerId('w1'));
    const exec = await w1.exec({
      Cmd: ['curl', '-s', '--max-time', '3', `http://${svc.body.spec?.clusterIP}/`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => stream.on('end', resolve));
    // Docker's multiplexed stream: an 8-byte header per frame, the pod's name inside.
    expect(Buffer.concat(chunks).toString('latin1')).toMatch(/web-[a-z0-9]+-[a-z0-9]+/);
    // The plain port keeps only health: /metrics and /pods need a certificate on 10250.
    const plain = await w1.exec({
      Cmd: [
        'sh',
        '-c',
        'for p in readyz metrics pods; do curl -s -o /dev/null -w "%{http_code} " http://127.0.0.1:10248/$p; done',
      ],
      AttachStdout: true,
      AttachStderr: true,
    });
    const plainStream = await plain.start({ hijack: true, stdin: false });
    const plainChunks: Buffer[] = [];
    plainStream.on('data', (c: Buffer) => plainChunks.push(c));
    await new Promise((resolve) => plainStream.on('end', resolve));
    // Each curl's output is its own frame (8-byte header): match across them.
    expect(Buffer.concat(plainChunks).toString('latin1')).toMatch(/200 [^]*404 [^]*404 /);
    // kubectl logs and exec go through a master to the pod's kubelet: HTTPS with the node's pair,
    // taking only the API server's client certificate from the cluster CA.
    const kubeconfig = ['--kubeconfig', join(composeDir, 'kubeconfig')];
    const pods = await runTool('kubectl', [
      ...kubeconfig,
      ...['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'],
    ]);
    expect(pods.code).toBe(0);
    const logs = await runTool('kubectl', [...kubeconfig, 'logs', pods.stdout]);
    expect(logs).toMatchObject({ code: 0 });
    const hostname = await runTool('kubectl', [
      ...kubeconfig,
      ...['exec', pods.stdout, '--', 'hostname'],
    ]);
    expect(hostname).toMatchObject({ code: 0, stdout: `${pods.stdout}\n` });
  });

  it('serves kubectl and etcdctl with the admin credentials compose-pki.sh made, and nobody without', async () => {
    const kubectl = await runTool('kubectl', [
      '--kubeconfig',
      join(composeDir, 'kubeconfig'),
      '--context',
      'flotilla-m2',
      'get',
      'namespace',
      'kube-system',
      '-o',
      'name',
    ]);
    expect(kubectl).toMatchObject({ code: 0, stdout: 'namespace/kube-system\n' });
    const endpoints = MASTERS.map((m) => `https://127.0.0.1:${ETCD_PORTS[m]}`).join(',');
    const tls = [
      `--cacert=${pki('ca.crt')}`,
      `--cert=${pki('admin.crt')}`,
      `--key=${pki('admin.key')}`,
    ];
    const etcdctl = (...args: string[]) =>
      runTool('etcdctl', [`--endpoints=${endpoints}`, '--command-timeout=10s', ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
    expect(await etcdctl(...tls, 'put', '/compose-e2e', 'secure')).toMatchObject({ code: 0 });
    expect((await etcdctl(...tls, 'get', '--print-value-only', '/compose-e2e')).stdout).toBe(
      'secure\n',
    );
    // Without a client certificate the etcd port refuses; without credentials the API says 401.
    const anonymous = await etcdctl(
      `--cacert=${pki('ca.crt')}`,
      '--command-timeout=3s',
      'get',
      '/x',
    );
    expect(anonymous.code).not.toBe(0);
    expect((await get('m1', '/metrics', { ca: admin!.ca }))?.status).toBe(401);
  });

  it('elects a new leader when the leader container is killed, and takes the member back', async () => {
    const oldLeader = await waitFor('a leader', () => agreedLeader(MASTERS));
    const survivors = MASTERS.filter((m) => m !== oldLeader);
    const runtime = await getContainerRuntimeClient();
    await runtime.container.dockerode
      .getContainer(await containerId(oldLeader))
      .kill({ signal: 'SIGKILL' });

    const newLeader = await waitFor('a new leader', () => agreedLeader(survivors));
    expect(newLeader).not.toBe(oldLeader);

    await compose('start', oldLeader);
    await waitHealthy([oldLeader]);
    expect(await waitFor('all three agree', () => agreedLeader(MASTERS))).toBe(newLeader);
  });
});
