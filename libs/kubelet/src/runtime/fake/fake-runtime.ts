// An in-memory container runtime: deterministic ids and pod IPs, time from an injected clock, and
// scripted behaviour per container (exits, crashes, OOM kills, start errors, exec answers) and per
// image (pull errors). Unit tests drive the pod workers over it; hollow nodes run on it.
import type { Clock, Timer } from '../../util/clock';
import type {
  ContainerConfig,
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  ContainerSummary,
  ExecResult,
  ImageFsUsage,
  ImageInfo,
  RuntimeCondition,
  RuntimeVersion,
  SandboxConfig,
  SandboxStatus,
  SandboxSummary,
  StreamRequest,
} from '../runtime';
import { RuntimeError } from '../runtime';
import { criLogLine } from '../../server/cri-log-format';
import { normaliseImageName } from '../image-names';

export { normaliseImageName };

/** What a started container does. The default runs until it is stopped. */
export interface FakeBehaviour {
  /** Exits by itself this long after it starts. */
  exitAfterMs?: number;
  exitCode?: number;
  /** Killed by the OOM killer (exit 137, reason OOMKilled) when it exits. */
  oom?: boolean;
  /** StartContainer fails with this message (the container ends as exit 128, StartError). */
  startError?: string;
  /** Ignores the stop signal: only the SIGKILL at the end of the timeout ends it. */
  ignoresSigterm?: boolean;
  /** Exit code after a stop signal it honours. */
  stopExitCode?: number;
  /** Answers ExecSync; exit 0 with no output by default. */
  exec?: (cmd: string[]) => ExecResult;
  /** Memory in use, for stats. */
  memoryBytes?: number;
  /** CPU time used so far (core-nanoseconds), for stats; 0 unless told. */
  cpuCoreNanoSeconds?: number;
  /** Lines the container writes to stdout when it starts (its log, for kubectl logs). */
  logLines?: string[];
}

export type BehaviourFor = (config: ContainerConfig, sandbox: SandboxConfig) => FakeBehaviour;

interface FakeSandbox {
  id: string;
  config: SandboxConfig;
  state: 'ready' | 'notready';
  createdAt: number;
  ip: string;
}

interface FakeContainer {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  imageRef: string;
  state: 'created' | 'running' | 'exited';
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  behaviour: FakeBehaviour;
  timer?: Timer;
  /** The container's log in CRI format. */
  log: string;
  /** What setUsage said, over the behaviour's figures. */
  usage?: { cpuCoreNanoSeconds?: number; memoryBytes?: number };
}

export interface FakeRuntimeOptions {
  clock: Clock;
  /** Prefix of pod IPs handed out in order: 10.88.0.2, 10.88.0.3, ... (until setPodCidr). */
  podSubnet?: string;
  behaviour?: BehaviourFor;
  /** The sandbox image it reports (as containerd's status does); none by default. */
  sandboxImage?: string;
}

/** An IPv4 range as first address and size; undefined for anything else. */
export function parseIPv4Cidr(cidr: string): { base: number; size: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 30) return undefined;
  const ip = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function digestOf(name: string): string {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return `sha256:${h.toString(16).padStart(8, '0').repeat(8)}`;
}

export class FakeRuntime implements ContainerRuntime {
  private readonly clock: Clock;
  private readonly subnet: string;
  private behaviourFor: BehaviourFor;
  private readonly sandboxes = new Map<string, FakeSandbox>();
  private readonly containers = new Map<string, FakeContainer>();
  private readonly images = new Map<string, ImageInfo>();
  private readonly pullErrors = new Map<string, string>();
  private sandboxError: string | undefined;
  private networkProblem: { reason: string; message: string } | undefined;
  private nextId = 1;
  private nextIp = 2;
  private podRange: { base: number; size: number } | undefined;
  private down: string | undefined;
  /** The image filesystem: its size, and what besides images fills it. */
  private imageFs = { capacityBytes: 100 * 2 ** 30, otherBytes: 0 };
  /** Every call by name, in order, for tests that check what the kubelet asked for. */
  readonly calls: string[] = [];
  /** Stop calls waiting for the clock to reach their SIGKILL. */
  waitingForClock = 0;

  constructor(private readonly options: FakeRuntimeOptions) {
    this.clock = options.clock;
    this.subnet = options.podSubnet ?? '10.88.0';
    this.behaviourFor = options.behaviour ?? (() => ({}));
  }

  // ---- test controls ----

  setBehaviour(fn: BehaviourFor): void {
    this.behaviourFor = fn;
  }

  /** What ListContainerStats reports for a container from now on. */
  setUsage(id: string, usage: { cpuCoreNanoSeconds?: number; memoryBytes?: number }): void {
    const c = this.mustGet(id);
    c.usage = { ...c.usage, ...usage };
  }

