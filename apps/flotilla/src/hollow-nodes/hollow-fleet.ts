// N hollow nodes in one process: Node objects with capacity and allocatable, their Leases in
// kube-node-lease renewed (spread evenly over the interval, so 5000 nodes make a steady trickle
// rather than a burst), and one shared pod informer handing each bound pod to the player of its
// node. stop() takes the nodes, their Leases and their pods away again.
import { isApiError } from '@flotilla/api';
import {
  finalStateOf,
  formatMicroTime,
  SharedInformerFactory,
  stripManagedFields,
  type DeletedFinalStateUnknown,
  type KubeClient,
  type Lease,
  type Node,
  type Pod,
  type SharedInformer,
} from '@flotilla/client';
import type { HollowOptions } from './hollow-options';
import { Limiter } from './limiter';
import { nodeIpOf, podCidrOf, PodIpPool } from './pod-cidr';
import { BuiltInPodPlayer, type HollowNode, type HollowPodPlayer } from './pod-player';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_DURATION_SECONDS = 40;
const TICK_MS = 250;

export type FleetLog = (message: string, fields?: Record<string, unknown>) => void;

export class HollowFleet {
  readonly nodes = new Map<string, HollowNode>();
  readonly limiter: Limiter;
  readonly player: HollowPodPlayer;
  private readonly informers: SharedInformerFactory;
  private readonly podInformer: SharedInformer<Pod>;
  private renewTimer: NodeJS.Timeout | undefined;
  private nextRenew: number[] = [];
  private stopped = false;
  leaseRenewals = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly o: HollowOptions,
    private readonly log: FleetLog = () => undefined,
    player?: HollowPodPlayer,
    /**
     * Each node's own client (hollowNodeClients: system:node:<name>) for what its kubelet
     * writes: its Node, its Lease, its pods' status. Without: the fleet's client for all. The
     * shared pod informer and the clean-up at stop() use the fleet's client either way.
     */
    private readonly nodeClients?: ReadonlyMap<string, KubeClient>,
  ) {
    this.limiter = new Limiter(o.concurrency);
    const builtIn = new BuiltInPodPlayer(client, this.limiter);
    builtIn.onError = (what, err) => log(`${what} failed`, { error: String(err) });
    this.player = player ?? builtIn;
    for (let i = 0; i < o.count; i++) {
      const name = `${o.namePrefix}-${i}`;
      this.nodes.set(name, {
        name,
        ip: nodeIpOf(i),
        pool: new PodIpPool(podCidrOf(i).slice(0, -5)),
        ...(nodeClients?.has(name) ? { client: nodeClients.get(name) } : {}),
      });
    }
    this.informers = new SharedInformerFactory({
      listerWatcher: (info, ns) => client.resource(info, ns),
      // No player reads managedFields: thousands of pods cached without them.
      transform: stripManagedFields,
      onError: (err, resource) => log('informer', { resource, error: String(err) }),
    });
    this.podInformer = this.informers.informerFor<Pod>(client.pods().info);
  }

  /** Registers the nodes and their Leases, then plays the kubelet of every node. */
  async start(): Promise<void> {
    const names = [...this.nodes.keys()];
    await Promise.all(names.map((name, i) => this.limiter.run(() => this.register(name, i))));
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.dispatch(pod),
      onUpdate: (_old, pod) => this.dispatch(pod),
      onDelete: (d) => {
        const pod = finalStateOf(d as Pod | DeletedFinalStateUnknown<Pod>);
        const node = this.nodes.get(pod.spec?.nodeName ?? '');
        if (node) this.player.forget(pod, node);
      },
    });
    this.informers.start();
    await this.informers.waitForCacheSync();
    const now = Date.now();
    this.nextRenew = names.map(
      (_, i) => now + Math.floor((i * this.o.leaseRenewMs) / names.length),
    );
    this.renewTimer = setInterval(() => this.renewDue(), TICK_MS);
    this.renewTimer.unref();
  }

  /** Pods bound to these nodes, as the informer sees them. */
  boundPods(): Pod[] {
    return this.podInformer.lister.list().filter((p) => this.nodes.has(p.spec?.nodeName ?? ''));
  }

  /** Stops playing, then deletes the pods on these nodes (as the pod GC would), the Leases, the nodes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.renewTimer);
    const pods = this.boundPods();
    this.informers.shutdown();
    const ignoreGone = (err: unknown) => {
      if (!(isApiError(err) && err.code === 404)) this.log('cleanup', { error: String(err) });
    };
    await Promise.all(
      pods.map((p) =>
        this.limiter.run(() =>
          this.client
            .pods(p.metadata.namespace)
            .delete(p.metadata.name ?? '', { gracePeriodSeconds: 0 })
            .catch(ignoreGone),
        ),
      ),
    );
    await Promise.all(
      [...this.nodes.keys()].map((name) =>
        this.limiter.run(async () => {
          await this.client.leases(NODE_LEASE_NAMESPACE).delete(name).catch(ignoreGone);
          await this.client.nodes().delete(name).catch(ignoreGone);
        }),
      ),
    );
    for (const client of this.nodeClients?.values() ?? []) client.close();
  }

  private dispatch(pod: Pod): void {
    if (this.stopped) return;
    const node = this.nodes.get(pod.spec?.nodeName ?? '');
    if (node) this.player.sync(pod, node);
  }

  private nodeObject(name: string, index: number): Node {
    const o = this.o;
    const resources = {
      cpu: o.cpu,
      memory: o.memory,
      pods: String(o.pods),
      'ephemeral-storage': '100Gi',
    };
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': 'hollow',
      ...(o.zones > 0 ? { 'topology.kubernetes.io/zone': `zone-${index % o.zones}` } : {}),
      ...o.labels,
    };
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = (type: string, status: string, reason: string) => ({
      type,
      status,
      reason,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels },
      spec: {
        podCIDR: podCidrOf(index),
        podCIDRs: [podCidrOf(index)],
        ...(o.taints.length ? { taints: o.taints } : {}),
      },
      status: {
        capacity: resources,
        allocatable: resources,
        addresses: [
          { type: 'InternalIP', address: nodeIpOf(index) },
          { type: 'Hostname', address: name },
        ],
        conditions: [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
          condition('Ready', 'True', 'KubeletReady'),
        ],
        nodeInfo: {
          kubeletVersion: 'v1.30.0-hollow',
          kubeProxyVersion: 'v1.30.0-hollow',
          containerRuntimeVersion: 'hollow://1.0',
          operatingSystem: 'linux',
          architecture: 'amd64',
          osImage: 'hollow',
          kernelVersion: 'hollow',
          machineID: '',
          systemUUID: '',
          bootID: '',
        },
      },
    } as Node;
  }

  /** The client node `name` writes with: its own, or the fleet's. */
  private clientOf(name: string): KubeClient {
    return this.nodeClients?.get(name) ?? this.client;
  }

  private async register(name: string, index: number): Promise<void> {
    const node = this.nodeObject(name, index);
    const client = this.clientOf(name);
    try {
      const created = await client.nodes().create(node);
      await this.createLease(name, created.metadata.uid);
    } catch (err) {
      if (!(isApiError(err) && err.code === 409)) throw err;
      // Left over from an earlier run: take it over with this run's shape.
      const current = await client.nodes().get(name);
      const updated = await client.nodes().update({
        ...node,
        metadata: { ...node.metadata, resourceVersion: current.metadata.resourceVersion },
      });
      await client.nodes().updateStatus({
        ...node,
        metadata: { ...node.metadata, resourceVersion: updated.metadata.resourceVersion },
      });
      await this.createLease(name, current.metadata.uid);
    }
  }

  private async createLease(name: string, nodeUid: string | undefined): Promise<void> {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: NODE_LEASE_NAMESPACE,
        ...(nodeUid
          ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] }
          : {}),
      },
      spec: {
        holderIdentity: name,
        leaseDurationSeconds: LEASE_DURATION_SECONDS,
        renewTime: formatMicroTime(Date.now()),
      },
    } as Lease;
    try {
      await this.clientOf(name).leases(NODE_LEASE_NAMESPACE).create(lease);
    } catch (err) {
      if (!(isApiError(err) && err.code === 409)) throw err;
    }
  }

  private renewDue(): void {
    if (this.stopped) return;
    const now = Date.now();
    let i = 0;
    for (const name of this.nodes.keys()) {
      if (this.nextRenew[i] <= now) {
        this.nextRenew[i] = now + this.o.leaseRenewMs;
        void this.limiter.run(() => this.renew(name));
      }
      i++;
    }
  }

  private async renew(name: string): Promise<void> {
    try {
      await this.clientOf(name)
        .leases(NODE_LEASE_NAMESPACE)
        .patch(name, { spec: { renewTime: formatMicroTime(Date.now()) } }, 'merge');
      this.leaseRenewals++;
    } catch (err) {
      if (isApiError(err) && err.code === 404) {
        await this.createLease(name, undefined).catch(() => undefined);
        return;
      }
      this.log('lease renewal failed', { node: name, error: String(err) });
    }
  }
}
