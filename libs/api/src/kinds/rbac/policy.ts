// What the RBAC kinds hold, read leniently for the authorizer (malformed entries grant nothing),
// and the validation the four kinds share.
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { isPlainObject } from '../../object';
import type { StatusCause } from '../../status';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const RBAC = 'io.k8s.api.rbac.v1.';
export const RBAC_PACKAGE = 'k8s.io.api.rbac.v1';

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

/** Messages Role declares and the other RBAC kinds refer to. */
export const RBAC_REFS = {
  PolicyRule: `${RBAC}PolicyRule`,
  Subject: `${RBAC}Subject`,
  RoleRef: `${RBAC}RoleRef`,
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

export function validateRules(o: KubeObject, clusterScoped: boolean): StatusCause[] {
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

export function validateBinding(o: KubeObject, namespaced: boolean): StatusCause[] {
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

/** A binding's roleRef cannot change: delete and create it again. */
export function validateBindingUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const before = roleRefOf(prev);
  const after = roleRefOf(next);
  if (
    before?.apiGroup === after?.apiGroup &&
    before?.kind === after?.kind &&
    before?.name === after?.name
  )
    return [];
  return [fieldErrors.invalid('roleRef', next.roleRef ?? null, 'cannot change roleRef')];
}
