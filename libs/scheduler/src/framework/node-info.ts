// One node as the scheduler sees it: the Node object, the pods on it (bound, and assumed: placed
// by this scheduler with their binding still under way), what they request, the host ports they
// hold, and the images the node reports. Plugins read it; only the cache changes it (preemption
// changes clones).
import { nodeAllocatable, Resource } from '../api/resources';
import type { Node, Taint } from '../api/types';
import type { HostPort, PodInfo } from './pod-info';

let generationCounter = 0;
const nextGeneration = () => ++generationCounter;

export class NodeInfo {
  node: Node | undefined;
  readonly pods: PodInfo[] = [];
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];
  requested = new Resource();
  nonZeroRequested = new Resource();
  allocatable = new Resource();
  /** Host ports in use, by IP, as "protocol/port" with a count of pods holding each. */
  usedPorts = new Map<string, Map<string, number>>();
  /** The node's images (normalized names) and their sizes. */
  images = new Map<string, number>();
  generation = nextGeneration();

  constructor(readonly name: string) {}

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    this.images = new Map();
    for (const image of node.status?.images ?? []) {
      for (const name of image.names ?? []) this.images.set(name, image.sizeBytes ?? 0);
    }
    this.generation = nextGeneration();
  }

  get labels(): Record<string, string> {
    return this.node?.metadata.labels ?? EMPTY_LABELS;
  }

  get taints(): readonly Taint[] {
    return this.node?.spec?.taints ?? NO_TAINTS;
  }

  addPod(p: PodInfo): void {
    this.pods.push(p);
    if (p.hasAffinity) this.podsWithAffinity.push(p);
    if (p.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.push(p);
    this.account(p, 1);
  }

  /** Removes the pod with this key; false if it was not here. */
  removePod(key: string): boolean {
    const i = this.pods.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const [p] = this.pods.splice(i, 1);
    removeKey(this.podsWithAffinity, key);
    removeKey(this.podsWithRequiredAntiAffinity, key);
    this.account(p, -1);
    return true;
  }

  /** Whether a pod could use these host ports here (Kubernetes' HostPortInfo.CheckConflict). */
  portsConflict(ports: readonly HostPort[]): boolean {
    if (this.usedPorts.size === 0) return false;
    for (const hp of ports) {
      const pp = `${hp.protocol}/${hp.port}`;
      if (hp.ip === '0.0.0.0') {
        for (const used of this.usedPorts.values()) if (used.has(pp)) return true;
      } else if (this.usedPorts.get('0.0.0.0')?.has(pp) || this.usedPorts.get(hp.ip)?.has(pp)) {
        return true;
      }
    }
    return false;
  }

  /** A copy to change freely (what-if evaluations during preemption). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.pods.push(...this.pods);
    c.podsWithAffinity.push(...this.podsWithAffinity);
    c.podsWithRequiredAntiAffinity.push(...this.podsWithRequiredAntiAffinity);
    c.requested = this.requested.clone();
    c.nonZeroRequested = this.nonZeroRequested.clone();
    c.allocatable = this.allocatable;
    for (const [ip, m] of this.usedPorts) c.usedPorts.set(ip, new Map(m));
    c.images = this.images;
    c.generation = this.generation;
    return c;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    this.requested.add(p.requests, sign);
    this.nonZeroRequested.add(p.nonZeroRequests, sign);
    for (const hp of p.hostPorts) {
      let m = this.usedPorts.get(hp.ip);
      const pp = `${hp.protocol}/${hp.port}`;
      if (sign > 0) {
        if (!m) this.usedPorts.set(hp.ip, (m = new Map()));
        m.set(pp, (m.get(pp) ?? 0) + 1);
      } else if (m) {
        const n = (m.get(pp) ?? 0) - 1;
        if (n > 0) m.set(pp, n);
        else m.delete(pp);
        if (m.size === 0) this.usedPorts.delete(hp.ip);
      }
    }
    this.generation = nextGeneration();
  }
}

const EMPTY_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_TAINTS: readonly Taint[] = Object.freeze([]);

function removeKey(list: PodInfo[], key: string): void {
  const i = list.findIndex((p) => p.key === key);
  if (i >= 0) list.splice(i, 1);
}
