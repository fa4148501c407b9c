// kube-apiserver's --audit-policy-file: an audit.k8s.io/v1 Policy. The first rule that matches
// a request sets its level (None, Metadata, Request, RequestResponse); no match is None. Rules
// match on users, groups, verbs, namespaces, resources (group, resources with "pods/*" and
// "*/status" forms, names) or non-resource URLs ("/healthz*"). Checked in full at start.
import { isPlainObject } from '@flotilla/api';
import { parse as parseYaml } from 'yaml';
import type { Attributes } from '../auth/authorizer';

export const AUDIT_API_VERSION = 'audit.k8s.io/v1';
export const AUDIT_LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];
export const AUDIT_STAGES = [
  'RequestReceived',
  'ResponseStarted',
  'ResponseComplete',
  'Panic',
] as const;
export type AuditStage = (typeof AUDIT_STAGES)[number];

interface GroupResources {
  group: string;
  resources: string[];
  resourceNames: string[];
}

export interface AuditRule {
  level: AuditLevel;
  users: string[];
  userGroups: string[];
  verbs: string[];
  namespaces: string[];
  resources: GroupResources[];
  nonResourceURLs: string[];
  omitStages: AuditStage[];
}

export interface AuditPolicy {
  rules: AuditRule[];
  omitStages: AuditStage[];
}

export class AuditPolicyError extends Error {}

/** Metadata for every request: what `--audit-log-path` alone logs. */
export const METADATA_POLICY: AuditPolicy = {
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'Metadata',
      users: [],
      userGroups: [],
      verbs: [],
      namespaces: [],
      resources: [],
      nonResourceURLs: [],
      omitStages: [],
    },
  ],
};

export function parseAuditPolicy(text: string): AuditPolicy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AuditPolicyError(`not YAML: ${(err as Error).message}`);
  }
  const fail = (field: string, message: string): never => {
    throw new AuditPolicyError(`${field}: ${message}`);
  };
  if (!isPlainObject(doc)) return fail('(root)', 'must be an audit Policy object');
  if (doc.kind !== 'Policy') fail('kind', `must be Policy, not ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== AUDIT_API_VERSION)
    fail('apiVersion', `must be ${AUDIT_API_VERSION}, not ${JSON.stringify(doc.apiVersion)}`);
  if (!Array.isArray(doc.rules) || doc.rules.length === 0)
    fail('rules', 'must list at least one rule');
  const strings = (v: unknown, field: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      return fail(field, 'must be a list of strings');
    return v as string[];
  };
  const stages = (v: unknown, field: string): AuditStage[] => {
    const list = strings(v, field);
    const bad = list.find((s) => !(AUDIT_STAGES as readonly string[]).includes(s));
    if (bad) fail(field, `unknown stage ${JSON.stringify(bad)} (${AUDIT_STAGES.join(', ')})`);
    return list as AuditStage[];
  };
  const rules = (doc.rules as unknown[]).map((r, i): AuditRule => {
    const at = `rules[${i}]`;
    if (!isPlainObject(r)) return fail(at, 'must be an object');
    if (!(AUDIT_LEVELS as readonly string[]).includes(r.level as string))
      fail(`${at}.level`, `must be one of ${AUDIT_LEVELS.join(', ')}`);
    const resources = (
      Array.isArray(r.resources)
        ? r.resources
        : r.resources == null
          ? []
          : fail(`${at}.resources`, 'must be a list')
    ) as unknown[];
    const rule: AuditRule = {
      level: r.level as AuditLevel,
      users: strings(r.users, `${at}.users`),
      userGroups: strings(r.userGroups, `${at}.userGroups`),
      verbs: strings(r.verbs, `${at}.verbs`),
      namespaces: strings(r.namespaces, `${at}.namespaces`),
      nonResourceURLs: strings(r.nonResourceURLs, `${at}.nonResourceURLs`),
      omitStages: stages(r.omitStages, `${at}.omitStages`),
      resources: resources.map((g, j) => {
        const gat = `${at}.resources[${j}]`;
        if (!isPlainObject(g)) return fail(gat, 'must be an object');
        if (g.group !== undefined && typeof g.group !== 'string')
          fail(`${gat}.group`, 'must be a string');
        return {
          group: (g.group as string | undefined) ?? '',
          resources: strings(g.resources, `${gat}.resources`),
          resourceNames: strings(g.resourceNames, `${gat}.resourceNames`),
        };
      }),
    };
    if (
      rule.nonResourceURLs.length > 0 &&
      (rule.resources.length > 0 || rule.namespaces.length > 0)
    )
      fail(at, 'rules may not have nonResourceURLs with namespaces or resources');
    return rule;
  });
  return { rules, omitStages: stages(doc.omitStages, 'omitStages') };
}

/** The level of a request and the stages not to log, from the first rule that matches. */
export function auditLevelOf(
  policy: AuditPolicy,
  a: Attributes,
): { level: AuditLevel; omitStages: AuditStage[] } {
  for (const rule of policy.rules) {
    if (ruleMatches(rule, a)) {
      return { level: rule.level, omitStages: [...policy.omitStages, ...rule.omitStages] };
    }
  }
  return { level: 'None', omitStages: policy.omitStages };
}

function ruleMatches(rule: AuditRule, a: Attributes): boolean {
  if (rule.users.length > 0 && !rule.users.includes(a.user.name)) return false;
  if (rule.userGroups.length > 0 && !a.user.groups.some((g) => rule.userGroups.includes(g)))
    return false;
  if (rule.verbs.length > 0 && !rule.verbs.includes(a.verb)) return false;
  if (a.kind === 'nonResource') {
    if (rule.namespaces.length > 0 || rule.resources.length > 0) return false;
    if (rule.nonResourceURLs.length === 0) return true;
    return rule.nonResourceURLs.some((u) =>
      u.endsWith('*') ? a.path.startsWith(u.slice(0, -1)) : u === a.path,
    );
  }
  if (rule.nonResourceURLs.length > 0) return false;
  if (rule.namespaces.length > 0 && !rule.namespaces.includes(a.namespace)) return false;
  if (rule.resources.length === 0) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return rule.resources.some((g) => {
    if (g.group !== a.apiGroup && g.group !== '*') return false;
    if (g.resourceNames.length > 0 && !g.resourceNames.includes(a.name)) return false;
    if (g.resources.length === 0) return true;
    return g.resources.some(
      (r) =>
        r === '*' ||
        r === combined ||
        (r === `${a.resource}/*` && a.subresource !== '') ||
        (r === `*/${a.subresource}` && a.subresource !== ''),
    );
  });
}
