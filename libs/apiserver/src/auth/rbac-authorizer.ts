// RBAC: the rules of the roles bound to the user, any of its groups, or its service account,
// cluster-wide (ClusterRoleBindings) or in the request's namespace (RoleBindings). Read from
// this master's watch caches of the four kinds and indexed by subject, rebuilt when they change,
// so a decision is a few map lookups and rule matches.
import {
  KubeObject,
  labelSelectorFromObject,
  matchesLabels,
  PolicyRule,
  policyRulesOf,
  RBAC_GROUP,
  roleRefOf,
  subjectsOf,
} from '@flotilla/api';
import type { WatchCache } from '../watch/watch-cache';
import type { WatchCaches } from '../watch/watch-caches';
import { Attributes, Authorizer, Decision, NO_OPINION } from './authorizer';
import { ruleAllows } from './rbac-rules';
import { SERVICE_ACCOUNT_PREFIX, UserInfo } from './user-info';

/** What the index is built from: every object of the four kinds. */
export interface RbacObjects {
  clusterRoles: KubeObject[];
  clusterRoleBindings: KubeObject[];
  roles: KubeObject[];
  roleBindings: KubeObject[];
}

/** Rules per subject key, cluster-wide and per namespace. */
export class RbacIndex {
  readonly cluster = new Map<string, PolicyRule[]>();
  readonly namespaced = new Map<string, Map<string, PolicyRule[]>>();

  constructor(o: RbacObjects) {
    const clusterRoleRules = aggregatedRules(o.clusterRoles);
    const roleRules = new Map<string, PolicyRule[]>();
    for (const r of o.roles) {
      roleRules.set(`${r.metadata.namespace}/${r.metadata.name}`, policyRulesOf(r));
    }
    for (const b of o.clusterRoleBindings) {
      const ref = roleRefOf(b);
      if (!ref || ref.kind !== 'ClusterRole' || ref.apiGroup !== RBAC_GROUP) continue;
      const rules = clusterRoleRules.get(ref.name);
      if (!rules) continue;
      for (const key of subjectKeys(b, '')) append(this.cluster, key, rules);
    }
    for (const b of o.roleBindings) {
      const ns = b.metadata.namespace ?? '';
      const ref = roleRefOf(b);
      if (!ref || ref.apiGroup !== RBAC_GROUP) continue;
      const rules =
        ref.kind === 'ClusterRole'
          ? clusterRoleRules.get(ref.name)
          : ref.kind === 'Role'
            ? roleRules.get(`${ns}/${ref.name}`)
            : undefined;
      if (!rules) continue;
      let perNs = this.namespaced.get(ns);
      if (!perNs) this.namespaced.set(ns, (perNs = new Map()));
      for (const key of subjectKeys(b, ns)) append(perNs, key, rules);
    }
  }

  /** The first rule that allows the request, if any. */
  allows(a: Attributes): boolean {
    const keys = userKeys(a.user);
    const check = (m: Map<string, PolicyRule[]> | undefined) =>
      m !== undefined && keys.some((k) => (m.get(k) ?? []).some((rule) => ruleAllows(rule, a)));
    if (check(this.cluster)) return true;
    return a.kind === 'resource' && a.namespace !== ''
      ? check(this.namespaced.get(a.namespace))
      : false;
  }
}

/** Over the watch caches of one API server. */
export class RbacAuthorizer implements Authorizer {
  private index: RbacIndex | undefined;
  private seen = '';
  private readonly caches: WatchCache[];
  private started: Promise<void> | undefined;

  constructor(caches: WatchCaches) {
    this.caches = [
      caches.for({ group: RBAC_GROUP, plural: 'clusterroles' }),
      caches.for({ group: RBAC_GROUP, plural: 'clusterrolebindings' }),
      caches.for({ group: RBAC_GROUP, plural: 'roles' }),
      caches.for({ group: RBAC_GROUP, plural: 'rolebindings' }),
    ];
  }

  /** Resolves once the four caches are loaded (the first request waits for it). */
  ready(): Promise<void> {
    this.started ??= Promise.all(this.caches.map((c) => c.start())).then(() => undefined);
    return this.started;
  }

  authorize(a: Attributes): Decision {
    return this.current().allows(a) ? { decision: 'allow', reason: '' } : NO_OPINION;
  }

  private current(): RbacIndex {
    const stamp = this.caches.map((c) => c.changeCount).join(',');
    if (this.index && stamp === this.seen) return this.index;
    const all = (c: WatchCache) => c.snapshot('', () => true).items;
    this.index = new RbacIndex({
      clusterRoles: all(this.caches[0]),
      clusterRoleBindings: all(this.caches[1]),
      roles: all(this.caches[2]),
      roleBindings: all(this.caches[3]),
    });
    this.seen = stamp;
    return this.index;
  }
}

function append(m: Map<string, PolicyRule[]>, key: string, rules: PolicyRule[]): void {
  const have = m.get(key);
  if (have) have.push(...rules);
  else m.set(key, [...rules]);
}

/** A service account is the user system:serviceaccount:<ns>:<name>. */
function subjectKeys(binding: KubeObject, bindingNamespace: string): string[] {
  return subjectsOf(binding).flatMap((s) => {
    switch (s.kind) {
      case 'User':
        return [`u:${s.name}`];
      case 'Group':
        return [`g:${s.name}`];
      case 'ServiceAccount': {
        const ns = s.namespace ?? bindingNamespace;
        return ns ? [`u:${SERVICE_ACCOUNT_PREFIX}${ns}:${s.name}`] : [];
      }
      default:
        return [];
    }
  });
}

function userKeys(user: UserInfo): string[] {
  return [`u:${user.name}`, ...user.groups.map((g) => `g:${g}`)];
}

/**
 * Each ClusterRole's rules; a role with an aggregationRule also gets the rules of every
 * ClusterRole its selectors match, aggregated ones included (Kubernetes' aggregation controller
 * writes them into the role; here they are gathered when the index is built).
 */
function aggregatedRules(roles: KubeObject[]): Map<string, PolicyRule[]> {
  const byName = new Map(roles.map((r) => [r.metadata.name ?? '', r]));
  const out = new Map<string, PolicyRule[]>();
  const resolve = (name: string, visiting: Set<string>): PolicyRule[] => {
    const done = out.get(name);
    if (done) return done;
    const role = byName.get(name);
    if (!role) return [];
    const rules = policyRulesOf(role);
    const aggregation = role.aggregationRule as { clusterRoleSelectors?: unknown } | undefined;
    const selectors = Array.isArray(aggregation?.clusterRoleSelectors)
      ? aggregation.clusterRoleSelectors
      : [];
    if (selectors.length > 0 && !visiting.has(name)) {
      visiting.add(name);
      for (const sel of selectors) {
        const selector = labelSelectorFromObject(
          sel as Parameters<typeof labelSelectorFromObject>[0],
        );
        for (const other of roles) {
          const otherName = other.metadata.name ?? '';
          if (otherName === name || !matchesLabels(selector, other.metadata.labels)) continue;
          rules.push(...resolve(otherName, visiting));
        }
      }
      visiting.delete(name);
    }
    out.set(name, rules);
    return rules;
  };
  for (const name of byName.keys()) resolve(name, new Set());
  return out;
}
