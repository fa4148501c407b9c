// kube-proxy's Prometheus metrics under upstream's names, so dashboards made for Kubernetes work.
// One set per registry: the IPv4 and IPv6 proxies of a dual-stack node share it, as upstream's do.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ProxyMetrics {
  syncDuration: Histogram;
  syncFullDuration: Histogram;
  syncPartialDuration: Histogram;
  lastTimestamp: Gauge;
  lastQueuedTimestamp: Gauge;
  endpointChangesPending: Gauge;
  endpointChangesTotal: Counter;
  serviceChangesPending: Gauge;
  serviceChangesTotal: Counter;
  nftablesSyncFailures: Counter;
  nftablesCleanupFailures: Counter;
  noLocalEndpoints: Gauge<'traffic_policy'>;
  /** Not upstream's: Services and EndpointSlices (parts) left out of the table, by kind and reason. */
  inputProblems: Counter<'kind' | 'reason'>;
}

const byRegistry = new WeakMap<Registry, ProxyMetrics>();

/** exponential buckets from 1 ms, doubling, 15 of them (as upstream). */
const SYNC_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

export function proxyMetrics(registry: Registry): ProxyMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const histogram = (name: string, help: string) =>
    new Histogram({ name: `kubeproxy_${name}`, help, buckets: SYNC_BUCKETS, registers });
  const gauge = (name: string, help: string) =>
    new Gauge({ name: `kubeproxy_${name}`, help, registers });
  const counter = (name: string, help: string) =>
    new Counter({ name: `kubeproxy_${name}`, help, registers });
  const metrics: ProxyMetrics = {
    syncDuration: histogram(
      'sync_proxy_rules_duration_seconds',
      'SyncProxyRules latency in seconds',
    ),
    syncFullDuration: histogram(
      'sync_full_proxy_rules_duration_seconds',
      'SyncProxyRules latency in seconds for full resyncs',
    ),
    syncPartialDuration: histogram(
      'sync_partial_proxy_rules_duration_seconds',
      'SyncProxyRules latency in seconds for partial resyncs',
    ),
    lastTimestamp: gauge(
      'sync_proxy_rules_last_timestamp_seconds',
      'The last time proxy rules were successfully synced',
    ),
    lastQueuedTimestamp: gauge(
      'sync_proxy_rules_last_queued_timestamp_seconds',
      'The last time a sync of proxy rules was queued',
    ),
    endpointChangesPending: gauge(
      'sync_proxy_rules_endpoint_changes_pending',
      'Pending proxy rules Endpoint changes',
    ),
    endpointChangesTotal: counter(
      'sync_proxy_rules_endpoint_changes_total',
      'Cumulative proxy rules Endpoint changes',
    ),
    serviceChangesPending: gauge(
      'sync_proxy_rules_service_changes_pending',
      'Pending proxy rules Service changes',
    ),
    serviceChangesTotal: counter(
      'sync_proxy_rules_service_changes_total',
      'Cumulative proxy rules Service changes',
    ),
    nftablesSyncFailures: counter(
      'sync_proxy_rules_nftables_sync_failures_total',
      'Cumulative proxy nftables sync failures',
    ),
    nftablesCleanupFailures: counter(
      'sync_proxy_rules_nftables_cleanup_failures_total',
      'Cumulative proxy nftables cleanup failures',
    ),
    noLocalEndpoints: new Gauge({
      name: 'kubeproxy_sync_proxy_rules_no_local_endpoints_total',
      help: 'Number of services with a Local traffic policy and no endpoints',
      labelNames: ['traffic_policy'],
      registers,
    }),
    inputProblems: new Counter({
      name: 'flotilla_kube_proxy_input_problems_total',
      help: 'Services and EndpointSlices (or parts of them) left out of the ruleset, by kind and reason',
      labelNames: ['kind', 'reason'],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
