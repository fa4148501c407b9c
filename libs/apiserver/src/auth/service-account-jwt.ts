// Service-account tokens: JWTs signed with the masters' ES256 key, as Kubernetes issues them
// through TokenRequest: bound to an audience, an expiry, and optionally a pod, whose existence
// (with the same uid) is checked on every use, so a token dies with its pod.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  sign,
  verify,
} from 'node:crypto';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const DEFAULT_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

export interface BoundObject {
  kind: 'Pod' | 'Secret';
  name: string;
  uid: string;
}

export interface ServiceAccountClaims {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  audiences: string[];
  issuedAt: number;
  expiresAt: number;
}

export class ServiceAccountJwt {
  private readonly publicKey: KeyObject;
  private readonly kid: string;

  constructor(
    private readonly privateKey: KeyObject,
    readonly issuer = DEFAULT_ISSUER,
  ) {
    if (
      privateKey.asymmetricKeyType !== 'ec' ||
      privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
    ) {
      throw new Error('the service-account key must be an EC P-256 private key');
    }
    this.publicKey = createPublicKey(privateKey);
    this.kid = createHash('sha256')
      .update(this.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
  }

  static fromPem(pem: string | Buffer, issuer?: string): ServiceAccountJwt {
    return new ServiceAccountJwt(createPrivateKey(pem), issuer);
  }

  issue(c: ServiceAccountClaims): string {
    const header = { alg: 'ES256', kid: this.kid };
    const payload: Record<string, unknown> = {
      aud: c.audiences,
      exp: c.expiresAt,
      iat: c.issuedAt,
      nbf: c.issuedAt,
      iss: this.issuer,
      sub: `system:serviceaccount:${c.namespace}:${c.serviceAccount.name}`,
      'kubernetes.io': {
        namespace: c.namespace,
        serviceaccount: c.serviceAccount,
        ...(c.pod ? { pod: c.pod } : {}),
      },
    };
    const signingInput = `${b64(header)}.${b64(payload)}`;
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /**
   * The claims of a token this key signed, for one of `audiences`, valid at `nowSeconds`; an
   * error message otherwise (alg none, another key, expired, another audience, malformed).
   */
  verify(
    token: string,
    audiences: string[],
    nowSeconds: number,
  ): { claims: ServiceAccountClaims } | { error: string } {
    const parts = token.split('.');
    if (parts.length !== 3) return { error: 'not a JWT' };
    const header = parseJson(parts[0]);
    const payload = parseJson(parts[1]);
    if (!header || !payload) return { error: 'malformed JWT' };
    if (header.alg !== 'ES256')
      return { error: `unexpected signing algorithm ${String(header.alg)}` };
    const ok = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key: this.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(parts[2], 'base64url'),
    );
    if (!ok) return { error: 'invalid signature' };
    if (payload.iss !== this.issuer) return { error: 'token issued by another issuer' };
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!aud.some((a) => audiences.includes(String(a))))
      return { error: 'token audiences are invalid' };
    const exp = Number(payload.exp);
    const nbf = Number(payload.nbf ?? payload.iat ?? 0);
    if (!Number.isFinite(exp) || nowSeconds >= exp) return { error: 'token has expired' };
    if (nowSeconds + 60 < nbf) return { error: 'token is not valid yet' };
    const k = payload['kubernetes.io'] as Record<string, unknown> | undefined;
    const sa = k?.serviceaccount as { name?: unknown; uid?: unknown } | undefined;
    const pod = k?.pod as { name?: unknown; uid?: unknown } | undefined;
    if (
      typeof k?.namespace !== 'string' ||
      typeof sa?.name !== 'string' ||
      typeof sa.uid !== 'string'
    ) {
      return { error: 'token has no service account' };
    }
    return {
      claims: {
        namespace: k.namespace,
        serviceAccount: { name: sa.name, uid: sa.uid },
        ...(pod && typeof pod.name === 'string' && typeof pod.uid === 'string'
          ? { pod: { name: pod.name, uid: pod.uid } }
          : {}),
        audiences: aud.map(String),
        issuedAt: Number(payload.iat),
        expiresAt: exp,
      },
    };
  }
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
