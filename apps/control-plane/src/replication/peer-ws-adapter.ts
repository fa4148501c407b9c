import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocketServer } from 'ws';

export const PEER_PATH = '/raft';

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

  override bindMessageHandlers(
    client: unknown,
    handlers: unknown[],
    transform: (data: unknown) => never,
  ) {
    if (handlers.length === 0) return;
    super.bindMessageHandlers(client, handlers as never, transform);
  }
}
