// meta/v1 definitions every kind refers to: ObjectMeta, OwnerReference, LabelSelector.
import type { Definition } from './kind-module';

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const CORE = 'io.k8s.api.core.v1.';
export const APPS = 'io.k8s.api.apps.v1.';

/** Conditions of a status block merge by type, as in Kubernetes. */
export const BY_TYPE = { mergeKey: 'type', strategy: 'merge' } as const;
export const BY_NAME = { mergeKey: 'name', strategy: 'merge' } as const;

/** The fields every top-level kind has. */
export function kindFields(extra: Record<string, string>): Record<string, string> {
  return { apiVersion: 'string', kind: 'string', metadata: `#${META}ObjectMeta`, ...extra };
}

export const META_DEFINITIONS: Record<string, Definition> = {
  [`${META}ObjectMeta`]: {
    description: 'Standard object metadata.',
    fields: {
      name: 'string',
      generateName: 'string',
      namespace: 'string',
      selfLink: 'string',
      uid: 'string',
      resourceVersion: 'string',
      generation: 'integer',
      creationTimestamp: 'time',
      deletionTimestamp: 'time',
      deletionGracePeriodSeconds: 'integer',
      labels: 'map:string',
      annotations: 'map:string',
      ownerReferences: `[]#${META}OwnerReference`,
      finalizers: '[]string',
      managedFields: '[]any',
    },
    lists: {
      finalizers: { strategy: 'merge' },
      ownerReferences: { mergeKey: 'uid', strategy: 'merge' },
    },
  },
  [`${META}OwnerReference`]: {
    description: 'Identifies an owning object.',
    fields: {
      apiVersion: 'string',
      kind: 'string',
      name: 'string',
      uid: 'string',
      controller: 'boolean',
      blockOwnerDeletion: 'boolean',
    },
    required: ['apiVersion', 'kind', 'name', 'uid'],
    atomic: true,
  },
  [`${META}LabelSelector`]: {
    description: 'A label query over a set of resources.',
    fields: { matchLabels: 'map:string', matchExpressions: `[]#${META}LabelSelectorRequirement` },
    atomic: true,
  },
  [`${META}LabelSelectorRequirement`]: {
    description: 'A selector requirement: a key, an operator and values.',
    fields: { key: 'string', operator: 'string', values: '[]string' },
    required: ['key', 'operator'],
  },
};
