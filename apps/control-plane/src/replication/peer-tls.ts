// Mutual TLS on the peer port (secure mode): the listener takes only connections whose
// certificate chains to the cluster CA, and remembers the member names each certificate gives,
// so the transport can refuse a hello from a member the certificate does not name.
import { readFileSync } from 'node:fs';
import { createServer, Server as HttpsServer } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { WebSocket, WebSocketServer } from 'ws';
import { certificateNames } from '@flotilla/raft-node';
import { watchFiles } from '@flotilla/process';
import type { ControlPlaneConfig } from '../config/control-plane-config';

export interface PeerTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export function peerTlsFiles(config: ControlPlaneConfig): PeerTlsFiles | undefined {
  const s = config.security;
  if (s?.mode !== 'secure') return undefined;
  return { certFile: s.peerCertFile, keyFile: s.peerKeyFile, caFile: s.peerCaFile };
}

export function readPeerTls(f: PeerTlsFiles): { key: Buffer; cert: Buffer; ca: Buffer } {
  return {
    key: readFileSync(f.keyFile),
    cert: readFileSync(f.certFile),
    ca: readFileSync(f.caFile),
  };
}

/** An HTTPS server for the WebSocket peer endpoint, client certificates required. */
export function createPeerHttpsServer(f: PeerTlsFiles): HttpsServer {
  const server = createServer({ ...readPeerTls(f), requestCert: true, rejectUnauthorized: true });
  // A dialer with no certificate or another CA fails the handshake: nothing else to do.
  server.on('tlsClientError', () => undefined);
  const stop = watchFiles([f.certFile, f.keyFile, f.caFile], () => {
    try {
      server.setSecureContext(readPeerTls(f));
    } catch {
      // A half-written pair: the next change (the certificate after the key) reloads it.
    }
  });
  server.once('close', stop);
  return server;
}

const names = new WeakMap<WebSocket, string[]>();

/** Remembers, per connection, the member names its verified certificate carries. */
export function recordPeerNames(wss: WebSocketServer): void {
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) names.set(ws, certificateNames(socket.getPeerCertificate()));
  });
}

export function peerNamesOf(ws: WebSocket): string[] | undefined {
  return names.get(ws);
}