  /** Makes an image present, as if pulled earlier: 1 MiB unless told. */
  addImage(image: string, options: { size?: number; pinned?: boolean } = {}): void {
    const name = normaliseImageName(image);
    this.images.set(name, {
      id: digestOf(name),
      repoTags: [name],
      repoDigests: [],
      size: options.size ?? 1 << 20,
      pinned: options.pinned ?? false,
    });
  }

  /**
   * The image filesystem's size and what else fills it; images fill the rest, so removing one
   * frees its size. 100 GiB and nothing else by default.
   */
  setImageFs(fs: { capacityBytes: number; otherBytes?: number }): void {
    this.imageFs = { capacityBytes: fs.capacityBytes, otherBytes: fs.otherBytes ?? 0 };
  }

  /** Pulls of this image fail with message until cleared with undefined. */
  failPulls(image: string, message: string | undefined): void {
    const name = normaliseImageName(image);
    if (message === undefined) this.pullErrors.delete(name);
    else this.pullErrors.set(name, message);
  }

  /** RunPodSandbox fails with message until cleared with undefined (a broken CNI plugin). */
  failSandboxes(message: string | undefined): void {
    this.sandboxError = message;
  }

  /** Status reports NetworkReady=false with this reason until cleared (no CNI config yet). */
  setNetworkProblem(problem: { reason: string; message: string } | undefined): void {
    this.networkProblem = problem;
  }

  /**
   * Pod IPs come from this range from now on (the Node's spec.podCIDR, as a CNI plugin's
   * host-local IPAM would): .2 upwards, skipping addresses in use, wrapping at the end.
   */
  setPodCidr(cidr: string): void {
    const range = parseIPv4Cidr(cidr);
    if (!range) throw new RuntimeError(`pod CIDR ${JSON.stringify(cidr)} is not an IPv4 range`);
    if (this.podRange?.base === range.base && this.podRange.size === range.size) return;
    this.podRange = range;
    this.nextIp = 2;
  }

  /** Every call fails as UNAVAILABLE (the runtime is down) until cleared with undefined. */
  setDown(message: string | undefined): void {
    this.down = message;
  }

  /** Ends a running container now, as a crash or an OOM kill would. */
  crash(id: string, exitCode: number, oom = false): void {
    const c = this.containers.get(id);
    if (c && c.state === 'running') this.exit(c, exitCode, oom ? 'OOMKilled' : undefined);
  }

  allContainers(): ContainerStatus[] {
    return [...this.containers.values()].map((c) => this.statusOf(c));
  }

  allSandboxes(): SandboxStatus[] {
    return [...this.sandboxes.values()].map((s) => this.sandboxStatusOf(s));
  }

  // ---- ContainerRuntime ----

  private enter(call: string): void {
    this.calls.push(call);
    if (this.down !== undefined) throw new RuntimeError(`${call}: ${this.down}`, false, true);
  }

  async version(): Promise<RuntimeVersion> {
    this.enter('Version');
    return { runtimeName: 'fake', runtimeVersion: '1.0.0', runtimeApiVersion: 'v1' };
  }

  async status(): Promise<RuntimeCondition[]> {
    this.enter('Status');
    return [
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      {
        type: 'NetworkReady',
        status: this.networkProblem === undefined,
        reason: this.networkProblem?.reason ?? '',
        message: this.networkProblem?.message ?? '',
      },
    ];
  }

  async pullImage(image: string): Promise<string> {
    this.enter('PullImage');
    const name = normaliseImageName(image);
    const failure = this.pullErrors.get(name);
    if (failure !== undefined) throw new RuntimeError(`PullImage: ${failure}`);
    this.addImage(image);
    return this.images.get(name)!.id;
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    this.enter('ImageStatus');
    const name = normaliseImageName(image);
    const info = this.images.get(name) ?? [...this.images.values()].find((i) => i.id === image);
    return info ? { ...info } : undefined;
  }

  async listImages(): Promise<ImageInfo[]> {
    this.enter('ListImages');
    return [...this.images.values()].map((i) => ({ ...i }));
  }

  async removeImage(image: string): Promise<void> {
    this.enter('RemoveImage');
    // By name or by id, as CRI's RemoveImage takes either (an id removes every name it has).
    this.images.delete(normaliseImageName(image));
    for (const [name, info] of this.images) if (info.id === image) this.images.delete(name);
  }

  async sandboxImage(): Promise<string | undefined> {
    this.enter('Status');
    return this.options.sandboxImage;
  }

