// core/v1 ResourceQuota: limits on what a namespace may use (enforced at admission by the API
// server, usage kept by the resourcequota controller).
import { fieldErrors } from '../../field-errors';
import type { ResourceInfo } from '../../catalog';
import type { JsonObject, KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import { parseQuantity } from '../../quantity';
import type { StatusCause } from '../../status';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { declareKind } from '../declare';
import { CORE } from '../meta';
import { AGE, NAME, col, created } from '../printing';
import { resource } from '../resource';

type Usage = Record<string, number>;

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

function podContainers(spec: JsonObject): {
  all: JsonObject[];
  init: JsonObject[];
  main: JsonObject[];
} {
  const main = Array.isArray(spec.containers)
    ? (spec.containers.filter(isPlainObject) as JsonObject[])
    : [];
  const init = Array.isArray(spec.initContainers)
    ? (spec.initContainers.filter(isPlainObject) as JsonObject[])
    : [];
  return { all: [...main, ...init], init, main };
}

function resourcesOf(c: JsonObject, kind: 'requests' | 'limits'): Record<string, unknown> {
  const r = isPlainObject(c.resources) ? c.resources : {};
  return isPlainObject(r[kind]) ? (r[kind] as Record<string, unknown>) : {};
}

/** A pod's requests or limits: the containers' sum, or an init container's if larger (kube's rule). */
function podTotal(spec: JsonObject, kind: 'requests' | 'limits', name: string): number {
  const { main, init } = podContainers(spec);
  const sum = main.reduce((s, c) => s + (parseQuantity(resourcesOf(c, kind)[name]) ?? 0), 0);
  const maxInit = init.reduce(
    (m, c) => Math.max(m, parseQuantity(resourcesOf(c, kind)[name]) ?? 0),
    0,
  );
  return Math.max(sum, maxInit);
}

/** The quota resource names an object uses, and how much. */
export function quotaUsageOf(r: ResourceInfo, o: KubeObject): Usage {
  const u: Usage = { [`count/${r.group ? `${r.plural}.${r.group}` : r.plural}`]: 1 };
  if (r.group === '') {
    if (
      [
        'pods',
        'services',
        'configmaps',
        'secrets',
        'persistentvolumeclaims',
        'resourcequotas',
        'replicationcontrollers',
      ].includes(r.plural)
    )
      u[r.plural] = 1;
  }
  if (r.group === '' && r.plural === 'pods') {
    const phase = isPlainObject(o.status) ? o.status.phase : undefined;
    if (phase === 'Succeeded' || phase === 'Failed') return {};
    const spec = isPlainObject(o.spec) ? o.spec : {};
    for (const name of COMPUTE) {
      const req = podTotal(spec, 'requests', name);
      const lim = podTotal(spec, 'limits', name);
      u[`requests.${name}`] = req;
      u[name] = req;
      u[`limits.${name}`] = lim;
    }
  }
  if (r.group === '' && r.plural === 'persistentvolumeclaims') {
    const spec = isPlainObject(o.spec) ? o.spec : {};
    const storage =
      isPlainObject(spec.resources) && isPlainObject(spec.resources.requests)
        ? spec.resources.requests.storage
        : undefined;
    u['requests.storage'] = parseQuantity(storage) ?? 0;
  }
  if (r.group === '' && r.plural === 'services') {
    const type = isPlainObject(o.spec) ? o.spec.type : undefined;
    if (type === 'NodePort' || type === 'LoadBalancer') u['services.nodeports'] = 1;
    if (type === 'LoadBalancer') u['services.loadbalancers'] = 1;
  }
  return u;
}

// Field tables: k8s.io/api core/v1 generated.proto numbers, types.go pointers and omitempty
// (`kubectl create quota` sends protobuf).
const declared = declareKind({
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  package: 'k8s.io.api.core.v1',
  prefix: CORE,
  descriptions: {
    ResourceQuota: 'ResourceQuota sets aggregate quota restrictions enforced per namespace.',
    ResourceQuotaSpec: 'ResourceQuotaSpec defines the desired hard limits to enforce for Quota.',
    ResourceQuotaStatus: 'ResourceQuotaStatus defines the enforced hard limits and observed use.',
  },
  messages: {
    ResourceQuota: [
      '1 metadata ObjectMeta',
      '2 spec ResourceQuotaSpec',
      '3 status ResourceQuotaStatus',
    ],
    ResourceQuotaSpec: [
      '1 hard map[string]Quantity',
      '2 scopes []string atomic',
      '3 scopeSelector *ScopeSelector',
    ],
    ScopeSelector: ['1 matchExpressions []ScopedResourceSelectorRequirement atomic'],
    ScopedResourceSelectorRequirement: [
      '1 scopeName! string',
      '2 operator! string',
      '3 values []string atomic',
    ],
    ResourceQuotaStatus: ['1 hard map[string]Quantity', '2 used map[string]Quantity'],
    ResourceQuotaList: ['1 metadata ListMeta', '2 items! []ResourceQuota'],
  },
  atomic: ['ScopeSelector'],
});

const SCOPES = [
  'BestEffort',
  'CrossNamespacePodAffinity',
  'NotBestEffort',
  'NotTerminating',
  'PriorityClass',
  'Terminating',
];

function validateQuota(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const hard = getPath(o, 'spec.hard');
  if (isPlainObject(hard)) {
    for (const [name, value] of Object.entries(hard)) {
      const n = parseQuantity(value);
      if (n === undefined)
        out.push(
          fieldErrors.invalid(
            `spec.hard[${name}]`,
            value,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          ),
        );
      else if (n < 0)
        out.push(
          fieldErrors.invalid(`spec.hard[${name}]`, value, 'must be greater than or equal to 0'),
        );
    }
  }
  const scopes = spec(o).scopes;
  if (Array.isArray(scopes))
    scopes.forEach((s, i) => {
      if (!SCOPES.includes(String(s)))
        out.push(fieldErrors.notSupported(`spec.scopes[${i}]`, s, SCOPES));
    });
  return out;
}

/** kubectl's REQUEST and LIMIT cells: "name: used/hard" for each resource, limits.* apart. */
function usageText(o: KubeObject, limits: boolean): string {
  const hard = getPath(o, 'status.hard') ?? getPath(o, 'spec.hard');
  const used = getPath(o, 'status.used');
  if (!isPlainObject(hard)) return '';
  return Object.keys(hard)
    .sort()
    .filter((k) => k.startsWith('limits.') === limits)
    .map((k) => `${k}: ${String(isPlainObject(used) ? (used[k] ?? '0') : '0')}/${String(hard[k])}`)
    .join(', ');
}

export const resourceQuotaKind: KindModule = {
  resource: resource('', 'ResourceQuota', 'resourcequotas', {
    shortNames: ['quota'],
    subresources: ['status'],
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  prepareForCreate(o) {
    o.status = {};
  },
  validate: validateQuota,
  printer: {
    columns: [
      NAME,
      AGE,
      col('Request', 'Used and hard requests of the quota.'),
      col('Limit', 'Used and hard limits of the quota.'),
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      created(o, now),
      usageText(o, false),
      usageText(o, true),
    ],
  },
};
