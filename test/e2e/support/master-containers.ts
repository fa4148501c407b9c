import { randomUUID } from 'node:crypto';
import type Dockerode from 'dockerode';
import { Etcd3 } from 'etcd3';
import { randomBytes } from 'node:crypto';
import {
  ExecResult,
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  StartedNetwork,
  StartedTestContainer,
  Wait,
} from 'testcontainers';
import { TextResponse, tryGetText, waitFor } from '../../integration/support/wait';
import { E2ePki, Identity, MASTER_PKI_DIR, tryHttpsGetText } from './e2e-pki';
import { singleMemberClient } from './etcd-clients';
import { ipv4HostPort } from './host-port';
import { CONTROL_PLANE_IMAGE } from './images';
import { sampleValue } from './metrics-text';
import { requireLocalImage } from './require-image';

export const MEMBER_NAMES = ['m1', 'm2', 'm3'] as const;
export type MemberName = (typeof MEMBER_NAMES)[number];

const API_PORT = 6443;
const ETCD_PORT = 2379;
const PEERS = MEMBER_NAMES.map((name) => `${name}=${name}:2380`).join(',');

export interface MasterContainersOptions {
  /**
   * TLS on every port and RBAC, as docker-compose.ha.yml runs them (the default): a PKI made for
   * this run in a temporary directory, mounted read-only; the suite talks as the admin. false:
   * the plain --insecure mode (HTTP, no authentication) on the suite's own networks.
   */
  secure?: boolean;
}

/**
 * Three masters as containers, wired like docker-compose.ha.yml: each member on its own named
 * volume, peers finding each other as m1..m3. Two networks, so a partition can cut Raft traffic
 * and still let the test talk to the cut-off member:
 *   - `client`: the container's primary network; the published API and etcd ports go through it;
 *   - `raft`: where the aliases m1..m3 live; disconnecting a member from it partitions it.
 * Secure by default (see MasterContainersOptions): apiUrl() is HTTPS, client() and metric() use
 * the admin's certificate, get() any identity.
 * Every container, network, volume and PKI made here is removed by `cleanup()`, which never throws.
 */
export class MasterContainers {
  private readonly containers = new Map<MemberName, StartedTestContainer>();
  private readonly ports = new Map<MemberName, { api: number; etcd: number }>();
  private readonly clients = new Map<MemberName, Etcd3>();
  private readonly containerIds = new Set<string>();
  private readonly logs = new Map<MemberName, string[]>();

  private constructor(
    readonly prefix: string,
    private readonly docker: Dockerode,
    readonly clientNetwork: StartedNetwork,
    readonly raftNetwork: RaftNetwork,
    private readonly extraEnvironment: Record<string, string>,
    /** The run's PKI; undefined in the insecure mode. */
    readonly pki: E2ePki | undefined,
  ) {}

  /** extraEnvironment: more settings for every member (FLOTILLA_NODE_MONITOR_GRACE_PERIOD=...). */
  static async create(
    extraEnvironment: Record<string, string> = {},
    options: MasterContainersOptions = {},
  ): Promise<MasterContainers> {
    await requireLocalImage(CONTROL_PLANE_IMAGE);
    const runtime = await getContainerRuntimeClient();
    const prefix = `flotilla-e2e-${randomBytes(4).toString('hex')}`;
    // Serving certificates name m1..m3 (the peers, Prometheus), the containers' names (workers on
    // the client network) and the host the suite dials.
    const pki =
      options.secure === false
        ? undefined
        : await E2ePki.create(MEMBER_NAMES, [
            runtime.info.containerRuntime.host,
            ...MEMBER_NAMES.map((name) => containerNameOf(prefix, name)),
          ]);
    const clientNetwork = await new Network().start().catch((err: unknown) => {
      pki?.remove();
      throw err;
    });
    const docker = runtime.container.dockerode;
    const raftNetwork = await createRaftNetwork(docker).catch(async (err: unknown) => {
      await clientNetwork.stop().catch(() => undefined);
      pki?.remove();
      throw err;
    });
    return new MasterContainers(prefix, docker, clientNetwork, raftNetwork, extraEnvironment, pki);
  }

  /** Starts the given members at once (a member alone waits for its peers, so all go together). */
  async start(names: readonly MemberName[] = MEMBER_NAMES): Promise<void> {
    await Promise.all(names.map((name) => this.startOne(name)));
  }

  running(): MemberName[] {
    return MEMBER_NAMES.filter((name) => this.containers.has(name));
  }

  /** The member's name on the client network (workers reach the API there). */
  containerName(name: MemberName): string {
    return containerNameOf(this.prefix, name);
  }

