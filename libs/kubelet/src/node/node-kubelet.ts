// A kubelet on a real node: CRI to the runtime's socket, the host's facts, real probes, mounts and
// cgroup cleanup. With the endpoint fake:// it is a hollow node instead: the same pod workers
// and API side over the in-memory runtime, with no mounts, cgroups or network probes (every
// probe succeeds), so a machine can carry many of them. Pods come from the API servers (when given a way to reach them: the API side
// registers the Node, heartbeats, and writes statuses) and from a manifest directory (static
// pods, with the ConfigMaps and Secrets they use when there is no API).
import { join } from 'node:path';
import { KubeletApi, type ResourceFor } from '../api/kubelet-api';
import type { NodeIdentity, PodNetworkState } from '../api/node-object';
import { Kubelet } from '../kubelet';
import { cgroupfsCleaner } from '../host/cgroups';
import { MemoryObjectSource } from '../pod/object-source';
import { fanOut, logEvents, MemoryEvents } from '../pod/events';
import type { EventRecorder } from '../pod/events';
import { CriRuntime } from '../runtime/cri/cri-runtime';
import { FakeRuntime } from '../runtime/fake/fake-runtime';
import type { ContainerRuntime } from '../runtime/runtime';
import type { ProbeRunner } from '../probes/probe-runner';
import type { NodeLayout } from '../pod/runtime-config';
import { MemoryMounter } from '../volumes/mounter';
import { ManifestWatcher } from '../standalone/manifest-source';
import type { Logger } from '../util/logger';
import { systemClock } from '../util/clock';
import { defaultNodeIP, NodeFacts, readNodeFacts } from './node-facts';

/** The runtime endpoint of a hollow node: the in-memory runtime. */
export const FAKE_RUNTIME_ENDPOINT = 'fake://';

/** A hollow node's containers answer every probe. */
const passingProber: ProbeRunner = { run: async () => ({ ok: true, output: '' }) };

export interface NodeKubeletConfig {
  nodeName: string;
  /** unix:///path of a CRI socket, or fake:// for a hollow node. */
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
  /** --node-labels and --register-with-taints, for the Node object. */
  labels?: Record<string, string>;
  taints?: NodeIdentity['taints'];
  /** The node agent's pod network, when it runs one: NetworkUnavailable waits for it. */
  podNetwork?: () => PodNetworkState;
}

const FILE_SOURCE = 'file';

export class NodeKubelet {
  readonly events = new MemoryEvents(500);
  kubelet!: Kubelet;
  facts!: NodeFacts;
  api?: KubeletApi;
  private runtime!: ContainerRuntime;
  private watcher?: ManifestWatcher;
  private layout?: NodeLayout;
  private learnedClusterDns?: string[];

  /** resources: how to reach the API (a libs/client REST client); without it, static pods only. */
  constructor(
    readonly config: NodeKubeletConfig,
    private readonly logger: Logger,
    private readonly resources?: ResourceFor,
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    const nodeIPs = c.nodeIPs.length > 0 ? c.nodeIPs : [defaultNodeIP() ?? '127.0.0.1'];
    const hollow = c.runtimeEndpoint === FAKE_RUNTIME_ENDPOINT;
    this.runtime = hollow
      ? new FakeRuntime({ clock: systemClock })
      : new CriRuntime({ endpoint: c.runtimeEndpoint });
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
    if (this.resources) {
      this.api = new KubeletApi({
        resources: this.resources,
        identity: { name: c.nodeName, labels: c.labels ?? {}, taints: c.taints ?? [] },
        facts: () => this.facts,
        runtimeStatus: () => this.runtime.status(),
        podNetwork: c.podNetwork,
        clock: systemClock,
        logger: this.logger,
      });
    }
    // Without the API, a manifest directory's ConfigMaps and Secrets are what pods can use.
    const fileObjects = new MemoryObjectSource();
    const sources = [...(this.api ? ['api'] : []), ...(c.manifestDir ? [FILE_SOURCE] : [])];
    const events: EventRecorder[] = [logEvents(this.logger), this.events];
    if (this.api) events.push(this.api.events);
    this.layout = {
      cgroupRoot: c.cgroupRoot,
      podLogRoot: c.podLogDir,
      clusterDns: this.learnedClusterDns ?? c.clusterDns,
      clusterDomain: c.clusterDomain,
      memoryCapacityBytes: this.facts.allocatableNumbers.memoryBytes,
    };
    this.kubelet = new Kubelet({
      nodeName: c.nodeName,
      runtime: this.runtime,
      objects: this.api ? this.api.objects : fileObjects,
      hostIPs: nodeIPs,
      layout: this.layout,
      node: this.facts.allocatableNumbers,
      rootDir: c.rootDir,
      logger: this.logger,
      events: fanOut(...events),
      ...(hollow
        ? { mounter: new MemoryMounter(), prober: passingProber }
        : { cgroups: cgroupfsCleaner, secretsInMemory: process.getuid?.() === 0 }),
      sources: sources.length > 0 ? sources : [FILE_SOURCE],
      onStatus: (pod, status) => {
        this.logger.debug('pod status', {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
          phase: status.phase,
        });
        this.api?.onStatus(pod, status);
      },
      onTerminated: (pod, status) => this.api?.onTerminated(pod, status),
    });
    await this.kubelet.start();
    this.api?.start(this.kubelet);
    this.logger.info('kubelet started', {
      runtime: `${version.runtimeName}://${version.runtimeVersion}`,
      endpoint: c.runtimeEndpoint,
      nodeIPs: nodeIPs.join(','),
      manifests: c.manifestDir ?? '',
      api: Boolean(this.api),
    });
    if (c.manifestDir) {
      this.watcher = new ManifestWatcher({
        dir: c.manifestDir,
        nodeName: c.nodeName,
        logger: this.logger,
        onScan: (scan, objectsChanged) => {
          if (objectsChanged) fileObjects.replaceAll(scan.objects);
          this.kubelet.setPods(scan.pods, FILE_SOURCE);
          if (objectsChanged) this.kubelet.objectsChanged();
        },
      });
      await this.watcher.start();
    } else if (!this.api) {
      this.kubelet.setPods([], FILE_SOURCE);
    }
  }

  /**
   * The cluster DNS address, learned at run time (the kube-dns Service's ClusterIP) when no
   * --cluster-dns was given: pods started from now on get it in their resolv.conf.
   */
  setClusterDns(servers: string[]): void {
    this.learnedClusterDns = [...servers];
    // The pod workers read the layout when they create a sandbox.
    if (this.layout) this.layout.clusterDns = this.learnedClusterDns;
  }

  /** The pod network's readiness changed: the Node's status says so now. */
  podNetworkChanged(): void {
    this.api?.nodeStatusChanged();
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
    this.api?.stop();
    this.kubelet?.stop();
    this.runtime?.close();
  }
}

export function defaultKubeletDirs(dataDir: string): { rootDir: string; podLogDir: string } {
  return { rootDir: join(dataDir, 'kubelet'), podLogDir: join(dataDir, 'pod-logs') };
}
