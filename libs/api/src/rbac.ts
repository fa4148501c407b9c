// rbac.authorization.k8s.io/v1 (Role, ClusterRole, RoleBinding, ClusterRoleBinding) and the
// review kinds of authorization.k8s.io/v1 and authentication.k8s.io/v1: what the server knows of
// them in one place (schemas, validation, update rules).
import { fieldErrors } from './field-errors';
import type { JsonObject, KubeObject } from './object';
import { isPlainObject, jsonEqual } from './object';
import type { StatusCause } from './status';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC = 'io.k8s.api.rbac.v1.';
const AUTHZ = 'io.k8s.api.authorization.v1.';
const AUTHN = 'io.k8s.api.authentication.v1.';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: 'Role' | 'ClusterRole';
  name: string;
}

const kindFields = (extra: Record<string, string>) => ({
  apiVersion: 'string',
  kind: 'string',
  metadata: `#${META}ObjectMeta`,
  ...extra,
});

export const RBAC_SCHEMAS = {
  [`${RBAC}PolicyRule`]: {
    description: 'What a role allows: verbs on resources (of API groups, by name) or on URLs.',
    fields: {
      verbs: '[]string',
      apiGroups: '[]string',
      resources: '[]string',
      resourceNames: '[]string',
      nonResourceURLs: '[]string',
    },
    required: ['verbs'],
  },
  [`${RBAC}AggregationRule`]: {
    description: 'ClusterRoles whose rules are gathered into this one, by label selector.',
    fields: { clusterRoleSelectors: `[]#${META}LabelSelector` },
  },
  [`${RBAC}Subject`]: {
    description: 'A user, group or service account a binding grants a role to.',
    fields: { kind: 'string', apiGroup: 'string', name: 'string', namespace: 'string' },
    required: ['kind', 'name'],
  },
  [`${RBAC}RoleRef`]: {
    description: 'The role a binding grants.',
    fields: { apiGroup: 'string', kind: 'string', name: 'string' },
    required: ['apiGroup', 'kind', 'name'],
  },
  [`${RBAC}Role`]: {
    description: 'Rules within one namespace.',
    fields: kindFields({ rules: `[]#${RBAC}PolicyRule` }),
    gvk: { group: RBAC_GROUP, version: 'v1', kind: 'Role' },
  },
  [`${RBAC}ClusterRole`]: {
    description: 'Rules across the cluster, or gathered from other ClusterRoles.',
    fields: kindFields({
      rules: `[]#${RBAC}PolicyRule`,
      aggregationRule: `#${RBAC}AggregationRule`,
    }),
    gvk: { group: RBAC_GROUP, version: 'v1', kind: 'ClusterRole' },
  },
  [`${RBAC}RoleBinding`]: {
    description: 'Grants a Role or ClusterRole within one namespace.',
    fields: kindFields({ subjects: `[]#${RBAC}Subject`, roleRef: `#${RBAC}RoleRef` }),
    required: ['roleRef'],
    gvk: { group: RBAC_GROUP, version: 'v1', kind: 'RoleBinding' },
  },
  [`${RBAC}ClusterRoleBinding`]: {
    description: 'Grants a ClusterRole across the cluster.',
    fields: kindFields({ subjects: `[]#${RBAC}Subject`, roleRef: `#${RBAC}RoleRef` }),
    required: ['roleRef'],
    gvk: { group: RBAC_GROUP, version: 'v1', kind: 'ClusterRoleBinding' },
  },
  [`${AUTHZ}SelfSubjectAccessReview`]: {
    description: 'May I do this? Answered from the requester, not stored.',
    fields: kindFields({ spec: 'any', status: 'any' }),
    gvk: { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview' },
  },
  [`${AUTHZ}SubjectAccessReview`]: {
    description: 'May this user do this? Answered, not stored.',
    fields: kindFields({ spec: 'any', status: 'any' }),
    gvk: { group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview' },
  },
  [`${AUTHZ}LocalSubjectAccessReview`]: {
    description: 'May this user do this in this namespace? Answered, not stored.',
    fields: kindFields({ spec: 'any', status: 'any' }),
    gvk: { group: 'authorization.k8s.io', version: 'v1', kind: 'LocalSubjectAccessReview' },
  },
  [`${AUTHN}SelfSubjectReview`]: {
    description: 'Who am I? Answered from the requester, not stored.',
    fields: kindFields({ status: 'any' }),
    gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview' },
  },
  [`${AUTHN}TokenReview`]: {
    description: 'Whose is this token? Answered, not stored.',
    fields: kindFields({ spec: 'any', status: 'any' }),
    gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview' },
  },
};

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

/** The rules of a role as stored (malformed entries dropped: they grant nothing). */
export function policyRulesOf(o: object): PolicyRule[] {
  const rules = (o as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return [];
  const out: PolicyRule[] = [];
  for (const r of rules) {
    if (!isPlainObject(r)) continue;
    const verbs = strings(r.verbs);
    if (!verbs) continue;
    out.push({
      verbs,
      apiGroups: strings(r.apiGroups),
      resources: strings(r.resources),
      resourceNames: strings(r.resourceNames),
      nonResourceURLs: strings(r.nonResourceURLs),
    });
  }
  return out;
}

export function subjectsOf(o: KubeObject): RbacSubject[] {
  if (!Array.isArray(o.subjects)) return [];
  return (o.subjects as unknown[]).filter(isPlainObject).map((s) => ({
    kind: str(s.kind) as RbacSubject['kind'],
    name: str(s.name),
    namespace: str(s.namespace) || undefined,
    apiGroup: str(s.apiGroup) || undefined,
  }));
}

export function roleRefOf(o: KubeObject): RoleRef | undefined {
  const ref = o.roleRef;
  if (!isPlainObject(ref)) return undefined;
  return {
    apiGroup: str(ref.apiGroup),
    kind: str(ref.kind) as RoleRef['kind'],
    name: str(ref.name),
  };
}

function validateRules(o: KubeObject, clusterScoped: boolean): StatusCause[] {
  const rules = Array.isArray(o.rules) ? o.rules : [];
  const causes: StatusCause[] = [];
  rules.forEach((r: unknown, i) => {
    const path = `rules[${i}]`;
    if (!isPlainObject(r)) return;
    if (!strings(r.verbs)?.length) {
      causes.push(fieldErrors.required(`${path}.verbs`, 'verbs must contain at least one value'));
    }
    const urls = strings(r.nonResourceURLs) ?? [];
    if (urls.length > 0) {
      if (!clusterScoped) {
        causes.push(
          fieldErrors.invalid(
            `${path}.nonResourceURLs`,
            urls,
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      }
      if ((strings(r.resources) ?? []).length > 0 || (strings(r.apiGroups) ?? []).length > 0) {
        causes.push(
          fieldErrors.invalid(
            `${path}.nonResourceURLs`,
            urls,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      }
      return;
    }
    if (!strings(r.apiGroups)?.length) {
      causes.push(
        fieldErrors.required(
          `${path}.apiGroups`,
          'resource rules must supply at least one api group',
        ),
      );
    }
    if (!strings(r.resources)?.length) {
      causes.push(
        fieldErrors.required(
          `${path}.resources`,
          'resource rules must supply at least one resource',
        ),
      );
    }
  });
  return causes;
}

function validateBinding(o: KubeObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = roleRefOf(o);
  if (!ref) return [fieldErrors.required('roleRef')];
  if (ref.apiGroup !== RBAC_GROUP) {
    causes.push(fieldErrors.notSupported('roleRef.apiGroup', ref.apiGroup, [RBAC_GROUP]));
  }
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind))
    causes.push(fieldErrors.notSupported('roleRef.kind', ref.kind, kinds));
  if (ref.name === '') causes.push(fieldErrors.required('roleRef.name'));
  subjectsOf(o).forEach((s, i) => {
    const path = `subjects[${i}]`;
    if (!['User', 'Group', 'ServiceAccount'].includes(s.kind)) {
      causes.push(
        fieldErrors.notSupported(`${path}.kind`, s.kind, ['ServiceAccount', 'User', 'Group']),
      );
    }
    if (s.name === '') causes.push(fieldErrors.required(`${path}.name`));
    if (s.kind === 'ServiceAccount' && !namespaced && !s.namespace) {
      causes.push(fieldErrors.required(`${path}.namespace`));
    }
  });
  return causes;
}

export function validateRbacKind(kind: string, o: KubeObject): StatusCause[] {
  switch (kind) {
    case 'Role':
      return validateRules(o, false);
    case 'ClusterRole':
      return validateRules(o, true);
    case 'RoleBinding':
      return validateBinding(o, true);
    case 'ClusterRoleBinding':
      return validateBinding(o, false);
    default:
      return [];
  }
}

/** A binding's roleRef cannot change: delete and create it again. */
export function validateBindingUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  if (jsonEqual(next.roleRef as JsonObject, prev.roleRef as JsonObject)) return [];
  return [fieldErrors.invalid('roleRef', next.roleRef, 'cannot change roleRef')];
}
