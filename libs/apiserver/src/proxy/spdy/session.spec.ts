// Two sessions, client and server, on a loopback connection; and raw frames against one.
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { encodeFrame, FrameReader, RST_CANCEL, type SpdyFrame } from './frames';
import { HeaderCompressor } from './header-block';
import { SpdySession, type SpdyStream } from './session';

let server: Server;
let accepted: Promise<Socket>;
let take: (s: Socket) => void;

beforeEach(async () => {
  accepted = new Promise((r) => (take = r));
  server = createServer((s) => take(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

async function pair(): Promise<{ client: SpdySession; serverSide: Socket; clientSocket: Socket }> {
  const clientSocket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => clientSocket.once('connect', r));
  const serverSide = await accepted;
  return { client: new SpdySession(clientSocket, { role: 'client' }), serverSide, clientSocket };
}

const nextEvent = <T>(emitter: NodeJS.EventEmitter, name: string) =>
  new Promise<T>((r) => emitter.once(name, (v: T) => r(v)));

describe('SPDY session', () => {
  it('opens streams both ways: reply, data, half-close each side', async () => {
    const { client, serverSide, clientSocket } = await pair();
    const peer = new SpdySession(serverSide, { role: 'server' });
    const got = nextEvent<SpdyStream>(peer, 'stream');
    const stream = client.openStream({ streamtype: 'stdout', port: '80' });
    const remote = await got;
    expect(remote.id).toBe(1);
    expect(remote.headers).toEqual({ streamtype: 'stdout', port: '80' });
    remote.reply({ ok: 'yes' });
    expect(await stream.replied).toEqual({ ok: 'yes' });
    const echoed: Buffer[] = [];
    stream.on('data', (d: Buffer) => echoed.push(d));
    remote.on('data', (d: Buffer) => remote.write(d));
    remote.on('end', () => remote.end());
    stream.write(Buffer.from('ping'));
    stream.end();
    expect(await nextEvent(stream, 'end')).toBe('fin');
    expect(Buffer.concat(echoed).toString()).toBe('ping');
    // A second stream gets the next odd id and its headers still inflate in the shared context.
    const second = client.openStream({ streamtype: 'stderr' });
    expect((await nextEvent<SpdyStream>(peer, 'stream')).headers).toEqual({ streamtype: 'stderr' });
    expect(second.id).toBe(3);
    clientSocket.destroy();
  });

  it('answers the peer ping, reports a reset and ends every stream when the connection goes', async () => {
    const { client, serverSide } = await pair();
    const reader = new FrameReader();
    const frames: SpdyFrame[] = [];
    serverSide.on('data', (d: Buffer) => frames.push(...reader.push(d)));
    const a = client.openStream({ streamtype: 'error' });
    const b = client.openStream({ streamtype: 'stdin' });
    serverSide.write(encodeFrame({ type: 'ping', id: 2 }));
    serverSide.write(encodeFrame({ type: 'rst_stream', streamId: a.id, status: RST_CANCEL }));
    expect(await nextEvent(a, 'end')).toBe('reset');
    await expect(a.replied).rejects.toThrow(/reset/);
    await new Promise((r) => setTimeout(r, 50));
    expect(frames.filter((f) => f.type === 'ping')).toEqual([{ type: 'ping', id: 2 }]);
    expect(frames.filter((f) => f.type === 'syn_stream').map((f) => f.streamId)).toEqual([1, 3]);
    const ended = nextEvent(b, 'end');
    serverSide.destroy();
    expect(await ended).toBe('closed');
    expect(client.closed).toBe(true);
  });

  it('ends the session with GOAWAY on a frame it cannot read', async () => {
    const { client, serverSide } = await pair();
    const reader = new FrameReader();
    const frames: SpdyFrame[] = [];
    serverSide.on('data', (d: Buffer) => frames.push(...reader.push(d)));
    const closed = nextEvent<Error | undefined>(client, 'close');
    // A SYN_REPLY whose header block is no zlib stream.
    serverSide.write(
      encodeFrame({ type: 'syn_reply', streamId: 1, fin: false, headerBlock: Buffer.from('junk') }),
    );
    expect(String(await closed)).toMatch(/does not inflate/);
    await new Promise((r) => serverSide.once('end', r));
    expect(frames.at(-1)).toMatchObject({ type: 'goaway', status: 1 });
  });

  it('refuses a stream the peer opens when nobody takes streams', async () => {
    const { client, serverSide } = await pair();
    const reader = new FrameReader();
    const frames: SpdyFrame[] = [];
    serverSide.on('data', (d: Buffer) => frames.push(...reader.push(d)));
    const headerBlock = new HeaderCompressor().compress({ streamtype: 'data' });
    serverSide.write(
      encodeFrame({
        type: 'syn_stream',
        streamId: 2,
        associatedTo: 0,
        priority: 0,
        fin: false,
        unidirectional: false,
        headerBlock,
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(frames).toEqual([{ type: 'rst_stream', streamId: 2, status: 3 }]);
    client.destroy();
  });
});
