// port-forward for a client that tunnels SPDY through WebSocket (kubectl 1.31+: subprotocol
// "SPDY/3.1+portforward.k8s.io"): the client's SPDY session travels in binary WebSocket messages,
// the kubelet's over a plain SPDY upgrade. Both ends of the session are the client and the
// kubelet, so the API server only unwraps and wraps the bytes (Kubernetes' tunneling handler).
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';

/** The SPDY stream protocols a WebSocket client offers to tunnel (prefix removed). */
export function tunnelledSpdyProtocols(offered: readonly string[]): string[] {
  return offered
    .filter((p) => p.startsWith(SPDY_TUNNEL_PREFIX) && p.endsWith('.k8s.io'))
    .map((p) => p.slice(SPDY_TUNNEL_PREFIX.length));
}

/** Bytes waiting for a slow WebSocket client past this stop reading from the kubelet. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

/** Joins an accepted WebSocket to the kubelet's upgraded connection until either ends. */
export function relayTunnel(ws: WebSocket, upstream: Duplex, rest: Buffer): void {
  let paused = false;
  const toClient = (data: Buffer) => {
    ws.send(data, { binary: true }, () => {
      if (paused && ws.bufferedAmount < LOW_WATER) {
        paused = false;
        upstream.resume();
      }
    });
    if (!paused && ws.bufferedAmount > HIGH_WATER) {
      paused = true;
      upstream.pause();
    }
  };
  if (rest.length > 0) toClient(rest);
  upstream.on('data', toClient);
  upstream.resume();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return void ws.close(1003, 'the SPDY tunnel carries binary messages only');
    if (!upstream.write(data)) {
      ws.pause();
      upstream.once('drain', () => ws.resume());
    }
  });
  const closeClient = () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  upstream.on('end', closeClient);
  upstream.on('close', closeClient);
  upstream.on('error', () => ws.terminate());
  ws.on('close', () => upstream.destroy());
  ws.on('error', () => upstream.destroy());
}
