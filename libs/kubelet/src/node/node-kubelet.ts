// A kubelet on a real node: CRI to the runtime's socket, the host's facts, real probes, mounts and
// cgroup cleanup, and (for now, until the API side lands) static pods from a manifest directory.
import { join } from 'node:path';
import { Kubelet } from '../kubelet';
import { cgroupfsCleaner } from '../host/cgroups';
import { MemoryObjectSource } from '../pod/object-source';
import type { ObjectSource } from '../pod/object-source';
import { fanOut, logEvents, MemoryEvents } from '../pod/events';
import { CriRuntime } from '../runtime/cri/cri-runtime';
import { ManifestWatcher } from '../standalone/manifest-source';
import type { Logger } from '../util/logger';
import { defaultNodeIP, NodeFacts, readNodeFacts } from './node-facts';

export interface NodeKubeletConfig {
  nodeName: string;
  runtimeEndpoint: string;
  rootDir: string;
  podLogDir: string;
  /** Static pods (and their ConfigMaps and Secrets) from this directory. */
  manifestDir?: string;
  nodeIPs: string[];
  cgroupRoot: string;
  clusterDns: string[];
  clusterDomain: string;
  kubeletVersion: string;
}

export class NodeKubelet {
  readonly events = new MemoryEvents(500);
  kubelet!: Kubelet;
  facts!: NodeFacts;
  private runtime!: CriRuntime;
  private watcher?: ManifestWatcher;

  constructor(
    readonly config: NodeKubeletConfig,
    private readonly logger: Logger,
    private readonly objects: ObjectSource = new MemoryObjectSource(),
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    const nodeIPs = c.nodeIPs.length > 0 ? c.nodeIPs : [defaultNodeIP() ?? '127.0.0.1'];
    this.runtime = new CriRuntime({ endpoint: c.runtimeEndpoint });
    const version = await this.runtime.version().catch((err: Error) => {
      throw new Error(`container runtime at ${c.runtimeEndpoint} does not answer: ${err.message}`);
    });
    this.facts = await readNodeFacts({
      nodeName: c.nodeName,
      nodeIPs,
      rootDir: c.rootDir,
      runtime: version,
      kubeletVersion: c.kubeletVersion,
    });
    this.kubelet = new Kubelet({
      nodeName: c.nodeName,
      runtime: this.runtime,
      objects: this.objects,
      hostIPs: nodeIPs,
      layout: {
        cgroupRoot: c.cgroupRoot,
        podLogRoot: c.podLogDir,
        clusterDns: c.clusterDns,
        clusterDomain: c.clusterDomain,
        memoryCapacityBytes: this.facts.allocatableNumbers.memoryBytes,
      },
      node: this.facts.allocatableNumbers,
      rootDir: c.rootDir,
      logger: this.logger,
      events: fanOut(logEvents(this.logger), this.events),
      cgroups: cgroupfsCleaner,
      secretsInMemory: process.getuid?.() === 0,
      onStatus: (pod, status) =>
        this.logger.debug('pod status', {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
          phase: status.phase,
        }),
    });
    await this.kubelet.start();
    this.logger.info('kubelet started', {
      runtime: `${version.runtimeName}://${version.runtimeVersion}`,
      endpoint: c.runtimeEndpoint,
      nodeIPs: nodeIPs.join(','),
      manifests: c.manifestDir ?? '',
    });
    if (c.manifestDir) {
      const objects = this.objects instanceof MemoryObjectSource ? this.objects : undefined;
      this.watcher = new ManifestWatcher({
        dir: c.manifestDir,
        nodeName: c.nodeName,
        logger: this.logger,
        onScan: (scan, objectsChanged) => {
          if (objects && objectsChanged) objects.replaceAll(scan.objects);
          this.kubelet.setPods(scan.pods);
          if (objectsChanged) this.kubelet.objectsChanged();
        },
      });
      await this.watcher.start();
    }
  }

  /** Why the runtime is not ready (RuntimeReady, NetworkReady), or undefined when it is. */
  async runtimeProblem(): Promise<string | undefined> {
    try {
      const bad = (await this.runtime.status()).filter((c) => !c.status);
      return bad.length
        ? bad.map((c) => `${c.type}: ${c.reason} ${c.message}`.trim()).join('; ')
        : undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Stops the loops and closes the runtime connection; pods keep running. */
  stop(): void {
    this.watcher?.stop();
    this.kubelet?.stop();
    this.runtime?.close();
  }
}

export function defaultKubeletDirs(dataDir: string): { rootDir: string; podLogDir: string } {
  return { rootDir: join(dataDir, 'kubelet'), podLogDir: join(dataDir, 'pod-logs') };
}
