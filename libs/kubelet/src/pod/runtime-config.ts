// Pod and container specs turned into the runtime's sandbox and container configs, as the
// kubelet's kuberuntime does: labels to find them again, namespaces, DNS, ports, cgroup parent,
// security context, resources, mounts and logs.
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_CONTAINER_KIND,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_GRACE,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  LABEL_CONTAINER_NAME,
  LABEL_MANAGED,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  MANAGED_BY,
} from '../runtime/labels';
import type {
  ContainerConfig,
  ContainerSecurity,
  DnsConfig,
  Mount,
  NamespaceOptions,
  SandboxConfig,
} from '../runtime/runtime';
import { containerHash, gracePeriodSeconds } from './pod-facts';
import { linuxResources, qosClass } from './resources';
import type { Container, Pod } from './types';

/** Where this node keeps things and how it names them. */
export interface NodeLayout {
  /** cgroup under which every pod gets pod<uid> (cgroupfs paths). */
  cgroupRoot: string;
  /** Pod log directories live here (/var/log/pods on a real node). */
  podLogRoot: string;
  /** The cluster DNS service address(es); empty: pods use the node's resolv.conf. */
  clusterDns: string[];
  clusterDomain: string;
  /** Node memory, for the OOM score of Burstable containers. */
  memoryCapacityBytes: number;
}

export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];

export const DEFAULT_READONLY_PATHS = [
  '/proc/asound',
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

export function podLogDirectory(layout: Pick<NodeLayout, 'podLogRoot'>, pod: Pod): string {
  const m = pod.metadata;
  return `${layout.podLogRoot}/${m.namespace}_${m.name}_${m.uid}`;
}

export function podLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata.name,
    [LABEL_POD_NAMESPACE]: pod.metadata.namespace,
    [LABEL_POD_UID]: pod.metadata.uid,
    [LABEL_MANAGED]: MANAGED_BY,
  };
}

function namespaceOptions(pod: Pod): NamespaceOptions {
  const s = pod.spec;
  return {
    network: s.hostNetwork ? 'node' : 'pod',
    pid: s.hostPID ? 'node' : s.shareProcessNamespace ? 'pod' : 'container',
    ipc: s.hostIPC ? 'node' : 'pod',
  };
}

/** resolv.conf for the pod: cluster DNS first for ClusterFirst, the node's otherwise. */
export function podDns(pod: Pod, layout: NodeLayout): DnsConfig | undefined {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  const extra = pod.spec.dnsConfig;
  const ns = pod.metadata.namespace;
  const d = layout.clusterDomain;
  let base: DnsConfig | undefined;
  const clusterFirst =
    (policy === 'ClusterFirst' && !pod.spec.hostNetwork) || policy === 'ClusterFirstWithHostNet';
  if (clusterFirst && layout.clusterDns.length > 0) {
    base = {
      servers: [...layout.clusterDns],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d],
      options: ['ndots:5'],
    };
  } else if (policy === 'None') {
    base = { servers: [], searches: [], options: [] };
  }
  if (!extra) return base;
  const merged = base ?? { servers: [], searches: [], options: [] };
  return {
    servers: [...merged.servers, ...(extra.nameservers ?? [])],
    searches: [...merged.searches, ...(extra.searches ?? [])],
    options: [
      ...merged.options.filter(
        (o) => !(extra.options ?? []).some((x) => o.split(':')[0] === x.name),
      ),
      ...(extra.options ?? []).map((o) =>
        o.value === undefined ? o.name : `${o.name}:${o.value}`,
      ),
    ],
  };
}

