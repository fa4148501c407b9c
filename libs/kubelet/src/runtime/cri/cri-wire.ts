// Conversions between the runtime interface's shapes and CRI's wire messages (snake_case, int64 as
// decimal strings of nanoseconds, enums by name).
import type {
  ContainerConfig,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  ContainerSummary,
  ImageFsUsage,
  ImageInfo,
  NamespaceMode,
  NamespaceOptions,
  SandboxConfig,
  SandboxState,
  SandboxStatus,
  SandboxSummary,
} from '../runtime';

export type Wire = Record<string, unknown>;

const NS_PER_MS = 1_000_000n;

/** CRI nanoseconds (decimal string) to epoch milliseconds; 0 stays 0. */
export function nanosToMillis(value: unknown): number {
  if (value === undefined || value === null || value === '' || value === '0') return 0;
  return Number(BigInt(String(value)) / NS_PER_MS);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v ?? 0) || 0;
}

function map(v: unknown): Record<string, string> {
  return v && typeof v === 'object' ? { ...(v as Record<string, string>) } : {};
}

function wrapped(v: unknown): number {
  return v && typeof v === 'object' ? num((v as Wire).value) : 0;
}

const NAMESPACE_MODE: Record<NamespaceMode, string> = {
  pod: 'POD',
  container: 'CONTAINER',
  node: 'NODE',
};

function namespaceOptions(o: NamespaceOptions): Wire {
  return {
    network: NAMESPACE_MODE[o.network],
    pid: NAMESPACE_MODE[o.pid],
    ipc: NAMESPACE_MODE[o.ipc],
  };
}

function int64Value(v: number | undefined): Wire | undefined {
  return v === undefined ? undefined : { value: String(v) };
}

export function sandboxConfigToWire(c: SandboxConfig): Wire {
  const sc = c.linux.securityContext;
  return {
    metadata: { ...c.metadata },
    hostname: c.hostname,
    log_directory: c.logDirectory,
    dns_config: c.dns ? { ...c.dns } : undefined,
    port_mappings: c.portMappings.map((p) => ({
      protocol: p.protocol,
      container_port: p.containerPort,
      host_port: p.hostPort,
      host_ip: p.hostIp,
    })),
    labels: c.labels,
    annotations: c.annotations,
    linux: {
      cgroup_parent: c.linux.cgroupParent,
      security_context: {
        namespace_options: namespaceOptions(sc.namespaceOptions),
        run_as_user: int64Value(sc.runAsUser),
        run_as_group: int64Value(sc.runAsGroup),
        readonly_rootfs: sc.readonlyRootfs,
        supplemental_groups: sc.supplementalGroups.map(String),
        privileged: sc.privileged,
      },
      sysctls: c.linux.sysctls,
    },
  };
}

const PROPAGATION = {
  private: 'PROPAGATION_PRIVATE',
  'host-to-container': 'PROPAGATION_HOST_TO_CONTAINER',
  bidirectional: 'PROPAGATION_BIDIRECTIONAL',
} as const;

export function containerConfigToWire(c: ContainerConfig): Wire {
  const r = c.linux.resources;
  const s = c.linux.securityContext;
  return {
    metadata: { ...c.metadata },
    image: { image: c.image },
    command: c.command,
    args: c.args,
    working_dir: c.workingDir,
    envs: c.envs.map((e) => ({ key: e.key, value: e.value })),
    mounts: c.mounts.map((m) => ({
      container_path: m.containerPath,
      host_path: m.hostPath,
      readonly: m.readonly,
      propagation: PROPAGATION[m.propagation],
    })),
    labels: c.labels,
    annotations: c.annotations,
    log_path: c.logPath,
    stdin: c.stdin,
    stdin_once: c.stdinOnce,
    tty: c.tty,
    linux: {
      resources: {
        cpu_period: String(r.cpuPeriod),
        cpu_quota: String(r.cpuQuota),
        cpu_shares: String(r.cpuShares),
        memory_limit_in_bytes: String(r.memoryLimitInBytes),
        oom_score_adj: String(r.oomScoreAdj),
      },
      security_context: {
        capabilities: {
          add_capabilities: s.capabilities.add,
          drop_capabilities: s.capabilities.drop,
        },
        privileged: s.privileged,
        namespace_options: namespaceOptions(s.namespaceOptions),
        run_as_user: int64Value(s.runAsUser),
        run_as_group: int64Value(s.runAsGroup),
        run_as_username: s.runAsUsername ?? '',
        readonly_rootfs: s.readonlyRootfs,
        supplemental_groups: s.supplementalGroups.map(String),
        no_new_privs: s.noNewPrivs,
        masked_paths: s.maskedPaths,
        readonly_paths: s.readonlyPaths,
      },
    },
  };
}

