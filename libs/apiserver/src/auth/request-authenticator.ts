// Who sent a request: a verified client certificate, else a bearer token (the static token file,
// then service-account JWTs); no credentials at all is anonymous, which the HTTP layer allows
// only on the public health and version paths. Credentials that do not verify are a 401 whatever
// else the request carries, except that a valid token still wins over a bad certificate, as in
// Kubernetes' union of authenticators.
import type { KubeObject } from '@flotilla/api';
import type { TokenAuthenticator } from '../http/token-auth';
import type { ClientCertificate } from '@flotilla/pki/client-identity';
import { DEFAULT_AUDIENCE, ServiceAccountJwt } from './service-account-jwt';
import {
  authenticated,
  SERVICE_ACCOUNT_PREFIX,
  SERVICE_ACCOUNTS_GROUP,
  UserInfo,
} from './user-info';

export type AuthnOutcome =
  { kind: 'user'; user: UserInfo } | { kind: 'anonymous' } | { kind: 'rejected'; reason: string };

export interface AuthnInput {
  headers: Record<string, string | string[] | undefined>;
  clientCertificate?: ClientCertificate;
}

/** Reads a ServiceAccount or Pod as the store has it now (undefined when absent). */
export type ObjectLookup = (
  plural: 'serviceaccounts' | 'pods',
  namespace: string,
  name: string,
) => Promise<KubeObject | undefined>;

export interface ServiceAccountTokenOptions {
  jwt: ServiceAccountJwt;
  lookup: ObjectLookup;
  audiences?: string[];
  nowSeconds?: () => number;
}

const WS_BEARER_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export class RequestAuthenticator {
  constructor(
    private readonly o: {
      tokens?: TokenAuthenticator;
      serviceAccounts?: ServiceAccountTokenOptions;
    } = {},
  ) {}

  async authenticate(input: AuthnInput): Promise<AuthnOutcome> {
    const cert = input.clientCertificate;
    const token = bearerToken(input.headers);
    if (token !== undefined) {
      const byToken = await this.authenticateToken(token);
      if (byToken.kind === 'user' || !cert?.verified) return byToken;
    }
    if (cert?.verified) return { kind: 'user', user: authenticated(cert.user) };
    if (cert) return { kind: 'rejected', reason: `x509: ${cert.error}` };
    return { kind: 'anonymous' };
  }

  /** A bearer token alone (TokenReview asks this too). */
  async authenticateToken(token: string): Promise<AuthnOutcome> {
    const fromFile = this.o.tokens?.lookup(token);
    if (fromFile) return { kind: 'user', user: authenticated(fromFile) };
    const sa = this.o.serviceAccounts;
    if (sa && token.split('.').length === 3) return this.serviceAccountToken(sa, token);
    return { kind: 'rejected', reason: 'invalid bearer token' };
  }

  private async serviceAccountToken(
    sa: ServiceAccountTokenOptions,
    token: string,
  ): Promise<AuthnOutcome> {
    const now = sa.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
    const verified = sa.jwt.verify(token, sa.audiences ?? [DEFAULT_AUDIENCE], now);
    if ('error' in verified) return { kind: 'rejected', reason: verified.error };
    const c = verified.claims;
    const account = await sa.lookup('serviceaccounts', c.namespace, c.serviceAccount.name);
    if (!account || account.metadata.uid !== c.serviceAccount.uid) {
      return { kind: 'rejected', reason: 'the service account of the token no longer exists' };
    }
    const extra: Record<string, string[]> = {};
    if (c.pod) {
      const pod = await sa.lookup('pods', c.namespace, c.pod.name);
      if (!pod || pod.metadata.uid !== c.pod.uid || pod.metadata.deletionTimestamp) {
        return { kind: 'rejected', reason: 'the pod the token is bound to no longer exists' };
      }
      extra['authentication.kubernetes.io/pod-name'] = [c.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [c.pod.uid];
      const node = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName;
      if (typeof node === 'string' && node)
        extra['authentication.kubernetes.io/node-name'] = [node];
    }
    return {
      kind: 'user',
      user: authenticated({
        name: `${SERVICE_ACCOUNT_PREFIX}${c.namespace}:${c.serviceAccount.name}`,
        uid: c.serviceAccount.uid,
        groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${c.namespace}`],
        extra,
      }),
    };
  }
}

/** `Authorization: Bearer X`, or the WebSocket subprotocol browsers send it as. */
export function bearerToken(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : '';
  }
  const protocols = headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',').map((s) => s.trim())) {
      if (p.startsWith(WS_BEARER_PREFIX)) {
        return Buffer.from(p.slice(WS_BEARER_PREFIX.length), 'base64url').toString();
      }
    }
  }
  return undefined;
}