export function sandboxConfig(pod: Pod, layout: NodeLayout, attempt: number): SandboxConfig {
  const sc = pod.spec.securityContext ?? {};
  const ports = pod.spec.containers.flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => p.hostPort)
      .map((p) => ({
        protocol: p.protocol ?? 'TCP',
        containerPort: p.containerPort,
        hostPort: p.hostPort ?? 0,
        hostIp: p.hostIP ?? '',
      })),
  );
  const hostname = pod.spec.hostNetwork
    ? ''
    : (pod.spec.hostname ?? pod.metadata.name).slice(0, 63);
  return {
    metadata: {
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace,
      attempt,
    },
    hostname,
    logDirectory: podLogDirectory(layout, pod),
    dns: podDns(pod, layout),
    portMappings: ports,
    labels: podLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: {
      cgroupParent: `${layout.cgroupRoot}/pod${pod.metadata.uid}`,
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        runAsUser: sc.runAsUser,
        runAsGroup: sc.runAsGroup,
        supplementalGroups: sc.supplementalGroups ?? [],
        privileged: pod.spec.containers.some((c) => c.securityContext?.privileged),
        readonlyRootfs: false,
      },
      sysctls: Object.fromEntries((sc.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  };
}

function securityContext(pod: Pod, c: Container): ContainerSecurity {
  const psc = pod.spec.securityContext ?? {};
  const csc = c.securityContext ?? {};
  const privileged = csc.privileged === true;
  const groups = [...(psc.supplementalGroups ?? [])];
  if (psc.fsGroup !== undefined && !groups.includes(psc.fsGroup)) groups.push(psc.fsGroup);
  return {
    capabilities: {
      add: (csc.capabilities?.add ?? []).map(capName),
      drop: (csc.capabilities?.drop ?? []).map(capName),
    },
    privileged,
    namespaceOptions: namespaceOptions(pod),
    runAsUser: csc.runAsUser ?? psc.runAsUser,
    runAsGroup: csc.runAsGroup ?? psc.runAsGroup,
    readonlyRootfs: csc.readOnlyRootFilesystem === true,
    supplementalGroups: groups,
    noNewPrivs: csc.allowPrivilegeEscalation === false,
    maskedPaths: privileged ? [] : DEFAULT_MASKED_PATHS,
    readonlyPaths: privileged ? [] : DEFAULT_READONLY_PATHS,
  };
}

/** Capability names as Kubernetes writes them (NET_ADMIN): the runtime adds the CAP_ prefix. */
function capName(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '');
}

export interface ContainerInputs {
  kind: 'init' | 'app';
  /** The image as pulled (its id), so the container runs exactly what was checked. */
  imageRef: string;
  env: { key: string; value: string }[];
  command: string[];
  args: string[];
  mounts: Mount[];
  restartCount: number;
}

export function containerConfig(
  pod: Pod,
  c: Container,
  layout: NodeLayout,
  inputs: ContainerInputs,
): ContainerConfig {
  return {
    metadata: { name: c.name, attempt: inputs.restartCount },
    image: inputs.imageRef,
    command: inputs.command,
    args: inputs.args,
    workingDir: c.workingDir ?? '',
    envs: inputs.env,
    mounts: inputs.mounts,
    labels: {
      [LABEL_POD_NAME]: pod.metadata.name,
      [LABEL_POD_NAMESPACE]: pod.metadata.namespace,
      [LABEL_POD_UID]: pod.metadata.uid,
      [LABEL_CONTAINER_NAME]: c.name,
      [LABEL_MANAGED]: MANAGED_BY,
    },
    annotations: {
      [ANNOTATION_CONTAINER_HASH]: containerHash(c),
      [ANNOTATION_RESTART_COUNT]: String(inputs.restartCount),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? '/dev/termination-log',
      [ANNOTATION_TERMINATION_GRACE]: String(gracePeriodSeconds(pod)),
      [ANNOTATION_CONTAINER_KIND]: inputs.kind,
    },
    logPath: `${c.name}/${inputs.restartCount}.log`,
    stdin: c.stdin === true,
    stdinOnce: c.stdinOnce === true,
    tty: c.tty === true,
    linux: {
      resources: linuxResources(pod, c, layout.memoryCapacityBytes),
      securityContext: securityContext(pod, c),
    },
  };
}

export { qosClass };