  async imageFsInfo(): Promise<ImageFsUsage[]> {
    this.enter('ImageFsInfo');
    const images = [...this.images.values()];
    const usedBytes = images.reduce((sum, i) => sum + i.size, 0);
    const { capacityBytes, otherBytes } = this.imageFs;
    return [
      {
        mountpoint: 'fake://images',
        usedBytes,
        inodesUsed: images.length,
        timestamp: this.clock.now(),
        capacityBytes,
        availableBytes: Math.max(0, capacityBytes - otherBytes - usedBytes),
      },
    ];
  }

  async runSandbox(config: SandboxConfig): Promise<string> {
    this.enter('RunPodSandbox');
    if (this.sandboxError !== undefined)
      throw new RuntimeError(`RunPodSandbox: ${this.sandboxError}`);
    const id = this.newId('sb');
    const hostNetwork = config.linux.securityContext.namespaceOptions.network === 'node';
    this.sandboxes.set(id, {
      id,
      config,
      state: 'ready',
      createdAt: this.clock.now(),
      ip: hostNetwork ? '' : this.allocateIp(),
    });
    return id;
  }

  async stopSandbox(id: string): Promise<void> {
    this.enter('StopPodSandbox');
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    for (const c of this.containers.values()) {
      if (c.sandboxId === id && c.state === 'running') this.exit(c, 137);
    }
    sandbox.state = 'notready';
  }

  async removeSandbox(id: string): Promise<void> {
    this.enter('RemovePodSandbox');
    for (const c of [...this.containers.values()]) {
      if (c.sandboxId === id) {
        c.timer?.cancel();
        this.containers.delete(c.id);
      }
    }
    this.sandboxes.delete(id);
  }

  async sandboxStatus(id: string): Promise<SandboxStatus | undefined> {
    this.enter('PodSandboxStatus');
    const s = this.sandboxes.get(id);
    return s ? this.sandboxStatusOf(s) : undefined;
  }

