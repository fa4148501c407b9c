// The kubelet's API side: its Node and Lease, the pods bound to it (an informer on
// spec.nodeName), their status written back, ConfigMaps and Secrets read for them, and events.
// Everything goes through libs/client's ResourceOps, so a REST client, the in-process transport
// or the fake cluster all serve. When the API cannot be reached the pods keep running: the
// informer keeps its last view, writes are retried.
import { findResource, type KubeObject, type ResourceInfo } from '@flotilla/api';
import {
  coreV1EventSink,
  EventBroadcaster,
  finalStateOf,
  SharedInformerFactory,
  type Clock as ClientClock,
  type ListerWatcher,
  type ResourceOps,
  type TimerHandle,
} from '@flotilla/client';
import type { Kubelet } from '../kubelet';
import type { NodeFacts } from '../node/node-facts';
import type { EventRecorder } from '../pod/events';
import type { NodeEventRecorder } from '../node/node-events';
import type { Pod, PodStatus } from '../pod/types';
import type { RuntimeCondition } from '../runtime/runtime';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import { apiEvents, apiNodeEvents } from './api-events';
import { ApiObjectSource } from './api-objects';
import type { NodeIdentity, PodNetworkState } from './node-object';
import { NODE_LEASE_NAMESPACE, NodeReporter } from './node-reporter';
import { PodStatusWriter } from './status-writer';

/** How to reach one resource: `(info, ns) => client.resource(info, ns)`. */
export type ResourceFor = (info: ResourceInfo, namespace?: string) => ResourceOps;

export interface KubeletApiOptions {
  resources: ResourceFor;
  identity: NodeIdentity;
  facts: () => NodeFacts;
  runtimeStatus: () => Promise<RuntimeCondition[]>;
  /** The node agent's pod network, when it runs one (joins NetworkUnavailable). */
  podNetwork?: () => PodNetworkState;
  clock: Clock;
  logger: Logger;
  statusPeriodMs?: number;
  leasePeriodMs?: number;
  objectCacheMs?: number;
  /** This node's spec.podCIDR, when set or changed (hollow nodes draw pod IPs from it). */
  onPodCidr?: (cidr: string) => void;
  /** The kube-system/kube-dns Service's ClusterIP, when it appears or changes ('' when gone). */
  onClusterDns?: (ip: string) => void;
}

/** The cluster DNS Service pods resolve through (dnsPolicy ClusterFirst). */
export const CLUSTER_DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' };

export const API_SOURCE = 'api';

function core(plural: string): ResourceInfo {
  const info = findResource('', 'v1', plural);
  if (!info) throw new Error(`kubelet: ${plural} missing from the catalog`);
  return info;
}

/** libs/client's clock over the kubelet's. */
export function clientClock(clock: Clock): ClientClock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.after(ms, fn) as unknown as TimerHandle,
    clearTimeout: (h) => (h as unknown as { cancel(): void }).cancel(),
  };
}

export class KubeletApi {
  readonly objects: ApiObjectSource;
  readonly events: EventRecorder;
  /** Events regarding this Node. */
  readonly nodeEvents: NodeEventRecorder;
  private readonly statusWriter: PodStatusWriter;
  private readonly broadcaster: EventBroadcaster;
  private readonly informers: SharedInformerFactory;
  private readonly reporter: NodeReporter;
  private publishQueued = false;

