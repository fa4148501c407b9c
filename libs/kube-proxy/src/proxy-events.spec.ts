// The wiring from the proxier to the Events API: a problem with a Service or EndpointSlice is one
// Warning event about that object (once while it lasts), a transaction nft refused is a Warning
// about the Node, and repeats become a series. Events land in libs/client's fake API server.
import {
  EventBroadcaster,
  type EventV1,
  FakeCluster,
  FakeClock,
  eventsV1Sink,
} from '@flotilla/client';
import { JsonLogger, memorySink } from '@flotilla/observability';
import { Registry } from 'prom-client';
import type { EndpointSlice, Service } from './api-types';
import { proxyMetrics } from './metrics';
import { NftError, type TableApplier } from './nft-applier';
import type { InputProblem } from './problems';
import { Proxier, type ProxyReporter } from './proxier';
import {
  KUBE_PROXY_EVENT_REASONS,
  KUBE_PROXY_REPORTING_CONTROLLER,
  ProxyEvents,
  nodeReference,
} from './proxy-events';
import { ManualTimers } from './testing/fake-timers';
import { NODE_OPTIONS, port, service, slice } from './testing/fixtures';

const NFT_STDERR =
  'Error: Could not process rule: No such file or directory\nadd rule ip kube-proxy nat-prerouting jump services\n^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^';

class FlakyApplier implements TableApplier {
  failures = 0;
  applied = 0;
  async apply(script: string): Promise<void> {
    if (script === '') return;
    if (this.failures > 0) {
      this.failures--;
      throw new NftError(`nft -f failed (exit 1): ${NFT_STDERR.split('\n')[0]}`, NFT_STDERR);
    }
    this.applied++;
  }
  async list() {
    return undefined;
  }
  async deleteTable() {
    return true;
  }
}

function setup() {
  const timers = new ManualTimers();
  const clock = new FakeClock();
  const cluster = new FakeCluster({ clock });
  const events = (ns: string) => cluster.resource('events.events.k8s.io', ns);
  const broadcaster = new EventBroadcaster({ sink: eventsV1Sink(events), clock });
  const recorder = broadcaster.newRecorder({
    reportingController: KUBE_PROXY_REPORTING_CONTROLLER,
    reportingInstance: 'w1',
  });
  const toEvents = new ProxyEvents(recorder, () => nodeReference('w1', 'uid-node-w1'));
  // What the proxier tells its reporter, on the way through.
  const told: string[] = [];
  const reporter: ProxyReporter = {
    problem: (p, family, object) => {
      told.push(`problem ${p.object}`);
      toEvents.problem(p, family, object);
    },
    problemResolved: (p, family) => {
      told.push(`resolved ${p.object}`);
      toEvents.problemResolved(p, family);
    },
    syncFailed: (f) => {
      told.push(`failed ${f.failuresInARow}`);
      toEvents.syncFailed(f);
    },
    syncRecovered: (family, failures) => told.push(`recovered ${failures}`),
  };
  const applier = new FlakyApplier();
  const sink = memorySink();
  const proxier = new Proxier({
    options: NODE_OPTIONS,
    applier,
    metrics: proxyMetrics(new Registry()),
    logger: new JsonLogger({ node: 'w1', component: 'kube-proxy', sink }),
    timers,
    reporter,
    config: { minSyncPeriodMs: 1000, syncPeriodMs: 3600_000, retryBaseMs: 1000 },
  });
  proxier.onServicesSynced();
  proxier.onEndpointSlicesSynced();
  const written = async (ns: string) => {
    await broadcaster.flush();
    return (await events(ns).list()).items as EventV1[];
  };
  const logs = () => sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { timers, cluster, broadcaster, proxier, applier, written, logs, told };
}

const np = (name: string, clusterIP: string): Service =>
  service('demo', name, {
    type: 'NodePort',
    clusterIP,
    ports: [port(80, { name: 'http', nodePort: 30080 })],
  });

