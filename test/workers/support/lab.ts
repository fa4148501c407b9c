// The worker lab of a test file: unique names per run, the node agent from the sources.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerLab } from '../../../libs/kubelet/src/host/lab';
import type { Pod } from '../../../libs/kubelet/src/pod/types';
import type { MasterCluster } from '../../integration/support/master-cluster';

export const REPO_ROOT = join(__dirname, '../../..');

export async function createLab(workers: number): Promise<WorkerLab> {
  // Unique per run: a short id from the pid, and a fabric /24 from it.
  const n = process.pid % 9000;
  const dir = await fs.mkdtemp(join(tmpdir(), `flk${n}-`));
  return WorkerLab.create({
    id: `flk${n}`,
    fabricOctet3: 1 + (process.pid % 250),
    workers,
    dir,
    imageCacheDir: join(tmpdir(), 'flotilla-image-cache'),
    agentCommand: [
      process.execPath,
      '--import',
      'tsx',
      join(REPO_ROOT, 'apps/node-agent/src/main.ts'),
    ],
    agentCwd: REPO_ROOT,
  });
}

/** Polls fn until it returns a value; bounded in time and tries. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < Math.ceil(timeoutMs / intervalMs) + 1 && Date.now() <= deadline; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export function containerStatus(pod: Pod, name: string) {
  return [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ].find((c) => c.name === name);
}

export function condition(pod: Pod, type: string): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)?.status;
}

interface NodeNetworkView {
  metadata: { name: string };
  spec?: { podCIDR?: string; taints?: { key: string }[] };
  status?: {
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
  };
}

/**
 * Waits until every Node has its podCIDR from node IPAM and reports its pod network ready
 * (NetworkUnavailable=False, the network-unavailable taint gone), then routes the lab's client
 * namespace to those ranges. Returns node name → podCIDR.
 */
export async function routeClientToNodes(
  lab: WorkerLab,
  masters: MasterCluster,
  timeoutMs = 90_000,
): Promise<Record<string, string>> {
  const names = lab.hosts.map((h) => h.spec.name);
  const nodes = await eventually(
    'every Node with a podCIDR and its pod network ready',
    async () => {
      const r = await masters.kubectl(['get', 'nodes', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const items = (JSON.parse(r.stdout) as { items: NodeNetworkView[] }).items;
      const ready = items.filter(
        (n) =>
          names.includes(n.metadata.name) &&
          n.spec?.podCIDR &&
          n.status?.conditions?.some(
            (c) => c.type === 'NetworkUnavailable' && c.status === 'False',
          ) &&
          !n.spec.taints?.some((t) => t.key === 'node.kubernetes.io/network-unavailable'),
      );
      return ready.length === names.length ? ready : undefined;
    },
    timeoutMs,
  );
  await lab.routeClientTo(
    nodes.map((n) => ({ podCidr: n.spec!.podCIDR!, via: lab.host(n.metadata.name).address })),
  );
  return Object.fromEntries(nodes.map((n) => [n.metadata.name, n.spec!.podCIDR!]));
}

/** Whether an IPv4 address lies in a CIDR. */
export function inCidr(ip: string, cidr: string): boolean {
  const toNumber = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = toNumber(base);
  return toNumber(ip) >= start && toNumber(ip) < start + size;
}
