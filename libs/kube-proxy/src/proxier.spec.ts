import { JsonLogger, memorySink } from '@flotilla/observability';
import { Registry } from 'prom-client';
import type { CommandResult, CommandRunner } from './command-runner';
import { proxyMetrics } from './metrics';
import { NftError, TableApplier } from './nft-applier';
import { Proxier, ProxierConfig } from './proxier';
import { ManualTimers } from './testing/fake-timers';
import { NODE_OPTIONS, port, service, slice } from './testing/fixtures';
import type { KernelTableListing } from './transaction';

class FakeApplier implements TableApplier {
  scripts: string[] = [];
  failures = 0;
  listing: KernelTableListing | undefined;
  async apply(script: string): Promise<void> {
    if (script === '') return;
    if (this.failures > 0) {
      this.failures--;
      throw new NftError(
        'nft -f failed (exit 1): Error: Could not process rule: No such file or directory',
        '',
      );
    }
    this.scripts.push(script);
  }
  async list() {
    return this.listing;
  }
  async deleteTable() {
    return true;
  }
}

class RecordingRunner implements CommandRunner {
  calls: string[] = [];
  async run(command: string, args: readonly string[]): Promise<CommandResult> {
    this.calls.push([command, ...args].join(' '));
    return {
      code: 1,
      stdout: '',
      stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n',
    };
  }
}

function setup(config: Partial<ProxierConfig> = {}) {
  const timers = new ManualTimers();
  const applier = new FakeApplier();
  const conntrack = new RecordingRunner();
  const registry = new Registry();
  const sink = memorySink();
  const logger = new JsonLogger({
    node: 'w1',
    component: 'kube-proxy',
    sink,
    level: 'debug',
    clock: () => new Date(0),
  });
  const proxier = new Proxier({
    options: NODE_OPTIONS,
    applier,
    conntrack,
    metrics: proxyMetrics(registry),
    logger,
    timers,
    config: {
      minSyncPeriodMs: 1000,
      syncPeriodMs: 3600_000,
      retryBaseMs: 1000,
      staleChainDelayMs: 1000,
      ...config,
    },
  });
  const metric = async (name: string) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
    return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
  };
  const logs = () => sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { timers, applier, conntrack, proxier, metric, logs };
}

const web = service('demo', 'web', {
  clusterIP: '10.96.0.10',
  ports: [port(80, { name: 'http' })],
});
const dns = service('kube-system', 'dns', {
  clusterIP: '10.96.0.53',
  ports: [port(53, { protocol: 'UDP' })],
});
const dnsSlice = (...ips: string[]) =>
  slice(
    'kube-system',
    'dns',
    ips.map((ip) => ({ ip })),
    [{ port: 53, protocol: 'UDP' }],
  );

