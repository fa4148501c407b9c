// The master holding both component Leases (kube-scheduler, kube-controller-manager) is cut off
// from its peers (docker network disconnect from the Raft network; the suite still reaches it on
// the client network). Proves: the survivors take both Leases over; the cut-off master stops acting
// (its leader_election_master_status drops to 0 for both, it acknowledges no write, and a
// Deployment scaled meanwhile is handled by a survivor's controller manager); each takeover is
// counted in leader_election_takeover_seconds on the new holder and Prometheus can query it; once
// reconnected, the cut-off master follows and its commit index catches up. Prints the timeline.
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { getText, waitFor } from '../integration/support/wait';
import { httpsRequest, PROMETHEUS_TLS_DIR } from './support/e2e-pki';
import { ipv4HostPort } from './support/host-port';
import { PROMETHEUS_IMAGE } from './support/images';
import { MasterContainers, MEMBER_NAMES, MemberName } from './support/master-containers';
import { sampleValue } from './support/metrics-text';
import { requireLocalImage } from './support/require-image';
import { join } from 'node:path';

const NS = 'default';
const APP = 'lease-web';
const REPLICAS_BEFORE = 1;
const REPLICAS_AFTER = 4;
const COMPONENT_LEASES = ['kube-scheduler', 'kube-controller-manager'] as const;
type ComponentLease = (typeof COMPONENT_LEASES)[number];
const PROMETHEUS_PORT = 9090;
const PROMETHEUS_CONFIG = join(__dirname, '..', '..', 'deploy', 'prometheus', 'prometheus.yml');
const DEPLOYMENT_PATH = `/apis/apps/v1/namespaces/${NS}/deployments/${APP}`;

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('partition: the master holding both component Leases is cut off from its peers', () => {
  let masters: MasterContainers | undefined;
  let prometheus: StartedTestContainer | undefined;
  let prometheusUrl = '';

  beforeAll(async () => {
    await requireLocalImage(PROMETHEUS_IMAGE);
    masters = await MasterContainers.create();
    await masters.start();
    await masters.waitForLeader(MEMBER_NAMES, 90_000);
    prometheus = await new GenericContainer(PROMETHEUS_IMAGE)
      .withName(`${masters.prefix}-prometheus`)
      .withNetwork(masters.clientNetwork)
      .withBindMounts([
        { source: PROMETHEUS_CONFIG, target: '/etc/prometheus/prometheus.yml', mode: 'ro' },
        { source: masters.pki!.prometheusDir, target: PROMETHEUS_TLS_DIR, mode: 'ro' },
      ])
      .withExposedPorts(PROMETHEUS_PORT)
      .withWaitStrategy(Wait.forLogMessage('Server is ready to receive web requests'))
      .withStartupTimeout(60_000)
      .start();
    // It scrapes m1..m3 by name on the Raft network: the cut-off member drops out of its view.
    await masters.attachToRaftNetwork(prometheus.getId());
    prometheusUrl = `http://${prometheus.getHost()}:${await ipv4HostPort(prometheus, PROMETHEUS_PORT)}`;
  }, 240_000);

  afterAll(async () => {
    await prometheus?.stop({ remove: true, removeVolumes: true }).catch(() => undefined);
    await masters?.cleanup();
  }, 120_000);

  /** A request to this member only (not "whichever answers"): the test must know who served it. */
  function requestTo(name: MemberName, method: string, path: string, body?: unknown) {
    const m = masters!;
    return httpsRequest(m.apiUrl(name, path), m.pki!.tls('admin'), method, body);
  }

  /** The member holding a component Lease ("m2_<id>" -> m2) as `via` reads it. */
  async function leaseHolder(via: MemberName, lease: ComponentLease): Promise<string | undefined> {
    const res = await requestTo(
      via,
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}`,
    ).catch(() => undefined);
    if (res?.status !== 200) return undefined;
    const holder = (JSON.parse(res.body) as { spec?: { holderIdentity?: string } }).spec
      ?.holderIdentity;
    return holder ? holder.split('_')[0] : undefined;
  }

  /** A sample of a labelled family on one member's /metrics, e.g. status{name="kube-scheduler"}. */
  async function componentMetric(
    name: MemberName,
    metric: string,
    lease: ComponentLease,
  ): Promise<number | undefined> {
    const res = await masters!.get(name, '/metrics');
    return res?.status === 200 ? sampleValue(res.body, metric, `{name="${lease}"}`) : undefined;
  }

  async function podCount(via: MemberName): Promise<number | undefined> {
    const res = await requestTo(
      via,
      'GET',
      `/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${APP}`,
    ).catch(() => undefined);
    if (res?.status !== 200) return undefined;
    const pods = (JSON.parse(res.body) as { items: { metadata: { deletionTimestamp?: string } }[] })
      .items;
    return pods.filter((p) => p.metadata.deletionTimestamp === undefined).length;
  }

  async function promQuery(promql: string): Promise<PromSample[] | undefined> {
    const res = await getText(
      `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`,
    ).catch(() => undefined);
    if (res?.status !== 200) return undefined;
    return (JSON.parse(res.body) as { data: { result: PromSample[] } }).data.result;
  }

  /**
   * Makes one member hold both Leases. Nothing moves a Lease on purpose: pausing the Raft leader
   * makes the other two elect one of them, and the Leases tend to follow (as in
   * leader-kill-rollout). Bounded attempts.
   */
  async function coLocate(m: MasterContainers): Promise<MemberName> {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const leader = await m.waitForLeader(MEMBER_NAMES, 60_000);
      const holders = await waitFor(
        'both component Leases held',
        async () => {
          const h = await Promise.all(COMPONENT_LEASES.map((l) => leaseHolder(leader, l)));
          return h.every((x) => x !== undefined) ? h : undefined;
        },
        60_000,
        500,
      );
      if (holders[0] === holders[1]) return holders[0] as MemberName;
      await m.pause(leader);
      await new Promise((r) => setTimeout(r, 3000));
      await m.unpause(leader);
      await new Promise((r) => setTimeout(r, 3000));
    }
    throw new Error('no member came to hold both Leases in 10 attempts');
  }

  it('the survivors take both Leases over and act; the cut-off master stops acting, then rejoins and catches up', async () => {
    const m = masters!;
    const holder = await coLocate(m);
    const survivors = MEMBER_NAMES.filter((n) => n !== holder);
    for (const lease of COMPONENT_LEASES) {
      expect(await componentMetric(holder, 'leader_election_master_status', lease)).toBe(1);
    }

    // A Deployment the holder's controller manager handles before the cut.
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP, labels: { app: APP } },
      spec: {
        replicas: REPLICAS_BEFORE,
        selector: { matchLabels: { app: APP } },
        template: {
          metadata: { labels: { app: APP } },
          spec: { containers: [{ name: 'web', image: 'flotilla/demo-web' }] },
        },
      },
    };
    const created = await requestTo(
      survivors[0],
      'POST',
      `/apis/apps/v1/namespaces/${NS}/deployments`,
      deployment,
    );
    expect(created.status).toBe(201);
    await waitFor(`${REPLICAS_BEFORE} pod of ${APP}`, async () =>
      (await podCount(survivors[0])) === REPLICAS_BEFORE ? true : undefined,
    );
    // The premise, checked at the last moment.
    expect(await Promise.all(COMPONENT_LEASES.map((l) => leaseHolder(survivors[0], l)))).toEqual([
      holder,
      holder,
    ]);

    const ledRaft = (await m.metric(holder, 'flotilla_raft_is_leader')) === 1;
    await m.disconnectFromPeers(holder);
    const cutAt = Date.now();
    // Docker rewires the container's ports for a moment: wait until the cut-off member answers.
    const commitIndexAtCut = await waitFor(`${holder} reachable by the suite`, () =>
      m.metric(holder, 'flotilla_raft_commit_index'),
    );

    // Watched together, so the timeline shows which came first: the survivors taking both Leases
    // over, or the cut-off master's electors stepping down (renewDeadline < leaseDuration: the
    // old holder should stop acting before anyone may take over).
    const [takeovers, stepDowns] = await Promise.all([
      Promise.all(
        COMPONENT_LEASES.map((lease) =>
          waitFor(
            `the ${lease} Lease held by a survivor`,
            async () => {
              const h = await leaseHolder(survivors[0], lease);
              return h && h !== holder
                ? { lease, holder: h as MemberName, at: Date.now() }
                : undefined;
            },
            60_000,
            100,
          ),
        ),
      ),
      Promise.all(
        COMPONENT_LEASES.map((lease) =>
          waitFor(
            `${holder} no longer ${lease} master`,
            async () =>
              (await componentMetric(holder, 'leader_election_master_status', lease)) === 0
                ? { lease, at: Date.now() }
                : undefined,
            60_000,
            100,
          ),
        ),
      ),
    ]);
    for (const t of takeovers) {
      expect(await componentMetric(t.holder, 'leader_election_master_status', t.lease)).toBe(1);
    }

    // It acknowledges no write: a scale sent to it fails (no quorum behind it).
    const scaleViaCutOff = await requestTo(holder, 'PATCH', DEPLOYMENT_PATH, {
      spec: { replicas: REPLICAS_AFTER + 1 },
    }).catch((err: Error) => ({ status: 0, body: err.message }));
    expect(scaleViaCutOff.status === 0 || scaleViaCutOff.status >= 500).toBe(true);

    // The majority carries on: a scale through a survivor is handled by a survivor's controller
    // manager (the only one that can write: the cut-off side commits nothing).
    const scaled = await requestTo(survivors[0], 'PATCH', DEPLOYMENT_PATH, {
      spec: { replicas: REPLICAS_AFTER },
    });
    expect(scaled.status).toBe(200);
    await waitFor(
      `${REPLICAS_AFTER} pods of ${APP} created by the survivors`,
      async () => ((await podCount(survivors[0])) === REPLICAS_AFTER ? true : undefined),
      60_000,
      500,
    );
    const cmHolder = takeovers.find((t) => t.lease === 'kube-controller-manager')!.holder;
    expect(survivors).toContain(cmHolder);
    expect(await m.metric(holder, 'flotilla_raft_commit_index')).toBe(commitIndexAtCut);
    for (const lease of COMPONENT_LEASES) {
      expect(await componentMetric(holder, 'leader_election_master_status', lease)).toBe(0);
    }

    // Takeover time as a metric: counted on each new holder, and queryable in Prometheus.
    const takeoverSeconds: Record<string, number> = {};
    for (const t of takeovers) {
      const count = await componentMetric(
        t.holder,
        'leader_election_takeover_seconds_count',
        t.lease,
      );
      const sum = await componentMetric(t.holder, 'leader_election_takeover_seconds_sum', t.lease);
      expect(count).toBeGreaterThanOrEqual(1);
      takeoverSeconds[t.lease] = sum! / count!;
    }
    const fromPrometheus = await waitFor(
      'Prometheus: leader_election_takeover_seconds_count on the new holders',
      async () => {
        const samples = await promQuery('leader_election_takeover_seconds_count');
        const seen = takeovers.map((t) =>
          samples?.find(
            (s) =>
              s.metric.name === t.lease && s.metric.member === t.holder && Number(s.value[1]) >= 1,
          ),
        );
        return seen.every((s) => s !== undefined) ? (seen as PromSample[]) : undefined;
      },
      60_000,
      1000,
    );
    expect(fromPrometheus.map((s) => [s.metric.name, s.metric.member])).toEqual(
      takeovers.map((t) => [t.lease, t.holder]),
    );

    // Heal: it follows again, and its commit index catches up with the leader's.
    await m.reconnectToPeers(holder);
    const leader = await m.waitForLeader(MEMBER_NAMES, 60_000);
    const leaderCommit = (await m.metric(leader, 'flotilla_raft_commit_index'))!;
    await waitFor(
      `${holder} commit index at ${leaderCommit} or beyond`,
      async () => {
        const c = await m.metric(holder, 'flotilla_raft_commit_index');
        return c !== undefined && c >= leaderCommit ? c : undefined;
      },
      60_000,
      250,
    );
    await waitFor(`${holder} serving the survivors' ${REPLICAS_AFTER} pods`, async () =>
      (await podCount(holder)) === REPLICAS_AFTER ? true : undefined,
    );
    // One master per component acting after the heal, and it is the one the Lease names.
    for (const lease of COMPONENT_LEASES) {
      const acting = await waitFor(`exactly one ${lease} master, the Lease's holder`, async () => {
        const statuses = await Promise.all(
          MEMBER_NAMES.map((n) => componentMetric(n, 'leader_election_master_status', lease)),
        );
        const actingMembers = MEMBER_NAMES.filter((_, i) => statuses[i] === 1);
        const named = await leaseHolder(leader, lease);
        return actingMembers.length === 1 && actingMembers[0] === named ? named : undefined;
      });
      expect(acting).not.toBe(holder);
    }
    const replicas = await requestTo(leader, 'GET', DEPLOYMENT_PATH);
    expect((JSON.parse(replicas.body) as { spec: { replicas: number } }).spec.replicas).toBe(
      REPLICAS_AFTER,
    );

    console.log(
      [
        `[partition-components] cut off ${holder} (held both Leases, Raft ${ledRaft ? 'leader' : 'follower'}, commit index ${commitIndexAtCut}); timeline in ms from the cut:`,
        ...takeovers.map(
          (t) =>
            `  ${t.lease} Lease on ${t.holder}: ${t.at - cutAt} (observed); ` +
            `takeover ${takeoverSeconds[t.lease].toFixed(3)} s (leader_election_takeover_seconds)`,
        ),
        ...stepDowns.map(
          (s) => `  ${holder} ${s.lease} master_status 0: ${s.at - cutAt} (observed)`,
        ),
        `  scale via ${holder}: ${scaleViaCutOff.status} ${scaleViaCutOff.body.slice(0, 120)}`,
        `  healed: ${holder} caught up to commit index ${leaderCommit} (leader ${leader})`,
      ].join('\n'),
    );
  });
});
