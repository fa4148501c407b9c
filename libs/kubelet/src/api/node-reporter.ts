// Registers the Node, keeps its status current (written when it changes, and every five minutes
// regardless), and renews its Lease in kube-node-lease every ten seconds: the heartbeat the
// node-lifecycle controller watches. Every write failure is retried on the next round; nothing
// here stops the pods when the API servers cannot be reached.
import { isApiError, type KubeObject } from '@flotilla/api';
import type { ResourceOps } from '@flotilla/client';
import type { NodeFacts } from '../node/node-facts';
import type { RuntimeCondition } from '../runtime/runtime';
import type { Clock, Timer } from '../util/clock';
import type { Logger } from '../util/logger';
import type { NodeCondition, NodeIdentity, PodNetworkState } from './node-object';
import { newNode, nodeConditions, nodeLabels, nodeStatus, statusChanged } from './node-object';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeReporterOptions {
  nodes: ResourceOps;
  /** Leases in kube-node-lease. */
  leases: ResourceOps;
  identity: NodeIdentity;
  facts: () => NodeFacts;
  runtimeStatus: () => Promise<RuntimeCondition[]>;
  /** The node agent's pod network, when it runs one (joins NetworkUnavailable). */
  podNetwork?: () => PodNetworkState;
  clock: Clock;
  logger: Logger;
  statusPeriodMs?: number;
  /** A status unchanged this long is written anyway. */
  reportPeriodMs?: number;
  leasePeriodMs?: number;
  leaseDurationSeconds?: number;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class NodeReporter {
  private timers: Timer[] = [];
  private stopped = false;
  private registered?: KubeObject;
  private lastWritten?: Record<string, unknown>;
  private lastWrittenAt = 0;
  private lease?: KubeObject;
  /** One status write at a time: a nudge during a round waits for it, then looks again. */
  private writing: Promise<void> = Promise.resolve();
  private readonly o: Required<
    Omit<
      NodeReporterOptions,
      | 'identity'
      | 'facts'
      | 'runtimeStatus'
      | 'podNetwork'
      | 'nodes'
      | 'leases'
      | 'clock'
      | 'logger'
    >
  >;

  constructor(private readonly opts: NodeReporterOptions) {
    this.o = {
      statusPeriodMs: opts.statusPeriodMs ?? 10_000,
      reportPeriodMs: opts.reportPeriodMs ?? 5 * 60_000,
      leasePeriodMs: opts.leasePeriodMs ?? 10_000,
      leaseDurationSeconds: opts.leaseDurationSeconds ?? 40,
    };
  }

  get node(): KubeObject | undefined {
    return this.registered;
  }

  start(): void {
    void this.statusRound();
    void this.leaseRound();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
  }

  private later(ms: number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    this.timers = this.timers.filter(Boolean);
    this.timers.push(this.opts.clock.after(ms, () => void fn()));
  }

  private async conditions(previous: NodeCondition[] | undefined): Promise<NodeCondition[]> {
    const runtime = await this.opts.runtimeStatus().catch((err: Error) => err);
    return nodeConditions(runtime, previous, this.opts.clock.now(), this.opts.podNetwork?.());
  }

  /** Creates the Node, or takes over the one that exists (a restarted kubelet). */
  private async register(): Promise<void> {
    const { nodes, identity, logger } = this.opts;
    const facts = this.opts.facts();
    const conditions = await this.conditions(undefined);
    try {
      this.registered = await nodes.create(newNode(identity, facts, conditions));
      this.lastWritten = this.registered.status as Record<string, unknown>;
      this.lastWrittenAt = this.opts.clock.now();
      logger.info('node registered', { node: identity.name });
    } catch (err) {
      if (!(isApiError(err) && err.status.code === 409)) throw err;
      const existing = await nodes.get(identity.name);
      this.registered = await nodes.patch(
        identity.name,
        { metadata: { labels: nodeLabels(identity, facts) } },
        'merge',
      );
      this.lastWritten = existing.status as Record<string, unknown>;
      this.lastWrittenAt = 0;
      logger.info('node already registered; taking it over', { node: identity.name });
    }
  }

  /** One round of the status loop: register if needed, write the status if it changed. */
  async statusRound(): Promise<void> {
    await this.writeStatus();
    this.later(this.o.statusPeriodMs, () => this.statusRound());
  }

  /** Writes the status now if it changed (the pod network became ready, say), outside the loop. */
  nudge(): void {
    if (!this.stopped && this.registered) void this.writeStatus();
  }

  private writeStatus(): Promise<void> {
    this.writing = this.writing.then(() => this.writeStatusOnce());
    return this.writing;
  }

  private async writeStatusOnce(): Promise<void> {
    try {
      if (!this.registered) await this.register();
      const previous = (this.lastWritten?.conditions as NodeCondition[] | undefined) ?? undefined;
      const status = nodeStatus(this.opts.facts(), await this.conditions(previous));
      const now = this.opts.clock.now();
      if (
        statusChanged(this.lastWritten, status) ||
        now - this.lastWrittenAt >= this.o.reportPeriodMs
      ) {
        this.registered = await this.opts.nodes.patchStatus(
          this.opts.identity.name,
          { status },
          'strategic',
        );
        this.lastWritten = status;
        this.lastWrittenAt = now;
      }
    } catch (err) {
      this.opts.logger.warn('node status not written', { err: (err as Error).message });
    }
  }

  /** One round of the heartbeat: create or renew the Lease. */
  async leaseRound(): Promise<void> {
    const { leases, identity, clock, logger } = this.opts;
    const name = identity.name;
    try {
      const renewTime = microTime(clock.now());
      if (!this.lease) {
        this.lease = await leases.get(name).catch((err) => {
          if (isApiError(err) && err.status.code === 404) return undefined;
          throw err;
        });
      }
      if (!this.lease) {
        const owner = this.registered?.metadata.uid
          ? [{ apiVersion: 'v1', kind: 'Node', name, uid: this.registered.metadata.uid }]
          : undefined;
        this.lease = await leases.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name,
            namespace: NODE_LEASE_NAMESPACE,
            ...(owner ? { ownerReferences: owner } : {}),
          },
          spec: {
            holderIdentity: name,
            leaseDurationSeconds: this.o.leaseDurationSeconds,
            renewTime,
          },
        });
      } else {
        const spec = (this.lease.spec ?? {}) as Record<string, unknown>;
        const uid = this.registered?.metadata.uid;
        // A Lease made before the Node was registered gets its owner now (so it goes with it).
        const owner =
          uid && !this.lease.metadata.ownerReferences?.length
            ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid }] }
            : {};
        this.lease = await leases.update({
          ...this.lease,
          metadata: { ...this.lease.metadata, ...owner },
          spec: {
            ...spec,
            holderIdentity: name,
            leaseDurationSeconds: this.o.leaseDurationSeconds,
            renewTime,
          },
        });
      }
    } catch (err) {
      // A conflict or an outage: read the Lease afresh next round.
      this.lease = undefined;
      logger.warn('node lease not renewed', { err: (err as Error).message });
    }
    this.later(this.o.leasePeriodMs, () => this.leaseRound());
  }
}