function sandboxState(v: unknown): SandboxState {
  return v === 'SANDBOX_READY' ? 'ready' : 'notready';
}

function sandboxMetadata(v: unknown): SandboxSummary['metadata'] {
  const m = (v ?? {}) as Wire;
  return {
    name: str(m.name),
    uid: str(m.uid),
    namespace: str(m.namespace),
    attempt: num(m.attempt),
  };
}

export function sandboxFromWire(w: Wire): SandboxSummary {
  return {
    id: str(w.id),
    metadata: sandboxMetadata(w.metadata),
    state: sandboxState(w.state),
    createdAt: nanosToMillis(w.created_at),
    labels: map(w.labels),
    annotations: map(w.annotations),
  };
}

export function sandboxStatusFromWire(w: Wire): SandboxStatus {
  const network = (w.network ?? {}) as Wire;
  const extra = Array.isArray(network.additional_ips) ? (network.additional_ips as Wire[]) : [];
  return {
    ...sandboxFromWire(w),
    ip: str(network.ip),
    additionalIps: extra.map((p) => str(p.ip)).filter(Boolean),
  };
}

const CONTAINER_STATE: Record<string, ContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

function containerState(v: unknown): ContainerState {
  return CONTAINER_STATE[str(v)] ?? 'unknown';
}

function containerMetadata(v: unknown): ContainerSummary['metadata'] {
  const m = (v ?? {}) as Wire;
  return { name: str(m.name), attempt: num(m.attempt) };
}

function imageName(v: unknown): string {
  return v && typeof v === 'object' ? str((v as Wire).image) : '';
}

export function containerFromWire(w: Wire): ContainerSummary {
  return {
    id: str(w.id),
    sandboxId: str(w.pod_sandbox_id),
    metadata: containerMetadata(w.metadata),
    image: imageName(w.image),
    imageRef: str(w.image_ref),
    state: containerState(w.state),
    createdAt: nanosToMillis(w.created_at),
    labels: map(w.labels),
    annotations: map(w.annotations),
  };
}

export function containerStatusFromWire(w: Wire): ContainerStatus {
  return {
    id: str(w.id),
    metadata: containerMetadata(w.metadata),
    state: containerState(w.state),
    createdAt: nanosToMillis(w.created_at),
    startedAt: nanosToMillis(w.started_at),
    finishedAt: nanosToMillis(w.finished_at),
    exitCode: num(w.exit_code),
    image: imageName(w.image),
    imageRef: str(w.image_ref),
    reason: str(w.reason),
    message: str(w.message),
    labels: map(w.labels),
    annotations: map(w.annotations),
    logPath: str(w.log_path),
  };
}

export function imageFromWire(w: Wire): ImageInfo {
  return {
    id: str(w.id),
    repoTags: Array.isArray(w.repo_tags) ? w.repo_tags.map(str) : [],
    repoDigests: Array.isArray(w.repo_digests) ? w.repo_digests.map(str) : [],
    size: num(w.size),
    pinned: w.pinned === true,
  };
}

export function filesystemUsageFromWire(w: Wire): ImageFsUsage {
  return {
    mountpoint: str((w.fs_id as Wire | undefined)?.mountpoint),
    usedBytes: wrapped(w.used_bytes),
    inodesUsed: wrapped(w.inodes_used),
    timestamp: nanosToMillis(w.timestamp),
  };
}

export function statsFromWire(w: Wire): ContainerStats {
  const attributes = (w.attributes ?? {}) as Wire;
  const cpu = (w.cpu ?? {}) as Wire;
  const memory = (w.memory ?? {}) as Wire;
  return {
    id: str(attributes.id),
    name: containerMetadata(attributes.metadata).name,
    labels: map(attributes.labels),
    timestamp: nanosToMillis(cpu.timestamp ?? memory.timestamp),
    cpuUsageCoreNanoSeconds: wrapped(cpu.usage_core_nano_seconds),
    memoryWorkingSetBytes: wrapped(memory.working_set_bytes),
  };
}
