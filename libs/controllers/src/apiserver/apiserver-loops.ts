// The API server's own loops, as controllers over the client: run by every master from the moment
// it knows a Raft leader until it stops (no leader election: each master keeps its own Lease and
// its own place in the endpoints, as every kube-apiserver does). Stopping gracefully takes this
// master out at once: its Lease is deleted and the endpoints are written without it.
import type { Registry } from 'prom-client';
import { KubeClient, realClock, type Clock, type Transport } from '@flotilla/client';
import type { Controller, ControllerLog } from '../controller';
import { runControllerSet } from '../manager/controller-set';
import { ApiServerLeaseController, releaseApiServerLease } from './apiserver-lease-controller';
import { ClusterDnsServiceController, clusterDnsIp } from './cluster-dns-service-controller';
import {
  KubernetesServiceController,
  leaveKubernetesService,
  type KubernetesServiceOutcome,
} from './kubernetes-service-controller';
import type { ApiServerLoopSettings } from './settings';
import {
  systemNamespacesController,
  systemPriorityClassesController,
} from './system-objects-controller';

export interface ApiServerLoopsOptions {
  /** How this master reaches its own API server (the in-process transport). */
  transport: Transport;
  settings: ApiServerLoopSettings;
  log: ControllerLog;
  metrics: Registry;
  clock?: Clock;
  random?: () => number;
  /**
   * More objects the API server keeps in existence (the RBAC bootstrap policy when RBAC is on:
   * it is defined beside the authorizer, which this library does not import).
   */
  systemObjects?: () => Controller[];
}

export class ApiServerLoops {
  /** `<master>_<random>`, the holderIdentity of this master's Lease. */
  readonly identity: string;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ApiServerLoopsOptions) {
    const random = opts.random ?? Math.random;
    this.identity = `${opts.settings.masterName}_${randomHex(random, 16)}`;
  }

  /** The controllers, fresh (what start() runs). */
  controllers(): Controller[] {
    return [
      systemNamespacesController(),
      systemPriorityClassesController(),
      new ApiServerLeaseController(this.opts.settings, this.identity),
      new KubernetesServiceController(this.opts.settings),
      new ClusterDnsServiceController(clusterDnsIp(this.opts.settings.clusterIP)),
      ...(this.opts.systemObjects?.() ?? []),
    ];
  }

  start(): void {
    if (this.running || this.stopping.signal.aborted) return;
    this.running = runControllerSet(
      this.controllers(),
      {
        transport: this.opts.transport,
        component: 'kube-apiserver',
        instance: this.opts.settings.masterName,
        clock: this.opts.clock,
        log: this.opts.log,
        metrics: this.opts.metrics,
        flags: new Map(),
      },
      this.stopping.signal,
    );
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Stops the controllers (an abrupt stop leaves the Lease to expire, as a crash would). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  /**
   * Stops the controllers, then deletes this master's Lease and writes the endpoints without it.
   * Needs a working API (quorum); the caller bounds how long it waits.
   */
  async leave(): Promise<KubernetesServiceOutcome | undefined> {
    const wasRunning = this.running !== undefined;
    await this.stop();
    if (!wasRunning) return undefined;
    const { settings } = this.opts;
    const client = new KubeClient({
      transport: this.opts.transport,
      component: 'kube-apiserver',
      rateLimit: false,
    });
    try {
      await releaseApiServerLease(client, settings.masterName);
      const clock = this.opts.clock ?? realClock;
      return await leaveKubernetesService(client, await settings.self(), {
        clusterIP: settings.clusterIP,
        apiPort: settings.apiPort,
        nowMs: () => clock.now(),
      });
    } finally {
      client.close();
    }
  }
}

function randomHex(random: () => number, digits: number): string {
  let hex = '';
  for (let i = 0; i < digits; i++) hex += Math.floor(random() * 16).toString(16);
  return hex;
}
