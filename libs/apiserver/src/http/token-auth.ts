import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';

export interface AuthenticatedUser {
  name: string;
  uid: string;
  groups: string[];
}

const WS_BEARER_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/**
 * Static bearer tokens, in the format of Kubernetes' --token-auth-file: one `token,user,uid`
 * line per token, optionally followed by a quoted, comma-separated list of groups. Requests
 * carry `Authorization: Bearer <token>`; browsers opening a WebSocket, which cannot set headers,
 * send the token as the subprotocol `base64url.bearer.authorization.k8s.io.<base64url token>`.
 */
export class TokenAuthenticator {
  private constructor(private readonly users: Map<string, AuthenticatedUser>) {}

  static parse(text: string, source = 'token file'): TokenAuthenticator {
    const users = new Map<string, AuthenticatedUser>();
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const m = /^([^,]+),([^,]+),([^,]+)(?:,"?([^"]*)"?)?$/.exec(line);
      if (!m) throw new Error(`${source}: line ${i + 1} is not token,user,uid[,"groups"]`);
      const groups = m[4]
        ? m[4]
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean)
        : [];
      users.set(m[1], { name: m[2], uid: m[3], groups });
    });
    if (users.size === 0) throw new Error(`${source}: no tokens`);
    return new TokenAuthenticator(users);
  }

  static fromFile(path: string): TokenAuthenticator {
    return TokenAuthenticator.parse(readFileSync(path, 'utf8'), path);
  }

  /** The user of a token in the file, if it is one. */
  lookup(token: string): AuthenticatedUser | undefined {
    return this.users.get(token);
  }

  authenticate(headers: IncomingHttpHeaders): AuthenticatedUser | undefined {
    const auth = headers.authorization;
    if (typeof auth === 'string') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      return m ? this.users.get(m[1]) : undefined;
    }
    const protocols = headers['sec-websocket-protocol'];
    if (typeof protocols === 'string') {
      for (const p of protocols.split(',').map((s) => s.trim())) {
        if (!p.startsWith(WS_BEARER_PREFIX)) continue;
        const token = Buffer.from(p.slice(WS_BEARER_PREFIX.length), 'base64url').toString();
        return this.users.get(token);
      }
    }
    return undefined;
  }
}

export { unauthorizedStatus } from '../auth/http-gate';
