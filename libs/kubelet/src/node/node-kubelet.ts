// A kubelet on a real node: CRI to the runtime's socket, the host's facts, real probes, mounts and
// cgroup cleanup. With the endpoint fake:// it is a hollow node instead: the same pod workers
// and API side over the in-memory runtime, with no mounts, cgroups or network probes (every
// probe succeeds), so a machine can carry many of them. Pods come from the API servers (when given a way to reach them: the API side
// registers the Node, heartbeats, and writes statuses) and from a manifest directory (static
// pods, with the ConfigMaps and Secrets they use when there is no API).
import { readFile } from 'node:fs/promises';
import { findResource } from '@flotilla/api';
import { join } from 'node:path';
import type { NodeLayout } from '../pod/runtime-config';
import { KubeletServer } from '../server/kubelet-server';
import { KubeletAuthorizer, subjectAccessReview } from '../server/kubelet-authorizer';
import type { AccessReviewer } from '../server/kubelet-authorizer';
import { KubeletApi, type ResourceFor } from '../api/kubelet-api';
import type { NodeIdentity, PodNetworkState } from '../api/node-object';
import { Kubelet } from '../kubelet';
import { cgroupfsCleaner } from '../host/cgroups';
import { MemoryObjectSource } from '../pod/object-source';
import { fanOut, logEvents, MemoryEvents } from '../pod/events';
import type { EventRecorder } from '../pod/events';
import { CriRuntime } from '../runtime/cri/cri-runtime';
import { ContainerMetrics, readHostUsage } from '../server/container-metrics';
import { FakeRuntime } from '../runtime/fake/fake-runtime';
import type { ContainerRuntime } from '../runtime/runtime';
import type { ProbeRunner } from '../probes/probe-runner';
import { MemoryMounter } from '../volumes/mounter';
import { ManifestWatcher } from '../standalone/manifest-source';
import type { Logger } from '../util/logger';
import { systemClock } from '../util/clock';
import { defaultNodeIP, NodeFacts, readNodeFacts } from './node-facts';
import { fanOutNodeEvents, logNodeEvents } from './node-events';
import type { Registry } from 'prom-client';
import { ImageGcManager } from '../image-gc/image-gc-manager';
import { imageGcMetrics } from '../image-gc/image-gc-metrics';
import { DEFAULT_IMAGE_GC_POLICY, type ImageGcPolicy } from '../image-gc/image-gc-policy';

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
  /**
   * With no clusterDns given: pods (dnsPolicy ClusterFirst) resolve through the kube-system/kube-dns
   * Service's ClusterIP, learnt from the API; false leaves them on the node's resolv.conf.
   */
  clusterDnsFromService?: boolean;
  /** --node-labels and --register-with-taints, for the Node object. */
  labels?: Record<string, string>;
  taints?: NodeIdentity['taints'];
  /** The kubelet server (logs, exec, attach, port-forward); absent: not served. */
  server?: KubeletServerConfig;
  /** The node agent's pod network, when it runs one: NetworkUnavailable waits for it. */
  podNetwork?: () => PodNetworkState;
  /** Image garbage collection (--image-gc-high-threshold and friends); the kubelet's defaults. */
  imageGc?: ImageGcPolicy;
  /** The pod sandbox image (--pod-infra-container-image): image GC keeps it. */
  sandboxImage?: string;
  /** Where the kubelet's own metrics go (kubelet_image_garbage_collected_total). */
  metricsRegistry?: Registry;
}

