import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { getText, waitFor } from '../integration/support/wait';
import { PROMETHEUS_TLS_DIR } from './support/e2e-pki';
import { ipv4HostPort } from './support/host-port';
import { PROMETHEUS_IMAGE } from './support/images';
import { MasterContainers, MEMBER_NAMES, MemberName } from './support/master-containers';
import { requireLocalImage } from './support/require-image';

const PROMETHEUS_PORT = 9090;
/** GET $URL over HTTPS with base64 PEMs from $CA, $CERT, $KEY; prints "<status> <body>". */
const GET_WITH_PEM_ENV = `
const [ca, cert, key] = ['CA', 'CERT', 'KEY'].map((k) => Buffer.from(process.env[k], 'base64'));
require('https')
  .get(process.env.URL, { ca, cert, key }, (r) => {
    let body = '';
    r.on('data', (d) => (body += d));
    r.on('end', () => console.log(r.statusCode + ' ' + body.replace(/\\s+/g, ' ')));
  })
  .on('error', (e) => console.log('error ' + e.message));
`;
/** The repository's config (not the one baked into the image): the file compose mounts. */
const PROMETHEUS_CONFIG = join(__dirname, '..', '..', 'deploy', 'prometheus', 'prometheus.yml');

interface Target {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * The real Prometheus (flotilla/prometheus: Debian's package, with deploy/prometheus/prometheus.yml)
 * on the masters' network, scraping m1..m3 by name as in docker-compose.ha.yml: over HTTPS, as the
 * system:prometheus identity the cluster's PKI issues (group system:monitoring, bound by the
 * masters' bootstrap RBAC to get /metrics).
 */
describe('prometheus scrapes the three masters', () => {
  let cluster: MasterContainers | undefined;
  let prometheus: StartedTestContainer | undefined;
  let prometheusUrl = '';

  beforeAll(async () => {
    await requireLocalImage(PROMETHEUS_IMAGE);
    cluster = await MasterContainers.create();
    await cluster.start();
    prometheus = await new GenericContainer(PROMETHEUS_IMAGE)
      .withName(`${cluster.prefix}-prometheus`)
      .withNetwork(cluster.clientNetwork)
      .withBindMounts([
        { source: PROMETHEUS_CONFIG, target: '/etc/prometheus/prometheus.yml', mode: 'ro' },
        { source: cluster.pki!.prometheusDir, target: PROMETHEUS_TLS_DIR, mode: 'ro' },
      ])
      .withExposedPorts(PROMETHEUS_PORT)
      .withWaitStrategy(Wait.forLogMessage('Server is ready to receive web requests'))
      .withStartupTimeout(60_000)
      .start();
    // Published through the client network, scraping over the Raft network (internal: no ports).
    await cluster.attachToRaftNetwork(prometheus.getId());
    prometheusUrl = `http://${prometheus.getHost()}:${await ipv4HostPort(prometheus, PROMETHEUS_PORT)}`;
  }, 180_000);

  afterAll(async () => {
    await prometheus?.stop({ remove: true, removeVolumes: true }).catch(() => undefined);
    await cluster?.cleanup();
  }, 120_000);

  async function query(promql: string): Promise<Sample[]> {
    const res = await getText(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    if (res.status !== 200) throw new Error(`Prometheus answered ${res.status} to ${promql}`);
    return (JSON.parse(res.body) as { data: { result: Sample[] } }).data.result;
  }

  /** Polls a query until `accept` likes its result (bounded by the scrape interval, 5 s, times a few). */
  function waitForQuery(promql: string, accept: (samples: Sample[]) => boolean): Promise<Sample[]> {
    return waitFor(
      `Prometheus: ${promql}`,
      async () => {
        const samples = await query(promql).catch(() => undefined);
        return samples && accept(samples) ? samples : undefined;
      },
      60_000,
      1000,
    );
  }

  const byMember = (samples: Sample[]): Record<string, number> =>
    Object.fromEntries(samples.map((s) => [s.metric.member, Number(s.value[1])]));

  it('sees all three masters up', async () => {
    const up = await waitForQuery(
      'up{job="flotilla-masters"}',
      (s) => Object.values(byMember(s)).filter((v) => v === 1).length === 3,
    );
    expect(byMember(up)).toEqual({ m1: 1, m2: 1, m3: 1 });
  });

  it('scrapes every master over HTTPS with its credentials: all targets up', async () => {
    const targets = await waitFor(
      'Prometheus: every flotilla-masters target up',
      async () => {
        const res = await getText(`${prometheusUrl}/api/v1/targets`).catch(() => undefined);
        if (res?.status !== 200) return undefined;
        const active = (JSON.parse(res.body) as { data: { activeTargets: Target[] } }).data
          .activeTargets;
        const masters = active.filter((t) => t.labels.job === 'flotilla-masters');
        return masters.length === 3 && masters.every((t) => t.health === 'up')
          ? masters
          : undefined;
      },
      60_000,
      1000,
    );
    expect(targets.map((t) => [t.scrapeUrl, t.health, t.lastError]).sort()).toEqual(
      MEMBER_NAMES.map((m) => [`https://${m}:6443/metrics`, 'up', '']),
    );
  });

  it('refuses an unauthenticated scrape (401); the prometheus identity scrapes (200) but reads no Secret (403)', async () => {
    const c = cluster!;
    for (const name of MEMBER_NAMES) {
      expect((await c.get(name, '/metrics', 'anonymous'))?.status).toBe(401);
      const scrape = await c.get(name, '/metrics', 'prometheus');
      expect(scrape?.status).toBe(200);
      expect(scrape?.body).toMatch(/^flotilla_raft_term /m);
    }
    const secrets = await c.get('m1', '/api/v1/namespaces/kube-system/secrets', 'prometheus');
    expect(secrets?.status).toBe(403);
    expect(JSON.parse(secrets!.body)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: expect.stringContaining('User "system:prometheus" cannot list resource "secrets"'),
    });
  });

  it('gives node agents a kubeconfig that reaches every master by container name as system:node:<name>', async () => {
    const c = cluster!;
    const kubeconfig = parseYaml(readFileSync(await c.nodeKubeconfig('w-e2e'), 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const { user } = kubeconfig.users[0];
    // From inside m2, on the client network, as a node agent's container would.
    const get = async (url: string) =>
      (
        await c.exec('m2', ['node', '-e', GET_WITH_PEM_ENV], {
          URL: url,
          CA: kubeconfig.clusters[0].cluster['certificate-authority-data'],
          CERT: user['client-certificate-data'],
          KEY: user['client-key-data'],
        })
      ).output.trim();
    for (const { cluster: server } of kubeconfig.clusters) {
      // Nodes may be read (its own is not registered yet: 404); a Secret no pod of its uses may
      // not, and the refusal names the node's identity.
      expect(await get(`${server.server}/api/v1/nodes/w-e2e`)).toMatch(/^404 /);
      expect(await get(`${server.server}/api/v1/namespaces/default/secrets/s`)).toMatch(
        /^403 .*system:node:w-e2e/,
      );
    }
  });

  it('sees exactly one leader across the members', async () => {
    const sum = await waitForQuery('sum(flotilla_raft_is_leader)', (s) => s.length === 1);
    expect(Number(sum[0].value[1])).toBe(1);
  });

  it('sees the leader-changes counter rise on a survivor after the leader is killed', async () => {
    const c = cluster!;
    const leader = await c.waitForLeader(MEMBER_NAMES);
    const survivors = MEMBER_NAMES.filter((name) => name !== leader);
    const before = byMember(
      await waitForQuery('flotilla_raft_leader_changes_total', (s) => s.length === 3),
    );

    await c.kill(leader);
    const newLeader: MemberName = await c.waitForLeader(survivors);

    const after = byMember(
      await waitForQuery(
        `flotilla_raft_leader_changes_total{member=~"${survivors.join('|')}"}`,
        (s) => survivors.some((name) => byMember(s)[name] > before[name]),
      ),
    );
    expect(survivors.some((name) => after[name] > before[name])).toBe(true);
    const leaders = await waitForQuery(
      `sum(flotilla_raft_is_leader{member=~"${survivors.join('|')}"})`,
      (s) => s.length === 1 && Number(s[0].value[1]) === 1,
    );
    expect(Number(leaders[0].value[1])).toBe(1);
    console.log(
      `[prometheus] killed ${leader}; new leader ${newLeader}; leader changes ` +
        survivors.map((name) => `${name} ${before[name]} -> ${after[name]}`).join(', '),
    );
  });
});
