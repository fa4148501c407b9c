import type Dockerode from 'dockerode';
import {
  GenericContainer,
  getContainerRuntimeClient,
  StartedTestContainer,
  Wait,
} from 'testcontainers';
import { pkiPaths } from '@flotilla/pki';
import { NODE_AGENT_IMAGE, REGISTRY_IMAGE } from './images';
import { MEMBER_NAMES, MasterContainers } from './master-containers';
import { requireLocalImage } from './require-image';

export type WorkerName = 'w1' | 'w2';

/** Where a worker container finds its identity (the compose file's layout). */
const NODE_DIR = '/etc/flotilla/node';
/**
 * The tests' own way into a secure kubelet's /pods from inside the worker: the API server's
 * kubelet-client pair (system:masters), which the compose workers never get.
 */
const TEST_DIR = '/etc/flotilla/e2e';
const KUBELET_CLIENT = 'apiserver-kubelet-client';

/**
 * The workers of docker-compose.ha.yml beside a MasterContainers cluster: its registry (pause and
 * demo-web inside) and worker containers (containerd + node agent), all on the masters' client
 * network and named after the masters' prefix, so parallel runs do not meet. Started with the
 * compose file's settings: every capability the host grants but SYS_RESOURCE, unconfined
 * seccomp and AppArmor, the host's cgroup tree, data on the image's anonymous volume.
 * cleanup() removes every container (with its volume) and never throws.
 */
export class WorkerContainers {
  private readonly workers = new Map<WorkerName, StartedTestContainer>();
  private readonly logs = new Map<WorkerName, string[]>();
  private readonly ids = new Set<string>();

  private constructor(
    private readonly docker: Dockerode,
    readonly masters: MasterContainers,
    private readonly registry: StartedTestContainer,
  ) {}

  static async create(masters: MasterContainers): Promise<WorkerContainers> {
    await requireLocalImage(NODE_AGENT_IMAGE);
    await requireLocalImage(REGISTRY_IMAGE);
    const docker = (await getContainerRuntimeClient()).container.dockerode;
    const registry = await new GenericContainer(REGISTRY_IMAGE)
      .withName(`${masters.prefix}-registry`)
      .withNetwork(masters.clientNetwork)
      .withWaitStrategy(Wait.forListeningPorts())
      .withExposedPorts(5000)
      .withStartupTimeout(30_000)
      .start();
    return new WorkerContainers(docker, masters, registry);
  }

  get registryAddress(): string {
    return `${this.masters.prefix}-registry:5000`;
  }

  /** Starts worker name; resolves once its node agent says it started (its Node follows). */
  async start(name: WorkerName): Promise<void> {
    if (this.workers.has(name)) throw new Error(`worker ${name} is already running`);
    const output: string[] = [];
    this.logs.set(name, output);
    const identity = await this.identity(name);
    const container = await new GenericContainer(NODE_AGENT_IMAGE)
      .withName(`${this.masters.prefix}-${name}`)
      .withHostname(name)
      .withNetwork(this.masters.clientNetwork)
      .withEnvironment({
        FLOTILLA_NAME: name,
        FLOTILLA_REGISTRY: this.registryAddress,
        ...identity.environment,
      })
      .withAddedCapabilities('ALL')
      .withDroppedCapabilities('SYS_RESOURCE')
      .withSecurityOpt('seccomp=unconfined', 'apparmor=unconfined')
      .withBindMounts([
        { source: '/sys/fs/cgroup', target: '/sys/fs/cgroup', mode: 'rw' },
        ...identity.mounts,
      ])
      .withLogConsumer((stream) =>
        stream.on('data', (chunk: Buffer | string) => output.push(chunk.toString())),
      )
      .withWaitStrategy(Wait.forLogMessage('"node agent started"'))
      .withStartupTimeout(90_000)
      .start();
    this.ids.add(container.getId());
    this.workers.set(name, container);
  }

