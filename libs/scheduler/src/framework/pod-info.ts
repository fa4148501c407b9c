// A pod with what the scheduler computes from it once: its requests (actual and non-zero), its
// host ports, its compiled inter-pod affinity terms, its priority. A pod whose terms or requests
// cannot be parsed keeps the problem in parseError (plugins turn the pod down with it).
import {
  AffinityTerm,
  compileAffinityTerm,
  compileWeightedTerms,
  type WeightedAffinityTerm,
} from '../api/affinity-terms';
import { podRequests, Resource } from '../api/resources';
import type { Pod } from '../api/types';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

const NO_TERMS: readonly AffinityTerm[] = Object.freeze([]);
const NO_WEIGHTED: readonly WeightedAffinityTerm[] = Object.freeze([]);
const NO_PORTS: readonly HostPort[] = Object.freeze([]);

export class PodInfo {
  readonly key: string;
  readonly priority: number;
  readonly requests: Resource;
  /** Requests with Kubernetes' defaults for containers that ask for no cpu or memory. */
  readonly nonZeroRequests: Resource;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[] = NO_TERMS;
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[] = NO_TERMS;
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[] = NO_WEIGHTED;
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[] = NO_WEIGHTED;
  readonly parseError: string | undefined;
  private readonly hasPodAffinity: boolean;

  constructor(readonly pod: Pod) {
    this.key = podKey(pod);
    this.priority = podPriority(pod);
    let requests = new Resource();
    let nonZero = new Resource();
    let parseError: string | undefined;
    try {
      requests = podRequests(pod);
      nonZero = podRequests(pod, true);
    } catch (err) {
      parseError = `resource requests: ${(err as Error).message}`;
    }
    this.requests = requests;
    this.nonZeroRequests = nonZero;
    this.hostPorts = hostPortsOf(pod);
    const affinity = pod.spec?.affinity;
    this.hasPodAffinity = !!(affinity?.podAffinity || affinity?.podAntiAffinity);
    if (affinity && this.hasPodAffinity) {
      try {
        const a = affinity.podAffinity;
        const anti = affinity.podAntiAffinity;
        this.requiredAffinityTerms = (a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map(
          (t) => compileAffinityTerm(pod, t),
        );
        this.requiredAntiAffinityTerms = (
          anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []
        ).map((t) => compileAffinityTerm(pod, t));
        this.preferredAffinityTerms = compileWeightedTerms(
          pod,
          a?.preferredDuringSchedulingIgnoredDuringExecution,
        );
        this.preferredAntiAffinityTerms = compileWeightedTerms(
          pod,
          anti?.preferredDuringSchedulingIgnoredDuringExecution,
        );
      } catch (err) {
        parseError ??= `inter-pod affinity: ${(err as Error).message}`;
        this.requiredAffinityTerms = NO_TERMS;
        this.requiredAntiAffinityTerms = NO_TERMS;
        this.preferredAffinityTerms = NO_WEIGHTED;
        this.preferredAntiAffinityTerms = NO_WEIGHTED;
      }
    }
    this.parseError = parseError;
  }

  /** The same computed facts over another version of the pod (e.g. assumed on a node). */
  withPod(pod: Pod): PodInfo {
    const copy = Object.create(PodInfo.prototype) as PodInfo;
    Object.assign(copy, this, { pod });
    return copy;
  }

  get name(): string {
    return this.pod.metadata.name ?? '';
  }

  get namespace(): string {
    return this.pod.metadata.namespace ?? '';
  }

  /** Whether the pod has pod affinity or anti-affinity (read for every pod on every node: kept). */
  get hasAffinity(): boolean {
    return this.hasPodAffinity;
  }

  get hasRequiredAntiAffinity(): boolean {
    return this.requiredAntiAffinityTerms.length > 0;
  }
}

/** The cache's key for a pod: its uid (its namespace/name when it has none, in tests). */
export function podKey(pod: Pod): string {
  return pod.metadata.uid || `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

export function podPriority(pod: Pod): number {
  const p = pod.spec?.priority;
  return typeof p === 'number' ? p : 0;
}

/** "namespace/name", for messages and events. */
export function podRef(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

function hostPortsOf(pod: Pod): readonly HostPort[] {
  let out: HostPort[] | undefined;
  for (const list of [pod.spec?.initContainers, pod.spec?.containers]) {
    for (const c of list ?? []) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort || p.hostPort <= 0) continue;
        (out ??= []).push({
          ip: p.hostIP || '0.0.0.0',
          protocol: p.protocol || 'TCP',
          port: p.hostPort,
        });
      }
    }
  }
  return out ?? NO_PORTS;
}
