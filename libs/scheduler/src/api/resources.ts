// Resource vectors (cpu in milli-cores, memory and ephemeral-storage in bytes, the pod count, and
// extended resources) and what a pod requests, computed as Kubernetes' PodRequests does: the sum
// of the containers, sidecars (init containers with restartPolicy Always) added to it and to every
// later init container, the largest of that and any init container, plus the pod's overhead.
import type { Node, Pod } from './types';
import { milliValue, unitValue } from './quantity';

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** What a container without a cpu or memory request counts as when spreading (scoring only). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  /** Extended and hugepages resources, by name. */
  scalar: Map<string, number> | undefined;

  static from(list: Record<string, unknown> | undefined): Resource {
    const r = new Resource();
    r.addList(list);
    return r;
  }

  clone(): Resource {
    const c = new Resource();
    c.milliCPU = this.milliCPU;
    c.memory = this.memory;
    c.ephemeralStorage = this.ephemeralStorage;
    c.allowedPodNumber = this.allowedPodNumber;
    if (this.scalar) c.scalar = new Map(this.scalar);
    return c;
  }

  get(name: string): number {
    switch (name) {
      case CPU:
        return this.milliCPU;
      case MEMORY:
        return this.memory;
      case EPHEMERAL_STORAGE:
        return this.ephemeralStorage;
      case PODS:
        return this.allowedPodNumber;
      default:
        return this.scalar?.get(name) ?? 0;
    }
  }

  set(name: string, value: number): void {
    switch (name) {
      case CPU:
        this.milliCPU = value;
        return;
      case MEMORY:
        this.memory = value;
        return;
      case EPHEMERAL_STORAGE:
        this.ephemeralStorage = value;
        return;
      case PODS:
        this.allowedPodNumber = value;
        return;
      default:
        (this.scalar ??= new Map()).set(name, value);
    }
  }

  addList(list: Record<string, unknown> | undefined): void {
    if (!list) return;
    for (const name in list) {
      const q = list[name];
      this.set(name, this.get(name) + (name === CPU ? milliValue(q) : unitValue(q)));
    }
  }

  add(o: Resource, sign = 1): void {
    this.milliCPU += sign * o.milliCPU;
    this.memory += sign * o.memory;
    this.ephemeralStorage += sign * o.ephemeralStorage;
    this.allowedPodNumber += sign * o.allowedPodNumber;
    if (o.scalar) for (const [k, v] of o.scalar) this.set(k, this.get(k) + sign * v);
  }

  /** Each dimension the larger of this and `o`. */
  setMax(o: Resource): void {
    this.milliCPU = Math.max(this.milliCPU, o.milliCPU);
    this.memory = Math.max(this.memory, o.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, o.ephemeralStorage);
    if (o.scalar) for (const [k, v] of o.scalar) this.set(k, Math.max(this.get(k), v));
  }

  isZero(): boolean {
    return (
      this.milliCPU === 0 &&
      this.memory === 0 &&
      this.ephemeralStorage === 0 &&
      (!this.scalar || [...this.scalar.values()].every((v) => v === 0))
    );
  }
}

interface ContainerLike {
  resources?: { requests?: Record<string, unknown> };
  restartPolicy?: string;
}

/**
 * A pod's requests. With `nonZero`, a container missing a cpu or memory request counts the
 * defaults above (the "non-zero" requests the spreading scores use).
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const spec = pod.spec;
  const reqs = new Resource();
  if (!spec) return reqs;
  const containerReqs = (c: ContainerLike): Resource => {
    const r = Resource.from(c.resources?.requests);
    if (nonZero) {
      const requests = c.resources?.requests;
      if (!requests || requests[CPU] === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
      if (!requests || requests[MEMORY] === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
    }
    return r;
  };
  for (const c of spec.containers ?? []) reqs.add(containerReqs(c));
  const sidecars = new Resource();
  const initMax = new Resource();
  for (const c of spec.initContainers ?? []) {
    const r = containerReqs(c);
    if (c.restartPolicy === 'Always') {
      // A sidecar runs next to the app containers and every init container after it.
      reqs.add(r);
      sidecars.add(r);
      initMax.setMax(sidecars);
    } else {
      r.add(sidecars);
      initMax.setMax(r);
    }
  }
  reqs.setMax(initMax);
  if (spec.overhead) reqs.addList(spec.overhead as Record<string, unknown>);
  return reqs;
}

/** The node's allocatable (capacity when allocatable is absent). */
export function nodeAllocatable(node: Node): Resource {
  const status = node.status;
  return Resource.from((status?.allocatable ?? status?.capacity ?? {}) as Record<string, unknown>);
}

/** Names Kubernetes treats as extended resources (domain-qualified, not kubernetes.io). */
export function isExtendedResourceName(name: string): boolean {
  if (name.startsWith('requests.')) return false;
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  const domain = name.slice(0, slash);
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}
