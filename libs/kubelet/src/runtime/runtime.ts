// The container runtime as the kubelet sees it: CRI's RuntimeService and ImageService in
// TypeScript shapes (camelCase, times in epoch milliseconds, 0 when unset). The CRI client is one
// implementation; the fake runtime (unit tests, hollow nodes) is the other.

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  /** RuntimeReady or NetworkReady. */
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  /** The runtime keeps it whatever happens (CRI's pinned: the sandbox image, for one). */
  pinned: boolean;
}

/**
 * The filesystem images live on, as CRI's ImageFsInfo reports it: where it is mounted and how
 * much the images use. Capacity and free space are the filesystem's (statfs of the mountpoint);
 * a runtime with no real filesystem (the fake one) reports them itself.
 */
export interface ImageFsUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
  timestamp: number;
  capacityBytes?: number;
  availableBytes?: number;
}

/** Registry credentials for one pull (from the pod's imagePullSecrets). */
export interface ImageAuth {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortMapping {
  protocol: Protocol;
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Which namespace a container shares: its pod's, its own, or the node's. */
export type NamespaceMode = 'pod' | 'container' | 'node';

export interface NamespaceOptions {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
}

export interface SandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface SandboxConfig {
  metadata: SandboxMetadata;
  hostname: string;
  logDirectory: string;
  dns?: DnsConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: {
    cgroupParent: string;
    securityContext: {
      namespaceOptions: NamespaceOptions;
      runAsUser?: number;
      runAsGroup?: number;
      supplementalGroups: number[];
      privileged: boolean;
      readonlyRootfs: boolean;
    };
    sysctls: Record<string, string>;
  };
}

export type SandboxState = 'ready' | 'notready';

export interface SandboxSummary {
  id: string;
  metadata: SandboxMetadata;
  state: SandboxState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SandboxStatus extends SandboxSummary {
  /** The pod's IP (empty for a sandbox without networking or one that is gone). */
  ip: string;
  additionalIps: string[];
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  propagation: 'private' | 'host-to-container' | 'bidirectional';
}

export interface LinuxResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
}

export interface ContainerSecurity {
  capabilities: { add: string[]; drop: string[] };
  privileged: boolean;
  namespaceOptions: NamespaceOptions;
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername?: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: string;
  command: string[];
  args: string[];
  workingDir: string;
  envs: { key: string; value: string }[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Relative to the sandbox's log directory. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux: { resources: LinuxResources; securityContext: ContainerSecurity };
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerSummary {
  id: string;
  sandboxId: string;
  metadata: ContainerMetadata;
  image: string;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: string;
  imageRef: string;
  /** The runtime's word for how it ended: Completed, Error, OOMKilled, StartError, ... */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ContainerStats {
  id: string;
  name: string;
  labels: Record<string, string>;
  timestamp: number;
  cpuUsageCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
}

export interface StreamRequest {
  containerId: string;
  cmd?: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Why a runtime call failed, in the runtime's words; `notFound` when the object is gone. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
    readonly unavailable = false,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface ContainerRuntime {
  version(): Promise<RuntimeVersion>;
  status(): Promise<RuntimeCondition[]>;

  pullImage(image: string, auth?: ImageAuth, sandbox?: SandboxConfig): Promise<string>;
  /** The image as the runtime has it, or undefined when not present. */
  imageStatus(image: string): Promise<ImageInfo | undefined>;
  listImages(): Promise<ImageInfo[]>;
  removeImage(image: string): Promise<void>;
  /** The image filesystems (usually one); empty when the runtime does not say. */
  imageFsInfo(): Promise<ImageFsUsage[]>;
  /** The image the runtime runs pod sandboxes from, when it says (containerd does). */
  sandboxImage?(): Promise<string | undefined>;

  runSandbox(config: SandboxConfig): Promise<string>;
  stopSandbox(id: string): Promise<void>;
  removeSandbox(id: string): Promise<void>;
  /** Undefined when the sandbox is gone. */
  sandboxStatus(id: string): Promise<SandboxStatus | undefined>;
  listSandboxes(labels?: Record<string, string>): Promise<SandboxSummary[]>;

  createContainer(
    sandboxId: string,
    config: ContainerConfig,
    sandbox: SandboxConfig,
  ): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stop signal, then SIGKILL after timeoutSeconds. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: {
    sandboxId?: string;
    labels?: Record<string, string>;
  }): Promise<ContainerSummary[]>;
  /** Undefined when the container is gone. */
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
  listContainerStats(): Promise<ContainerStats[]>;

  /** URLs of the runtime's streaming server (exec, attach, port-forward), for the kubelet server. */
  execUrl(request: StreamRequest): Promise<string>;
  attachUrl(request: StreamRequest): Promise<string>;
  portForwardUrl(sandboxId: string, ports: number[]): Promise<string>;

  /**
   * The container's log in CRI format, for a runtime that keeps it itself (the fake one); a CRI
   * runtime has none: its logs are the files at each container's logPath.
   */
  containerLog?(id: string): Promise<Buffer>;

  close(): void;
}