export interface KubeletServerConfig {
  /** Address to bind; 0.0.0.0 by default, as the kubelet. */
  host: string;
  /** 10250 by default; 0 picks a free port (hollow nodes), reported in the Node's status. */
  port: number;
  /** The node's serving certificate and key (PEM files): HTTPS. Without: plain HTTP. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /**
   * With HTTPS: only clients with a certificate from this CA, authorized by a SubjectAccessReview
   * to the masters on nodes/<subresource> of this node (system:masters without asking).
   */
  clientCaFile?: string;
  /** The agent's metrics for /metrics; absent: not served. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

const FILE_SOURCE = 'file';

export class NodeKubelet {
  readonly events = new MemoryEvents(500);
  kubelet!: Kubelet;
  facts!: NodeFacts;
  api?: KubeletApi;
  server?: KubeletServer;
  /** /metrics/resource and /metrics/cadvisor, for the kubelet server and the agent's plain port. */
  containerMetrics!: ContainerMetrics;
  imageGc?: ImageGcManager;
  private runtime!: ContainerRuntime;
  private watcher?: ManifestWatcher;

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
    const layout: NodeLayout = {
      cgroupRoot: c.cgroupRoot,
      podLogRoot: c.podLogDir,
      clusterDns: [...c.clusterDns],
      clusterDomain: c.clusterDomain,
      memoryCapacityBytes: this.facts.allocatableNumbers.memoryBytes,
    };
    // A hollow node has no host of its own: its usage is the sum of its containers.
    this.containerMetrics = new ContainerMetrics({
      runtime: this.runtime,
      pods: () => this.kubelet?.pods() ?? [],
      ...(hollow ? {} : { nodeUsage: readHostUsage, cgroupRoot: c.cgroupRoot }),
    });
    if (c.server) {
      // Before registration: the Node reports the port it listens on.
      this.server = new KubeletServer({
        host: c.server.host,
        port: c.server.port,
        tls: await readServingPair(c.server),
        nodeName: c.nodeName,
        authorizer: new KubeletAuthorizer({ review: this.accessReviewer() }),
        ...(c.server.metrics ? { metrics: c.server.metrics } : {}),
        containerMetrics: this.containerMetrics,
        pods: () => this.kubelet?.pods() ?? [],
        runtime: this.runtime,
        layout,
        logger: this.logger,
      });
      this.facts.kubeletPort = await this.server.start();
      this.logger.info('kubelet server listening', {
        address: `${this.server.scheme}://${c.server.host}:${this.facts.kubeletPort}`,
      });
    }
    const fromService = c.clusterDns.length === 0 && c.clusterDnsFromService === true;
    if (this.resources) {
      this.api = new KubeletApi({
        resources: this.resources,
        identity: { name: c.nodeName, labels: c.labels ?? {}, taints: c.taints ?? [] },
        facts: () => this.facts,
        runtimeStatus: () => this.runtime.status(),
        podNetwork: c.podNetwork,
        clock: systemClock,
        logger: this.logger,
        ...(this.runtime instanceof FakeRuntime
          ? { onPodCidr: (cidr: string) => this.usePodCidr(cidr) }
          : {}),
        // The Kubelet reads the layout at each sandbox it creates: pods started from now on
        // get the new address.
        ...(fromService
          ? {
              onClusterDns: (ip: string) => {
                layout.clusterDns = ip ? [ip] : [];
                this.logger.info('cluster DNS for pods', {
                  nameserver: ip || '(node resolv.conf)',
                });
              },
            }
          : {}),
      });
    }
    // Without the API, a manifest directory's ConfigMaps and Secrets are what pods can use.
    const fileObjects = new MemoryObjectSource();
    const sources = [...(this.api ? ['api'] : []), ...(c.manifestDir ? [FILE_SOURCE] : [])];
    const events: EventRecorder[] = [logEvents(this.logger), this.events];
    if (this.api) events.push(this.api.events);
    this.kubelet = new Kubelet({
      nodeName: c.nodeName,
      runtime: this.runtime,
      objects: this.api ? this.api.objects : fileObjects,
      hostIPs: nodeIPs,
      layout,
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
    this.imageGc = new ImageGcManager({
      runtime: this.runtime,
      policy: c.imageGc ?? DEFAULT_IMAGE_GC_POLICY,
      clock: systemClock,
      logger: this.logger,
      events: fanOutNodeEvents(
        logNodeEvents(this.logger, c.nodeName),
        ...(this.api ? [this.api.nodeEvents] : []),
      ),
      ...(c.sandboxImage ? { sandboxImage: c.sandboxImage } : {}),
      ...(c.metricsRegistry ? { metrics: imageGcMetrics(c.metricsRegistry) } : {}),
    });
    this.imageGc.start();
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

  private usePodCidr(cidr: string): void {
    try {
      (this.runtime as FakeRuntime).setPodCidr(cidr);
    } catch (err) {
      this.logger.warn('pod CIDR not usable', { cidr, err: (err as Error).message });
    }
  }

  /** Stops the loops and closes the runtime connection; pods keep running. */
  /** Asks the masters through the node's own client; none: only system:masters gets in. */
  private accessReviewer(): AccessReviewer | undefined {
    const resources = this.resources;
    if (!resources) return undefined;
    const reviews = resources(findResource('authorization.k8s.io', 'v1', 'subjectaccessreviews')!);
    return async (user, attrs) => {
      const answer = (await reviews.create(subjectAccessReview(user, attrs) as never)) as {
        status?: { allowed?: boolean; reason?: string };
      };
      return { allowed: answer.status?.allowed === true, reason: answer.status?.reason };
    };
  }

  stop(): void {
    void this.server?.close();
    this.watcher?.stop();
    this.imageGc?.stop();
    this.api?.stop();
    this.kubelet?.stop();
    this.runtime?.close();
  }
}

async function readServingPair(
  c: KubeletServerConfig,
): Promise<{ cert: Buffer; key: Buffer; clientCa?: Buffer } | undefined> {
  if (!c.tlsCertFile && !c.tlsKeyFile) return undefined;
  if (!c.tlsCertFile || !c.tlsKeyFile) {
    throw new Error('the kubelet server needs both a certificate and a key file for HTTPS');
  }
  return {
    cert: await readFile(c.tlsCertFile),
    key: await readFile(c.tlsKeyFile),
    ...(c.clientCaFile ? { clientCa: await readFile(c.clientCaFile) } : {}),
  };
}

export function defaultKubeletDirs(dataDir: string): { rootDir: string; podLogDir: string } {
  return { rootDir: join(dataDir, 'kubelet'), podLogDir: join(dataDir, 'pod-logs') };
}
