import { ConfigError, isLoopbackHost } from '@flotilla/process';
import type { PeerAddress } from './control-plane-config';

/** The --cluster-token when none is given. It is in the docs, so it proves nothing. */
export const DEFAULT_CLUSTER_TOKEN = 'flotilla';

export const INSECURE_DEFAULT_TOKEN_FLAG = 'insecure-default-token';

export interface PeerAuthentication {
  /** This member. */
  name: string;
  clusterToken: string;
  /** Where this member's peer port listens. */
  listenHost: string;
  peers: readonly PeerAddress[];
  /** The operator said the public default token is fine here. */
  insecureDefaultToken: boolean;
}

/**
 * Members prove they belong to the cluster with the cluster token, sent in plain text on the
 * peer port. The public default only does for a cluster nobody else can reach: every peer, and
 * this member's peer listener, on loopback (`npm start`). Anything wider needs a secret token,
 * or the operator's explicit --insecure-default-token. A cluster of one has no peer traffic and
 * is left alone (the container image runs one on 0.0.0.0 by default); a member that joins it
 * later is checked against its own --peers.
 *
 * This is the one place that decides whether the peer port is authenticated well enough; when
 * mutual TLS on the peer port comes (the security issue), peer certificates will satisfy it too.
 */
export function checkPeerAuthentication(p: PeerAuthentication): void {
  if (p.clusterToken !== DEFAULT_CLUSTER_TOKEN || p.insecureDefaultToken) return;
  if (p.peers.every((peer) => peer.name === p.name)) return;
  const exposed = [
    ...(isLoopbackHost(p.listenHost) ? [] : [`--listen-host ${p.listenHost}`]),
    ...p.peers
      .filter((peer) => !isLoopbackHost(peer.host))
      .map((peer) => `${peer.name} at ${peer.host}`),
  ];
  if (exposed.length === 0) return;
  throw new ConfigError(
    `the default --cluster-token "${DEFAULT_CLUSTER_TOKEN}" is public and the peer port is not on ` +
      `loopback (${exposed.join(', ')}): give every member the same secret --cluster-token ` +
      `(FLOTILLA_CLUSTER_TOKEN), or pass --${INSECURE_DEFAULT_TOKEN_FLAG} to accept the risk`,
  );
}
