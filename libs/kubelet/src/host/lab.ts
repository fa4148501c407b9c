// A set of worker hosts on this machine for tests, benchmarks and `flotilla up`: a fabric, a
// registry holding the pause and demo-web images, N workers each with containerd and a node agent,
// and a client namespace on the fabric that reaches every pod range. Names are unique per lab, so
// labs of parallel runs do not meet; destroy() removes everything and leftovers() proves it.
//
// With masters: create the lab, start the masters listening on lab.hostAddress (the root
// namespace's address on the fabric, which every worker reaches), then
// startAgent(name, { kubeconfig }) with a kubeconfig naming them at that address. Each agent
// registers its Node and runs the pods bound to it; static pods (manifestDir) work either way.
// With masters, the agents own the pod network as on any cluster: node IPAM in the masters gives
// each Node its spec.podCIDR, and each agent writes its CNI configuration (into its containerd's
// conf dir) and host-gw routes to the other nodes from the Node objects. Without masters (static
// pods only) the lab plays that part: a range per worker, its CNI configuration and the routes.
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CriRuntime } from '../runtime/cri/cri-runtime';
import type { Pod } from '../pod/types';
import { startRegistry, stopRegistry } from '../images/registry';
import { publishWorkerImages, SANDBOX_IMAGE } from '../images/worker-images';
import { mountsUnder } from '../volumes/mounter';
import { AgentLaunch, AgentProcess } from './agent-process';
import { cgroupLeftovers } from './cgroups';
import type { FabricSpec, WorkerNetSpec } from './netns';
import {
  destroyFabric,
  destroyWorkerNet,
  ensureFabric,
  ensureWorkerNet,
  hostAddress,
  inNetns,
  netnsPath,
  routeWorkers,
} from './netns';
import { IMAGE_PACKAGES, WORKER_PACKAGES, ensurePackages, missingPackages } from './packages';
import { listProcesses } from './processes';
import { run } from './run';
import { WorkerHost, WorkerHostSpec } from './worker-host';

export interface LabOptions {
  /** Short and unique on the machine: names of namespaces and links derive from it. */
  id: string;
  /** Third octet of the fabric 10.<fabricOctet2>.<fabricOctet3>.0/24. */
  fabricOctet3: number;
  workers: number;
  /** Where the lab keeps its files (a fresh directory). */
  dir: string;
  /** Shared build cache of the images (kept between labs). */
  imageCacheDir: string;
  /** How to run the node agent: [node, main.js] or [node, --import, tsx, main.ts]. */
  agentCommand: string[];
  agentCwd?: string;
  /** Extra node-agent flags, for every agent. */
  agentArgs?: string[];
  /** The masters' --cluster-cidr (node IPAM cuts each Node's podCIDR from it); 10.244.0.0/16. */
  clusterCidr?: string;
  /** Keep each agent's output in <dir>/<worker>.log too (outside `dir`: it outlives the lab). */
  agentLogDir?: string;
  /** The masters' --service-cidr (the workers route it onto the fabric); 10.96.0.0/12. */
  serviceCidr?: string;
}

export interface AgentOptions {
  /**
   * The masters, in a kubeconfig whose servers the workers can reach (at lab.hostAddress): the
   * agent registers its Node, runs the pods bound to it and runs kube-proxy. Without it: static
   * pods only, no kube-proxy.
   */
  kubeconfig?: string;
  /** kube-proxy's own kubeconfig (--proxy-kubeconfig); the agent's otherwise. */
  proxyKubeconfig?: string;
  /**
   * The kubelet server in HTTPS: its serving pair (naming the worker's address) and the CA the
   * API server's client certificate comes from. Without it: plain HTTP.
   */
  serving?: { cert: string; key: string; clientCa: string };
  /** Extra node-agent flags for this agent. */
  args?: string[];
}