  /**
   * A kubeconfig file (secure mode) for a node agent in a container on the client network:
   * system:node:<node>, or kube-proxy's identity for 'kube-proxy'; one context per master at
   * https://<containerName>:6443.
   */
  async nodeKubeconfig(node: string): Promise<string> {
    if (!this.pki) throw new Error('node identities need the secure mode');
    return this.pki.kubeconfig(
      node,
      MEMBER_NAMES.map((name) => ({
        name: `flotilla-${name}`,
        url: `https://${this.containerName(name)}:${API_PORT}`,
      })),
    );
  }

  volumeOf(name: MemberName): string {
    return `${this.prefix}-${name}-data`;
  }

  apiUrl(name: MemberName, path: string): string {
    return `${this.pki ? 'https' : 'http'}://${this.container(name).getHost()}:${this.portsOf(name).api}${path}`;
  }

  etcdEndpoint(name: MemberName): string {
    return `${this.container(name).getHost()}:${this.portsOf(name).etcd}`;
  }

  /** A client to this member only, closed by cleanup() or when the member goes away. */
  client(name: MemberName): Etcd3 {
    let client = this.clients.get(name);
    if (!client) {
      client = singleMemberClient(this.etcdEndpoint(name), this.pki?.tls('admin'));
      this.clients.set(name, client);
    }
    return client;
  }

  /**
   * GET on a member's API port as `identity` (the admin unless told; no identity at all in the
   * insecure mode). Undefined while the member does not answer.
   */
  async get(
    name: MemberName,
    path: string,
    identity: Identity = 'admin',
  ): Promise<TextResponse | undefined> {
    const url = this.apiUrl(name, path);
    return this.pki ? tryHttpsGetText(url, this.pki.tls(identity)) : tryGetText(url);
  }

  async metric(name: MemberName, metric: string): Promise<number | undefined> {
    const res = await this.get(name, '/metrics');
    return res?.status === 200 ? sampleValue(res.body, metric) : undefined;
  }

  /**
   * The member every one of `among` agrees leads: it says it is leader and the others say they
   * have one. Undefined while that is not so (during an election, or split views).
   */
  async agreedLeader(among: readonly MemberName[]): Promise<MemberName | undefined> {
    const views = await Promise.all(
      among.map(async (name) => ({
        name,
        isLeader: await this.metric(name, 'flotilla_raft_is_leader'),
        hasLeader: await this.metric(name, 'flotilla_raft_has_leader'),
      })),
    );
    const leaders = views.filter((v) => v.isLeader === 1);
    if (leaders.length !== 1 || views.some((v) => v.hasLeader !== 1)) return undefined;
    return leaders[0].name;
  }

