// The node's part of the pod network, following Node objects: the CNI configuration for its own
// pod range, masquerade for pod traffic leaving the cluster, and host-gw routes to every other
// node's pod range. Reports ready once all three are in place (NetworkUnavailable=False).
import type { CommandRunner, Node } from '@flotilla/kube-proxy';
import { IPFamily, SyncRunner, Timers, parseCidr, realTimers } from '@flotilla/kube-proxy';
import type { JsonLogger } from '@flotilla/observability';
import { writeCniConfig } from './cni-config';
import { applyNft, renderMasqueradeScript } from './masquerade';
import { IpRouteApplier, desiredRoutes, diffRoutes, nodePodCIDRs } from './routes';

export interface PodNetworkOptions {
  nodeName: string;
  /** The cluster's pod ranges (--cluster-cidr), one per family. */
  clusterCIDRs: readonly string[];
  /** Where containerd reads CNI configuration (its cni.conf_dir). */
  cniConfDir: string;
  ipamDataDir: string;
  /** The CNI network's name (default flotilla). */
  networkName?: string;
  runner: CommandRunner;
  logger: JsonLogger;
  timers?: Timers;
  minSyncPeriodMs?: number;
  /** Called when readiness changes: the kubelet reports it as the NetworkUnavailable condition. */
  onReadyChange?: (ready: boolean, message: string) => void;
}

export interface NodeCondition {
  type: 'NetworkUnavailable';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
  lastHeartbeatTime: string;
}

/** The NetworkUnavailable condition as Kubernetes' route controllers write it. */
export function networkCondition(ready: boolean, message: string, now: Date): NodeCondition {
  return {
    type: 'NetworkUnavailable',
    status: ready ? 'False' : 'True',
    reason: ready ? 'RouteCreated' : 'NoRouteCreated',
    message,
    lastTransitionTime: now.toISOString(),
    lastHeartbeatTime: now.toISOString(),
  };
}

export class PodNetwork {
  private readonly nodes = new Map<string, Node>();
  private readonly routes: IpRouteApplier;
  private readonly runner: SyncRunner;
  private synced = false;
  private ready = false;
  private message = 'waiting for the node and its pod CIDR';
  private lastMasquerade = '';

  constructor(private readonly options: PodNetworkOptions) {
    for (const c of options.clusterCIDRs) {
      if (!parseCidr(c, { strict: false }))
        throw new Error(`--cluster-cidr ${JSON.stringify(c)} is not a CIDR`);
    }
    this.routes = new IpRouteApplier(options.runner);
    const min = options.minSyncPeriodMs ?? 1000;
    this.runner = new SyncRunner(
      () => this.sync(),
      { minIntervalMs: min, maxIntervalMs: 60_000, retryBaseMs: min, retryMaxMs: 30_000 },
      options.timers ?? realTimers,
    );
  }

  get isReady(): boolean {
    return this.ready;
  }

  get statusMessage(): string {
    return this.message;
  }

  onNodeUpsert(node: Node): void {
    this.nodes.set(node.metadata.name ?? '', node);
    if (this.synced) this.runner.request();
  }

  onNodeDelete(node: Node): void {
    this.nodes.delete(node.metadata.name ?? '');
    if (this.synced) this.runner.request();
  }

  /** The informer listed every Node: routes can be reconciled (not before, or a restart would
   *  remove routes of nodes not listed yet). */
  onNodesSynced(): void {
    this.synced = true;
    this.runner.request();
  }

  async stop(): Promise<void> {
    this.runner.stop();
    await this.runner.idle();
  }

  /** One reconcile; true when everything is in place. */
  async sync(): Promise<boolean> {
    const { logger, nodeName } = this.options;
    const self = this.nodes.get(nodeName);
    const podCIDRs = self ? nodePodCIDRs(self) : [];
    if (podCIDRs.length === 0) {
      this.setReady(
        false,
        self ? `node ${nodeName} has no pod CIDR yet` : `node ${nodeName} is not registered yet`,
      );
      return true; // nothing to retry: a Node update brings the range
    }
    const problems: string[] = [];
    try {
      if (
        writeCniConfig(this.options.cniConfDir, {
          podCIDRs,
          ipamDataDir: this.options.ipamDataDir,
          networkName: this.options.networkName,
        })
      ) {
        logger.info('CNI configuration written', {
          podCIDRs: podCIDRs.join(','),
          dir: this.options.cniConfDir,
        });
      }
    } catch (e) {
      problems.push(`CNI configuration: ${(e as Error).message}`);
    }

    const script = this.masqueradeScript(podCIDRs, problems);
    if (script && script !== this.lastMasquerade) {
      try {
        await applyNft(this.options.runner, script);
        this.lastMasquerade = script;
      } catch (e) {
        problems.push(`masquerade table: ${(e as Error).message}`);
      }
    }

    const wanted = desiredRoutes(this.nodes.values(), nodeName);
    for (const family of ['ipv4', 'ipv6'] as IPFamily[]) {
      const mine = wanted.filter((r) => r.family === family);
      try {
        const current = await this.routes.list(family);
        const diff = diffRoutes(current, mine);
        if (diff.replace.length + diff.remove.length === 0) continue;
        problems.push(...(await this.routes.apply(diff)));
        logger.info('pod routes updated', {
          family,
          set: diff.replace.map((r) => `${r.dst} via ${r.via}`).join(','),
          removed: diff.remove.map((r) => r.dst).join(','),
        });
      } catch (e) {
        if (family === 'ipv4' || mine.length > 0)
          problems.push(`routes (${family}): ${(e as Error).message}`);
      }
    }

    if (problems.length > 0) {
      for (const p of problems) logger.error('pod network', { problem: p });
      this.setReady(false, problems.join('; '));
      return false;
    }
    this.setReady(
      true,
      `pod range ${podCIDRs.join(',')}; routes to ${wanted.length} other node ranges`,
    );
    return true;
  }

  private masqueradeScript(podCIDRs: string[], problems: string[]): string {
    const parts: string[] = [];
    for (const pod of podCIDRs) {
      const family = parseCidr(pod)!.family;
      const cluster = this.options.clusterCIDRs.find(
        (c) => parseCidr(c, { strict: false })?.family === family,
      );
      if (!cluster) continue; // no cluster range of this family given: nothing to tell apart
      try {
        parts.push(renderMasqueradeScript(family, pod, cluster));
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    return parts.join('');
  }

  private setReady(ready: boolean, message: string): void {
    const changed = ready !== this.ready || message !== this.message;
    this.ready = ready;
    this.message = message;
    if (changed) this.options.onReadyChange?.(ready, message);
  }
}
