// A stand-in for a container runtime's streaming server (containerd's), speaking what it speaks
// over SPDY/3.1: remotecommand v4.channel.k8s.io (exec, attach) and portforward.k8s.io. For tests:
// its "containers" know a few commands, and port-forward reaches whatever the test points it at.
//   cat          stdin to stdout until stdin ends, exit 0
//   echo A B     "A B\n" on stdout, exit 0
//   fail N TEXT  TEXT on stderr, exit N
//   sizes        each terminal resize (JSON) on stdout until stdin ends, exit 0 (with tty)
//   anything else: not found (a Failure Status without exit code)
// attach: stdin to stdout until stdin ends (or "attached\n" without stdin).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from '../session';

export interface SeenUpgrade {
  path: string;
  upgrade: string;
  protocols: string;
}

export interface StandInOptions {
  /** Where port-forward connects for a pod port. */
  portForward?: (port: number) => { host: string; port: number };
}

const STATUS_SUCCESS = { metadata: {}, status: 'Success' };

export class StandInStreamingServer {
  readonly seen: SeenUpgrade[] = [];
  private readonly server: Server = createServer((_req, res) => res.writeHead(404).end());
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly options: StandInOptions = {}) {
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const upgrade = String(req.headers.upgrade ?? '');
    const protocols = String(req.headers['x-stream-protocol-version'] ?? '');
    this.seen.push({ path: `${url.pathname}${url.search}`, upgrade, protocols });
    const kind = url.pathname.split('/')[1];
    const wanted = kind === 'portforward' ? 'portforward.k8s.io' : 'v4.channel.k8s.io';
    const offered = protocols.split(',').map((p) => p.trim());
    if (upgrade.toLowerCase() !== 'spdy/3.1' || !offered.includes(wanted)) {
      const body = `unable to upgrade: the stand-in speaks SPDY/3.1 with ${wanted}`;
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    socket.setNoDelay(true);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${wanted}\r\n\r\n`,
    );
    const session = new SpdySession(socket, { role: 'server', head });
    if (kind === 'portforward') this.portForward(session);
    else this.remoteCommand(session, kind === 'attach', url.searchParams);
  }

  private remoteCommand(session: SpdySession, attach: boolean, q: URLSearchParams): void {
    const want = ['error', 'stdin', 'stdout', 'stderr'].filter(
      (t) => t === 'error' || q.get(t) === 'true',
    );
    if (q.get('tty') === 'true') want.push('resize');
    const streams = new Map<string, SpdyStream>();
    session.on('stream', (stream: SpdyStream) => {
      stream.reply();
      streams.set(stream.headers.streamtype, stream);
      if (want.every((t) => streams.has(t))) {
        run(attach ? ['attach'] : q.getAll('cmd'), streams, session);
      }
    });
  }

  private portForward(session: SpdySession): void {
    session.on('stream', (stream: SpdyStream) => {
      stream.reply();
      if (stream.headers.streamtype !== 'data') return;
      const target = this.options.portForward?.(Number(stream.headers.port));
      if (!target) return stream.reset();
      const tcp = connect(target.port, target.host);
      this.sockets.add(tcp);
      tcp.on('close', () => this.sockets.delete(tcp));
      stream.on('data', (d: Buffer) => tcp.write(d));
      stream.on('end', (how: string) => (how === 'fin' ? tcp.end() : tcp.destroy()));
      tcp.on('data', (d: Buffer) => stream.write(d));
      tcp.on('end', () => stream.end());
      tcp.on('error', () => stream.reset());
    });
  }
}

function run(cmd: string[], streams: Map<string, SpdyStream>, session: SpdySession): void {
  const out = streams.get('stdout');
  const err = streams.get('stderr');
  const stdin = streams.get('stdin');
  const exit = (status: Record<string, unknown>) => {
    streams.get('error')!.write(Buffer.from(JSON.stringify(status)));
    for (const s of streams.values()) s.end();
    session.close();
  };
  const exitCode = (code: number) =>
    exit(
      code === 0
        ? STATUS_SUCCESS
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          },
    );
  const echoStdin = (fallback: string) => {
    if (!stdin) {
      out?.write(Buffer.from(fallback));
      return exitCode(0);
    }
    stdin.on('data', (d: Buffer) => out?.write(d));
    stdin.on('end', () => exitCode(0));
  };
  switch (cmd[0]) {
    case 'attach':
      return echoStdin('attached\n');
    case 'cat':
      return echoStdin('');
    case 'sizes':
      streams.get('resize')?.on('data', (d: Buffer) => out?.write(d));
      return echoStdin('');
    case 'echo':
      out?.write(Buffer.from(`${cmd.slice(1).join(' ')}\n`));
      return exitCode(0);
    case 'fail':
      err?.write(Buffer.from(`${cmd.slice(2).join(' ') || 'failed'}\n`));
      return exitCode(Number(cmd[1] ?? 1));
    default:
      return exit({
        metadata: {},
        status: 'Failure',
        message: `exec: "${cmd[0]}": executable file not found in $PATH`,
        reason: 'InternalError',
        code: 500,
      });
  }
}
