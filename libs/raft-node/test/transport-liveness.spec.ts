import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Message } from '@flotilla/raft';
import { PeerTransport } from '../src/transport';
import { eventually } from './wait';

/**
 * A TCP relay that can cut the network the way a partition that drops packets does: nothing
 * flows while it is dark, yet no connection is closed. Connections that were open when it went
 * dark stay stuck afterwards too, standing for TCP's retransmission backoff, which can keep an
 * old connection silent for seconds after the network heals; connections made after the heal
 * work.
 */
class BlackHoleRelay {
  private readonly server: Server;
  private dark = false;
  private readonly stuck = new WeakSet<Socket>();
  private readonly pairs: Array<[Socket, Socket]> = [];

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => this.relay(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  goDark(): void {
    this.dark = true;
    for (const [client] of this.pairs) this.stuck.add(client);
  }

  heal(): void {
    this.dark = false;
  }

  private relay(client: Socket): void {
    const upstream = new Socket();
    this.pairs.push([client, upstream]);
    const connected = new Promise<void>((resolve) =>
      upstream.connect(this.targetPort, '127.0.0.1', resolve),
    );
    const flows = () => !this.dark && !this.stuck.has(client);
    // Bytes that arrive while dark are lost, like packets dropped by the partition.
    client.on('data', (chunk) => {
      if (flows()) void connected.then(() => upstream.write(chunk));
    });
    upstream.on('data', (chunk) => {
      if (flows()) client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function heartbeat(from: string, to: string): Message {
  return { type: 'heartbeat', from, to, term: 1 } as unknown as Message;
}

describe('PeerTransport liveness', () => {
  let server: WebSocketServer;
  let relay: BlackHoleRelay;
  let a: PeerTransport;
  let b: PeerTransport;
  const down: string[] = [];
  const receivedByB: Message[] = [];

  beforeEach(async () => {
    down.length = 0;
    receivedByB.length = 0;
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    relay = new BlackHoleRelay((server.address() as AddressInfo).port);
    const relayPort = await relay.listen();
    // "a" dials (its name sorts first) through the relay; "b" accepts.
    a = new PeerTransport({
      id: 'a',
      clusterToken: 't',
      peers: new Map([['b', `ws://127.0.0.1:${relayPort}`]]),
      reconnectMaxMs: 200,
      silentPeerMs: 400,
      onMessage: () => undefined,
      onPeerDown: (id) => down.push(`a lost ${id}`),
    });
    b = new PeerTransport({
      id: 'b',
      clusterToken: 't',
      peers: new Map([['a', 'ws://127.0.0.1:1']]),
      silentPeerMs: 400,
      onMessage: (m) => receivedByB.push(m),
      onPeerDown: (id) => down.push(`b lost ${id}`),
    });
    server.on('connection', (ws) => b.accept(ws));
    a.start();
    b.start();
    await eventually(() => a.connected('b') && b.connected('a'));
  });

  afterEach(async () => {
    a.stop();
    b.stop();
    await relay.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('keeps a quiet but healthy connection', async () => {
    // Several liveness periods without a single Raft frame: the pings alone keep it up.
    await new Promise((r) => setTimeout(r, 1500));
    expect(down).toEqual([]);
    expect(a.connected('b')).toBe(true);
  });

  it('replaces a connection that went silent once the network heals', async () => {
    relay.goDark();
    // Long enough for the dialing side to notice the silence and to try new connections.
    await new Promise((r) => setTimeout(r, 1200));
    relay.heal();
    // Raft sends a heartbeat every tick; what goes into the stuck connection is lost.
    for (let i = 0; i < 100 && receivedByB.length === 0; i++) {
      a.send([heartbeat('a', 'b')]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(receivedByB[0]).toMatchObject({ from: 'a', to: 'b' });
    expect(a.connected('b') && b.connected('a')).toBe(true);
  });
});
