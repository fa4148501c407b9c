// What the node offers and is, read from the host: capacity (cpu, memory, ephemeral storage,
// pods), allocatable, nodeInfo (kernel, OS image, architecture, machine and boot id, the runtime's
// version from CRI) and its addresses. The API side turns this into the Node object.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import type { NodeAllocatable } from '../pod/downward-api';
import type { RuntimeVersion } from '../runtime/runtime';

export const MAX_PODS = 110;

export interface NodeFacts {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  nodeInfo: {
    machineID: string;
    systemUUID: string;
    bootID: string;
    kernelVersion: string;
    osImage: string;
    containerRuntimeVersion: string;
    kubeletVersion: string;
    kubeProxyVersion: string;
    operatingSystem: string;
    architecture: string;
  };
  addresses: { type: 'InternalIP' | 'Hostname'; address: string }[];
  /** The port of the kubelet server (status.daemonEndpoints); 10250 when unset. */
  kubeletPort?: number;
  /** Numbers for the kubelet itself (downward API defaults, OOM scores). */
  allocatableNumbers: NodeAllocatable;
}

export interface HostReaders {
  cpus(): number;
  memoryBytes(): number;
  /** Total bytes of the filesystem holding dir. */
  diskBytes(dir: string): Promise<number>;
  readText(path: string): Promise<string>;
  kernel(): string;
  arch(): string;
}

export const hostReaders: HostReaders = {
  cpus: () => os.cpus().length,
  memoryBytes: () => os.totalmem(),
  diskBytes: async (dir) => {
    const s = await fs.statfs(dir);
    return s.blocks * s.bsize;
  },
  readText: (path) => fs.readFile(path, 'utf8'),
  kernel: () => os.release(),
  arch: () => os.arch(),
};

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

/** PRETTY_NAME of /etc/os-release, as the kubelet shows it in osImage. */
export function osImageFrom(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  return m ? m[1].replace(/^"(.*)"$/, '$1') : 'Linux';
}

/** The first IPv4 address that is not loopback nor a pod bridge: the node's InternalIP by default. */
export function defaultNodeIP(): string | undefined {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (name === 'cni0' || name.startsWith('veth')) continue;
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return undefined;
}

export async function readNodeFacts(input: {
  nodeName: string;
  nodeIPs: string[];
  rootDir: string;
  runtime: RuntimeVersion;
  kubeletVersion: string;
  maxPods?: number;
  readers?: HostReaders;
}): Promise<NodeFacts> {
  const r = input.readers ?? hostReaders;
  const cpus = r.cpus();
  const memory = r.memoryBytes();
  const disk = await r.diskBytes(input.rootDir).catch(() => 0);
  const text = (p: string) =>
    r.readText(p).then(
      (t) => t.trim(),
      () => '',
    );
  const pods = String(input.maxPods ?? MAX_PODS);
  const capacity = {
    cpu: String(cpus),
    memory: `${Math.floor(memory / 1024)}Ki`,
    'ephemeral-storage': `${Math.floor(disk / 1024)}Ki`,
    pods,
  };
  // Nothing reserved for the system yet: allocatable is capacity, as a kubelet without
  // --kube-reserved/--system-reserved reports it (minus the 100Mi eviction threshold).
  const evictionBytes = 100 * 1024 * 1024;
  const allocMemory = Math.max(0, memory - evictionBytes);
  const allocatable = {
    ...capacity,
    memory: `${Math.floor(allocMemory / 1024)}Ki`,
  };
  const machineID = (await text('/etc/machine-id')) || (await text('/var/lib/dbus/machine-id'));
  return {
    capacity,
    allocatable,
    nodeInfo: {
      machineID,
      systemUUID: (await text('/sys/class/dmi/id/product_uuid')) || machineID,
      bootID: await text('/proc/sys/kernel/random/boot_id'),
      kernelVersion: r.kernel(),
      osImage: osImageFrom(await text('/etc/os-release')),
      containerRuntimeVersion: `${input.runtime.runtimeName}://${input.runtime.runtimeVersion}`,
      kubeletVersion: input.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: GO_ARCH[r.arch()] ?? r.arch(),
    },
    addresses: [
      ...input.nodeIPs.map((address) => ({ type: 'InternalIP' as const, address })),
      { type: 'Hostname', address: input.nodeName },
    ],
    allocatableNumbers: {
      cpuMilli: cpus * 1000,
      memoryBytes: allocMemory,
      ephemeralStorageBytes: disk,
    },
  };
}