  /**
   * How worker name reaches the masters, as docker-compose.ha.yml wires it. Secure masters: its
   * kubeconfig (system:node:<name>), kube-proxy's (system:kube-proxy), and the kubelet server on
   * HTTPS with the node's pair (CN system:node:<name>, the name as SAN), taking only the API
   * server's client certificate from the cluster CA. Insecure masters: plain HTTP, no identity.
   */
  private async identity(name: WorkerName): Promise<{
    environment: Record<string, string>;
    mounts: { source: string; target: string; mode: 'ro' }[];
  }> {
    const pki = this.masters.pki;
    if (!pki) {
      const servers = MEMBER_NAMES.map((m) => `http://${this.masters.containerName(m)}:6443`);
      return { environment: { FLOTILLA_SERVERS: servers.join(',') }, mounts: [] };
    }
    // nodeKubeconfig issues the node's pair into the PKI, which the kubelet also serves with.
    const kubeconfig = await this.masters.nodeKubeconfig(name);
    const proxyKubeconfig = await this.masters.nodeKubeconfig('kube-proxy');
    const paths = pkiPaths(pki.pkiDir);
    const files = {
      [`${NODE_DIR}/kubeconfig`]: kubeconfig,
      [`${NODE_DIR}/kube-proxy.kubeconfig`]: proxyKubeconfig,
      [`${NODE_DIR}/kubelet.crt`]: paths.nodeCert(name),
      [`${NODE_DIR}/kubelet.key`]: paths.nodeKey(name),
      [`${NODE_DIR}/ca.crt`]: paths.caCert,
      [`${TEST_DIR}/client.crt`]: paths.clientCert(KUBELET_CLIENT),
      [`${TEST_DIR}/client.key`]: paths.clientKey(KUBELET_CLIENT),
    };
    return {
      environment: {
        FLOTILLA_KUBECONFIG: `${NODE_DIR}/kubeconfig`,
        FLOTILLA_PROXY_KUBECONFIG: `${NODE_DIR}/kube-proxy.kubeconfig`,
        FLOTILLA_TLS_CERT_FILE: `${NODE_DIR}/kubelet.crt`,
        FLOTILLA_TLS_PRIVATE_KEY_FILE: `${NODE_DIR}/kubelet.key`,
        FLOTILLA_CLIENT_CA_FILE: `${NODE_DIR}/ca.crt`,
      },
      mounts: Object.entries(files).map(([target, source]) => ({ source, target, mode: 'ro' })),
    };
  }

  /** SIGKILL to the whole worker (containerd, its pods, the agent); the container is removed. */
  async kill(name: WorkerName): Promise<number> {
    const container = this.container(name);
    this.workers.delete(name);
    await this.docker.getContainer(container.getId()).kill({ signal: 'SIGKILL' });
    const killedAt = Date.now();
    await this.remove(container.getId());
    return killedAt;
  }

  /** Runs argv inside worker name (docker exec); output is stdout and stderr together. */
  async exec(name: WorkerName, argv: string[]): Promise<{ exitCode: number; output: string }> {
    const r = await this.container(name).exec(argv);
    return { exitCode: r.exitCode, output: r.output };
  }

  /**
   * The UIDs of the pods the worker's kubelet runs (its /pods, asked from inside): plain 10248
   * with insecure masters; else the kubelet server on 10250 with the API server's client pair.
   */
  async podUids(name: WorkerName): Promise<string[]> {
    const request = this.masters.pki
      ? [
          ...['--cacert', `${NODE_DIR}/ca.crt`],
          ...['--cert', `${TEST_DIR}/client.crt`, '--key', `${TEST_DIR}/client.key`],
          // The node's serving pair names the node, not the loopback address.
          ...['--resolve', `${name}:10250:127.0.0.1`, `https://${name}:10250/pods`],
        ]
      : ['http://127.0.0.1:10248/pods'];
    const r = await this.exec(name, ['curl', '-fsS', '--max-time', '5', ...request]);
    if (r.exitCode !== 0) throw new Error(`${name}: /pods failed: ${r.output}`);
    const list = JSON.parse(r.output) as { items: { metadata: { uid: string } }[] };
    return list.items.map((p) => p.metadata.uid);
  }

  /** The container's output so far, for failure messages. */
  logsOf(name: WorkerName, lastLines = 30): string {
    return (this.logs.get(name) ?? []).join('').split('\n').slice(-lastLines).join('\n');
  }

  async cleanup(): Promise<void> {
    const leftovers = await this.docker
      .listContainers({ all: true, filters: { name: [`${this.masters.prefix}-w`] } })
      .catch(() => []);
    for (const id of [...this.ids, ...leftovers.map((c) => c.Id)]) await this.remove(id);
    this.workers.clear();
    await this.remove(this.registry.getId());
  }

  private container(name: WorkerName): StartedTestContainer {
    const container = this.workers.get(name);
    if (!container) throw new Error(`worker ${name} is not running`);
    return container;
  }

  private async remove(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
    this.ids.delete(id);
  }
}
