import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket, WebSocketServer } from 'ws';

export const PEER_PATH = '/raft';

/** WebSocket close code 1013, "try again later": this member is still starting. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

const earlyRefusals = new WeakMap<WebSocketServer, (ws: WebSocket) => void>();

/**
 * The peer port is bound while the modules are created, the gateway takes its connections only
 * once the application initialises (seconds later on a loaded machine). A member dialing in
 * meanwhile would send its hello into a socket nobody reads and wait out its welcome timer
 * before dialing again: a restarted master then stays without a leader for seconds after it
 * serves clients. Until the gateway is bound, such a connection is closed at once instead, and
 * the dialer comes back after its (short) redial delay.
 */
export function refuseUntilServed(server: WebSocketServer): void {
  const refuse = (ws: WebSocket): void => ws.close(CLOSE_TRY_AGAIN_LATER, 'starting');
  earlyRefusals.set(server, refuse);
  server.on('connection', refuse);
}

/**
 * Serves the peer gateway on its own port: the WebSocket server was bound by the replication
 * module (so a busy port fails start-up with one clear line). Raft frames are binary msgpack
 * handled by the transport, so Nest's JSON message routing is left out for them.
 */
export class PeerWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly peerServer: WebSocketServer,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}) {
    if (options.path === PEER_PATH) return this.peerServer;
    return super.create(port, options);
  }

  override bindClientConnect(server: WebSocketServer, callback: (...args: unknown[]) => void) {
    const refuse = earlyRefusals.get(server);
    if (refuse) {
      server.removeListener('connection', refuse);
      earlyRefusals.delete(server);
    }
    super.bindClientConnect(server, callback);
  }

  override bindMessageHandlers(
    client: unknown,
    handlers: unknown[],
    transform: (data: unknown) => never,
  ) {
    if (handlers.length === 0) return;
    super.bindMessageHandlers(client, handlers as never, transform);
  }
}
