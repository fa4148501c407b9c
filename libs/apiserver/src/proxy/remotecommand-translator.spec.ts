// The v5 translator between a WebSocket client and a stand-in runtime that speaks SPDY for real
// (the session's server role), all on loopback.
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { ApiError } from '@flotilla/api';
import { WebSocket, WebSocketServer } from 'ws';
import {
  REMOTE_COMMAND_V5,
  streamsFromQuery,
  translateRemoteCommand,
} from './remotecommand-translator';
import { readRefusalBody, requestSpdyUpgrade, switchedToSpdy } from './spdy/spdy-upgrade';
import { StandInStreamingServer } from './spdy/testing/stand-in-streaming-server';

let runtime: StandInStreamingServer;
let runtimePort: number;
let front: Server;
let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  runtime = new StandInStreamingServer();
  runtimePort = await runtime.start();
  front = createServer();
  wss = new WebSocketServer({ server: front, handleProtocols: () => REMOTE_COMMAND_V5 });
  wss.on('connection', (ws, req) => {
    const q = new URL(req.url ?? '/', 'http://front').searchParams;
    void translateRemoteCommand(ws, {
      streams: streamsFromQuery(q),
      connect: async () => {
        const socket = connect(runtimePort, '127.0.0.1');
        await new Promise((r) => socket.once('connect', r));
        const answer = await requestSpdyUpgrade(socket, {
          path: `/${q.get('kind') ?? 'exec'}?${q}`,
          host: `127.0.0.1:${runtimePort}`,
          protocols: [q.get('protocol') ?? 'v4.channel.k8s.io'],
        });
        if (switchedToSpdy(answer)) return { socket, rest: answer.rest };
        const body = await readRefusalBody(socket, answer);
        throw new ApiError(answer.status, 'BadRequest', body.toString());
      },
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(front.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  wss.close();
  front.closeAllConnections();
  await new Promise((r) => front.close(r));
  await runtime.close();
});

interface Session {
  ws: WebSocket;
  frames: Buffer[];
  closed: Promise<number>;
}

function open(query: string): Promise<Session> {
  const ws = new WebSocket(`${url}?${query}`, [REMOTE_COMMAND_V5]);
  const frames: Buffer[] = [];
  ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('error', reject);
  });
}

const channel = (frames: Buffer[], n: number) =>
  Buffer.concat(frames.filter((f) => f[0] === n).map((f) => f.subarray(1))).toString();

describe('v5.channel.k8s.io to SPDY', () => {
  it('runs a command: stdout on 1, the Success status on 3, then a normal close', async () => {
    const s = await open('cmd=echo&cmd=over&cmd=spdy&stdout=true&stderr=true');
    expect(await s.closed).toBe(1000);
    expect(s.frames[0]).toEqual(Buffer.from([1]));
    expect(channel(s.frames, 1)).toBe('over spdy\n');
    expect(JSON.parse(channel(s.frames, 3))).toMatchObject({ status: 'Success' });
    // The runtime was asked for SPDY with the v4 protocol: error, stdout and stderr streams.
    expect(runtime.seen.at(-1)).toMatchObject({
      upgrade: 'SPDY/3.1',
      protocols: 'v4.channel.k8s.io',
    });
  });

  it('passes stdin through and half-closes it on the v5 close signal (255, 0)', async () => {
    const s = await open('cmd=cat&stdin=true&stdout=true');
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('first ')]));
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('second')]));
    s.ws.send(Buffer.from([255, 0]));
    expect(await s.closed).toBe(1000);
    expect(channel(s.frames, 1)).toBe('first second');
    expect(JSON.parse(channel(s.frames, 3))).toMatchObject({ status: 'Success' });
  });

  it('carries a few MiB of stdin and stdout with no SPDY window to stall on', async () => {
    const s = await open('cmd=cat&stdin=true&stdout=true');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 48; i++) s.ws.send(Buffer.concat([Buffer.from([0]), chunk]));
    s.ws.send(Buffer.from([255, 0]));
    expect(await s.closed).toBe(1000);
    expect(channel(s.frames, 1).length).toBe(48 * 64 * 1024);
  });

  it('opens a resize stream for a tty and passes channel 4 to it', async () => {
    const s = await open('cmd=sizes&stdin=true&stdout=true&tty=true');
    s.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}')]));
    s.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":30}')]));
    s.ws.send(Buffer.from([255, 0]));
    expect(await s.closed).toBe(1000);
    expect(channel(s.frames, 1)).toBe('{"Width":80,"Height":24}{"Width":100,"Height":30}');
  });

  it('reports the exit code as NonZeroExitCode with stderr on 2', async () => {
    const s = await open('cmd=fail&cmd=3&cmd=oops&stdout=true&stderr=true');
    await s.closed;
    expect(channel(s.frames, 2)).toBe('oops\n');
    expect(JSON.parse(channel(s.frames, 3))).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('attaches: stdin echoed until the client closes it', async () => {
    const s = await open('kind=attach&stdin=true&stdout=true');
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('typed')]));
    s.ws.send(Buffer.from([255, 0]));
    await s.closed;
    expect(channel(s.frames, 1)).toBe('typed');
  });

  it('sends the runtime refusal as a Failure status on channel 3', async () => {
    const s = await open('cmd=echo&stdout=true&protocol=v9.channel.k8s.io');
    expect(await s.closed).toBe(1000);
    expect(JSON.parse(channel(s.frames, 3))).toMatchObject({
      status: 'Failure',
      code: 400,
      message: expect.stringContaining('the stand-in speaks SPDY/3.1'),
    });
  });

  it('closes a client that sends text frames (v5 is binary)', async () => {
    const s = await open('cmd=cat&stdin=true&stdout=true');
    s.ws.send('0hello');
    expect(await s.closed).toBe(1003);
  });

  it('says when the command is unknown, and keeps serving', async () => {
    const s = await open('cmd=nope&stdout=true');
    await s.closed;
    expect(JSON.parse(channel(s.frames, 3)).message).toContain('"nope": executable file not found');
    const again = await open('cmd=echo&cmd=still&stdout=true');
    await again.closed;
    expect(channel(again.frames, 1)).toBe('still\n');
  });
});
