// The kinds that are questions, answered from the request and never stored:
// SelfSubjectAccessReview (kubectl auth can-i), SubjectAccessReview, LocalSubjectAccessReview,
// SelfSubjectReview (kubectl auth whoami), TokenReview; and TokenRequest
// (serviceaccounts/<name>/token), which issues a service-account token.
import { apiErrors, isPlainObject, JsonObject } from '@flotilla/api';
import type { Attributes, Authorizer } from './authorizer';
import type { RequestAuthenticator } from './request-authenticator';
import { DEFAULT_AUDIENCE, ServiceAccountJwt } from './service-account-jwt';
import type { ObjectLookup } from './request-authenticator';
import type { UserInfo } from './user-info';

export interface ReviewDeps {
  authorizer: Authorizer;
  authenticator?: RequestAuthenticator;
  jwt?: ServiceAccountJwt;
  lookup: ObjectLookup;
  nowSeconds: () => number;
}

/** A review's answer: the request's object with its status filled in (201 as Kubernetes answers). */
export interface ReviewAnswer {
  status: number;
  body: JsonObject;
}

export class Reviews {
  constructor(private readonly d: ReviewDeps) {}

  async answer(
    kind: string,
    user: UserInfo,
    namespace: string | undefined,
    body: unknown,
  ): Promise<ReviewAnswer> {
    if (!isPlainObject(body)) throw apiErrors.badRequest(`the body of a ${kind} must be an object`);
    const spec = isPlainObject(body.spec) ? body.spec : {};
    const base = { ...body, metadata: isPlainObject(body.metadata) ? body.metadata : {} };
    switch (kind) {
      case 'SelfSubjectAccessReview':
        return created({ ...base, status: this.access(user, spec, undefined) });
      case 'LocalSubjectAccessReview':
        if (isPlainObject(spec.resourceAttributes)) {
          const ns = spec.resourceAttributes.namespace;
          if (ns !== undefined && ns !== '' && ns !== namespace) {
            throw apiErrors.badRequest(
              `spec.resourceAttributes.namespace must match metadata.namespace: ${JSON.stringify(ns)}`,
            );
          }
        }
        return created({ ...base, status: this.access(subjectOf(spec), spec, namespace) });
      case 'SubjectAccessReview':
        return created({ ...base, status: this.access(subjectOf(spec), spec, undefined) });
      case 'SelfSubjectReview':
        return created({ ...base, status: { userInfo: userInfoJson(user) } });
      case 'TokenReview':
        return created({ ...base, status: await this.tokenReview(spec) });
      default:
        throw apiErrors.badRequest(`${kind} is not a review`);
    }
  }

  /** POST serviceaccounts/<name>/token: a token for that account, bound to a pod if asked. */
  async tokenRequest(namespace: string, name: string, body: unknown): Promise<ReviewAnswer> {
    const jwt = this.d.jwt;
    if (!jwt) {
      throw apiErrors.badRequest(
        'this server issues no service-account tokens (no --service-account-key-file)',
      );
    }
    const account = await this.d.lookup('serviceaccounts', namespace, name);
    if (!account) {
      throw apiErrors.notFound({ group: '', plural: 'serviceaccounts' }, name);
    }
    const spec = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {};
    const audiences =
      Array.isArray(spec.audiences) && spec.audiences.length > 0
        ? spec.audiences.map(String)
        : [DEFAULT_AUDIENCE];
    const requested =
      typeof spec.expirationSeconds === 'number' ? Math.floor(spec.expirationSeconds) : 3600;
    if (requested < 600) {
      throw apiErrors.invalid({ group: 'authentication.k8s.io', kind: 'TokenRequest' }, '', [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.expirationSeconds',
          message: `Invalid value: ${requested}: may not specify a duration less than 10 minutes`,
        },
      ]);
    }
    const expirationSeconds = Math.min(requested, 48 * 3600);
    let pod: { name: string; uid: string } | undefined;
    const ref = spec.boundObjectRef;
    if (isPlainObject(ref)) {
      if (ref.kind !== 'Pod') {
        throw apiErrors.badRequest(`cannot bind a token to a ${String(ref.kind)}; only to a Pod`);
      }
      const found = await this.d.lookup('pods', namespace, String(ref.name ?? ''));
      if (!found) throw apiErrors.notFound({ group: '', plural: 'pods' }, String(ref.name ?? ''));
      if (ref.uid !== undefined && ref.uid !== found.metadata.uid) {
        throw apiErrors.conflict(
          { group: '', plural: 'pods' },
          found.metadata.name!,
          `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record (${found.metadata.uid})`,
        );
      }
      pod = { name: found.metadata.name!, uid: found.metadata.uid! };
    }
    const now = this.d.nowSeconds();
    const token = jwt.issue({
      namespace,
      serviceAccount: { name, uid: account.metadata.uid ?? '' },
      pod,
      audiences,
      issuedAt: now,
      expiresAt: now + expirationSeconds,
    });
    return created({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace, creationTimestamp: null },
      spec: { ...spec, audiences, expirationSeconds },
      status: {
        token,
        expirationTimestamp: new Date((now + expirationSeconds) * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      },
    });
  }

  private access(user: UserInfo, spec: JsonObject, namespace: string | undefined): JsonObject {
    const a = attributesOf(user, spec, namespace);
    const d = this.d.authorizer.authorize(a);
    const status: JsonObject = { allowed: d.decision === 'allow' };
    if (d.decision === 'deny') status.denied = true;
    if (d.reason) status.reason = d.reason;
    return status;
  }

  private async tokenReview(spec: JsonObject): Promise<JsonObject> {
    const token = typeof spec.token === 'string' ? spec.token : '';
    if (!this.d.authenticator || token === '') {
      return { authenticated: false, user: {}, error: 'no token' };
    }
    const outcome = await this.d.authenticator.authenticateToken(token);
    if (outcome.kind !== 'user') {
      return {
        authenticated: false,
        user: {},
        error: outcome.kind === 'rejected' ? outcome.reason : 'anonymous',
      };
    }
    return {
      authenticated: true,
      user: userInfoJson(outcome.user),
      audiences: Array.isArray(spec.audiences) ? spec.audiences : [DEFAULT_AUDIENCE],
    };
  }
}

function created(body: JsonObject): ReviewAnswer {
  return { status: 201, body };
}

function subjectOf(spec: JsonObject): UserInfo {
  const extra = isPlainObject(spec.extra) ? (spec.extra as Record<string, string[]>) : undefined;
  return {
    name: typeof spec.user === 'string' ? spec.user : '',
    uid: typeof spec.uid === 'string' ? spec.uid : undefined,
    groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [],
    ...(extra ? { extra } : {}),
  };
}

function attributesOf(user: UserInfo, spec: JsonObject, namespace: string | undefined): Attributes {
  if (isPlainObject(spec.nonResourceAttributes)) {
    const n = spec.nonResourceAttributes;
    return {
      kind: 'nonResource',
      user,
      verb: String(n.verb ?? ''),
      path: String(n.path ?? ''),
    };
  }
  const r = isPlainObject(spec.resourceAttributes) ? spec.resourceAttributes : {};
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    kind: 'resource',
    user,
    verb: s(r.verb),
    apiGroup: s(r.group),
    apiVersion: s(r.version),
    resource: s(r.resource),
    subresource: s(r.subresource),
    namespace: namespace ?? s(r.namespace),
    name: s(r.name),
  };
}

function userInfoJson(user: UserInfo): JsonObject {
  return {
    username: user.name,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: user.groups,
    ...(user.extra ? { extra: user.extra } : {}),
  };
}
