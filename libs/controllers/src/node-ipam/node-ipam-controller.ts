// Node IPAM (kube-controller-manager's nodeipam, the range allocator): every Node gets a
// spec.podCIDR (and podCIDRs) from --cluster-cidr, one /--node-cidr-mask-size each, given back
// when the node is deleted. Never two nodes with one range, across master failovers too:
//  - a new leader rebuilds what is taken from the Node objects before handing anything out;
//  - before that, it rewrites every node still without a range (a write that changes nothing but
//    its resourceVersion), so that an allocation the previous leader sent but which has not landed
//    yet fails its resourceVersion precondition instead of landing later on a range given again;
//  - every allocation carries the node's resourceVersion, and the API server refuses to change a
//    range once set.
import { findResource, isApiError } from '@flotilla/api';
import {
  finalStateOf,
  runWorkers,
  WorkQueue,
  type EventRecorder,
  type Node,
  type SharedInformer,
} from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { FlagValues } from '../flag-values';
import { parallelize } from '../parallel';
import { abortOf } from '../signals';
import { gaugeOn } from '../registered-metrics';
import { CidrSet, formatCidr } from './cidr-set';

const NODES = findResource('', 'v1', 'nodes')!;
const WORKERS = 4;
const FENCE_PARALLELISM = 8;
const FENCE_ATTEMPTS = 5;

export interface NodeIpamSettings {
  allocate: boolean;
  clusterCidr: string;
  nodeMaskSize: number;
}

export const NODE_IPAM_DEFAULTS: NodeIpamSettings = Object.freeze({
  allocate: true,
  clusterCidr: '10.244.0.0/16',
  nodeMaskSize: 24,
});

export function nodeIpamSettings(flags: ReadonlyMap<string, string>): NodeIpamSettings {
  const f = new FlagValues(flags);
  const d = NODE_IPAM_DEFAULTS;
  const settings = {
    allocate: f.boolean('allocate-node-cidrs', d.allocate),
    clusterCidr: f.string('cluster-cidr', d.clusterCidr).trim(),
    nodeMaskSize: f.integer('node-cidr-mask-size', d.nodeMaskSize, 0, 32),
  };
  if (settings.clusterCidr.includes(',')) {
    throw new Error(
      `--cluster-cidr: ${JSON.stringify(settings.clusterCidr)}: one IPv4 CIDR only (no dual stack)`,
    );
  }
  return settings;
}

/** The ranges a node holds (podCIDRs, or podCIDR alone). */
export function podCidrsOf(node: Node): string[] {
  const s = node.spec;
  if (s?.podCIDRs && s.podCIDRs.length > 0) return [...s.podCIDRs];
  return s?.podCIDR ? [s.podCIDR] : [];
}

export class NodeIpamController implements Controller {
  readonly name = 'nodeipam';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const settings = nodeIpamSettings(ctx.flags);
    if (!settings.allocate) {
      ctx.log.info('node IPAM is off (--allocate-node-cidrs=false)');
      await abortOf(signal);
      return;
    }
    await new RangeAllocator(ctx, settings).run(signal);
  }
}

/** One term of leadership of the range allocator. */
export class RangeAllocator {
  readonly set: CidrSet;
  private readonly nodes: SharedInformer<Node>;
  private readonly queue: WorkQueue<string>;
  private readonly recorder: EventRecorder;
  /** Which node holds each range, as far as this allocator knows. */
  private readonly owners = new Map<string, string>();
  private readonly gauges;

  constructor(
    private readonly ctx: ControllerContext,
    settings: NodeIpamSettings,
  ) {
    this.set = new CidrSet(settings.clusterCidr, settings.nodeMaskSize);
    this.nodes = ctx.informers.informerFor<Node>(NODES);
    this.queue = new WorkQueue<string>({
      name: 'nodeipam',
      registry: ctx.metrics,
      clock: ctx.clock,
    });
    this.recorder = ctx.recorder('cidrAllocator');
    this.gauges = {
      size: gaugeOn(
        ctx.metrics,
        'node_ipam_controller_cidrset_usage_cidrs',
        'Ranges of the cluster CIDR in use.',
        ['clusterCIDR'],
      ),
      total: gaugeOn(
        ctx.metrics,
        'node_ipam_controller_cidrset_cidrs_total',
        'Ranges the cluster CIDR holds.',
        ['clusterCIDR'],
      ),
    };
  }

  async run(signal: AbortSignal): Promise<void> {
    const handler = this.nodes.addEventHandler({
      onAdd: (n) => this.seen(n),
      onUpdate: (_old, n) => this.seen(n),
      onDelete: (d) => this.gone(finalStateOf(d)),
    });
    try {
      this.ctx.informers.start();
      if (!(await this.nodes.waitForSync({ signal })) || signal.aborted) return;
      // What is taken: every range a node holds. Nothing is handed out before this is known.
      for (const node of this.nodes.lister.list()) this.learn(node);
      await this.fence(signal);
      if (signal.aborted) return;
      this.ctx.log.info('node IPAM started', {
        clusterCIDR: this.clusterText,
        allocated: this.set.allocated,
        of: this.set.size,
      });
      this.report();
      for (const node of this.nodes.lister.list()) {
        if (podCidrsOf(node).length === 0) this.queue.add(node.metadata.name!);
      }
      const workers = runWorkers(this.queue, WORKERS, (name) => this.allocate(name), {
        onError: (err, name) =>
          this.ctx.log.warn('no range given to the node yet', { node: name, err: String(err) }),
      });
      await abortOf(signal);
      this.queue.shutDown();
      await workers;
    } finally {
      this.queue.shutDown();
      handler.remove();
    }
  }

