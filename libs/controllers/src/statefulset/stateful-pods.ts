// Pure parts of the StatefulSet controller: ordinals and names, the pod and claims of an
// ordinal, and which revision a pod is at.
import { cloneJson, type KubeObject } from '@flotilla/api';
import type { Pod } from '@flotilla/client';
import { createHash } from 'node:crypto';
import { ownerRefTo } from '../common/controller-ref';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';

export type PodTemplate = { metadata?: KubeObject['metadata']; spec?: Record<string, unknown> };
export type ClaimTemplate = { metadata?: KubeObject['metadata']; spec?: Record<string, unknown> };

export type StatefulSetObject = KubeObject & {
  spec?: {
    replicas?: number;
    selector?: unknown;
    serviceName?: string;
    template?: PodTemplate;
    volumeClaimTemplates?: ClaimTemplate[];
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
    revisionHistoryLimit?: number;
    minReadySeconds?: number;
    persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
    ordinals?: { start?: number };
  };
  status?: Record<string, unknown>;
};

export function revisionName(sts: StatefulSetObject, template: PodTemplate): string {
  const hash = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
  return `${sts.metadata.name}-${hash}`;
}

/** The ordinal of a pod named <set>-<n>, or undefined for any other name. */
export function ordinalOf(sts: StatefulSetObject, pod: Pod): number | undefined {
  const prefix = `${sts.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function claimName(claim: ClaimTemplate, sts: StatefulSetObject, ordinal: number): string {
  return `${claim.metadata?.name}-${sts.metadata.name}-${ordinal}`;
}

/** The pod of an ordinal at a revision: stable name, hostname, subdomain, its claims mounted. */
export function podForOrdinal(
  sts: StatefulSetObject,
  ordinal: number,
  template: PodTemplate,
  revision: string,
): Pod {
  const name = `${sts.metadata.name}-${ordinal}`;
  const spec = cloneJson(template.spec ?? {}) as unknown as NonNullable<Pod['spec']>;
  spec.hostname = name;
  if (sts.spec?.serviceName) spec.subdomain = sts.spec.serviceName;
  const volumes = (spec.volumes ?? []).filter(
    (v) => !(sts.spec?.volumeClaimTemplates ?? []).some((c) => c.metadata?.name === v.name),
  );
  for (const claim of sts.spec?.volumeClaimTemplates ?? []) {
    volumes.push({
      name: claim.metadata!.name!,
      persistentVolumeClaim: { claimName: claimName(claim, sts, ordinal) },
    });
  }
  if (volumes.length) spec.volumes = volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: sts.metadata.namespace,
      labels: {
        ...(template.metadata?.labels ?? {}),
        [POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ordinal),
        [REVISION_LABEL]: revision,
      },
      annotations: { ...(template.metadata?.annotations ?? {}) },
      ownerReferences: [ownerRefTo(sts, 'apps/v1', 'StatefulSet')],
    },
    spec,
  };
}

/** The claim of a template for an ordinal (owned by the set when whenDeleted is Delete). */
export function claimForOrdinal(
  sts: StatefulSetObject,
  claim: ClaimTemplate,
  ordinal: number,
): KubeObject {
  const deleteWithSet = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(claim, sts, ordinal),
      namespace: sts.metadata.namespace,
      labels: {
        ...(sts.spec?.template?.metadata?.labels ?? {}),
        ...(claim.metadata?.labels ?? {}),
      },
      ...(deleteWithSet
        ? { ownerReferences: [{ ...ownerRefTo(sts, 'apps/v1', 'StatefulSet'), controller: true }] }
        : {}),
    },
    spec: cloneJson(claim.spec ?? {}),
  };
}
