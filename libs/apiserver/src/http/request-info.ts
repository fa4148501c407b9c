/** What a request path under /api or /apis addresses, after Kubernetes' RequestInfo rules. */
export type ApiPath =
  | { kind: 'versions' } // /api
  | { kind: 'groups' } // /apis
  | { kind: 'group'; group: string } // /apis/<group>
  | { kind: 'resources'; group: string; version: string } // /api/v1, /apis/<g>/<v>
  | { kind: 'resource'; info: ResourcePath }
  | { kind: 'unknown' };

export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** The legacy /watch/ prefix was used. */
  watchPath: boolean;
}

/** The subresource whose path goes on to the proxied server (nodes/<name>/proxy/<path>). */
const PROXY = 'proxy';

/** Subresources of a namespace itself: /api/v1/namespaces/<name>/status is not a namespaced list. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseApiPath(path: string): ApiPath {
  const parts = path.split('/').filter((p) => p !== '');
  let rest: string[];
  let group: string;
  let version: string;
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'versions' };
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'groups' };
    if (parts.length === 2) return { kind: 'group', group: parts[1] };
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'resources', group, version };
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
    if (rest.length === 0) return { kind: 'unknown' };
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = decodeURIComponent(rest[1]);
    if (rest.length === 2 || NAMESPACE_SUBRESOURCES.has(rest[2])) {
      // The namespace object itself (or its subresource).
      return {
        kind: 'resource',
        info: {
          group,
          version,
          resource: 'namespaces',
          name: namespace,
          subresource: rest[2],
          watchPath,
        },
      };
    }
    rest = rest.slice(2);
  }
  // resource/name/subresource; only a proxy subresource has a path of its own after it.
  if (rest.length > 3 && rest[2] !== PROXY) return { kind: 'unknown' };
  return {
    kind: 'resource',
    info: {
      group,
      version,
      namespace,
      resource: rest[0],
      name: rest[1] === undefined ? undefined : decodeURIComponent(rest[1]),
      subresource: rest[2],
      watchPath,
    },
  };
}

/** The Kubernetes verb of a request, for metrics and dispatch. */
export function verbOf(method: string, info: ResourcePath, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      // A proxied query's `watch` is the proxied server's business.
      if (info.subresource === PROXY && !info.watchPath) return 'get';
      if (watch || info.watchPath) return 'watch';
      return info.name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return info.name === undefined ? 'deletecollection' : 'delete';
    default:
      // OPTIONS reaches a proxy: Kubernetes gives it no verb (only a '*' rule allows it).
      return info.subresource === PROXY ? '' : method.toLowerCase();
  }
}
