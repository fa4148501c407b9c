// Small facts about a pod spec the rest of the kubelet asks for, with Kubernetes' defaults.
import { createHash } from 'node:crypto';
import type { Container, Pod } from './types';

export const DEFAULT_GRACE_SECONDS = 30;

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

export function restartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  return pod.spec.restartPolicy ?? 'Always';
}

/** The grace period of a deletion: the one the delete asked for, else the spec's. */
export function gracePeriodSeconds(pod: Pod): number {
  const fromDelete = pod.metadata.deletionGracePeriodSeconds;
  if (typeof fromDelete === 'number') return fromDelete;
  return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

export function isDeleting(pod: Pod): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

export function initContainers(pod: Pod): Container[] {
  return pod.spec.initContainers ?? [];
}

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * A digest of the container's spec, stored on the runtime container: a different digest means the
 * spec changed (a new image) and the container is replaced. Probes and resources are left out, as
 * Kubernetes leaves out the fields that change without a restart.
 */
export function containerHash(c: Container): string {
  const { livenessProbe: _l, readinessProbe: _r, startupProbe: _s, resources: _res, ...rest } = c;
  return createHash('sha256')
    .update(JSON.stringify(stable(rest)))
    .digest('hex')
    .slice(0, 16);
}

/** Whether a container that ended with exitCode is started again under the pod's policy. */
export function shouldRestart(pod: Pod, exitCode: number): boolean {
  const policy = restartPolicy(pod);
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** imagePullPolicy with Kubernetes' default: Always for :latest or no tag, else IfNotPresent. */
export function pullPolicy(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}
