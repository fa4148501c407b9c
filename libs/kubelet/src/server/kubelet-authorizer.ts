// Who may use the kubelet server, decided as Kubernetes' kubelet does in Webhook mode: each
// request becomes attributes on this node's Node object (verb from the HTTP method, subresource
// from the path) and the masters answer a SubjectAccessReview for the certificate's user. Answers
// are cached briefly so a scrape every few seconds costs one review per TTL, not one per request.

/**
 * Who a request is from: its client certificate's user (@flotilla/pki's clientCertificateOf:
 * CN the name, O the groups) and system:authenticated.
 */
export interface KubeletUser {
  name: string;
  groups: string[];
}

/** What a request asks of the node, in the terms of RBAC on nodes/<subresource>. */
export interface NodeAttributes {
  verb: string;
  resource: 'nodes';
  subresource: string;
  name: string;
}

export interface ReviewAnswer {
  allowed: boolean;
  reason?: string;
}

/** Asks the masters (a SubjectAccessReview): may user do this? */
export type AccessReviewer = (user: KubeletUser, attrs: NodeAttributes) => Promise<ReviewAnswer>;

export type Decision = { allowed: true } | { allowed: false; message: string };

/** The API server's kubelet-client identity: allowed without asking (it is cluster-admin). */
export const API_SERVER_GROUP = 'system:masters';

/** Kubernetes' kubelet webhook defaults: allowed answers for 5 minutes, denials for 30 seconds. */
const ALLOWED_TTL_MS = 5 * 60_000;
const DENIED_TTL_MS = 30_000;
const CACHE_LIMIT = 1024;

const VERBS: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Paths with a subresource of their own; everything else is nodes/proxy, as in Kubernetes. */
const SUBRESOURCES: Record<string, string> = {
  metrics: 'metrics',
  stats: 'stats',
  logs: 'log',
  spec: 'spec',
  configz: 'configz',
  checkpoint: 'checkpoint',
};

/**
 * The attributes of a request to the kubelet server. Stream upgrades (exec, attach,
 * port-forward) create a session whichever method carries them (SPDY POSTs, WebSocket GETs).
 */
export function nodeAttributes(
  method: string,
  path: string,
  nodeName: string,
  upgrade = false,
): NodeAttributes {
  const first = path.split('/').filter(Boolean)[0] ?? '';
  const verb = upgrade ? 'create' : (VERBS[method.toUpperCase()] ?? method.toLowerCase());
  return { verb, resource: 'nodes', subresource: SUBRESOURCES[first] ?? 'proxy', name: nodeName };
}

/** The kubelet's 403 text: who, which verb, which resource and subresource. */
export function forbiddenMessage(user: KubeletUser, a: NodeAttributes): string {
  return `Forbidden (user=${user.name}, verb=${a.verb}, resource=${a.resource}, subresource=${a.subresource})`;
}

export interface KubeletAuthorizerOptions {
  /** Absent: nobody but system:masters gets in (no masters to ask). */
  review?: AccessReviewer;
  now?: () => number;
  allowedTtlMs?: number;
  deniedTtlMs?: number;
}

export class KubeletAuthorizer {
  private readonly cache = new Map<string, { allowed: boolean; until: number }>();
  private readonly now: () => number;

  constructor(private readonly o: KubeletAuthorizerOptions = {}) {
    this.now = o.now ?? Date.now;
  }

  async authorize(user: KubeletUser, attrs: NodeAttributes): Promise<Decision> {
    if (user.groups.includes(API_SERVER_GROUP)) return { allowed: true };
    const denied: Decision = { allowed: false, message: forbiddenMessage(user, attrs) };
    if (!this.o.review) return denied;
    const key = JSON.stringify([user.name, [...user.groups].sort(), attrs]);
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.allowed ? { allowed: true } : denied;
    let allowed: boolean;
    try {
      allowed = (await this.o.review(user, attrs)).allowed;
    } catch (err) {
      // Not cached: the next request asks again once the masters answer.
      return {
        allowed: false,
        message: `${forbiddenMessage(user, attrs)}: the masters could not be asked: ${(err as Error).message}`,
      };
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    const ttl = allowed
      ? (this.o.allowedTtlMs ?? ALLOWED_TTL_MS)
      : (this.o.deniedTtlMs ?? DENIED_TTL_MS);
    this.cache.set(key, { allowed, until: now + ttl });
    return allowed ? { allowed: true } : denied;
  }
}

/** A SubjectAccessReview body for the masters, as the kubelet's webhook sends it. */
export function subjectAccessReview(user: KubeletUser, a: NodeAttributes): Record<string, unknown> {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: {
      user: user.name,
      groups: user.groups,
      resourceAttributes: {
        verb: a.verb,
        group: '',
        version: 'v1',
        resource: a.resource,
        subresource: a.subresource,
        name: a.name,
      },
    },
  };
}
