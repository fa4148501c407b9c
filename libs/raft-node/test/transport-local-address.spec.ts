import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { PeerTransport } from '../src/transport';
import { eventually } from './wait';

// Members on one machine each talk Raft from an address of their own (flotilla up gives m1
// 127.0.10.1, ...), so a firewall rule on addresses can cut one member off from the others.
describe('PeerTransport localAddress', () => {
  it('dials its peers from the given local address, and connects', async () => {
    const server = new WebSocketServer({ host: '127.0.10.250', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const seenFrom: string[] = [];
    const b = new PeerTransport({
      id: 'b',
      clusterToken: 't',
      peers: new Map([['a', 'ws://127.0.10.249:1']]),
      onMessage: () => undefined,
    });
    server.on('connection', (ws, req) => {
      seenFrom.push(req.socket.remoteAddress ?? '');
      b.accept(ws);
    });
    // "a" dials (its name sorts first).
    const a = new PeerTransport({
      id: 'a',
      clusterToken: 't',
      localAddress: '127.0.10.249',
      peers: new Map([['b', `ws://127.0.10.250:${port}`]]),
      onMessage: () => undefined,
    });
    try {
      a.start();
      b.start();
      await eventually(() => a.connected('b') && b.connected('a'));
      expect(new Set(seenFrom)).toEqual(new Set(['127.0.10.249']));
    } finally {
      a.stop();
      b.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