/** The agent's health and metrics port; its kubelet server listens on 10250. */
const AGENT_PORT = 10248;
const KUBELET_PORT = 10250;
/** Without masters, every worker's pod range is a /24 in here (kube-proxy's --cluster-cidr). */
const LAB_CLUSTER_CIDR = '10.240.0.0/16';
/** The masters' default --cluster-cidr. */
const MASTERS_CLUSTER_CIDR = '10.244.0.0/16';
const CLIENT_INDEX = 200;
/** curl: tests and users reach pods and Services from the namespaces with it. */
const LAB_PACKAGES = [...WORKER_PACKAGES, ...IMAGE_PACKAGES, 'curl'];

export class WorkerLab {
  readonly fabric: FabricSpec;
  readonly registry: string;
  readonly hosts: WorkerHost[] = [];
  readonly agents = new Map<string, AgentProcess>();
  private readonly crIs = new Map<string, CriRuntime>();
  private staticNetwork: Promise<void> | undefined;
  /** Workers whose kubelet server was started with a serving pair. */
  private readonly servingTls = new Set<string>();
  readonly clientNetns: string;

  private constructor(readonly options: LabOptions) {
    this.fabric = {
      netns: `${options.id}-fab`,
      uplink: `${options.id}-up`,
      prefix: `10.239.${options.fabricOctet3}`,
    };
    this.registry = `${this.hostAddress}:5000`;
    this.clientNetns = `${options.id}-client`;
  }

  static async create(options: LabOptions): Promise<WorkerLab> {
    if (process.getuid?.() !== 0)
      throw new Error('worker labs need root (network namespaces, containerd)');
    await ensurePackages(LAB_PACKAGES);
    const lab = new WorkerLab(options);
    try {
      await lab.build();
    } catch (err) {
      await lab.destroy().catch(() => undefined);
      throw err;
    }
    return lab;
  }

  /** The Debian packages create() would install (it installs what is missing). */
  static missingPackages(): Promise<string[]> {
    return missingPackages(LAB_PACKAGES);
  }

  /** A handle on a lab left behind (a crashed run) by its options, for destroy() and leftovers(). */
  static leftBehind(options: LabOptions): WorkerLab {
    return new WorkerLab(options);
  }

  /** The root namespace's address on the fabric: the registry's, and where masters should listen. */
  get hostAddress(): string {
    return hostAddress(this.fabric);
  }

  spec(n: number): WorkerHostSpec {
    return {
      name: `w${n}`,
      index: n,
      netns: `${this.options.id}-w${n}`,
      podCidr: `10.240.${n}.0/24`, // in LAB_CLUSTER_CIDR
      baseDir: join(this.options.dir, 'nodes'),
      fabric: this.fabric,
      registry: this.registry,
      sandboxImage: SANDBOX_IMAGE,
      serviceCidr: this.options.serviceCidr ?? '10.96.0.0/12',
    };
  }

  private clientNet(): WorkerNetSpec {
    return { netns: this.clientNetns, index: CLIENT_INDEX, podCidr: '' };
  }

