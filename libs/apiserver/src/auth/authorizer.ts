// The authorization step of every request, after authentication and before anything is read or
// written: what the request is (Kubernetes' authorizer.Attributes) and the chain that decides.
import { ApiError, findResource } from '@flotilla/api';
import { parseApiPath, verbOf } from '../http/request-info';
import { MASTERS_GROUP, UserInfo } from './user-info';

export interface ResourceAttributes {
  user: UserInfo;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface NonResourceAttributes {
  user: UserInfo;
  verb: string;
  path: string;
}

export type Attributes =
  ({ kind: 'resource' } & ResourceAttributes) | ({ kind: 'nonResource' } & NonResourceAttributes);

/** Allow, deny, or no opinion (the next authorizer of the chain decides). */
export type Decision = { decision: 'allow' | 'deny' | 'noOpinion'; reason: string };

export interface Authorizer {
  authorize(a: Attributes): Decision;
}

export const NO_OPINION: Decision = { decision: 'noOpinion', reason: '' };

/** The first opinion wins; none is a denial. system:masters is allowed before anything else. */
export class AuthorizerChain implements Authorizer {
  constructor(private readonly authorizers: Authorizer[]) {}

  authorize(a: Attributes): Decision {
    if (a.user.groups.includes(MASTERS_GROUP)) return { decision: 'allow', reason: '' };
    let reason = '';
    for (const z of this.authorizers) {
      const d = z.authorize(a);
      if (d.decision !== 'noOpinion') return d;
      if (d.reason) reason = reason ? `${reason}, ${d.reason}` : d.reason;
    }
    return { decision: 'noOpinion', reason };
  }
}

export const ALWAYS_ALLOW: Authorizer = { authorize: () => ({ decision: 'allow', reason: '' }) };

/**
 * A request's attributes, after Kubernetes' RequestInfo: paths under /api and /apis that name a
 * resource are resource requests (a namespace object is "in" its own namespace); everything
 * else, discovery included, is a non-resource request on its path.
 */
export function requestAttributes(
  user: UserInfo,
  method: string,
  path: string,
  watch: boolean,
): Attributes {
  const parsed = parseApiPath(path);
  if (parsed.kind === 'resource') {
    const p = parsed.info;
    return {
      kind: 'resource',
      user,
      verb: verbOf(method, p, watch),
      apiGroup: p.group,
      apiVersion: p.version,
      resource: p.resource,
      subresource: p.subresource ?? '',
      namespace: p.namespace ?? '',
      name: p.name ?? '',
    };
  }
  return { kind: 'nonResource', user, verb: nonResourceVerb(method), path };
}

function nonResourceVerb(method: string): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'get';
    default:
      return method.toLowerCase();
  }
}

/** The 403 as Kubernetes words it ("pods is forbidden: User "jane" cannot create resource ..."). */
export function forbidden(a: Attributes, reason: string): ApiError {
  const suffix = reason ? `: ${reason}` : '';
  if (a.kind === 'nonResource') {
    return new ApiError(
      403,
      'Forbidden',
      `forbidden: User ${JSON.stringify(a.user.name)} cannot ${a.verb} path ${JSON.stringify(a.path)}${suffix}`,
      {},
    );
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${qualified} ${JSON.stringify(a.name)}` : qualified;
  const scope = a.namespace
    ? `in the namespace ${JSON.stringify(a.namespace)}`
    : 'at the cluster scope';
  const message =
    `${subject} is forbidden: User ${JSON.stringify(a.user.name)} cannot ${a.verb} resource ` +
    `${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${scope}${suffix}`;
  const details: Record<string, unknown> = { group: a.apiGroup, kind: a.resource };
  if (a.name) details.name = a.name;
  return new ApiError(403, 'Forbidden', message, details);
}

/** Whether the path names a resource the server knows (unknown ones are not worth a 403 detail). */
export function knownResource(a: ResourceAttributes): boolean {
  return findResource(a.apiGroup, a.apiVersion, a.resource) !== undefined;
}