describe('kube-proxy events', () => {
  it('a Service on a NodePort already in use: one Warning about that Service, until it clears', async () => {
    const { timers, proxier, written, broadcaster, told } = setup();
    proxier.onServiceUpsert(np('first', '10.96.0.10'));
    await timers.advance(0);
    const thief = { ...np('thief', '10.96.0.11') };
    thief.metadata = { ...thief.metadata, resourceVersion: '42' };
    proxier.onServiceUpsert(thief);
    await timers.advance(1000);
    // Unrelated changes: more syncs, the problem is still there, no new event.
    for (let i = 0; i < 3; i++) {
      proxier.onServiceUpsert(
        service('demo', `other${i}`, { clusterIP: `10.96.1.${i}`, ports: [port(80)] }),
      );
      await timers.advance(1000);
    }
    let events = await written('demo');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: KUBE_PROXY_EVENT_REASONS.serviceConflict,
      action: 'SyncProxyRules',
      reportingController: 'kube-proxy',
      reportingInstance: 'w1',
      regarding: {
        apiVersion: 'v1',
        kind: 'Service',
        namespace: 'demo',
        name: 'thief',
        uid: 'uid-demo-thief',
        resourceVersion: '42',
      },
    });
    expect(events[0].note).toContain('NodePort 30080/tcp is already used by Service demo/first');
    expect(events[0].series).toBeUndefined();

    // It clears (the thief moves), then comes back: the same event again, now a series.
    proxier.onServiceUpsert({
      ...thief,
      spec: { ...thief.spec, ports: [port(80, { name: 'http', nodePort: 30081 })] },
    });
    await timers.advance(1000);
    expect(proxier.currentProblems).toEqual([]);
    proxier.onServiceUpsert(thief);
    await timers.advance(1000);
    events = await written('demo');
    expect(events).toHaveLength(1);
    expect(events[0].series?.count).toBe(2);
    expect(told).toEqual([
      'problem Service demo/thief',
      'resolved Service demo/thief',
      'problem Service demo/thief',
    ]);
    broadcaster.shutdown();
  });

  it('an EndpointSlice with a bad address: a Warning about that EndpointSlice', async () => {
    const { timers, proxier, written, broadcaster } = setup();
    proxier.onServiceUpsert(
      service('demo', 'web', { clusterIP: '10.96.0.10', ports: [port(80, { name: 'http' })] }),
    );
    const bad: EndpointSlice = slice(
      'demo',
      'web',
      [{ ip: '10.244.1.5' }, { ip: '10.244.1.300' }],
      [{ name: 'http', port: 8080 }],
    );
    bad.metadata.uid = 'uid-slice';
    proxier.onEndpointSliceUpsert(bad);
    await timers.advance(0);
    const events = await written('demo');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: KUBE_PROXY_EVENT_REASONS.invalidEndpointSlice,
      regarding: {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        namespace: 'demo',
        name: 'web-abcde',
        uid: 'uid-slice',
      },
    });
    expect(events[0].note).toContain('endpoint address "10.244.1.300" is not an IPv4 address');
    broadcaster.shutdown();
  });

  it('a failed nft transaction: a Warning about the Node, repeats as a series; recovery logged', async () => {
    const { timers, proxier, applier, written, logs, broadcaster, told } = setup();
    proxier.onServiceUpsert(service('demo', 'web', { clusterIP: '10.96.0.10', ports: [port(80)] }));
    await timers.advance(0);
    applier.failures = 3;
    proxier.onServiceUpsert(service('demo', 'api', { clusterIP: '10.96.0.11', ports: [port(80)] }));
    await timers.advance(1000); // fails
    let events = await written('default');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: KUBE_PROXY_EVENT_REASONS.syncFailed,
      action: 'SyncProxyRules',
      regarding: { apiVersion: 'v1', kind: 'Node', name: 'w1', uid: 'uid-node-w1' },
    });
    expect(events[0].note).toContain('partial ipv4 nftables sync failed');
    expect(events[0].note).toContain('Could not process rule');
    const failed = logs().find((l) => l.msg?.toString().startsWith('nftables sync failed'));
    expect(failed).toMatchObject({ stderr: NFT_STDERR, failedSyncs: 1 });

    await timers.advance(1000 + 2000 + 4000); // two more failures (full syncs), then success
    expect(applier.applied).toBe(2);
    events = await written('default');
    expect(events).toHaveLength(1);
    expect(events[0].series?.count).toBe(2); // the second occurrence starts the series
    expect(logs().filter((l) => l.msg === 'nftables sync recovered')).toEqual([
      expect.objectContaining({ family: 'ipv4', failedSyncs: 3 }),
    ]);
    expect(told).toEqual(['failed 1', 'failed 2', 'failed 3', 'recovered 3']);
    broadcaster.shutdown();
  });

  it('a problem both IP families see is one event, written again only after both let go', () => {
    const calls: string[] = [];
    const reporter = new ProxyEvents(
      { eventf: (regarding, _rel, _type, reason) => calls.push(`${reason} ${regarding.name}`) },
      () => nodeReference('w1'),
    );
    const p: InputProblem = {
      object: 'Service demo/bad',
      kind: 'Service',
      namespace: 'demo',
      name: 'bad',
      message: 'namespace and name must be DNS labels',
      reason: 'Invalid',
    };
    reporter.problem(p, 'ipv4', undefined);
    reporter.problem(p, 'ipv6', undefined);
    reporter.problemResolved(p, 'ipv4');
    reporter.problem(p, 'ipv4', undefined);
    expect(calls).toEqual(['KubeProxyInvalidService bad']);
    reporter.problemResolved(p, 'ipv4');
    reporter.problemResolved(p, 'ipv6');
    reporter.problem(p, 'ipv6', undefined);
    expect(calls).toHaveLength(2);
  });
});