  private async build(): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true });
    await ensureFabric(this.fabric);
    await startRegistry({ dir: join(this.options.dir, 'registry'), address: this.registry });
    await publishWorkerImages({ cacheDir: this.options.imageCacheDir, registry: this.registry });
    const specs = Array.from({ length: this.options.workers }, (_, i) => this.spec(i + 1));
    for (const s of specs) this.hosts.push(await WorkerHost.create(s));
    await ensureWorkerNet(this.fabric, this.clientNet());
  }

  /** Without masters: the lab's ranges, CNI configurations and routes (once, for every worker). */
  private staticPodNetwork(): Promise<void> {
    this.staticNetwork ??= (async () => {
      for (const h of this.hosts) await h.writeStaticCni();
      await routeWorkers(
        this.fabric,
        this.hosts.map((h) => h.net),
      );
      await this.routeClientTo(
        this.hosts.map((h) => ({ podCidr: h.spec.podCidr, via: h.address })),
      );
    })();
    return this.staticNetwork;
  }

  /**
   * Routes from the client namespace to pod ranges (each via its worker's address), so tests
   * reach pod IPs from outside the workers; with masters, from the Nodes' spec.podCIDR.
   */
  async routeClientTo(ranges: { podCidr: string; via: string }[]): Promise<void> {
    for (const r of ranges) {
      await run('ip', ['-n', this.clientNetns, 'route', 'replace', r.podCidr, 'via', r.via]);
    }
  }

  host(name: string): WorkerHost {
    const h = this.hosts.find((x) => x.spec.name === name);
    if (!h) throw new Error(`no worker ${name}`);
    return h;
  }

  manifestDir(name: string): string {
    return join(this.host(name).dir, 'manifests');
  }

  agentUrl(name: string): string {
    return `http://${this.host(name).address}:${AGENT_PORT}`;
  }

  /** The worker's kubelet server (logs, exec, port-forward), as the API server reaches it. */
  kubeletUrl(name: string): string {
    const scheme = this.servingTls.has(name) ? 'https' : 'http';
    return `${scheme}://${this.host(name).address}:${KUBELET_PORT}`;
  }

  /**
   * Starts the node agent of worker name (its kubelet on the worker's containerd) and waits for
   * its /readyz (the runtime answers). With a kubeconfig, its Node appears in the API shortly
   * after: wait for it there.
   */
  async startAgent(name: string, options: AgentOptions = {}): Promise<AgentProcess> {
    const h = this.host(name);
    await fs.mkdir(this.manifestDir(name), { recursive: true });
    if (!options.kubeconfig) await this.staticPodNetwork();
    const launch: AgentLaunch = {
      command: this.options.agentCommand,
      cwd: this.options.agentCwd,
      netns: h.spec.netns,
      ...(this.options.agentLogDir
        ? { logFile: join(this.options.agentLogDir, `${name}.log`) }
        : {}),
      args: [
        '--name',
        name,
        '--data-dir',
        join(h.dir, 'agent'),
        '--listen-host',
        h.address,
        '--api-port',
        String(AGENT_PORT),
        '--kubelet-address',
        h.address,
        '--kubelet-port',
        String(KUBELET_PORT),
        '--runtime-endpoint',
        h.socket,
        '--root-dir',
        h.kubeletDir,
        '--pod-log-dir',
        h.podLogDir,
        '--pod-manifest-path',
        this.manifestDir(name),
        '--node-ip',
        h.address,
        '--cgroup-root',
        h.cgroupRoot,
        ...(options.kubeconfig
          ? [
              '--kubeconfig',
              options.kubeconfig,
              '--cni-conf-dir',
              h.cniConfDir,
              // libcni's cache is machine-wide: the network name tells the workers' apart.
              '--cni-network-name',
              h.cniNetworkName,
              '--cluster-cidr',
              this.options.clusterCidr ?? MASTERS_CLUSTER_CIDR,
            ]
          : [
              '--cni-conf-dir',
              'off',
              '--cluster-cidr',
              LAB_CLUSTER_CIDR,
              '--proxy-mode',
              'none',
              '--cluster-dns',
              'off',
            ]),
        ...(options.proxyKubeconfig ? ['--proxy-kubeconfig', options.proxyKubeconfig] : []),
        ...(options.serving
          ? [
              ...['--tls-cert-file', options.serving.cert],
              ...['--tls-private-key-file', options.serving.key],
              ...['--client-ca-file', options.serving.clientCa],
            ]
          : []),
        ...(this.options.agentArgs ?? []),
        ...(options.args ?? []),
      ],
    };
    if (options.serving) this.servingTls.add(name);
    else this.servingTls.delete(name);
    const agent = new AgentProcess(launch);
    this.agents.set(name, agent);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (agent.child.exitCode !== null)
        throw new Error(`node agent ${name} exited:\n${agent.output}`);
      const ok = await fetch(`${this.agentUrl(name)}/readyz`, {
        signal: AbortSignal.timeout(1000),
      }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return agent;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`node agent ${name} not ready within 60 s:\n${agent.output}`);
  }

  /** Whether worker name's node agent has exited (or never started). */
  agentGone(name: string): boolean {
    const child = this.agents.get(name)?.child;
    return !child || child.exitCode !== null || child.signalCode !== null;
  }

  /**
   * Starts a worker again after its node agent stopped or the whole worker was killed: its
   * containerd (adopted when it still runs, else started on its old state) and its node agent.
   */
  async reviveWorker(name: string, options: AgentOptions = {}): Promise<AgentProcess> {
    const i = this.hosts.findIndex((h) => h.spec.name === name);
    if (i < 0) throw new Error(`no worker ${name}`);
    await this.stopAgent(name, 'SIGKILL');
    this.crIs.get(name)?.close();
    this.crIs.delete(name);
    this.hosts[i] = await WorkerHost.create(this.hosts[i].spec);
    return this.startAgent(name, options);
  }

  async stopAgent(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.agents.get(name)?.stop(signal);
    this.agents.delete(name);
  }

  /** The pods a worker's kubelet runs, with status, from its /pods (insecure agents only). */
  async pods(name: string): Promise<Pod[]> {
    if (this.servingTls.has(name)) {
      throw new Error(
        `${name} serves /pods only on its kubelet server, to client certificates RBAC allows`,
      );
    }
    const res = await fetch(`${this.agentUrl(name)}/pods`, { signal: AbortSignal.timeout(5000) });
    const list = (await res.json()) as { items: Pod[] };
    return list.items;
  }

  /** CRI to a worker's containerd (for ExecSync in tests). */
  cri(name: string): CriRuntime {
    let c = this.crIs.get(name);
    if (!c) {
      c = new CriRuntime({ endpoint: this.host(name).socket });
      this.crIs.set(name, c);
    }
    return c;
  }

  /** Runs argv in the client namespace (never from the root namespace: its routes leave the machine). */
  async fromClient(argv: string[], timeoutMs = 15_000): Promise<string> {
    const [cmd, ...args] = inNetns(this.clientNetns, argv);
    return run(cmd, args, { timeoutMs });
  }

  async destroy(): Promise<void> {
    for (const c of this.crIs.values()) c.close();
    this.crIs.clear();
    for (const name of [...this.agents.keys()]) await this.stopAgent(name).catch(() => undefined);
    for (let n = 1; n <= this.options.workers; n++) await WorkerHost.destroy(this.spec(n));
    await destroyWorkerNet(this.fabric, this.clientNet());
    await stopRegistry(join(this.options.dir, 'registry'), true);
    await destroyFabric(this.fabric);
    await fs.rm(this.options.dir, { recursive: true, force: true });
  }

  /** What is left of the lab on the machine (empty after destroy). */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    const names = [
      this.fabric.netns,
      this.clientNetns,
      ...Array.from({ length: this.options.workers }, (_, i) => this.spec(i + 1).netns),
    ];
    for (const n of names) if (existsSync(netnsPath(n))) left.push(`netns ${n}`);
    for (let n = 1; n <= this.options.workers; n++) {
      left.push(...(await cgroupLeftovers(`/${this.spec(n).netns}`)).map((d) => `cgroup ${d}`));
    }
    left.push(...(await mountsUnder(this.options.dir)).map((m) => `mount ${m}`));
    const results = await fs.readdir('/var/lib/cni/results').catch(() => [] as string[]);
    left.push(...results.filter((f) => f.startsWith(`${this.options.id}-`)).map((f) => `cni ${f}`));
    for (const p of await listProcesses()) {
      if (p.cmdline.some((a) => a.startsWith(this.options.dir)))
        left.push(`process ${p.pid} ${p.cmdline.join(' ')}`);
    }
    if (existsSync(this.options.dir)) left.push(`dir ${this.options.dir}`);
    const links = await run('ip', ['-o', 'link', 'show']).catch(() => '');
    if (links.includes(` ${this.fabric.uplink}@`) || links.includes(` ${this.fabric.uplink}:`))
      left.push(`link ${this.fabric.uplink}`);
    return left;
  }
}
