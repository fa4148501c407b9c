// The nodes of `flotilla up`: real workers (root: the worker lab, built before the masters start
// because the masters listen on its fabric) and hollow nodes (registered once the API answers).
// stop() takes them away before the masters stop: hollow nodes delete their objects through the
// API, workers leave no process, namespace, mount, cgroup or nftables table behind.
import { connectFromKubeconfig, type KubeClient } from '@flotilla/client';
import { HollowFleet } from '../hollow-nodes/hollow-fleet';
import { parseHollowOptions } from '../hollow-nodes/hollow-options';
import type { WorkerRecord } from '../cluster-state/cluster-state';
import type { LocalWorkers } from './local-workers';
import { acquireWorkersLock, type WorkersLock } from './workers-lock';

export interface ClusterNodesOptions {
  workers: number;
  hollowNodes: number;
  dataDir: string;
  agentCommand: { command: string[]; cwd?: string };
  serviceCidr?: string;
  say: (line: string) => void;
  /** The record of the cluster changed (a worker's agent started). */
  changed: () => void;
}

export class ClusterNodes {
  private workers: LocalWorkers | undefined;
  private lock: WorkersLock | undefined;
  private fleet: HollowFleet | undefined;
  private fleetClient: KubeClient | undefined;
  private starting: Promise<void> = Promise.resolve();
  private kubeconfig: string | undefined;

  constructor(private readonly o: ClusterNodesOptions) {}

  /** Before the masters: the workers' fabric, registry, images and containerds. */
  async prepare(): Promise<void> {
    if (this.o.workers === 0) return;
    // Before anything is touched: another live run's workers are not leftovers.
    this.lock = acquireWorkersLock(this.o.dataDir);
    const crashed = this.lock.crashed;
    if (crashed) {
      this.o.say(
        `the flotilla up that had the workers (pid ${crashed.pid}, data ${crashed.dataDir}) is gone without cleaning up: removing what it left`,
      );
    }
    const names = Array.from({ length: this.o.workers }, (_, i) => `w${i + 1}`).join(', ');
    this.o.say(
      `building workers ${names}: network namespaces flotilla-w1.., a registry with the pause and demo images, a containerd each (the first start installs packages and builds images)`,
    );
    const started = Date.now();
    // Loaded only here: the worker runtime (CRI, images, namespaces) is heavy for a CLI.
    const { LocalWorkers } = await import('./local-workers');
    this.workers = await LocalWorkers.create(
      {
        count: this.o.workers,
        dataDir: this.o.dataDir,
        agentCommand: this.o.agentCommand.command,
        agentCwd: this.o.agentCommand.cwd,
        serviceCidr: this.o.serviceCidr,
        ...(crashed && crashed.dataDir !== this.o.dataDir
          ? { crashedDataDir: crashed.dataDir }
          : {}),
      },
      this.o.say,
    );
    this.o.say(
      `workers' hosts ready in ${((Date.now() - started) / 1000).toFixed(1)} s; registry ${this.workers.lab.registry}`,
    );
  }

  /** Once the API answers: the node agents, and the hollow nodes. */
  start(kubeconfig: string): Promise<void> {
    this.kubeconfig = kubeconfig;
    this.starting = this.startNodes(kubeconfig);
    return this.starting;
  }

  private async startNodes(kubeconfig: string): Promise<void> {
    const jobs: Promise<void>[] = [];
    if (this.workers) {
      const workers = this.workers;
      jobs.push(
        workers.startAgents(kubeconfig).then((failed) => {
          this.o.changed();
          for (const f of failed) this.o.say(`worker ${f.name}: node agent failed: ${f.error}`);
          const ok = workers.names.filter((n) => !failed.some((f) => f.name === n));
          if (ok.length > 0)
            this.o.say(
              `workers ${ok.join(', ')}: node agents running (logs: ${this.o.dataDir}/logs/); from inside one: ip netns exec flotilla-w1 curl -s http://<ClusterIP>`,
            );
        }),
      );
    }
    if (this.o.hollowNodes > 0) jobs.push(this.startHollow(kubeconfig));
    await Promise.all(jobs);
  }

  private async startHollow(kubeconfig: string): Promise<void> {
    const options = parseHollowOptions(
      ['--count', String(this.o.hollowNodes), '--kubeconfig', kubeconfig],
      {},
    );
    if ('help' in options) return;
    const { client } = connectFromKubeconfig({
      kubeconfig,
      component: 'hollow-nodes',
      rateLimit: false,
    });
    this.fleetClient = client;
    this.fleet = new HollowFleet(client, options, (m, f) =>
      this.o.say(`hollow nodes: ${m} ${JSON.stringify(f)}`),
    );
    try {
      await this.fleet.start();
      this.o.say(`${this.o.hollowNodes} hollow nodes ready (hollow-0..)`);
    } catch (err) {
      this.o.say(`hollow nodes failed to start: ${(err as Error).message}`);
    }
  }

  /** SIGHUP: workers whose node agent is gone (stopped, killed) start again. */
  async restartStopped(): Promise<void> {
    if (!this.workers || !this.kubeconfig) return;
    await this.starting.catch(() => undefined);
    const done = await this.workers.restartStopped(this.kubeconfig);
    for (const d of done) {
      this.o.say(
        d.error
          ? `worker ${d.name} did not start again: ${d.error}`
          : `worker ${d.name} started again`,
      );
    }
    if (done.length > 0) this.o.changed();
  }

  records(): { workers?: WorkerRecord[]; hollowNodes?: number } {
    return {
      ...(this.workers ? { workers: this.workers.records() } : {}),
      ...(this.o.hollowNodes > 0 ? { hollowNodes: this.o.hollowNodes } : {}),
    };
  }

  /** Hollow nodes leave through the API (the masters still run); workers are torn down. */
  async stop(): Promise<void> {
    await this.starting.catch(() => undefined);
    if (this.fleet) {
      await this.fleet.stop().catch(() => undefined);
      this.fleetClient?.close();
      this.o.say('hollow nodes removed');
    }
    if (this.workers) {
      const left = await this.workers.stop();
      this.o.say(
        left.length === 0
          ? 'workers removed: no process, network namespace, mount, cgroup or nftables table left'
          : `workers removed, but left: ${left.join('; ')}`,
      );
    }
    this.lock?.release();
    this.lock = undefined;
  }
}
