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
import { invalidOptions, queryBool, queryInt64 } from './query-params';

/** The list and watch parameters of a request, parsed and checked as Kubernetes checks them. */
export interface ListQuery {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Absent, zero or negative: no paging. */
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  watch: boolean;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
}

const forbidden = (message: string) => ({
  reason: 'FieldValueForbidden',
  message: `Forbidden: ${message}`,
});

/** ValidateListOptions: 422 ListOptions, field by field. */
function checkListOptions(q: URLSearchParams, watch: boolean): void {
  const match = q.get('resourceVersionMatch') ?? '';
  const rv = q.get('resourceVersion') ?? '';
  const cont = q.get('continue') ?? '';
  const sendInitialEvents = q.has('sendInitialEvents');
  if (watch) {
    // The WatchList feature (sendInitialEvents) is not served: answer as a server without it.
    if (sendInitialEvents) {
      throw invalidOptions('ListOptions', 'sendInitialEvents', [
        forbidden(
          'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
        ),
      ]);
    }
    if (match !== '') {
      throw invalidOptions('ListOptions', 'resourceVersionMatch', [
        forbidden(
          'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        ),
      ]);
    }
    return;
  }
  if (match !== '') {
    if (rv === '') {
      throw invalidOptions('ListOptions', 'resourceVersionMatch', [
        forbidden('resourceVersionMatch is forbidden unless resourceVersion is provided'),
      ]);
    }
    if (cont !== '') {
      throw invalidOptions('ListOptions', 'resourceVersionMatch', [
        forbidden('resourceVersionMatch is forbidden when continue is provided'),
      ]);
    }
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      throw invalidOptions('ListOptions', 'resourceVersionMatch', [
        {
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`,
        },
      ]);
    }
    if (match === 'Exact' && rv === '0') {
      throw invalidOptions('ListOptions', 'resourceVersionMatch', [
        forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
      ]);
    }
  }
  if (sendInitialEvents) {
    throw invalidOptions('ListOptions', 'sendInitialEvents', [
      forbidden('sendInitialEvents is forbidden for list'),
    ]);
  }
}

export function parseListQuery(r: ResourceInfo, q: URLSearchParams, watchPath = false): ListQuery {
  const watch = watchPath || (queryBool(q, 'watch') ?? false);
  // Parameters parse first (400), then the options validate (422), as in Kubernetes.
  const limit = queryInt64(q, 'limit');
  const timeoutSeconds = queryInt64(q, 'timeoutSeconds');
  const allowWatchBookmarks = queryBool(q, 'allowWatchBookmarks') ?? false;
  const label = q.get('labelSelector');
  const field = q.get('fieldSelector');
  const labelSelector = label ? parseLabelSelector(label) : undefined;
  const fieldSelector = field ? parseFieldSelector(field, r) : undefined;
  checkListOptions(q, watch);
  const match = q.get('resourceVersionMatch') || undefined;
  const rv = q.get('resourceVersion') || undefined;
  const cont = q.get('continue') || undefined;
  if (cont && rv && rv !== '0') {
    throw apiErrors.badRequest('specifying resource version is not allowed when using continue');
  }
  if (rv && !/^[0-9]+$/.test(rv)) {
    throw apiErrors.badRequest(
      `invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`,
    );
  }
  return {
    labelSelector,
    fieldSelector,
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    continueToken: cont,
    resourceVersion: rv,
    resourceVersionMatch: match as ListQuery['resourceVersionMatch'],
    watch,
    timeoutSeconds,
    allowWatchBookmarks,
  };
}

/** The selector part of a query as a predicate on objects. */
export function matcherOf(q: ListQuery): (o: KubeObject) => boolean {
  const { labelSelector: l, fieldSelector: f } = q;
  if (!l && !f) return () => true;
  return (o) => (!l || matchesLabels(l, o.metadata.labels)) && (!f || matchesFields(f, o));
}