describe('proxier', () => {
  it('does not touch the kernel before Services and EndpointSlices are listed', async () => {
    const { timers, applier, proxier } = setup();
    proxier.onServiceUpsert(web);
    proxier.onServicesSynced();
    await timers.advance(5000);
    expect(applier.scripts).toEqual([]);
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    expect(applier.scripts).toHaveLength(1);
    expect(applier.scripts[0]).toContain('add table ip kube-proxy');
  });

  it('folds a burst of changes into one incremental transaction', async () => {
    const { timers, applier, proxier, metric } = setup();
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    for (let i = 1; i <= 20; i++) {
      proxier.onServiceUpsert(
        service('demo', `s${i}`, { clusterIP: `10.96.1.${i}`, ports: [port(80)] }),
      );
      await timers.advance(10);
    }
    await timers.advance(2000);
    expect(applier.scripts).toHaveLength(2);
    expect(applier.scripts[1]).not.toContain('add table');
    expect(applier.scripts[1].match(/add element ip kube-proxy cluster-ips/g)).toHaveLength(1);
    expect(applier.scripts[1]).toContain('10.96.1.20');
    expect(await metric('kubeproxy_sync_proxy_rules_service_changes_total')).toBe(20);
    expect(await metric('kubeproxy_sync_proxy_rules_service_changes_pending')).toBe(0);
    expect(await metric('kubeproxy_sync_partial_proxy_rules_duration_seconds')).toBeGreaterThan(0);
  });

  it('ignores updates that change nothing it reads', async () => {
    const { timers, applier, proxier, metric } = setup();
    proxier.onServiceUpsert(web);
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    proxier.onServiceUpsert({
      ...web,
      metadata: { ...web.metadata, labels: { a: 'b' }, resourceVersion: '9' },
    });
    await timers.advance(5000);
    expect(applier.scripts).toHaveLength(1);
    expect(await metric('kubeproxy_sync_proxy_rules_service_changes_total')).toBe(1);
  });

  it('a failed transaction: logged and counted, the applied state kept, retried with back-off as a full sync', async () => {
    const { timers, applier, proxier, metric, logs } = setup();
    proxier.onServiceUpsert(web);
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    const good = proxier.appliedState;
    applier.failures = 2;
    proxier.onEndpointSliceUpsert(
      slice('demo', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }]),
    );
    await timers.advance(1000); // fails
    expect(proxier.appliedState).toBe(good);
    expect(await metric('kubeproxy_sync_proxy_rules_nftables_sync_failures_total')).toBe(1);
    const error = logs().find((l) => l.level === 'error');
    expect(error).toMatchObject({
      msg: 'nftables sync failed; the last good ruleset stays, retrying',
      full: false,
    });
    expect(String(error?.error)).toContain('Could not process rule');
    await timers.advance(1000); // second failure, now a full sync
    expect(await metric('kubeproxy_sync_proxy_rules_nftables_sync_failures_total')).toBe(2);
    await timers.advance(2000); // back-off doubled, then success
    expect(applier.scripts).toHaveLength(2);
    expect(applier.scripts[1]).toContain('add table ip kube-proxy');
    expect(applier.scripts[1]).toContain('dnat to 10.244.1.5:8080');
    expect(proxier.appliedState).not.toBe(good);
    expect(proxier.health.status().live).toBe(true);
  });

  it('reports a bad object once, counts it, and keeps syncing the rest', async () => {
    const { timers, applier, proxier, metric, logs } = setup();
    proxier.onServiceUpsert(web);
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    proxier.onEndpointSliceUpsert(
      slice(
        'demo',
        'web',
        [{ ip: '10.244.1.5' }, { ip: '10.244.1.300' }],
        [{ name: 'http', port: 8080 }],
      ),
    );
    await timers.advance(0);
    proxier.onServiceUpsert(service('demo', 'api', { clusterIP: '10.96.0.11', ports: [port(80)] }));
    await timers.advance(2000);
    expect(applier.scripts).toHaveLength(2);
    expect(applier.scripts[0]).toContain('dnat to 10.244.1.5:8080');
    const warnings = logs().filter((l) => l.msg === 'left out of the ruleset');
    expect(warnings).toEqual([
      expect.objectContaining({
        object: 'EndpointSlice demo/web-abcde',
        problem: 'endpoint address "10.244.1.300" is not an IPv4 address',
      }),
    ]);
    expect(await metric('flotilla_kube_proxy_input_problems_total')).toBe(1);
    proxier.onEndpointSliceUpsert(
      slice('demo', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }]),
    );
    await timers.advance(2000);
    expect(logs().some((l) => l.msg === 'problem resolved')).toBe(true);
  });

  it('counts Services with a Local policy and no local endpoint, following each change', async () => {
    const { timers, proxier, metric } = setup({ syncPeriodMs: 20_000 });
    const local = (name: string, ip: string) =>
      service('demo', name, {
        type: 'NodePort',
        clusterIP: ip,
        externalTrafficPolicy: 'Local',
        internalTrafficPolicy: 'Local',
        ports: [port(80, { name: 'http', nodePort: 30000 + Number(ip.split('.')[3]) })],
      });
    const endpointsOn = (name: string, node: string) =>
      slice('demo', name, [{ ip: '10.244.2.7', node }], [{ name: 'http', port: 8080 }]);
    const noLocal = async () =>
      (await metric('kubeproxy_sync_proxy_rules_no_local_endpoints_total')) / 2; // both policies
    proxier.onServiceUpsert(local('a', '10.96.0.21'));
    proxier.onServiceUpsert(local('b', '10.96.0.22'));
    proxier.onEndpointSliceUpsert(endpointsOn('a', 'w2'));
    proxier.onEndpointSliceUpsert(endpointsOn('b', 'w2'));
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    expect(await noLocal()).toBe(2);
    proxier.onEndpointSliceUpsert(endpointsOn('a', 'w1')); // now local
    await timers.advance(1000);
    expect(await noLocal()).toBe(1);
    proxier.onServiceUpsert(local('c', '10.96.0.23'));
    proxier.onEndpointSliceUpsert(endpointsOn('c', 'w2'));
    await timers.advance(1000);
    expect(await noLocal()).toBe(2);
    proxier.onServiceDelete(local('b', '10.96.0.22'));
    await timers.advance(1000);
    expect(await noLocal()).toBe(1);
    await timers.advance(25_000); // the periodic full sync counts them all again
    expect(proxier.lastSync?.full).toBe(true);
    expect(await noLocal()).toBe(1);
  });

  it('deletes chains a moment after they went stale', async () => {
    const { timers, applier, proxier } = setup();
    proxier.onServiceUpsert(web);
    proxier.onEndpointSliceUpsert(
      slice('demo', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }]),
    );
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    proxier.onServiceDelete(web);
    await timers.advance(1000);
    expect(applier.scripts[1]).toContain('flush chain ip kube-proxy service-');
    expect(applier.scripts[1]).not.toContain('delete chain');
    await timers.advance(1500);
    expect(applier.scripts[2]).toMatch(
      /^delete chain ip kube-proxy \S+\ndelete chain ip kube-proxy \S+\n$/,
    );
  });

  it('deletes UDP conntrack entries of removed endpoints and of Services that got their first endpoint', async () => {
    const { timers, conntrack, proxier } = setup();
    proxier.onServiceUpsert(dns);
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    proxier.onEndpointSliceUpsert(dnsSlice('10.244.1.9', '10.244.2.9'));
    await timers.advance(1000);
    expect(conntrack.calls).toEqual([
      'conntrack -D -f ipv4 -p udp --orig-dst 10.96.0.53 --orig-port-dst 53',
    ]);
    proxier.onEndpointSliceUpsert(dnsSlice('10.244.1.9'));
    await timers.advance(1000);
    expect(conntrack.calls.slice(1)).toEqual([
      'conntrack -D -f ipv4 -p udp --orig-dst 10.96.0.53 --dst-nat 10.244.2.9',
    ]);
  });

  it('a full sync repairs drift: chains in the kernel that nothing wants are flushed', async () => {
    const { timers, applier, proxier } = setup({ syncPeriodMs: 10_000 });
    applier.listing = { chains: ['service-XXXX-demo/old/tcp/http'], sets: new Map() };
    proxier.onServiceUpsert(web);
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await timers.advance(0);
    expect(applier.scripts[0]).toContain(
      'flush chain ip kube-proxy service-XXXX-demo/old/tcp/http',
    );
    applier.listing = { chains: ['service-YYYY-demo/drift/tcp/http'], sets: new Map() };
    await timers.advance(12_000); // the periodic sync (a period after the last one) is full
    const repair = applier.scripts.filter((t) => t.startsWith('add table ip kube-proxy'));
    expect(repair).toHaveLength(2);
    expect(repair[1]).toContain('flush chain ip kube-proxy service-YYYY-demo/drift/tcp/http');
    expect(applier.scripts.at(-1)).toBe(
      'delete chain ip kube-proxy service-YYYY-demo/drift/tcp/http\n',
    );
  });
});
