// The real workers of `flotilla up` (root only): the worker lab of libs/kubelet with fixed names
// (network namespaces flotilla-w1, flotilla-w2, ... on the fabric bridge of flotilla-fab), a
// local registry with the pause and demo images, a containerd and a node agent per worker. The
// masters listen on the root namespace's fabric address, which every worker reaches. stop()
// leaves nothing behind and says what it could not remove.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerLab, type LabOptions } from '@flotilla/kubelet';

import type { WorkerRecord } from '../cluster-state/cluster-state';
import { FABRIC_OCTET, WORKER_LAB_ID } from './worker-plan';

export interface LocalWorkersOptions {
  count: number;
  dataDir: string;
  /** How to run the node agent: [node, main.js] or [node, --import, tsx, main.ts]. */
  agentCommand: string[];
  agentCwd?: string;
  serviceCidr?: string;
  /** The data directory of a run that crashed with the workers up (its files and mounts go too). */
  crashedDataDir?: string;
}

export function labOptions(o: LocalWorkersOptions): LabOptions {
  return {
    id: WORKER_LAB_ID,
    fabricOctet3: FABRIC_OCTET,
    workers: o.count,
    dir: join(o.dataDir, 'workers'),
    // Kept across runs: building the images is the slow part of a first start.
    imageCacheDir: join(o.dataDir, 'image-cache'),
    agentCommand: o.agentCommand,
    // From sources, tsx finds the path aliases through the repository's tsconfig.json.
    ...(o.agentCwd ? { agentCwd: o.agentCwd } : {}),
    agentLogDir: join(o.dataDir, 'logs'),
    ...(o.serviceCidr ? { serviceCidr: o.serviceCidr } : {}),
  };
}

export class LocalWorkers {
  /** Why a worker did not start again on the last SIGHUP (shown by flotilla chaos). */
  private readonly restartErrors = new Map<string, string>();

  private constructor(readonly lab: WorkerLab) {}

  /**
   * Clears what a crashed run left (same names), then builds the fabric, the registry with its
   * images and each worker's containerd. The node agents start later, once the masters listen.
   */
  static async create(
    o: LocalWorkersOptions,
    say: (line: string) => void = () => undefined,
  ): Promise<LocalWorkers> {
    const options = labOptions(o);
    const missing = await WorkerLab.missingPackages();
    if (missing.length > 0) say(`installing Debian packages: ${missing.join(' ')} (apt-get)`);
    if (o.crashedDataDir) {
      const theirs = labOptions({ ...o, dataDir: o.crashedDataDir });
      await WorkerLab.leftBehind({ ...theirs, workers: Math.max(o.count, 9) }).destroy();
    }
    if (existsSync(options.dir) || existsSync(`/var/run/netns/${WORKER_LAB_ID}-fab`)) {
      await WorkerLab.leftBehind({ ...options, workers: Math.max(o.count, 9) }).destroy();
    }
    mkdirSync(options.agentLogDir!, { recursive: true });
    return new LocalWorkers(await WorkerLab.create(options));
  }

  get names(): string[] {
    return this.lab.hosts.map((h) => h.spec.name);
  }

  /** Starts every node agent with the masters' kubeconfig; resolves with those that failed. */
  async startAgents(kubeconfig: string): Promise<{ name: string; error: string }[]> {
    const failed: { name: string; error: string }[] = [];
    await Promise.all(
      this.names.map((name) =>
        this.lab.startAgent(name, { kubeconfig }).catch((err: Error) => {
          failed.push({ name, error: err.message.split('\n')[0] });
        }),
      ),
    );
    return failed;
  }

  /** Starts again every worker whose node agent is gone; returns their names. */
  async restartStopped(kubeconfig: string): Promise<{ name: string; error?: string }[]> {
    const gone = this.names.filter((n) => this.lab.agentGone(n));
    return Promise.all(
      gone.map((name) =>
        this.lab.reviveWorker(name, { kubeconfig }).then(
          () => {
            this.restartErrors.delete(name);
            return { name };
          },
          (err: Error) => {
            const error = err.message.split('\n')[0];
            this.restartErrors.set(name, error);
            return { name, error };
          },
        ),
      ),
    );
  }

  records(): WorkerRecord[] {
    return this.lab.hosts.map((h) => ({
      name: h.spec.name,
      netns: h.spec.netns,
      address: h.address,
      agentPid: this.lab.agents.get(h.spec.name)?.pid ?? null,
      containerdPid: h.containerdPid,
      ...(this.restartErrors.has(h.spec.name)
        ? { restartError: this.restartErrors.get(h.spec.name) }
        : {}),
    }));
  }

  /** Stops the agents and removes everything; returns what is still there (nothing, normally). */
  async stop(): Promise<string[]> {
    await this.lab.destroy();
    return this.lab.leftovers();
  }
}
