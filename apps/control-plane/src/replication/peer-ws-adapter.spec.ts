import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { CLOSE_TRY_AGAIN_LATER, PeerWsAdapter, refuseUntilServed } from './peer-ws-adapter';

/** How a dial ends: the close code, or 'open' if the server kept the connection. */
function dial(port: number): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/raft`);
    let timer: NodeJS.Timeout | undefined;
    ws.on('open', () => {
      timer = setTimeout(() => {
        ws.terminate();
        resolve('open');
      }, 200);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    ws.on('error', reject);
  });
}

describe('the peer port before the gateway serves it', () => {
  let server: WebSocketServer;

  beforeEach(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
  });

  afterEach(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('tells a member dialing in to try again later, at once, until the gateway binds', async () => {
    refuseUntilServed(server);
    const { port } = server.address() as AddressInfo;
    expect(await dial(port)).toBe(CLOSE_TRY_AGAIN_LATER);

    const accepted: unknown[] = [];
    const adapter = new PeerWsAdapter(undefined as never, server);
    adapter.bindClientConnect(server, (client: unknown) => accepted.push(client));
    expect(await dial(port)).toBe('open');
    expect(accepted).toHaveLength(1);
  });
});