  async waitForLeader(among: readonly MemberName[], timeoutMs = 30_000): Promise<MemberName> {
    try {
      return await waitFor(
        `a leader among ${among.join(',')}`,
        () => this.agreedLeader(among),
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await this.describe(among)}`);
    }
  }

  /** What each member says about itself, and the end of its log: for failure messages. */
  async describe(names: readonly MemberName[]): Promise<string> {
    const parts = await Promise.all(
      names.map(async (name) => {
        const metrics = await this.get(name, '/metrics');
        const raft = (metrics?.body ?? `(no /metrics: ${metrics?.status ?? 'unreachable'})`)
          .split('\n')
          .filter((line) => /^flotilla_raft_(term|is_leader|has_leader|commit_index) /.test(line))
          .join(', ');
        return `--- ${name} ${this.apiUrl(name, '')}: ${raft}\n${this.logsOf(name, 10)}`;
      }),
    );
    return parts.join('\n');
  }

  /**
   * SIGKILL, as a crash: no shutdown hook runs. Returns when the kill was done (Date.now()); the
   * dead container is removed afterwards, its volume stays.
   */
  async kill(name: MemberName): Promise<number> {
    const container = this.container(name);
    this.containers.delete(name);
    this.ports.delete(name);
    await this.docker.getContainer(container.getId()).kill({ signal: 'SIGKILL' });
    const killedAt = Date.now();
    this.dropClient(name);
    await this.removeContainer(container.getId());
    return killedAt;
  }

  /** docker stop: SIGTERM, a clean shutdown. The container is removed; its volume stays. */
  async stop(name: MemberName): Promise<void> {
    const container = this.container(name);
    this.dropClient(name);
    this.containers.delete(name);
    this.ports.delete(name);
    await container.stop({ timeout: 30_000, remove: true, removeVolumes: false });
    this.containerIds.delete(container.getId());
  }

  /** docker pause (SIGSTOP-like freeze of every process): the member falls silent, keeps state. */
  async pause(name: MemberName): Promise<void> {
    await this.docker.getContainer(this.container(name).getId()).pause();
  }

  async unpause(name: MemberName): Promise<void> {
    await this.docker.getContainer(this.container(name).getId()).unpause();
  }

  /** Runs a command inside the member's container (e.g. node -e, to dial the others by name). */
  exec(name: MemberName, command: string[], env: Record<string, string> = {}): Promise<ExecResult> {
    return this.container(name).exec(command, { env });
  }

  async disconnectFromPeers(name: MemberName): Promise<void> {
    await this.docker
      .getNetwork(this.raftNetwork.getId())
      .disconnect({ Container: this.container(name).getId(), Force: true });
  }

  /** Lets another container (Prometheus) reach the members by name on the Raft network. */
  async attachToRaftNetwork(containerId: string): Promise<void> {
    await this.docker.getNetwork(this.raftNetwork.getId()).connect({ Container: containerId });
  }

  async reconnectToPeers(name: MemberName): Promise<void> {
    await this.docker.getNetwork(this.raftNetwork.getId()).connect({
      Container: this.container(name).getId(),
      EndpointConfig: { Aliases: [name] },
    });
  }

  /** The container's output so far, for failure messages. */
  logsOf(name: MemberName, lastLines = 30): string {
    return (this.logs.get(name) ?? []).join('').split('\n').slice(-lastLines).join('\n');
  }

  async cleanup(): Promise<void> {
    for (const name of [...this.clients.keys()]) this.dropClient(name);
    // Also by name: a container whose start failed half-way was never recorded.
    const leftovers = await this.docker
      .listContainers({ all: true, filters: { name: [this.prefix] } })
      .catch(() => []);
    for (const id of [...this.containerIds, ...leftovers.map((c) => c.Id)]) {
      await this.removeContainer(id);
    }
    this.containers.clear();
    for (const network of [this.clientNetwork, this.raftNetwork]) {
      await network.stop().catch(() => undefined);
    }
    for (const name of MEMBER_NAMES) {
      await this.docker
        .getVolume(this.volumeOf(name))
        .remove()
        .catch(() => undefined);
    }
    this.pki?.remove();
  }

  private container(name: MemberName): StartedTestContainer {
    const container = this.containers.get(name);
    if (!container) throw new Error(`member ${name} is not running`);
    return container;
  }

  private portsOf(name: MemberName): { api: number; etcd: number } {
    const ports = this.ports.get(name);
    if (!ports) throw new Error(`member ${name} is not running`);
    return ports;
  }

  private async startOne(name: MemberName): Promise<void> {
    if (this.containers.has(name)) throw new Error(`member ${name} is already running`);
    const output: string[] = [];
    this.logs.set(name, output);
    const container = await new GenericContainer(CONTROL_PLANE_IMAGE)
      .withName(this.containerName(name))
      .withNetwork(this.clientNetwork)
      .withEnvironment({
        FLOTILLA_NAME: name,
        FLOTILLA_PEERS: PEERS,
        FLOTILLA_CLUSTER_TOKEN: this.prefix,
        ...(this.pki
          ? { FLOTILLA_PKI_DIR: MASTER_PKI_DIR }
          : { FLOTILLA_INSECURE: 'true', FLOTILLA_INSECURE_BIND_ANY: 'true' }),
        ...this.extraEnvironment,
      })
      .withBindMounts([
        { source: this.volumeOf(name), target: '/var/lib/flotilla' },
        ...(this.pki
          ? [{ source: this.pki.pkiDir, target: MASTER_PKI_DIR, mode: 'ro' as const }]
          : []),
      ])
      .withExposedPorts(API_PORT, ETCD_PORT)
      .withLogConsumer((stream) =>
        stream.on('data', (chunk: Buffer | string) => output.push(chunk.toString())),
      )
      // Not /healthz or /readyz: those wait for a leader, and the peers are not connected yet.
      // A log line rather than an HTTP probe: see ipv4HostPort() on published ports.
      .withWaitStrategy(Wait.forLogMessage('"control plane started"'))
      .withStartupTimeout(60_000)
      .start();
    this.containerIds.add(container.getId());
    this.containers.set(name, container);
    await this.reconnectToPeers(name);
    this.ports.set(name, {
      api: await ipv4HostPort(container, API_PORT),
      etcd: await ipv4HostPort(container, ETCD_PORT),
    });
  }

  private dropClient(name: MemberName): void {
    this.clients.get(name)?.close();
    this.clients.delete(name);
  }

  private async removeContainer(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .remove({ force: true, v: false })
      .catch(() => undefined);
    this.containerIds.delete(id);
  }
}

function containerNameOf(prefix: string, name: MemberName): string {
  return `${prefix}-${name}`;
}

interface RaftNetwork {
  getId(): string;
  stop(): Promise<void>;
}

/**
 * The members' Raft network is internal: it has no gateway, so Docker always publishes ports
 * through the client network. (With two ordinary networks Docker picks the gateway network by
 * name, and when that was the Raft network a partition also cut the published ports.)
 */
async function createRaftNetwork(docker: Dockerode): Promise<RaftNetwork> {
  const network = await docker.createNetwork({
    Name: `flotilla-raft-${randomUUID()}`,
    Internal: true,
  });
  return {
    getId: () => network.id,
    stop: async () => {
      await network.remove();
    },
  };
}