  private get clusterText(): string {
    return formatCidr(this.set.cluster);
  }

  private report(): void {
    const label = { clusterCIDR: this.clusterText };
    this.gauges.size.set(label, this.set.allocated);
    this.gauges.total.set(label, this.set.size);
  }

  /** Records the ranges `node` holds; a range held by two nodes is reported, never given again. */
  private learn(node: Node): void {
    const name = node.metadata.name!;
    for (const cidr of podCidrsOf(node)) {
      const owner = this.owners.get(cidr);
      if (owner === name) continue;
      if (owner !== undefined) {
        this.ctx.log.error('two nodes hold one pod range', { cidr, nodes: [owner, name] });
        this.event(
          node,
          'Warning',
          'CIDRAssignmentFailed',
          `Node ${name} holds ${cidr}, which ${owner} holds too`,
        );
        continue;
      }
      if (!this.set.occupy(cidr)) {
        this.ctx.log.warn('a node holds a pod range outside --cluster-cidr', { node: name, cidr });
        continue;
      }
      this.owners.set(cidr, name);
    }
  }

  private seen(node: Node): void {
    if (!this.nodes.hasSynced()) return; // the start-up pass learns everything at once
    this.learn(node);
    this.report();
    if (podCidrsOf(node).length === 0) this.queue.add(node.metadata.name!);
  }

  private gone(node: Node): void {
    const name = node.metadata.name!;
    for (const cidr of podCidrsOf(node)) {
      if (this.owners.get(cidr) !== name) continue;
      this.owners.delete(cidr);
      this.set.release(cidr);
      this.ctx.log.info('pod range released', { node: name, cidr });
    }
    this.report();
  }

  /**
   * Rewrites every node that has no range yet, unchanged: an allocation the previous leader sent
   * against the old resourceVersion can no longer land. A node found with a range is learnt.
   */
  private async fence(signal: AbortSignal): Promise<void> {
    const bare = this.nodes.lister.list().filter((n) => podCidrsOf(n).length === 0);
    const nodes = this.ctx.client.nodes();
    await parallelize(bare, FENCE_PARALLELISM, async (cached) => {
      let node: Node | undefined = cached;
      for (let attempt = 0; attempt < FENCE_ATTEMPTS && !signal.aborted; attempt++) {
        try {
          node ??= await nodes.get(cached.metadata.name!);
          if (podCidrsOf(node).length > 0) {
            this.learn(node);
            return;
          }
          await nodes.update(node);
          return;
        } catch (err) {
          if (isApiError(err) && err.status.code === 404) return;
          node = undefined; // changed meanwhile (409): read it again
          if (!(isApiError(err) && err.status.code === 409)) {
            this.ctx.log.warn('node not fenced; reading it again', {
              node: cached.metadata.name,
              err: String(err),
            });
          }
        }
      }
    });
  }

  /** Gives `name` the next free range, with its resourceVersion as the precondition. */
  private async allocate(name: string): Promise<void> {
    const node = this.nodes.lister.get(name);
    if (!node || podCidrsOf(node).length > 0) return;
    const cidr = this.set.allocateNext();
    if (!cidr) {
      this.event(
        node,
        'Normal',
        'CIDRNotAvailable',
        `Node ${name} status is now: CIDRNotAvailable`,
      );
      throw new Error(`no pod range left in ${this.clusterText}`);
    }
    try {
      await this.ctx.client.nodes().update({
        ...node,
        spec: { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] },
      });
      this.owners.set(cidr, name);
      this.report();
      this.ctx.log.info('pod range given', { node: name, cidr });
    } catch (err) {
      this.set.release(cidr);
      if (isApiError(err) && err.status.code === 404) return;
      if (isApiError(err) && err.status.code === 409) {
        // Changed meanwhile; if it got a range from elsewhere, that range is taken now.
        const fresh = await this.ctx.client
          .nodes()
          .get(name)
          .catch(() => undefined);
        if (fresh && podCidrsOf(fresh).length > 0) {
          this.learn(fresh);
          return;
        }
      }
      this.event(node, 'Warning', 'CIDRAssignmentFailed', `Node ${name}: ${String(err)}`);
      throw err;
    }
  }

  private event(node: Node, type: 'Normal' | 'Warning', reason: string, note: string): void {
    this.recorder.eventf(
      { apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.name! },
      undefined,
      type,
      reason,
      reason,
      note,
    );
  }
}
