import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { getText, waitFor } from '../integration/support/wait';
import { ipv4HostPort } from './support/host-port';
import { PROMETHEUS_IMAGE } from './support/images';
import { MasterContainers, MEMBER_NAMES, MemberName } from './support/master-containers';
import { requireLocalImage } from './support/require-image';

const PROMETHEUS_PORT = 9090;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * The real Prometheus (flotilla/prometheus: Debian's package, with deploy/prometheus/prometheus.yml)
 * on the masters' network, scraping m1..m3 by name as in docker-compose.ha.yml.
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