  async listSandboxes(labels?: Record<string, string>): Promise<SandboxSummary[]> {
    this.enter('ListPodSandbox');
    return [...this.sandboxes.values()]
      .filter((s) => matches(s.config.labels, labels))
      .map((s) => {
        const { ip: _ip, additionalIps: _more, ...summary } = this.sandboxStatusOf(s);
        return summary;
      });
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    this.enter('CreateContainer');
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) throw new RuntimeError(`CreateContainer: sandbox ${sandboxId} not found`, true);
    if (sandbox.state !== 'ready') {
      throw new RuntimeError(`CreateContainer: sandbox ${sandboxId} is not ready`);
    }
    const image = await this.imageStatus(config.image);
    if (!image) throw new RuntimeError(`CreateContainer: image ${config.image} not found`, true);
    const id = this.newId('c');
    this.containers.set(id, {
      id,
      sandboxId,
      config,
      imageRef: image.id,
      state: 'created',
      createdAt: this.clock.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
      behaviour: this.behaviourFor(config, sandbox.config),
      log: '',
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.enter('StartContainer');
    const c = this.mustGet(id);
    if (c.state !== 'created') throw new RuntimeError(`StartContainer: ${id} is ${c.state}`);
    const b = c.behaviour;
    if (b.startError !== undefined) {
      c.state = 'exited';
      c.finishedAt = this.clock.now();
      c.exitCode = 128;
      c.reason = 'StartError';
      c.message = b.startError;
      throw new RuntimeError(`StartContainer: ${b.startError}`);
    }
    c.state = 'running';
    c.startedAt = this.clock.now();
    this.writeLog(c, `hollow container ${c.config.metadata.name} started`);
    for (const line of b.logLines ?? []) this.writeLog(c, line);
    if (b.exitAfterMs !== undefined) {
      c.timer = this.clock.after(b.exitAfterMs, () =>
        this.exit(c, b.oom ? 137 : (b.exitCode ?? 0), b.oom ? 'OOMKilled' : undefined),
      );
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.enter('StopContainer');
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') return;
    if (!c.behaviour.ignoresSigterm || timeoutSeconds <= 0) {
      this.exit(c, timeoutSeconds <= 0 ? 137 : (c.behaviour.stopExitCode ?? 0));
      return;
    }
    this.waitingForClock++;
    await new Promise<void>((resolve) => {
      this.clock.after(timeoutSeconds * 1000, () => {
        this.waitingForClock--;
        if (c.state === 'running') this.exit(c, 137);
        resolve();
      });
    });
  }

  async removeContainer(id: string): Promise<void> {
    this.enter('RemoveContainer');
    const c = this.containers.get(id);
    c?.timer?.cancel();
    this.containers.delete(id);
  }

  async listContainers(
    filter: { sandboxId?: string; labels?: Record<string, string> } = {},
  ): Promise<ContainerSummary[]> {
    this.enter('ListContainers');
    return [...this.containers.values()]
      .filter((c) => !filter.sandboxId || c.sandboxId === filter.sandboxId)
      .filter((c) => matches(c.config.labels, filter.labels))
      .map((c) => ({
        id: c.id,
        sandboxId: c.sandboxId,
        metadata: { ...c.config.metadata },
        image: c.config.image,
        imageRef: c.imageRef,
        state: c.state,
        createdAt: c.createdAt,
        labels: { ...c.config.labels },
        annotations: { ...c.config.annotations },
      }));
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    this.enter('ContainerStatus');
    const c = this.containers.get(id);
    return c ? this.statusOf(c) : undefined;
  }

  async execSync(id: string, cmd: string[]): Promise<ExecResult> {
    this.enter('ExecSync');
    const c = this.mustGet(id);
    if (c.state !== 'running') throw new RuntimeError(`ExecSync: container ${id} is not running`);
    return (
      c.behaviour.exec?.(cmd) ?? { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }
    );
  }

  async listContainerStats(): Promise<ContainerStats[]> {
    this.enter('ListContainerStats');
    return [...this.containers.values()]
      .filter((c) => c.state === 'running')
      .map((c) => ({
        id: c.id,
        name: c.config.metadata.name,
        labels: { ...c.config.labels },
        timestamp: this.clock.now(),
        cpuUsageCoreNanoSeconds: c.usage?.cpuCoreNanoSeconds ?? c.behaviour.cpuCoreNanoSeconds ?? 0,
        memoryWorkingSetBytes: c.usage?.memoryBytes ?? c.behaviour.memoryBytes ?? 0,
      }));
  }

  async containerLog(id: string): Promise<Buffer> {
    this.enter('ContainerLog');
    return Buffer.from(this.mustGet(id).log);
  }

  async execUrl(_request: StreamRequest): Promise<string> {
    throw new RuntimeError('the fake runtime has no streaming server');
  }

  async attachUrl(_request: StreamRequest): Promise<string> {
    throw new RuntimeError('the fake runtime has no streaming server');
  }

  async portForwardUrl(_sandboxId: string, _ports: number[]): Promise<string> {
    throw new RuntimeError('the fake runtime has no streaming server');
  }

  close(): void {
    for (const c of this.containers.values()) c.timer?.cancel();
  }

  // ---- internals ----

  private allocateIp(): string {
    const range = this.podRange;
    if (!range) return `${this.subnet}.${this.nextIp++}`;
    const used = new Set([...this.sandboxes.values()].map((s) => s.ip));
    // Hosts are .2 to the one before broadcast (.1 is the bridge's on a real node).
    const hosts = range.size - 3;
    for (let i = 0; i < hosts; i++) {
      const offset = 2 + ((this.nextIp - 2 + i) % hosts);
      const ip = ipv4Text(range.base + offset);
      if (!used.has(ip)) {
        this.nextIp = offset + 1;
        return ip;
      }
    }
    throw new RuntimeError(`RunPodSandbox: no free address left in the pod CIDR`);
  }

  private writeLog(c: FakeContainer, line: string): void {
    c.log += criLogLine(new Date(this.clock.now()), 'stdout', line);
  }

  private newId(prefix: string): string {
    return `${prefix}${(this.nextId++).toString(16).padStart(6, '0')}`;
  }

  private mustGet(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError(`container ${id} not found`, true);
    return c;
  }

  private exit(c: FakeContainer, exitCode: number, reason?: string): void {
    c.timer?.cancel();
    c.timer = undefined;
    c.state = 'exited';
    c.finishedAt = this.clock.now();
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    this.writeLog(c, `hollow container ${c.config.metadata.name} exited with code ${exitCode}`);
  }

  private statusOf(c: FakeContainer): ContainerStatus {
    return {
      id: c.id,
      metadata: { ...c.config.metadata },
      state: c.state,
      createdAt: c.createdAt,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      exitCode: c.exitCode,
      image: c.config.image,
      imageRef: c.imageRef,
      reason: c.reason,
      message: c.message,
      labels: { ...c.config.labels },
      annotations: { ...c.config.annotations },
      logPath: c.config.logPath,
    };
  }

  private sandboxStatusOf(s: FakeSandbox): SandboxStatus {
    return {
      id: s.id,
      metadata: { ...s.config.metadata },
      state: s.state,
      createdAt: s.createdAt,
      labels: { ...s.config.labels },
      annotations: { ...s.config.annotations },
      ip: s.state === 'ready' ? s.ip : '',
      additionalIps: [],
    };
  }
}

function matches(have: Record<string, string>, want: Record<string, string> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}