  constructor(private readonly opts: KubeletApiOptions) {
    const r = opts.resources;
    this.objects = new ApiObjectSource(
      (resource, ns) => r(core(resource), ns),
      opts.clock,
      opts.objectCacheMs ?? 5000,
    );
    this.statusWriter = new PodStatusWriter(
      (ns) => r(core('pods'), ns) as ResourceOps<Pod>,
      opts.clock,
      opts.logger,
    );
    this.broadcaster = new EventBroadcaster({
      sink: coreV1EventSink((ns) => r(core('events'), ns)),
      clock: clientClock(opts.clock),
      onError: (err) => opts.logger.debug('event not written', { err: (err as Error).message }),
    });
    const recorder = this.broadcaster.newRecorder({
      reportingController: 'kubelet',
      reportingInstance: opts.identity.name,
    });
    this.events = apiEvents(recorder);
    this.nodeEvents = apiNodeEvents(recorder, opts.identity.name);
    this.informers = new SharedInformerFactory({
      listerWatcher: (info, ns) => r(info, ns) as ListerWatcher,
      clock: clientClock(opts.clock),
      onError: (err, resource) =>
        opts.logger.warn('watch failed', { resource, err: (err as Error).message }),
    });
    this.reporter = new NodeReporter({
      nodes: r(core('nodes')),
      leases: r(findResource('coordination.k8s.io', 'v1', 'leases')!, NODE_LEASE_NAMESPACE),
      identity: opts.identity,
      facts: opts.facts,
      runtimeStatus: opts.runtimeStatus,
      podNetwork: opts.podNetwork,
      clock: opts.clock,
      logger: opts.logger,
      statusPeriodMs: opts.statusPeriodMs,
      leasePeriodMs: opts.leasePeriodMs,
    });
  }

  /** For the kubelet's options: where statuses go. */
  onStatus = (pod: Pod, status: PodStatus): void => this.statusWriter.onStatus(pod, status);

  onTerminated = (pod: Pod, status: PodStatus): void => this.statusWriter.onTerminated(pod, status);

  /** Registers the node, starts the heartbeat, and feeds the pods bound here to the kubelet. */
  start(kubelet: Kubelet): void {
    this.reporter.start();
    const pods = this.informers.informerFor<Pod>(core('pods'), {
      fieldSelector: `spec.nodeName=${this.opts.identity.name}`,
    });
    const publish = () => {
      if (this.publishQueued) return;
      this.publishQueued = true;
      // One setPods for a burst of events.
      setImmediate(() => {
        this.publishQueued = false;
        if (pods.hasSynced()) kubelet.setPods(pods.lister.list(), API_SOURCE);
      });
    };
    pods.addEventHandler({ onAdd: publish, onUpdate: publish, onDelete: publish });
    this.watchOwnNode();
    this.watchClusterDns();
    // ConfigMaps and Secrets are read on demand (cached objectCacheMs); the kubelet's resync
    // brings their changes to running pods, as Kubernetes' TTL strategy does. No node watches
    // every Secret of the cluster.
    this.informers.start();
    void pods.waitForSync().then((ok) => ok && publish());
  }

  private watchOwnNode(): void {
    const onPodCidr = this.opts.onPodCidr;
    if (!onPodCidr) return;
    const nodes = this.informers.informerFor(core('nodes'), {
      fieldSelector: `metadata.name=${this.opts.identity.name}`,
    });
    const seen = (node: KubeObject) => {
      const cidr = (node.spec as { podCIDR?: string } | undefined)?.podCIDR;
      if (node.metadata.name === this.opts.identity.name && cidr) onPodCidr(cidr);
    };
    nodes.addEventHandler({ onAdd: seen, onUpdate: (_old, node) => seen(node) });
  }

  private watchClusterDns(): void {
    const onClusterDns = this.opts.onClusterDns;
    if (!onClusterDns) return;
    const { namespace, name } = CLUSTER_DNS_SERVICE;
    const services = this.informers.informerFor(core('services'), {
      namespace,
      fieldSelector: `metadata.name=${name}`,
    });
    const seen = (svc: KubeObject) => {
      if (svc.metadata.name !== name) return;
      const ip = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP ?? '';
      onClusterDns(ip === 'None' ? '' : ip);
    };
    services.addEventHandler({
      onAdd: seen,
      onUpdate: (_old, svc) => seen(svc),
      onDelete: (svc) => finalStateOf(svc).metadata.name === name && onClusterDns(''),
    });
  }

  get node() {
    return this.reporter.node;
  }

  /** Something the Node's status shows changed: write it now rather than at the next round. */
  nodeStatusChanged(): void {
    this.reporter.nudge();
  }

  /** Writes what is queued (tests, shutdown). */
  async flush(): Promise<void> {
    await this.statusWriter.idle();
    await this.broadcaster.flush();
  }

  stop(): void {
    this.reporter.stop();
    this.informers.shutdown();
    this.statusWriter.stop();
    this.broadcaster.shutdown();
  }
}
