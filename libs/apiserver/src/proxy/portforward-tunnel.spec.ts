// The SPDY-in-WebSocket tunnel: which subprotocols it takes, and bytes both ways, on loopback.
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { relayTunnel, tunnelledSpdyProtocols } from './portforward-tunnel';

describe('tunnelledSpdyProtocols', () => {
  it('takes SPDY/3.1+ Kubernetes protocols and strips the prefix', () => {
    expect(
      tunnelledSpdyProtocols([
        'SPDY/3.1+portforward.k8s.io',
        'v5.channel.k8s.io',
        'SPDY/3.1+something.example.com',
        'portforward.k8s.io',
      ]),
    ).toEqual(['portforward.k8s.io']);
  });
});

describe('relayTunnel', () => {
  let upstreamServer: ReturnType<typeof createTcpServer>;
  let upstream: Promise<Socket>;
  let front: Server;
  let url: string;

  beforeEach(async () => {
    let take!: (s: Socket) => void;
    upstream = new Promise((r) => (take = r));
    upstreamServer = createTcpServer((s) => take(s));
    await new Promise<void>((r) => upstreamServer.listen(0, '127.0.0.1', r));
    const wss = new WebSocketServer({ noServer: true });
    front = createServer();
    front.on('upgrade', (req, socket, head) => {
      const kubelet = connect((upstreamServer.address() as AddressInfo).port, '127.0.0.1');
      kubelet.pause();
      wss.handleUpgrade(req, socket, head, (ws) =>
        relayTunnel(ws, kubelet, Buffer.from('already read')),
      );
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(front.address() as AddressInfo).port}/`;
  });

  afterEach(async () => {
    front.closeAllConnections();
    await new Promise((r) => front.close(r));
    await new Promise((r) => upstreamServer.close(r));
  });

  it('carries bytes both ways (what was read before first) and closes with the kubelet', async () => {
    const ws = new WebSocket(url);
    const got: Buffer[] = [];
    ws.on('message', (d: Buffer) => got.push(Buffer.from(d)));
    await new Promise((r) => ws.once('open', r));
    const kubelet = await upstream;
    const received = new Promise<string>((r) => kubelet.once('data', (d) => r(d.toString())));
    ws.send(Buffer.from('client frames'));
    expect(await received).toBe('client frames');
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    kubelet.end('kubelet frames');
    expect(await closed).toBe(1000);
    expect(Buffer.concat(got).toString()).toBe('already readkubelet frames');
  });

  it('closes a client that sends text, and drops the kubelet connection with it', async () => {
    const ws = new WebSocket(url);
    await new Promise((r) => ws.once('open', r));
    const kubelet = await upstream;
    const kubeletClosed = new Promise((r) => kubelet.once('close', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('not binary');
    expect(await closed).toBe(1003);
    await kubeletClosed;
  });
});
