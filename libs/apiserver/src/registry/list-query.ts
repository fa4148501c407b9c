import {
  apiErrors,
  FieldSelector,
  LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  KubeObject,
  ResourceInfo,
} from '@flotilla/api';

/** The list and watch parameters of a request, parsed and checked (400 on nonsense). */
export interface ListQuery {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  watch: boolean;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
}

const truthy = (v: string | null) => v === 'true' || v === '1';

function nonNegativeInt(name: string, v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^[0-9]+$/.test(v)) throw apiErrors.badRequest(`invalid ${name}: ${JSON.stringify(v)}`);
  return Number(v);
}

export function parseListQuery(r: ResourceInfo, q: URLSearchParams, watchPath = false): ListQuery {
  const label = q.get('labelSelector');
  const field = q.get('fieldSelector');
  const match = q.get('resourceVersionMatch') || undefined;
  const rv = q.get('resourceVersion') ?? undefined;
  const cont = q.get('continue') || undefined;
  if (match !== undefined && match !== 'Exact' && match !== 'NotOlderThan') {
    throw apiErrors.badRequest(
      `resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
    );
  }
  if (match !== undefined && !rv) {
    throw apiErrors.badRequest(
      'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
  }
  if (match === 'Exact' && rv === '0') {
    throw apiErrors.badRequest(
      'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
  }
  if (cont && rv && rv !== '0') {
    throw apiErrors.badRequest('specifying resource version is not allowed when using continue');
  }
  if (rv && !/^[0-9]+$/.test(rv)) {
    throw apiErrors.badRequest(`invalid resourceVersion: ${JSON.stringify(rv)}`);
  }
  return {
    labelSelector: label ? parseLabelSelector(label) : undefined,
    fieldSelector: field ? parseFieldSelector(field, r) : undefined,
    limit: nonNegativeInt('limit', q.get('limit')),
    continueToken: cont,
    resourceVersion: rv === '' ? undefined : rv,
    resourceVersionMatch: match as ListQuery['resourceVersionMatch'],
    watch: watchPath || truthy(q.get('watch')),
    timeoutSeconds: nonNegativeInt('timeoutSeconds', q.get('timeoutSeconds')),
    allowWatchBookmarks: truthy(q.get('allowWatchBookmarks')),
  };
}

/** The selector part of a query as a predicate on objects. */
export function matcherOf(q: ListQuery): (o: KubeObject) => boolean {
  const { labelSelector: l, fieldSelector: f } = q;
  if (!l && !f) return () => true;
  return (o) => (!l || matchesLabels(l, o.metadata.labels)) && (!f || matchesFields(f, o));
}
