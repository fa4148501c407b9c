import { Inject } from '@nestjs/common';
import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type WebSocket from 'ws';
import type { PeerTransport } from '@flotilla/raft-node';
import { PEER_PATH } from './peer-ws-adapter';
import { PEER_TRANSPORT } from './replication.tokens';

/** The Raft peer endpoint: every inbound member connection goes to the transport. */
@WebSocketGateway({ path: PEER_PATH })
export class PeerGateway implements OnGatewayConnection {
  constructor(@Inject(PEER_TRANSPORT) private readonly transport: PeerTransport) {}

  handleConnection(client: WebSocket): void {
    this.transport.accept(client);
  }
}
